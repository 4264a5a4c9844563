// SPDX-License-Identifier: MIT
// nnchip_top: the accelerator — controller, load / compute / store units, the five buffers, and the
// DRAM port (independent read and write channels of DRAM_BW bytes per beat; DRAM_BW is the config's
// bandwidth, at most the widest buffer entry: isa/ops/dma.ts dramBeatBytes). Parameter defaults are
// filled in by src/backends/verilog/emit.ts for one Program's ArrayConfig.
`default_nettype none
module nnchip_top #(
  parameter ROWS = {{ROWS}},
  parameter COLS = {{COLS}},
  parameter ACT_DEPTH = {{ACT_DEPTH}},
  parameter WGT_DEPTH = {{WGT_DEPTH}},
  parameter ACC_DEPTH = {{ACC_DEPTH}},
  parameter QNT_DEPTH = {{QNT_DEPTH}},
  parameter OUT_DEPTH = {{OUT_DEPTH}},
  parameter QUEUE_DEPTH = {{QUEUE_DEPTH}},
  parameter THRESHOLD_PASSES = {{THRESHOLD_PASSES}},   // beats per acc row: COLS / PASSES requantizer lanes
  parameter MATMUL_SHIFT = {{MATMUL_SHIFT}},           // 1: a matmul of the program shifts its sums (the product shifter is built)
  parameter MATMUL_CHAIN = {{MATMUL_CHAIN}},           // 1: a matmul of the program is chained (the controller's chaining flags are built)
  parameter THRESHOLD_POOL = {{THRESHOLD_POOL}},       // 1: the program pools in the threshold (its window logic is built)
  parameter THRESHOLD_TABLE = {{THRESHOLD_TABLE}},     // 1: the program has step tables (the threshold's table sequencer is built)
  parameter THRESHOLD_MAC16 = {{THRESHOLD_MAC16}},     // 1: the threshold lanes multiply in SB_MAC16 blocks, two per lane
  parameter ACC_BANKS = {{ACC_BANKS}},                 // 2: the acc buffer's halves have a read port each (ArrayConfig.accBanks)
  parameter DRAM_BW = {{DRAM_BW}},            // bytes per beat, each channel
  parameter DRAM_LATENCY = {{DRAM_LATENCY}},  // cycles from a request to its data
  parameter DRAM_AW = {{DRAM_AW}},
  parameter PROG_DEPTH = {{PROG_DEPTH}},
  parameter PROG_FILE = "{{PROG_FILE}}",
  parameter PROG_LOADABLE = {{PROG_LOADABLE}},   // 1: no ROM image; the board writes the program through prog_*
  parameter TOKEN_W = {{TOKEN_W}},
  parameter PE_MAC16 = {{PE_MAC16}}           // 1: the PE multipliers are iCE40 UltraPlus DSPs (SB_MAC16), two per block
) (
  input  wire                 clk,
  input  wire                 rst_n,
  output wire                 done,
  output wire                 error,
  output wire                 dram_rd_req,
  output wire [DRAM_AW-1:0]   dram_rd_addr,
  output wire [DRAM_BW-1:0]   dram_rd_strb,    // the bytes of the beat the load unit keeps (a memory may read all)
  input  wire                 dram_rd_valid,   // DRAM_LATENCY cycles after the request
  input  wire [DRAM_BW*8-1:0] dram_rd_data,
  output wire                 dram_wr_valid,
  output wire [DRAM_AW-1:0]   dram_wr_addr,
  output wire [DRAM_BW*8-1:0] dram_wr_data,
  output wire [DRAM_BW-1:0]   dram_wr_strb,
  // instruction memory write port (PROG_LOADABLE; tie to zero otherwise): byte prog_lane of word
  // prog_waddr, on prog_wclk, between clk edges (a board's instruction RAM is at most 512 words; a
  // ROM's deeper program is never written, so its address bits past 16 are zero); prog_raddr is the
  // word the next clk edge reads (its low bits; the board fills the word before it gives the edge)
  input  wire                 prog_wclk,
  input  wire                 prog_we,
  input  wire [15:0]          prog_waddr,
  input  wire [3:0]           prog_lane,
  input  wire [7:0]           prog_wdata,
  output wire [15:0]          prog_raddr
);
  `include "nnchip_isa.vh"
  localparam ACT_AW = (ACT_DEPTH > 1) ? $clog2(ACT_DEPTH) : 1;
  localparam WGT_AW = (WGT_DEPTH > 1) ? $clog2(WGT_DEPTH) : 1;
  localparam ACC_AW = (ACC_DEPTH > 1) ? $clog2(ACC_DEPTH) : 1;
  localparam ACC_SPLIT = (ACC_BANKS == 2) ? ACC_DEPTH / 2 : ACC_DEPTH;   // src/isa/config.ts accSplit
  localparam QNT_AW = (QNT_DEPTH > 1) ? $clog2(QNT_DEPTH) : 1;
  localparam OUT_AW = (OUT_DEPTH > 1) ? $clog2(OUT_DEPTH) : 1;
  localparam LD_AW_01 = (ACT_AW > WGT_AW) ? ACT_AW : WGT_AW;
  localparam LD_AW_23 = (ACC_AW > QNT_AW) ? ACC_AW : QNT_AW;
  localparam LD_AW = (LD_AW_01 > LD_AW_23) ? LD_AW_01 : LD_AW_23;
  // a valid program's rows stay inside the buffer they write (isa/interpret.ts checkProgram): a load's
  // the largest load buffer, a store's and a threshold's the out buffer, a matmul's the acc buffer
  localparam LD_ROWS_W = (LD_AW + 1 < F_LOAD_ROWS_W) ? LD_AW + 1 : F_LOAD_ROWS_W;
  localparam ST_ROWS_W = (OUT_AW + 1 < F_STORE_ROWS_W) ? OUT_AW + 1 : F_STORE_ROWS_W;
  // (the matmul's issue interval counts to ROWS in one more bit than its rows)
  localparam MM_ROWS_MIN = (ACC_AW + 1 > $clog2(ROWS + 1)) ? ACC_AW + 1 : $clog2(ROWS + 1);
  localparam MM_ROWS_W = (MM_ROWS_MIN < F_MATMUL_ROWS_W) ? MM_ROWS_MIN : F_MATMUL_ROWS_W;
  localparam TH_ROWS_W = (OUT_AW + 1 < F_THRESHOLD_ROWS_W) ? OUT_AW + 1 : F_THRESHOLD_ROWS_W;
  localparam PROG_AW = (PROG_DEPTH > 1) ? $clog2(PROG_DEPTH) : 1;
  // a ROM deeper than 2^16 words (long programs on small arrays; never loadable) takes no address from the port
  wire [PROG_AW+15:0] prog_waddr_x = {{PROG_AW{1'b0}}, prog_waddr};
  wire [PROG_AW-1:0] prog_raddr_w;
  wire [PROG_AW+15:0] prog_raddr_x = {16'd0, prog_raddr_w};
  assign prog_raddr = prog_raddr_x[15:0];
  wire unused_prog_addr = ^{prog_waddr_x, prog_raddr_x};
  localparam ENTRY_W = 8 * ((ROWS > 4 * COLS) ? ROWS : 4 * COLS);

  // ---- controller ↔ units
  wire ld_start, ld_last, st_start, st_last, mm_start, th_start, th_last, th_tail, th_reach;
  wire ld_act_we, ld_wgt_we, ld_acc_we, ld_qnt_we;
  wire mm_push_prev, mm_push_next, mm_issue_last, mm_done, mm_done_push_prev, mm_done_push_next, mm_busy;
  wire [F_LOAD_BUF_W-1:0] ld_buf;
  wire [LD_AW-1:0] ld_sram;
  wire [LD_ROWS_W-1:0] ld_rows;
  wire [DRAM_AW-1:0] ld_dram, ld_stride, st_dram, st_stride;
  wire [OUT_AW-1:0] st_sram;
  wire [ST_ROWS_W-1:0] st_rows;
  wire [WGT_AW-1:0] mm_wgt;
  wire [ACT_AW-1:0] mm_act, mm_act_stride, mm_act_outer;
  wire [ACC_AW-1:0] mm_acc, th_acc;
  wire [MM_ROWS_W-1:0] mm_rows;
  wire mm_accumulate, mm_bias;
  wire [F_MATMUL_SHIFT_W-1:0] mm_shift;
  wire [F_MATMUL_INNER_W-1:0] mm_inner;
  wire [OUT_AW-1:0] th_out;
  wire [QNT_AW-1:0] th_qnt;
  wire [TH_ROWS_W-1:0] th_rows;
  wire [F_THRESHOLD_ZP_W-1:0] th_zp;
  wire [F_THRESHOLD_LO_W-1:0] th_lo;
  wire [F_THRESHOLD_HI_W-1:0] th_hi;
  wire [ACC_AW-1:0] th_table;
  wire [F_THRESHOLD_STEPS_W-1:0] th_steps;
  wire [F_THRESHOLD_POOL_H_W-1:0] th_pool_h;
  wire [F_THRESHOLD_POOL_W_W-1:0] th_pool_w;

  nnchip_controller #(
    .QUEUE_DEPTH(QUEUE_DEPTH), .PROG_DEPTH(PROG_DEPTH), .PROG_FILE(PROG_FILE), .PROG_LOADABLE(PROG_LOADABLE), .TOKEN_W(TOKEN_W),
    .LD_AW(LD_AW), .ACT_AW(ACT_AW), .WGT_AW(WGT_AW), .ACC_AW(ACC_AW), .QNT_AW(QNT_AW), .OUT_AW(OUT_AW),
    .DRAM_AW(DRAM_AW), .ACC_BANKS(ACC_BANKS), .ACC_SPLIT(ACC_SPLIT), .CHAIN(MATMUL_CHAIN), .MM_BASE(2 * ROWS + COLS),
    .LD_ROWS_W(LD_ROWS_W), .ST_ROWS_W(ST_ROWS_W), .MM_ROWS_W(MM_ROWS_W), .TH_ROWS_W(TH_ROWS_W)
  ) u_ctrl (
    .clk(clk), .rst_n(rst_n),
    .ld_start(ld_start), .ld_buf(ld_buf), .ld_sram(ld_sram), .ld_rows(ld_rows), .ld_dram(ld_dram),
    .ld_stride(ld_stride), .ld_last(ld_last), .ld_wrote(ld_act_we | ld_wgt_we | ld_acc_we | ld_qnt_we),
    .st_start(st_start), .st_sram(st_sram), .st_rows(st_rows), .st_dram(st_dram), .st_stride(st_stride),
    .st_last(st_last),
    .mm_start(mm_start), .mm_wgt(mm_wgt), .mm_act(mm_act), .mm_act_stride(mm_act_stride), .mm_acc(mm_acc),
    .mm_rows(mm_rows), .mm_accumulate(mm_accumulate), .mm_bias(mm_bias), .mm_shift(mm_shift), .mm_inner(mm_inner), .mm_act_outer(mm_act_outer),
    .mm_push_prev(mm_push_prev), .mm_push_next(mm_push_next), .mm_issue_last(mm_issue_last),
    .mm_done(mm_done), .mm_done_push_prev(mm_done_push_prev), .mm_done_push_next(mm_done_push_next), .mm_busy(mm_busy),
    .th_start(th_start), .th_acc(th_acc), .th_out(th_out), .th_qnt(th_qnt), .th_rows(th_rows),
    .th_zp(th_zp), .th_lo(th_lo), .th_hi(th_hi), .th_table(th_table), .th_steps(th_steps), .th_pool_h(th_pool_h), .th_pool_w(th_pool_w), .th_last(th_last), .th_tail(th_tail), .th_reach(th_reach),
    .done(done), .error(error),
    .prog_wclk(prog_wclk), .prog_we(prog_we), .prog_waddr(prog_waddr_x[PROG_AW-1:0]), .prog_lane(prog_lane), .prog_wdata(prog_wdata),
    .prog_raddr(prog_raddr_w));

  // ---- buffers
  wire [LD_AW-1:0] ld_waddr;
  wire [ENTRY_W-1:0] ld_wdata;
  wire mm_wgt_re, mm_act_re, mm_acc_re, mm_acc_we, th_acc_re, th_qnt_re, th_out_we, st_out_re;
  wire [WGT_AW-1:0] mm_wgt_raddr;
  wire [ACT_AW-1:0] mm_act_raddr;
  wire [ACC_AW-1:0] mm_acc_raddr, mm_acc_waddr, th_acc_raddr;
  wire [QNT_AW-1:0] th_qnt_raddr;
  wire [OUT_AW-1:0] th_out_waddr, st_out_raddr;
  wire [COLS*8-1:0] wgt_rdata, out_rdata, th_out_wdata;
  wire [ROWS*8-1:0] act_rdata;
  wire [COLS*32-1:0] mm_acc_rdata, th_acc_rdata, mm_acc_wdata;
  wire [COLS*24-1:0] qnt_rdata, qnt_wdata;

  nnchip_sram #(.WIDTH(ROWS*8), .DEPTH(ACT_DEPTH), .AW(ACT_AW)) u_act (
    .clk(clk), .we(ld_act_we), .waddr(ld_waddr[ACT_AW-1:0]), .wdata(ld_wdata[ROWS*8-1:0]),
    .re(mm_act_re), .raddr(mm_act_raddr), .rdata_q(act_rdata));
  nnchip_sram #(.WIDTH(COLS*8), .DEPTH(WGT_DEPTH), .AW(WGT_AW)) u_wgt (
    .clk(clk), .we(ld_wgt_we), .waddr(ld_waddr[WGT_AW-1:0]), .wdata(ld_wdata[COLS*8-1:0]),
    .re(mm_wgt_re), .raddr(mm_wgt_raddr), .rdata_q(wgt_rdata));
  nnchip_acc_mem #(.WIDTH(COLS*32), .DEPTH(ACC_DEPTH), .AW(ACC_AW), .BANKS(ACC_BANKS), .SPLIT(ACC_SPLIT)) u_acc (
    .clk(clk), .rst_n(rst_n),
    .mm_we(mm_acc_we), .mm_waddr(mm_acc_waddr), .mm_wdata(mm_acc_wdata),
    .ld_we(ld_acc_we), .ld_waddr(ld_waddr[ACC_AW-1:0]), .ld_wdata(ld_wdata[COLS*32-1:0]),
    .a_re(mm_acc_re), .a_raddr(mm_acc_raddr), .a_rdata(mm_acc_rdata),
    .b_re(th_acc_re), .b_raddr(th_acc_raddr), .b_rdata(th_acc_rdata));
  // qnt keeps {shift, mult} of each lane; the reserved byte of the DRAM layout is dropped
  genvar c;
  generate
    for (c = 0; c < COLS; c = c + 1) begin : g_qnt_lane
      assign qnt_wdata[c*24 +: 24] = ld_wdata[c*32 +: 24];
    end
  endgenerate
  nnchip_sram #(.WIDTH(COLS*24), .DEPTH(QNT_DEPTH), .AW(QNT_AW)) u_qnt (
    .clk(clk), .we(ld_qnt_we), .waddr(ld_waddr[QNT_AW-1:0]), .wdata(qnt_wdata),
    .re(th_qnt_re), .raddr(th_qnt_raddr), .rdata_q(qnt_rdata));
  nnchip_sram #(.WIDTH(COLS*8), .DEPTH(OUT_DEPTH), .AW(OUT_AW)) u_out (
    .clk(clk), .we(th_out_we), .waddr(th_out_waddr), .wdata(th_out_wdata),
    .re(st_out_re), .raddr(st_out_raddr), .rdata_q(out_rdata));

  // ---- units
  nnchip_dma_load #(
    .ROWS(ROWS), .COLS(COLS), .DRAM_BW(DRAM_BW), .DRAM_AW(DRAM_AW), .LD_AW(LD_AW),
    .BUF_W(F_LOAD_BUF_W), .ROWS_W(LD_ROWS_W)
  ) u_load (
    .clk(clk), .rst_n(rst_n), .start(ld_start), .buf_sel(ld_buf), .sram(ld_sram), .rows(ld_rows),
    .dram(ld_dram), .stride(ld_stride),
    .rd_req(dram_rd_req), .rd_addr(dram_rd_addr), .rd_strb(dram_rd_strb), .rd_valid(dram_rd_valid), .rd_data(dram_rd_data),
    .act_we(ld_act_we), .wgt_we(ld_wgt_we), .acc_we(ld_acc_we), .qnt_we(ld_qnt_we),
    .waddr(ld_waddr), .wdata(ld_wdata), .last(ld_last));

  nnchip_matmul #(
    .ROWS(ROWS), .COLS(COLS), .ROWS_W(MM_ROWS_W), .INNER_W(F_MATMUL_INNER_W), .SHIFT_W(F_MATMUL_SHIFT_W), .SHIFT(MATMUL_SHIFT),
    .WGT_AW(WGT_AW), .ACT_AW(ACT_AW), .ACC_AW(ACC_AW), .PE_MAC16(PE_MAC16)
  ) u_matmul (
    .clk(clk), .rst_n(rst_n), .start(mm_start), .wgt(mm_wgt), .act(mm_act), .act_stride(mm_act_stride),
    .act_outer(mm_act_outer), .inner(mm_inner), .acc(mm_acc), .rows(mm_rows), .accumulate(mm_accumulate), .bias(mm_bias), .shift(mm_shift),
    .push_prev(mm_push_prev), .push_next(mm_push_next),
    .wgt_re(mm_wgt_re), .wgt_raddr(mm_wgt_raddr), .wgt_rdata(wgt_rdata),
    .act_re(mm_act_re), .act_raddr(mm_act_raddr), .act_rdata(act_rdata),
    .acc_re(mm_acc_re), .acc_raddr(mm_acc_raddr), .acc_rdata(mm_acc_rdata),
    .acc_we(mm_acc_we), .acc_waddr(mm_acc_waddr), .acc_wdata(mm_acc_wdata), .issue_last(mm_issue_last),
    .done(mm_done), .done_push_prev(mm_done_push_prev), .done_push_next(mm_done_push_next), .busy(mm_busy));

  nnchip_threshold #(
    .COLS(COLS), .PASSES(THRESHOLD_PASSES), .POOL(THRESHOLD_POOL), .TABLE(THRESHOLD_TABLE), .MAC16(THRESHOLD_MAC16), .ROWS_W(TH_ROWS_W), .STEPS_W(F_THRESHOLD_STEPS_W), .ACC_AW(ACC_AW), .OUT_AW(OUT_AW), .QNT_AW(QNT_AW),
    .LEAD(matmul_acc_lead(ROWS, COLS)), .BANKS(ACC_BANKS), .MM_ROWS_W(MM_ROWS_W)
  ) u_threshold (
    .clk(clk), .rst_n(rst_n), .start(th_start), .acc(th_acc), .out(th_out), .qnt(th_qnt), .rows(th_rows),
    .zp(th_zp), .lo(th_lo), .hi(th_hi), .tbl(th_table), .steps(th_steps), .pool_h(th_pool_h), .pool_w(th_pool_w),
    .acc_re(th_acc_re), .acc_raddr(th_acc_raddr), .acc_rdata(th_acc_rdata),
    .qnt_re(th_qnt_re), .qnt_raddr(th_qnt_raddr), .qnt_rdata(qnt_rdata),
    .out_we(th_out_we), .out_waddr(th_out_waddr), .out_wdata(th_out_wdata), .last(th_last), .tail(th_tail),
    .next_rows(mm_rows), .reach(th_reach));

  nnchip_dma_store #(
    .COLS(COLS), .DRAM_BW(DRAM_BW), .DRAM_AW(DRAM_AW), .DRAM_LATENCY(DRAM_LATENCY), .OUT_AW(OUT_AW),
    .ROWS_W(ST_ROWS_W)
  ) u_store (
    .clk(clk), .rst_n(rst_n), .start(st_start), .sram(st_sram), .rows(st_rows), .dram(st_dram),
    .stride(st_stride),
    .out_re(st_out_re), .out_raddr(st_out_raddr), .out_rdata(out_rdata),
    .wr_valid(dram_wr_valid), .wr_addr(dram_wr_addr), .wr_data(dram_wr_data), .wr_strb(dram_wr_strb),
    .last(st_last));

  // The load unit's address bus is as wide as the largest buffer; each buffer takes its low bits.
  wire unused_ld = ^{ld_waddr, ld_wdata};
endmodule
`default_nettype wire
