// SPDX-License-Identifier: MIT
// nnchip_pe: one processing element of the weight-stationary array. It holds one int8 weight,
// multiplies the int8 activation arriving from the left, adds the int32 partial sum arriving from
// above, and passes activation (right) and sum (down) on through registers.
`default_nettype none
module nnchip_pe #(
  parameter DATA_W = 8,   // int8 operands (isa/numerics.ts)
  parameter PSUM_W = 32   // partial-sum width: wide enough that a column sum never wraps
) (
  input  wire              clk,
  input  wire              w_shift,   // preload: take the weight from above
  input  wire [DATA_W-1:0] w_in,
  input  wire [DATA_W-1:0] a_in,
  input  wire [PSUM_W-1:0] psum_in,
  output reg  [DATA_W-1:0] w_q,
  output reg  [DATA_W-1:0] a_q,
  output reg  [PSUM_W-1:0] psum_q
);
  wire signed [2*DATA_W-1:0] prod = $signed(a_in) * $signed(w_q);

  always @(posedge clk) begin
    if (w_shift) w_q <= w_in;
    a_q <= a_in;
    psum_q <= psum_in + {{(PSUM_W - 2 * DATA_W){prod[2*DATA_W-1]}}, prod};
  end
endmodule
`default_nettype wire
