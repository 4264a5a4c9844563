// SPDX-License-Identifier: MIT
// nnchip_pe: one processing element of the weight-stationary array. It holds two int8 weights: the
// active one it multiplies by, and a shadow one the next tile's preload writes (w_we) while the
// current tile streams. The swap bit arrives one cycle ahead of the next tile's first activation
// (streams are at least one cycle apart) and makes the shadow weight the active one, so no mux sits
// in front of the multiplier. It multiplies the int8 activation arriving from the left,
// adds the int32 partial sum arriving from above, and passes activation + swap bit (right), the
// shadow write wave (right, and down column 0) and the sum (down) on through registers.
// EXT_MULT = 1: the product a_in * w_q comes in on prod_ext from a DSP (nnchip_mac16_pair) whose
// input registers mirror a_in and w_q (w_next is what w_q takes at the edge), so the cycle is the same.
`default_nettype none
module nnchip_pe #(
  parameter DATA_W = 8,   // int8 operands (isa/numerics.ts)
  parameter PSUM_W = 32,  // partial-sum width: wide enough that a column sum never wraps
  parameter EXT_MULT = 0  // 1: the multiplier is outside (prod_ext); 0: in this PE's logic
) (
  input  wire              clk,
  input  wire              w_we,      // preload: write the shadow weight
  input  wire [DATA_W-1:0] w_in,
  input  wire              sw_in,     // the next activation is the next tile's first: swap the shadow in
  input  wire [DATA_W-1:0] a_in,
  input  wire [PSUM_W-1:0] psum_in,
  input  wire [2*DATA_W-1:0] prod_ext,  // EXT_MULT: a_in * w_q (signed), from outside
  output wire [DATA_W-1:0] w_next,    // the active weight after this edge (w_q's next value)
  output reg               w_we_q,
  output reg               sw_q,
  output reg  [DATA_W-1:0] a_q,
  output reg  [PSUM_W-1:0] psum_q
);
  reg [DATA_W-1:0] w_q, ws_q;
  assign w_next = sw_in ? (w_we ? w_in : ws_q) : w_q;   // R = 1: the shadow is written in the swap cycle
  wire signed [2*DATA_W-1:0] prod;
  generate
    if (EXT_MULT != 0) begin : g_ext
      assign prod = prod_ext;
    end else begin : g_fabric
      assign prod = $signed(a_in) * $signed(w_q);
      wire unused_ext = ^prod_ext;
    end
  endgenerate

  always @(posedge clk) begin
    w_q <= w_next;
    if (w_we) ws_q <= w_in;
    w_we_q <= w_we;
    sw_q <= sw_in;
    a_q <= a_in;
    psum_q <= psum_in + {{(PSUM_W - 2 * DATA_W){prod[2*DATA_W-1]}}, prod};
  end
endmodule
`default_nettype wire
