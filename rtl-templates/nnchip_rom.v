// SPDX-License-Identifier: MIT
// nnchip_rom: the instruction memory — one 128-bit word per entry, synchronous read. LOADABLE = 0:
// a ROM filled from a $readmemh image (program.hex), so yosys maps it to block RAM. LOADABLE = 1
// (board designs): a RAM the board writes one byte lane at a time on its own clock `wclk`, with the
// program it reads from the SPI-flash image, so the bitstream holds no program; the board writes it
// only while `clk` (the core's) is held, and never the word the core reads at its next edge.
`default_nettype none
module nnchip_rom #(
  parameter WIDTH = 128,
  parameter DEPTH = 16,
  parameter AW = 4,
  parameter LANE_W = 4,                    // byte lanes: WIDTH / 8 = 2^LANE_W
  parameter LOADABLE = 0,
  parameter FILE = "program.hex"
) (
  input  wire              clk,
  input  wire [AW-1:0]     addr,
  output reg  [WIDTH-1:0]  rdata_q,
  input  wire              wclk,           // LOADABLE only: write byte `lane` of word `waddr` on wclk
  input  wire              we,
  input  wire [AW-1:0]     waddr,
  input  wire [LANE_W-1:0] lane,
  input  wire [7:0]        wdata
);
  generate
    if (LOADABLE != 0) begin : g_ram
      // no read-during-write bypass: the board writes between core clock edges, never at one
      (* ram_style = "block", no_rw_check *)
      reg [WIDTH-1:0] mem_q [0:DEPTH-1];
      integer b;
      always @(posedge wclk)
        if (we) for (b = 0; b < WIDTH / 8; b = b + 1) if ({{(32-LANE_W){1'b0}}, lane} == b) mem_q[waddr][b*8 +: 8] <= wdata;
      always @(posedge clk) rdata_q <= mem_q[addr];
    end else begin : g_rom
      reg [WIDTH-1:0] mem_q [0:DEPTH-1];
      initial $readmemh(FILE, mem_q);
      always @(posedge clk) rdata_q <= mem_q[addr];
      wire unused_write = ^{wclk, we, waddr, lane, wdata};
    end
  endgenerate
endmodule
`default_nettype wire
