// SPDX-License-Identifier: MIT
// nnchip_systolic_array: ROWS x COLS weight-stationary PEs with double-buffered weights. The preload
// writes the shadow weights along a diagonal wave (PE(r, c) on the (1 + r + c)-th cycle after
// w_go; wgt lane c reaches column c through c registers and is broadcast down it, entry r in row r),
// while the previous tile still streams. Activations come through the row skew in front (lane r
// delayed r cycles) with the swap bit one cycle ahead of the tile's first row, and the column de-skew behind
// (column c delayed COLS-1-c cycles) lines one act entry's COLS sums up.
`default_nettype none
module nnchip_systolic_array #(
  parameter ROWS = 4,
  parameter COLS = 4
) (
  input  wire               clk,
  input  wire               w_go,      // the cycle the tile's first wgt entry is on w_top
  input  wire [COLS*8-1:0]  w_top,     // wgt entry r of the tile in the (1 + r)-th cycle from w_go (lane c = column c)
  input  wire [ROWS*8-1:0]  a_left,    // act entry, un-skewed (lane r = row r of the tile)
  input  wire               a_sw,      // a_left is the tile's first act row in the next cycle
  output wire [COLS*32-1:0] sums       // column sums of one input row, all columns aligned
);
  // A column sums R products of at most 2^14 in magnitude: 17 + clog2(R) bits never wrap, so the
  // sign-extended column sum equals the int32 (wrapping) sum of isa/numerics.ts mac.
  localparam PSUM_W = 17 + $clog2(ROWS);

  // Every PE's outputs are wires of its own generate scope (g_row[r].g_col[c]); neighbours read them
  // by name. Flattened buses would make simulators re-evaluate every reader on every PE's update.
  genvar r, c;
  generate
    for (c = 0; c < COLS; c = c + 1) begin : g_wcol
      wire [7:0] w_col;   // wgt lane c, delayed c cycles
      if (c == 0) begin : g_direct
        assign w_col = w_top[7:0];
      end else begin : g_delay
        nnchip_delay #(.WIDTH(8), .STAGES(c)) u_wskew (.clk(clk), .d(w_top[c*8 +: 8]), .q(w_col));
      end
    end

    for (r = 0; r < ROWS; r = r + 1) begin : g_row
      wire [8:0] a_skewed;   // {swap, lane r}, delayed r cycles (row skew)
      if (r == 0) begin : g_direct
        assign a_skewed = {a_sw, a_left[7:0]};
      end else begin : g_delay
        nnchip_delay #(.WIDTH(9), .STAGES(r)) u_skew (.clk(clk), .d({a_sw, a_left[r*8 +: 8]}), .q(a_skewed));
      end

      for (c = 0; c < COLS; c = c + 1) begin : g_col
        wire [7:0]  a_in, a_q;
        wire        we_in, we_q, sw_in, sw_q;
        wire [PSUM_W-1:0] p_in, p_q;
        if (r == 0) begin : g_top
          assign p_in = {PSUM_W{1'b0}};
        end else begin : g_below
          assign p_in = g_row[r-1].g_col[c].p_q;
        end
        if (c == 0) begin : g_left
          assign a_in = a_skewed[7:0];
          assign sw_in = a_skewed[8];
          if (r == 0) begin : g_corner
            assign we_in = w_go;
          end else begin : g_down
            assign we_in = g_row[r-1].g_col[0].we_q;
          end
        end else begin : g_right
          assign a_in = g_col[c-1].a_q;
          assign sw_in = g_col[c-1].sw_q;
          assign we_in = g_col[c-1].we_q;
        end
        nnchip_pe #(.DATA_W(8), .PSUM_W(PSUM_W)) u_pe (
          .clk(clk), .w_we(we_in), .w_in(g_wcol[c].w_col), .sw_in(sw_in), .a_in(a_in), .psum_in(p_in),
          .w_we_q(we_q), .sw_q(sw_q), .a_q(a_q), .psum_q(p_q));
        // the last column's activations, swap bits and write wave go nowhere (yosys drops them)
        if (c == COLS - 1) begin : g_a_end
          wire unused_a = ^{a_q, sw_q, we_q};
        end
      end
    end

    for (c = 0; c < COLS; c = c + 1) begin : g_deskew
      wire [PSUM_W-1:0] aligned;
      if (c == COLS - 1) begin : g_direct
        assign aligned = g_row[ROWS-1].g_col[c].p_q;
      end else begin : g_delay
        nnchip_delay #(.WIDTH(PSUM_W), .STAGES(COLS - 1 - c)) u_deskew (
          .clk(clk), .d(g_row[ROWS-1].g_col[c].p_q), .q(aligned));
      end
      assign sums[c*32 +: 32] = {{(32 - PSUM_W){aligned[PSUM_W-1]}}, aligned};
    end
  endgenerate
endmodule
`default_nettype wire
