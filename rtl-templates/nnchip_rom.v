// SPDX-License-Identifier: MIT
// nnchip_rom: the instruction ROM — one 128-bit word per entry, synchronous read, filled from a
// $readmemh image (program.hex) so yosys can map it to block RAM.
`default_nettype none
module nnchip_rom #(
  parameter WIDTH = 128,
  parameter DEPTH = 16,
  parameter AW = 4,
  parameter FILE = "program.hex"
) (
  input  wire             clk,
  input  wire [AW-1:0]    addr,
  output reg  [WIDTH-1:0] rdata_q
);
  reg [WIDTH-1:0] mem_q [0:DEPTH-1];
  initial $readmemh(FILE, mem_q);

  always @(posedge clk) rdata_q <= mem_q[addr];
endmodule
`default_nettype wire
