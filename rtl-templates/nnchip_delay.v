// SPDX-License-Identifier: MIT
// nnchip_delay: a STAGES-deep register delay line (STAGES >= 1); used for the array's row skew and
// column de-skew. Instantiate only when a delay is needed (no zero-stage instances).
`default_nettype none
module nnchip_delay #(
  parameter WIDTH = 8,
  parameter STAGES = 1
) (
  input  wire             clk,
  input  wire [WIDTH-1:0] d,
  output wire [WIDTH-1:0] q
);
  generate
    if (STAGES == 1) begin : g_one
      reg [WIDTH-1:0] line_q;
      always @(posedge clk) line_q <= d;
      assign q = line_q;
    end else begin : g_many
      reg [WIDTH*STAGES-1:0] line_q;
      always @(posedge clk) line_q <= {line_q[WIDTH*(STAGES-1)-1:0], d};
      assign q = line_q[WIDTH*STAGES-1 -: WIDTH];
    end
  endgenerate
endmodule
`default_nettype wire
