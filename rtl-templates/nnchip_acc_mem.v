// SPDX-License-Identifier: MIT
// nnchip_acc_mem: the acc buffer, with two read ports: a (the matmul's accumulate read) and b (the
// threshold's). BANKS = 1: one nnchip_acc_half, the ports share its read port (port a first; the
// timing rule never lets both read in one cycle). BANKS = 2 (ArrayConfig.accBanks): entries below
// SPLIT are half 0, the rest half 1, each its own nnchip_acc_half with its own read port; a port reads
// the half its address is in, and the timing rule (src/isa/timing.ts accBanksApart) lets the two
// ports read in one cycle only in different halves. A port's data stays on its output until its
// next read (the threshold holds a row over its beats), so each port keeps which half it read.
`default_nettype none
module nnchip_acc_mem #(
  parameter WIDTH = 128,
  parameter DEPTH = 256,
  parameter AW = 8,
  parameter BANKS = 1,
  parameter SPLIT = 256      // the first entry of half 1 (BANKS = 2: DEPTH / 2)
) (
  input  wire             clk,
  input  wire             rst_n,
  input  wire             mm_we,      // the matmul's results
  input  wire [AW-1:0]    mm_waddr,
  input  wire [WIDTH-1:0] mm_wdata,
  input  wire             ld_we,      // the load unit's rows
  input  wire [AW-1:0]    ld_waddr,
  input  wire [WIDTH-1:0] ld_wdata,
  input  wire             a_re,
  input  wire [AW-1:0]    a_raddr,
  output wire [WIDTH-1:0] a_rdata,
  input  wire             b_re,
  input  wire [AW-1:0]    b_raddr,
  output wire [WIDTH-1:0] b_rdata
);
  generate
    if (BANKS == 2) begin : g_two
      localparam [AW-1:0] SPLIT_A = SPLIT[AW-1:0];
      localparam LO_AW = (SPLIT > 1) ? $clog2(SPLIT) : 1;
      localparam HI_AW = (DEPTH - SPLIT > 1) ? $clog2(DEPTH - SPLIT) : 1;
      wire [AW-1:0] mm_hi_addr = mm_waddr - SPLIT_A;
      wire [AW-1:0] ld_hi_addr = ld_waddr - SPLIT_A;
      wire [AW-1:0] lo_raddr = lo_a ? a_raddr : b_raddr;
      wire [AW-1:0] hi_raddr = (hi_a ? a_raddr : b_raddr) - SPLIT_A;
      wire unused_high_bits = ^{mm_hi_addr, ld_hi_addr, lo_raddr, hi_raddr};
      wire mm_hi = mm_waddr >= SPLIT_A;
      wire ld_hi = ld_waddr >= SPLIT_A;
      wire a_hi = a_raddr >= SPLIT_A;
      wire b_hi = b_raddr >= SPLIT_A;
      // each half reads for the port whose address is in it (port a first)
      wire lo_a = a_re & ~a_hi;
      wire hi_a = a_re & a_hi;
      wire [WIDTH-1:0] lo_rdata, hi_rdata;
      // (an address of a half fits its width: entries below SPLIT in half 0, the rest less SPLIT in half 1)
      nnchip_acc_half #(.WIDTH(WIDTH), .DEPTH(SPLIT), .AW(LO_AW)) u_lo (
        .clk(clk), .rst_n(rst_n),
        .mm_we(mm_we & ~mm_hi), .mm_waddr(mm_waddr[LO_AW-1:0]), .mm_wdata(mm_wdata),
        .ld_we(ld_we & ~ld_hi), .ld_waddr(ld_waddr[LO_AW-1:0]), .ld_wdata(ld_wdata),
        .re(lo_a | (b_re & ~b_hi)), .raddr(lo_raddr[LO_AW-1:0]), .rdata(lo_rdata));
      nnchip_acc_half #(.WIDTH(WIDTH), .DEPTH(DEPTH - SPLIT), .AW(HI_AW)) u_hi (
        .clk(clk), .rst_n(rst_n),
        .mm_we(mm_we & mm_hi), .mm_waddr(mm_hi_addr[HI_AW-1:0]), .mm_wdata(mm_wdata),
        .ld_we(ld_we & ld_hi), .ld_waddr(ld_hi_addr[HI_AW-1:0]), .ld_wdata(ld_wdata),
        .re(hi_a | (b_re & b_hi)), .raddr(hi_raddr[HI_AW-1:0]), .rdata(hi_rdata));
      reg a_hi_q, b_hi_q;
      always @(posedge clk) begin
        if (a_re) a_hi_q <= a_hi;
        if (b_re) b_hi_q <= b_hi;
      end
      assign a_rdata = a_hi_q ? hi_rdata : lo_rdata;
      assign b_rdata = b_hi_q ? hi_rdata : lo_rdata;
    end else begin : g_one
      wire [WIDTH-1:0] rdata;
      nnchip_acc_half #(.WIDTH(WIDTH), .DEPTH(DEPTH), .AW(AW)) u_all (
        .clk(clk), .rst_n(rst_n),
        .mm_we(mm_we), .mm_waddr(mm_waddr), .mm_wdata(mm_wdata),
        .ld_we(ld_we), .ld_waddr(ld_waddr), .ld_wdata(ld_wdata),
        .re(a_re | b_re), .raddr(a_re ? a_raddr : b_raddr), .rdata(rdata));
      assign a_rdata = rdata;
      assign b_rdata = rdata;
    end
  endgenerate
endmodule
`default_nettype wire
