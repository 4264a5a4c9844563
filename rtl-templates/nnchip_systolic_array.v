// SPDX-License-Identifier: MIT
// nnchip_systolic_array: ROWS x COLS weight-stationary PEs with double-buffered weights. The preload
// writes the shadow weights along a diagonal wave (PE(r, c) on the (1 + r + c)-th cycle after
// w_go; wgt lane c reaches column c through c registers and is broadcast down it, entry r in row r),
// while the previous tile still streams. Activations come through the row skew in front (lane r
// delayed r cycles) with the swap bit one cycle ahead of the tile's first row, and the column de-skew behind
// (column c delayed COLS-1-c cycles) lines one act entry's COLS sums up.
// PE_MAC16 = 1 (iCE40 UltraPlus): the multipliers are DSP blocks, two PEs of a row per block
// (columns 2k and 2k+1, nnchip_mac16_pair), ROWS * ceil(COLS/2) blocks; the rest is unchanged.
`default_nettype none
module nnchip_systolic_array #(
  parameter ROWS = 4,
  parameter COLS = 4,
  parameter PE_MAC16 = 0
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
      wire [8:0] a_ahead;    // the same delayed r - 1 cycles: a DSP's activation register input (r >= 1)
      wire [COLS*16-1:0] prods;   // PE_MAC16: each column's product, from its pair's DSP
      if (r == 0) begin : g_direct
        assign a_skewed = {a_sw, a_left[7:0]};
        assign a_ahead = 9'd0;   // no earlier form: row 0's first pair takes a_skewed unregistered
      end else begin : g_delay
        if (r == 1) begin : g_ahead_direct
          assign a_ahead = {a_sw, a_left[r*8 +: 8]};
        end else begin : g_ahead_delay
          nnchip_delay #(.WIDTH(9), .STAGES(r - 1)) u_skew (.clk(clk), .d({a_sw, a_left[r*8 +: 8]}), .q(a_ahead));
        end
        nnchip_delay #(.WIDTH(9), .STAGES(1)) u_skew_last (.clk(clk), .d(a_ahead), .q(a_skewed));
      end

      for (c = 0; c < COLS; c = c + 1) begin : g_col
        wire [7:0]  a_in, a_q, a_next, w_next;
        wire        we_in, we_q, sw_in, sw_q;
        wire [PSUM_W-1:0] p_in, p_q;
        if (r == 0) begin : g_top
          assign p_in = {PSUM_W{1'b0}};
        end else begin : g_below
          assign p_in = g_row[r-1].g_col[c].p_q;
        end
        if (c == 0) begin : g_left
          assign a_in = a_skewed[7:0];
          assign a_next = a_ahead[7:0];
          assign sw_in = a_skewed[8];
          if (r == 0) begin : g_corner
            assign we_in = w_go;
          end else begin : g_down
            assign we_in = g_row[r-1].g_col[0].we_q;
          end
        end else begin : g_right
          assign a_in = g_col[c-1].a_q;
          assign a_next = g_col[c-1].a_in;   // what the left PE's a_q takes at this edge
          assign sw_in = g_col[c-1].sw_q;
          assign we_in = g_col[c-1].we_q;
        end
        nnchip_pe #(.DATA_W(8), .PSUM_W(PSUM_W), .EXT_MULT(PE_MAC16)) u_pe (
          .clk(clk), .w_we(we_in), .w_in(g_wcol[c].w_col), .sw_in(sw_in), .a_in(a_in), .psum_in(p_in),
          .prod_ext(prods[c*16 +: 16]), .w_next(w_next),
          .w_we_q(we_q), .sw_q(sw_q), .a_q(a_q), .psum_q(p_q));
        // the last column's activations, swap bits and write wave go nowhere (yosys drops them)
        if (c == COLS - 1) begin : g_a_end
          wire unused_a = ^{a_q, sw_q, we_q};
        end
        if (PE_MAC16 == 0) begin : g_no_dsp
          wire unused_next = ^{a_next, w_next};
        end
      end

      if (PE_MAC16 != 0) begin : g_mac16
        for (c = 0; c < COLS; c = c + 2) begin : g_pair
          // an odd COLS leaves the last block's upper multiplier with zero operands
          wire [7:0] a_hi_next, a_hi_now, w_hi_next;
          wire [15:0] p_hi, p_lo;
          if (c + 1 < COLS) begin : g_two
            assign {a_hi_next, a_hi_now, w_hi_next} = {g_col[c+1].a_next, g_col[c+1].a_in, g_col[c+1].w_next};
            assign prods[(c+1)*16 +: 16] = p_hi;
          end else begin : g_one
            assign {a_hi_next, a_hi_now, w_hi_next} = 24'd0;
            wire unused_hi = ^p_hi;
          end
          nnchip_mac16_pair #(.A_REG(r == 0 && c == 0 ? 0 : 1)) u_mac (
            .clk(clk), .a_hi_next(a_hi_next), .a_lo_next(g_col[c].a_next), .a_hi_now(a_hi_now), .a_lo_now(g_col[c].a_in),
            .w_hi_next(w_hi_next), .w_lo_next(g_col[c].w_next), .p_hi(p_hi), .p_lo(p_lo));
          assign prods[c*16 +: 16] = p_lo;
        end
      end else begin : g_fabric
        assign prods = {COLS*16{1'b0}};
      end
      wire unused_ahead = a_ahead[8];   // the DSPs take the activation, not the swap bit
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
