// SPDX-License-Identifier: MIT
// nnchip_systolic_array: ROWS x COLS weight-stationary PEs with the weight shift-down preload, the
// row skew in front (lane r delayed r cycles) and the column de-skew behind (column c delayed
// COLS-1-c cycles), so one un-skewed act entry in gives one aligned row of COLS sums out.
`default_nettype none
module nnchip_systolic_array #(
  parameter ROWS = 4,
  parameter COLS = 4
) (
  input  wire               clk,
  input  wire               w_shift,   // preload cycle: every PE row takes the weights from above
  input  wire [COLS*8-1:0]  w_top,     // wgt entry entering PE row 0 (lane c = column c)
  input  wire [ROWS*8-1:0]  a_left,    // act entry, un-skewed (lane r = row r of the tile)
  output wire [COLS*32-1:0] sums       // column sums of one input row, all columns aligned
);
  // A column sums R products of at most 2^14 in magnitude: 17 + clog2(R) bits never wrap, so the
  // sign-extended column sum equals the int32 (wrapping) sum of isa/numerics.ts mac.
  localparam PSUM_W = 17 + $clog2(ROWS);

  // Every PE's outputs are wires of its own generate scope (g_row[r].g_col[c]); neighbours read them
  // by name. Flattened buses would make simulators re-evaluate every reader on every PE's update.
  genvar r, c;
  generate
    for (r = 0; r < ROWS; r = r + 1) begin : g_row
      wire [7:0] a_skewed;   // lane r, delayed r cycles (row skew)
      if (r == 0) begin : g_direct
        assign a_skewed = a_left[7:0];
      end else begin : g_delay
        nnchip_delay #(.WIDTH(8), .STAGES(r)) u_skew (.clk(clk), .d(a_left[r*8 +: 8]), .q(a_skewed));
      end

      for (c = 0; c < COLS; c = c + 1) begin : g_col
        wire [7:0]  w_in, a_in, w_q, a_q;
        wire [PSUM_W-1:0] p_in, p_q;
        if (r == 0) begin : g_top
          assign w_in = w_top[c*8 +: 8];
          assign p_in = {PSUM_W{1'b0}};
        end else begin : g_below
          assign w_in = g_row[r-1].g_col[c].w_q;
          assign p_in = g_row[r-1].g_col[c].p_q;
        end
        if (c == 0) begin : g_left
          assign a_in = a_skewed;
        end else begin : g_right
          assign a_in = g_col[c-1].a_q;
        end
        nnchip_pe #(.DATA_W(8), .PSUM_W(PSUM_W)) u_pe (
          .clk(clk), .w_shift(w_shift), .w_in(w_in), .a_in(a_in), .psum_in(p_in),
          .w_q(w_q), .a_q(a_q), .psum_q(p_q));
        // the last column's activations and the bottom row's weights go nowhere (yosys drops them)
        if (c == COLS - 1) begin : g_a_end
          wire unused_a = ^a_q;
        end
        if (r == ROWS - 1) begin : g_w_end
          wire unused_w = ^w_q;
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
