// SPDX-License-Identifier: MIT
// nnchip_sram: one on-chip buffer — a simple dual-port RAM (one write port, one synchronous read
// port) written so that yosys infers block RAM. Contents start at zero, as in isa/interpret.ts.
`default_nettype none
module nnchip_sram #(
  parameter WIDTH = 8,
  parameter DEPTH = 256,
  parameter AW = 8
) (
  input  wire             clk,
  input  wire             we,
  input  wire [AW-1:0]    waddr,
  input  wire [WIDTH-1:0] wdata,
  input  wire             re,
  input  wire [AW-1:0]    raddr,
  output reg  [WIDTH-1:0] rdata_q
);
  // Block RAM even when small (a few entries of a wide buffer would otherwise cost hundreds of
  // flip-flops), and no read-during-write bypass: tokens order the units sharing a buffer so they
  // never touch the same entry in the same cycle (docs/hardware.md), which yosys cannot prove.
  (* ram_style = "block", no_rw_check *)
  reg [WIDTH-1:0] mem_q [0:DEPTH-1];

  integer i;
  initial begin
    for (i = 0; i < DEPTH; i = i + 1) mem_q[i] = {WIDTH{1'b0}};
  end

  // Read and write may target different entries in the same cycle (the units that share a buffer
  // are ordered by dependency tokens, so they never touch the same entry at the same time).
  always @(posedge clk) begin
    if (we) mem_q[waddr] <= wdata;
    if (re) rdata_q <= mem_q[raddr];
  end
endmodule
`default_nettype wire
