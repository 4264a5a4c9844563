// SPDX-License-Identifier: MIT
// nnchip_acc_half: acc entries (the whole acc buffer, or one half of it: nnchip_acc_mem.v) with one read port. Two units write them concurrently (the load
// unit's bias rows and the matmul's results, to different entries), so it is two block-RAM banks
// plus a live-value table that remembers, per entry, which bank holds the latest write.
`default_nettype none
module nnchip_acc_half #(
  parameter WIDTH = 128,
  parameter DEPTH = 256,
  parameter AW = 8
) (
  input  wire             clk,
  input  wire             rst_n,
  input  wire             mm_we,      // bank 0: matmul results
  input  wire [AW-1:0]    mm_waddr,
  input  wire [WIDTH-1:0] mm_wdata,
  input  wire             ld_we,      // bank 1: load unit
  input  wire [AW-1:0]    ld_waddr,
  input  wire [WIDTH-1:0] ld_wdata,
  input  wire             re,
  input  wire [AW-1:0]    raddr,
  output wire [WIDTH-1:0] rdata
);
  wire [WIDTH-1:0] mm_rdata, ld_rdata;
  nnchip_sram #(.WIDTH(WIDTH), .DEPTH(DEPTH), .AW(AW)) u_mm_bank (
    .clk(clk), .we(mm_we), .waddr(mm_waddr), .wdata(mm_wdata), .re(re), .raddr(raddr), .rdata_q(mm_rdata));
  nnchip_sram #(.WIDTH(WIDTH), .DEPTH(DEPTH), .AW(AW)) u_ld_bank (
    .clk(clk), .we(ld_we), .waddr(ld_waddr), .wdata(ld_wdata), .re(re), .raddr(raddr), .rdata_q(ld_rdata));

  reg [DEPTH-1:0] live_q;   // 1: the load bank holds entry e's latest value
  reg             sel_q;
  always @(posedge clk) begin
    if (!rst_n) begin
      live_q <= {DEPTH{1'b0}};
    end else begin
      if (mm_we) live_q[mm_waddr] <= 1'b0;
      if (ld_we) live_q[ld_waddr] <= 1'b1;
    end
    if (re) sel_q <= live_q[raddr];
  end
  assign rdata = sel_q ? ld_rdata : mm_rdata;
endmodule
`default_nettype wire
