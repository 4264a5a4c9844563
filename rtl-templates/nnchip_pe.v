// SPDX-License-Identifier: MIT
// nnchip_pe: one processing element of the weight-stationary array. It holds two int8 weights: the
// active one it multiplies by, and a shadow one the next tile's preload writes (w_we) while the
// current tile streams. The swap bit arrives one cycle ahead of the next tile's first activation
// (streams are at least one cycle apart) and makes the shadow weight the active one, so no mux sits
// in front of the multiplier. It multiplies the int8 activation arriving from the left,
// adds the int32 partial sum arriving from above, and passes activation + swap bit (right), the
// shadow write wave (right, and down column 0) and the sum (down) on through registers.
`default_nettype none
module nnchip_pe #(
  parameter DATA_W = 8,   // int8 operands (isa/numerics.ts)
  parameter PSUM_W = 32   // partial-sum width: wide enough that a column sum never wraps
) (
  input  wire              clk,
  input  wire              w_we,      // preload: write the shadow weight
  input  wire [DATA_W-1:0] w_in,
  input  wire              sw_in,     // the next activation is the next tile's first: swap the shadow in
  input  wire [DATA_W-1:0] a_in,
  input  wire [PSUM_W-1:0] psum_in,
  output reg               w_we_q,
  output reg               sw_q,
  output reg  [DATA_W-1:0] a_q,
  output reg  [PSUM_W-1:0] psum_q
);
  reg [DATA_W-1:0] w_q, ws_q;
  wire signed [2*DATA_W-1:0] prod = $signed(a_in) * $signed(w_q);

  always @(posedge clk) begin
    if (sw_in) w_q <= w_we ? w_in : ws_q;   // R = 1: the shadow is written in the swap cycle
    if (w_we) ws_q <= w_in;
    w_we_q <= w_we;
    sw_q <= sw_in;
    a_q <= a_in;
    psum_q <= psum_in + {{(PSUM_W - 2 * DATA_W){prod[2*DATA_W-1]}}, prod};
  end
endmodule
`default_nettype wire
