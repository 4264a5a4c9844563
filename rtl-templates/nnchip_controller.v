// SPDX-License-Identifier: MIT
// nnchip_controller: instruction fetch (one word per cycle into three per-unit queues), the four
// dependency-token counters, and the start/busy sequencing of the load, compute and store units —
// the issue rules of src/isa/timing.ts in registers. Datapaths live in the unit modules.
`default_nettype none
module nnchip_controller (
  clk, rst_n,
  ld_start, ld_buf, ld_sram, ld_rows, ld_dram, ld_stride, ld_last, ld_wrote,
  st_start, st_sram, st_rows, st_dram, st_stride, st_last,
  mm_start, mm_wgt, mm_act, mm_act_stride, mm_acc, mm_rows, mm_accumulate, mm_bias, mm_shift, mm_inner, mm_act_outer, mm_push_prev, mm_push_next,
  mm_issue_last, mm_done, mm_done_push_prev, mm_done_push_next, mm_busy,
  th_start, th_acc, th_out, th_qnt, th_rows, th_zp, th_lo, th_hi, th_table, th_steps, th_pool_h, th_pool_w, th_last, th_tail, th_reach,
  done, error,
  prog_wclk, prog_we, prog_waddr, prog_lane, prog_wdata, prog_raddr
);
  `include "nnchip_isa.vh"
  parameter QUEUE_DEPTH = 8;
  parameter PROG_DEPTH = 16;               // ROM entries (a power of two >= the program length)
  parameter PROG_FILE = "program.hex";
  parameter PROG_LOADABLE = 0;             // 1: the instruction memory is a RAM the board loads (nnchip_rom)
  parameter TOKEN_W = 8;                   // token counter width (holds the most tokens ever outstanding)
  parameter LD_AW = 8;                     // widest of the act/wgt/acc/qnt buffer addresses
  parameter ACT_AW = 8;
  parameter WGT_AW = 8;
  parameter ACC_AW = 8;
  parameter QNT_AW = 8;
  parameter OUT_AW = 8;
  parameter DRAM_AW = 16;
  parameter ACC_BANKS = 1;                 // 2: the acc halves have a read port each (src/isa/config.ts accBanks)
  parameter ACC_SPLIT = 256;               // the first acc entry of the upper half (accSplit)
  parameter CHAIN = 0;                     // 1: a matmul of the program is chained (its load's token once the load wrote its first row)
  parameter MM_BASE = 12;                  // 2 * array rows + COLS: a matmul's duration less its rows
  // rows fields, as wide as a valid program's counts can be (a load, store, matmul or threshold
  // stays inside the buffer it writes: isa/interpret.ts checkProgram); the top derives them from the buffer depths
  parameter LD_ROWS_W = F_LOAD_ROWS_W;
  parameter ST_ROWS_W = F_STORE_ROWS_W;
  parameter MM_ROWS_W = F_MATMUL_ROWS_W;
  parameter TH_ROWS_W = F_THRESHOLD_ROWS_W;
  localparam PC_W = (PROG_DEPTH > 1) ? $clog2(PROG_DEPTH) : 1;
  localparam LANE_W = $clog2(INSN_BITS / 8);

  input  wire clk, rst_n;
  output wire ld_start;
  output wire [F_LOAD_BUF_W-1:0]  ld_buf;
  output wire [LD_AW-1:0]         ld_sram;
  output wire [LD_ROWS_W-1:0] ld_rows;
  output wire [DRAM_AW-1:0]       ld_dram, ld_stride;
  input  wire ld_last;
  input  wire ld_wrote;                   // the load unit writes a buffer entry this cycle (CHAIN: a load's first row)
  output wire st_start;
  output wire [OUT_AW-1:0]         st_sram;
  output wire [ST_ROWS_W-1:0] st_rows;
  output wire [DRAM_AW-1:0]        st_dram, st_stride;
  input  wire st_last;
  output wire mm_start;
  output wire [WGT_AW-1:0] mm_wgt;
  output wire [ACT_AW-1:0] mm_act, mm_act_stride, mm_act_outer;
  output wire [ACC_AW-1:0] mm_acc;
  output wire [MM_ROWS_W-1:0]  mm_rows;
  output wire                        mm_accumulate;
  output wire                        mm_bias;
  output wire [F_MATMUL_SHIFT_W-1:0] mm_shift;
  output wire [F_MATMUL_INNER_W-1:0] mm_inner;
  output wire mm_push_prev, mm_push_next;        // the starting matmul's token pushes (fired at its mm_done)
  input  wire mm_issue_last;                     // the compute unit may start the next instruction after this cycle
  input  wire mm_done, mm_done_push_prev, mm_done_push_next;   // a matmul's last cycle, and its pushes
  input  wire mm_busy;                           // a matmul is in flight
  output wire th_start;
  output wire [ACC_AW-1:0] th_acc;
  output wire [OUT_AW-1:0] th_out;
  output wire [QNT_AW-1:0] th_qnt;
  output wire [TH_ROWS_W-1:0] th_rows;
  output wire [F_THRESHOLD_ZP_W-1:0]   th_zp;
  output wire [F_THRESHOLD_LO_W-1:0]   th_lo;
  output wire [F_THRESHOLD_HI_W-1:0]   th_hi;
  output wire [ACC_AW-1:0] th_table;
  output wire [F_THRESHOLD_STEPS_W-1:0] th_steps;
  output wire [F_THRESHOLD_POOL_H_W-1:0] th_pool_h;
  output wire [F_THRESHOLD_POOL_W_W-1:0] th_pool_w;
  input  wire th_last;
  input  wire th_tail;                           // the threshold in flight lets a matmul start (its tail: timing.ts)
  input  wire th_reach;                          // ... one of mm_rows on the other acc bank (accBanks 2)
  output wire done, error;
  input  wire prog_wclk;                   // PROG_LOADABLE: write byte prog_lane of instruction memory word prog_waddr
  input  wire prog_we;
  input  wire [PC_W-1:0]   prog_waddr;
  input  wire [LANE_W-1:0] prog_lane;
  input  wire [7:0]        prog_wdata;
  output wire [PC_W-1:0]   prog_raddr;     // the word the next clock edge reads (a board fills it first)

  // ---- fetch: the ROM is addressed with the next pc, so word[pc] is ready in the cycle it is fetched.
  // Programs are straight-line, so pc counts modulo PROG_DEPTH: on a board whose program is longer
  // than its instruction RAM, the RAM is a window the board refills from flash (nnchip_board_mem).
  reg  [PC_W-1:0] pc_q;
  reg             halted_q, error_q;
  wire [INSN_BITS-1:0] word;
  wire fetch;
  wire [PC_W-1:0] pc_next = fetch ? pc_q + 1'b1 : pc_q;
  wire [PC_W-1:0] rom_addr = rst_n ? pc_next : {PC_W{1'b0}};
  assign prog_raddr = rom_addr;

  nnchip_rom #(.WIDTH(INSN_BITS), .DEPTH(PROG_DEPTH), .AW(PC_W), .LANE_W(LANE_W), .LOADABLE(PROG_LOADABLE), .FILE(PROG_FILE)) u_rom (
    .clk(clk), .addr(rom_addr), .rdata_q(word),
    .wclk(prog_wclk), .we(prog_we), .waddr(prog_waddr), .lane(prog_lane), .wdata(prog_wdata));

  wire d_load, d_store, d_matmul, d_threshold, d_sync, d_halt, d_illegal;
  wire d_pop_prev, d_pop_next, d_push_prev, d_push_next;
  wire [F_LOAD_BUF_W-1:0] d_ld_buf;
  wire [F_LOAD_SRAM_W-1:0] d_ld_sram;
  wire [F_LOAD_ROWS_W-1:0] d_ld_rows;
  wire [F_LOAD_DRAM_W-1:0] d_ld_dram;
  wire [F_LOAD_STRIDE_W-1:0] d_ld_stride;
  wire [F_STORE_SRAM_W-1:0] d_st_sram;
  wire [F_STORE_ROWS_W-1:0] d_st_rows;
  wire [F_STORE_DRAM_W-1:0] d_st_dram;
  wire [F_STORE_STRIDE_W-1:0] d_st_stride;
  wire [F_MATMUL_WGT_W-1:0] d_mm_wgt;
  wire [F_MATMUL_ACT_W-1:0] d_mm_act;
  wire [F_MATMUL_ACT_STRIDE_W-1:0] d_mm_act_stride;
  wire [F_MATMUL_ACC_W-1:0] d_mm_acc;
  wire [F_MATMUL_ROWS_W-1:0] d_mm_rows;
  wire [F_MATMUL_ACCUMULATE_W-1:0] d_mm_accumulate;
  wire [F_MATMUL_INNER_W-1:0] d_mm_inner;
  wire [F_MATMUL_ACT_OUTER_W-1:0] d_mm_act_outer;
  wire [F_MATMUL_BIAS_W-1:0] d_mm_bias;
  wire [F_MATMUL_SHIFT_W-1:0] d_mm_shift;
  wire d_mm_chain;
  wire [F_THRESHOLD_ACC_W-1:0] d_th_acc;
  wire [F_THRESHOLD_OUT_W-1:0] d_th_out;
  wire [F_THRESHOLD_QNT_W-1:0] d_th_qnt;
  wire [F_THRESHOLD_ROWS_W-1:0] d_th_rows;
  wire [F_THRESHOLD_ZP_W-1:0] d_th_zp;
  wire [F_THRESHOLD_LO_W-1:0] d_th_lo;
  wire [F_THRESHOLD_HI_W-1:0] d_th_hi;
  wire [F_THRESHOLD_TABLE_W-1:0] d_th_table;
  wire [F_THRESHOLD_STEPS_W-1:0] d_th_steps;
  wire [F_THRESHOLD_POOL_H_W-1:0] d_th_pool_h;
  wire [F_THRESHOLD_POOL_W_W-1:0] d_th_pool_w;

  nnchip_decoder u_dec (
    .insn(word),
    .op_load(d_load), .op_store(d_store), .op_matmul(d_matmul), .op_threshold(d_threshold),
    .op_sync(d_sync), .op_halt(d_halt), .op_illegal(d_illegal),
    .pop_prev(d_pop_prev), .pop_next(d_pop_next), .push_prev(d_push_prev), .push_next(d_push_next),
    .load_buf(d_ld_buf), .load_sram(d_ld_sram), .load_rows(d_ld_rows), .load_dram(d_ld_dram), .load_stride(d_ld_stride),
    .store_sram(d_st_sram), .store_rows(d_st_rows), .store_dram(d_st_dram), .store_stride(d_st_stride),
    .mm_wgt(d_mm_wgt), .mm_act(d_mm_act), .mm_act_stride(d_mm_act_stride), .mm_acc(d_mm_acc),
    .mm_rows(d_mm_rows), .mm_accumulate(d_mm_accumulate), .mm_inner(d_mm_inner), .mm_act_outer(d_mm_act_outer), .mm_bias(d_mm_bias), .mm_shift(d_mm_shift), .mm_chain(d_mm_chain),
    .th_acc(d_th_acc), .th_out(d_th_out), .th_qnt(d_th_qnt), .th_rows(d_th_rows),
    .th_zp(d_th_zp), .th_lo(d_th_lo), .th_hi(d_th_hi), .th_table(d_th_table), .th_steps(d_th_steps), .th_pool_h(d_th_pool_h), .th_pool_w(d_th_pool_w));

  // Buffer and DRAM addresses are kept at the widths this design needs: a valid program stays
  // inside every buffer and inside DRAM (isa/interpret.ts checkProgram), so the high bits are zero.
  wire unused_fields = ^{d_ld_sram, d_ld_dram, d_ld_stride, d_st_sram, d_st_dram, d_st_stride,
                         d_mm_wgt, d_mm_act, d_mm_act_stride, d_mm_acc, d_mm_act_outer,
                         d_th_acc, d_th_out, d_th_qnt, d_th_table, d_ld_rows, d_st_rows, d_mm_rows, d_th_rows};

  localparam LD_REC_W = 4 + F_LOAD_BUF_W + LD_AW + LD_ROWS_W + 2 * DRAM_AW;
  localparam ST_REC_W = 4 + OUT_AW + ST_ROWS_W + 2 * DRAM_AW;
  localparam C_REC_W = 7 + WGT_AW + 3 * ACT_AW + ACC_AW + MM_ROWS_W + 2 + F_MATMUL_SHIFT_W + F_MATMUL_INNER_W
                     + ACC_AW + OUT_AW + QNT_AW + TH_ROWS_W + F_THRESHOLD_ZP_W + F_THRESHOLD_LO_W + F_THRESHOLD_HI_W
                     + ACC_AW + F_THRESHOLD_STEPS_W + F_THRESHOLD_POOL_H_W + F_THRESHOLD_POOL_W_W;

  wire [LD_REC_W-1:0] ld_rec_in = {d_pop_prev, d_push_prev, d_pop_next, d_push_next, d_ld_buf, d_ld_sram[LD_AW-1:0], d_ld_rows[LD_ROWS_W-1:0],
                                   d_ld_dram[DRAM_AW-1:0], d_ld_stride[DRAM_AW-1:0]};
  wire [ST_REC_W-1:0] st_rec_in = {d_pop_next, d_push_next, d_pop_prev, d_push_prev, d_st_sram[OUT_AW-1:0], d_st_rows[ST_ROWS_W-1:0],
                                   d_st_dram[DRAM_AW-1:0], d_st_stride[DRAM_AW-1:0]};
  wire [C_REC_W-1:0] c_rec_in = {d_matmul, d_threshold, (CHAIN != 0) & d_matmul & d_mm_chain, d_pop_prev, d_pop_next, d_push_prev, d_push_next,
                                 d_mm_wgt[WGT_AW-1:0], d_mm_act[ACT_AW-1:0], d_mm_act_stride[ACT_AW-1:0],
                                 d_mm_acc[ACC_AW-1:0], d_mm_rows[MM_ROWS_W-1:0], d_mm_accumulate, d_mm_bias, d_mm_shift, d_mm_inner, d_mm_act_outer[ACT_AW-1:0],
                                 d_th_acc[ACC_AW-1:0], d_th_out[OUT_AW-1:0], d_th_qnt[QNT_AW-1:0], d_th_rows[TH_ROWS_W-1:0],
                                 d_th_zp, d_th_lo, d_th_hi, d_th_table[ACC_AW-1:0], d_th_steps, d_th_pool_h, d_th_pool_w};

  wire d_compute = d_matmul | d_threshold | d_sync;
  // the queues above route each opcode to the unit the ISA's op records name (UNIT_OF_* in nnchip_isa.vh)
  generate
    if (UNIT_OF_LOAD != UNIT_LOAD || UNIT_OF_STORE != UNIT_STORE || UNIT_OF_MATMUL != UNIT_COMPUTE
        || UNIT_OF_THRESHOLD != UNIT_COMPUTE || UNIT_OF_SYNC != UNIT_COMPUTE || UNIT_OF_HALT != UNIT_FETCH) begin : g_unit_map_differs_from_isa
      nnchip_isa_unit_map_differs_from_the_controller fail ();
    end
  endgenerate
  wire ld_full, st_full, c_full, ld_empty, st_empty, c_empty;
  wire target_full = (d_load & ld_full) | (d_store & st_full) | (d_compute & c_full);
  assign fetch = ~halted_q & ~target_full;

  always @(posedge clk) begin
    if (!rst_n) begin
      pc_q <= {PC_W{1'b0}};
      halted_q <= 1'b0;
      error_q <= 1'b0;
    end else begin
      pc_q <= pc_next;
      if (fetch & (d_halt | d_illegal)) halted_q <= 1'b1;
      if (fetch & d_illegal) error_q <= 1'b1;
    end
  end

  // ---- queues
  wire [LD_REC_W-1:0] ld_rec;
  wire [ST_REC_W-1:0] st_rec;
  wire [C_REC_W-1:0]  c_rec;
  wire c_start;
  nnchip_queue #(.WIDTH(LD_REC_W), .DEPTH(QUEUE_DEPTH)) u_ld_queue (
    .clk(clk), .rst_n(rst_n), .push(fetch & d_load), .push_data(ld_rec_in), .pop(ld_start),
    .head(ld_rec), .full(ld_full), .empty(ld_empty));
  nnchip_queue #(.WIDTH(ST_REC_W), .DEPTH(QUEUE_DEPTH)) u_st_queue (
    .clk(clk), .rst_n(rst_n), .push(fetch & d_store), .push_data(st_rec_in), .pop(st_start),
    .head(st_rec), .full(st_full), .empty(st_empty));
  nnchip_queue #(.WIDTH(C_REC_W), .DEPTH(QUEUE_DEPTH)) u_c_queue (
    .clk(clk), .rst_n(rst_n), .push(fetch & d_compute), .push_data(c_rec_in), .pop(c_start),
    .head(c_rec), .full(c_full), .empty(c_empty));

  wire ld_pop_prev, ld_push_prev, ld_pop_next, ld_push_next, st_pop_next, st_push_next, st_pop_prev, st_push_prev;
  wire c_is_mm, c_is_th, c_chain, c_pop_prev, c_pop_next, c_push_prev, c_push_next;
  assign {ld_pop_prev, ld_push_prev, ld_pop_next, ld_push_next, ld_buf, ld_sram, ld_rows, ld_dram, ld_stride} = ld_rec;
  assign {st_pop_next, st_push_next, st_pop_prev, st_push_prev, st_sram, st_rows, st_dram, st_stride} = st_rec;
  assign {c_is_mm, c_is_th, c_chain, c_pop_prev, c_pop_next, c_push_prev, c_push_next,
          mm_wgt, mm_act, mm_act_stride, mm_acc, mm_rows, mm_accumulate, mm_bias, mm_shift, mm_inner, mm_act_outer,
          th_acc, th_out, th_qnt, th_rows, th_zp, th_lo, th_hi, th_table, th_steps, th_pool_h, th_pool_w} = c_rec;

  // ---- tokens: load→compute, compute→load, compute→store, store→compute, and on the ring's third
  // side store→load (a load of what a store wrote) and load→store (a store over what a load reads)
  reg [TOKEN_W-1:0] l2c_q, c2l_q, c2s_q, s2c_q, s2l_q, l2s_q;
  reg ld_busy_q, st_busy_q, c_busy_q;
  reg c_th_q;                              // c_busy_q is a threshold's (not a matmul's issue interval)
  reg th_hi_q;                             // the last threshold's acc is in the upper acc half
  reg ld_push_next_q, ld_push_prev_q, st_push_prev_q, st_push_next_q, c_push_prev_q, c_push_next_q;
  // a store's token to the load unit lands a cycle after its end: its last DRAM beat is committed at
  // the end of its last cycle (src/isa/spec.ts CHANNEL_DELAY)
  reg s2l_late_q;
  localparam [TOKEN_W-1:0] NO_TOKENS = {TOKEN_W{1'b0}};

  // An instruction starts when it heads its queue, its unit is free and the tokens it pops are there.
  // The compute unit is free after a matmul's issue interval for another matmul (they pipeline), for
  // a matmul in a threshold's tail (the threshold finishes beside it: its last cycle still fires its
  // pushes below), and for a threshold or sync only once no matmul is in flight (timing.ts free[i];
  // a matmul started in a threshold's tail completes after it, so no threshold is in flight either).
  assign ld_start = ~ld_empty & ~ld_busy_q & (~ld_pop_next | (c2l_q != NO_TOKENS)) & (~ld_pop_prev | (s2l_q != NO_TOKENS));
  assign st_start = ~st_empty & ~st_busy_q & (~st_pop_prev | (c2s_q != NO_TOKENS)) & (~st_pop_next | (l2s_q != NO_TOKENS));
  // With two acc banks (src/isa/timing.ts accBanksApart), a matmul whose acc rows all lie in the
  // other half from the threshold's starts earlier: once the threshold ends within its duration (th_reach).
  wire mm_apart;
  generate
    if (ACC_BANKS == 2) begin : g_apart
      localparam [31:0] SPLIT_32 = ACC_SPLIT;
      wire [31:0] mm_end_32 = {{(32-ACC_AW){1'b0}}, mm_acc} + {{(32-MM_ROWS_W){1'b0}}, mm_rows};
      assign mm_apart = th_hi_q ? (mm_end_32 <= SPLIT_32) : ({{(32-ACC_AW){1'b0}}, mm_acc} >= SPLIT_32);
    end else begin : g_one_bank
      assign mm_apart = 1'b0;
      wire unused_th_hi = th_hi_q;
    end
  endgenerate
  // ... and a requantize-mode threshold starts beside matmuls still in flight when none touches its
  // half and, if it pushes toward the load unit, each completes within its rows, else if it pushes
  // toward the store unit, each that pushes there does (timing.ts thresholdBesideFrom,
  // besideCompletesAfter; otherwise it may complete first). Per half, and for the matmuls that push
  // toward the store unit, the cycles until the newest such matmul completes (matmuls complete in
  // the order they start: it completes last).
  wire th_beside;
  generate
    if (ACC_BANKS == 2) begin : g_beside
      localparam integer LW = ((MM_ROWS_W > TH_ROWS_W) ? MM_ROWS_W : TH_ROWS_W) + 11;
      localparam integer BASE_INT = MM_BASE - 1;
      localparam [LW-1:0] BASE_L = BASE_INT[LW-1:0];
      localparam [31:0] SPLIT_B = ACC_SPLIT;
      reg [LW-1:0] left_lo_q, left_hi_q, left_pn_q;
      reg th_run_q;
      wire [31:0] mm_acc_32 = {{(32-ACC_AW){1'b0}}, mm_acc};
      wire [31:0] mm_end_b = mm_acc_32 + {{(32-MM_ROWS_W){1'b0}}, mm_rows};
      wire touch_lo = mm_acc_32 < SPLIT_B;
      wire touch_hi = mm_end_b > SPLIT_B;
      wire [LW-1:0] dur1 = BASE_L + {{(LW-MM_ROWS_W){1'b0}}, mm_rows};
      wire [LW-1:0] lo_next = (left_lo_q != {LW{1'b0}}) ? left_lo_q - 1'b1 : left_lo_q;
      wire [LW-1:0] hi_next = (left_hi_q != {LW{1'b0}}) ? left_hi_q - 1'b1 : left_hi_q;
      wire [LW-1:0] pn_next = (left_pn_q != {LW{1'b0}}) ? left_pn_q - 1'b1 : left_pn_q;
      wire th_upper = {{(32-ACC_AW){1'b0}}, th_acc} >= SPLIT_B;
      wire [LW-1:0] rows_l = {{(LW-TH_ROWS_W){1'b0}}, th_rows};
      wire th_rq = (th_steps == {F_THRESHOLD_STEPS_W{1'b0}}) | (th_pool_h != {F_THRESHOLD_POOL_H_W{1'b0}}) | (th_pool_w != {F_THRESHOLD_POOL_W_W{1'b0}});
      assign th_beside = c_is_th & th_rq & ~th_run_q
                       & (th_upper ? (left_hi_q == {LW{1'b0}}) : (left_lo_q == {LW{1'b0}}))
                       & (c_push_prev ? ((th_upper ? left_lo_q : left_hi_q) <= rows_l) : (~c_push_next | (left_pn_q <= rows_l)));
      always @(posedge clk) begin
        if (!rst_n) begin
          left_lo_q <= {LW{1'b0}};
          left_hi_q <= {LW{1'b0}};
          left_pn_q <= {LW{1'b0}};
          th_run_q <= 1'b0;
        end else begin
          left_lo_q <= (mm_start & touch_lo) ? dur1 : lo_next;
          left_hi_q <= (mm_start & touch_hi) ? dur1 : hi_next;
          left_pn_q <= (mm_start & c_push_next) ? dur1 : pn_next;
          th_run_q <= (th_run_q | th_start) & ~th_last;
        end
      end
    end else begin : g_in_order
      assign th_beside = 1'b0;
    end
  endgenerate
  assign c_start  = ~c_empty & (~c_busy_q | (c_is_mm & c_th_q & (th_tail | (th_reach & mm_apart)))) & (c_is_mm | ~mm_busy | th_beside)
                  & (~c_pop_prev | (l2c_q != NO_TOKENS) | (c_chain & l2c_early)) & (~c_pop_next | (s2c_q != NO_TOKENS));
  assign mm_start = c_start & c_is_mm;
  assign th_start = c_start & c_is_th;
  assign mm_push_prev = c_push_prev;
  assign mm_push_next = c_push_next;

  // `last` marks an instruction's final busy cycle (it may be its start cycle: sync, 1-cycle DMA);
  // its pushes become visible in the next cycle, the instruction's end time. A matmul frees the
  // unit at mm_issue_last and pushes at mm_done (its pushes travel with it through the matmul unit);
  // a threshold frees it at th_last unless a matmul took it in the threshold's tail (c_th_q).
  wire c_sync = c_start & ~c_is_mm & ~c_is_th;
  wire c_done = th_last | c_sync;
  wire c_last = mm_issue_last | (th_last & c_th_q);
  wire ld_push_c2_next = ld_last & (ld_start ? ld_push_next : ld_push_next_q);
  wire ld_push_to_prev = ld_last & (ld_start ? ld_push_prev : ld_push_prev_q);
  wire st_push_to_prev = st_last & (st_start ? st_push_prev : st_push_prev_q);
  wire st_push_to_next = st_last & (st_start ? st_push_next : st_push_next_q);
  wire c_push_to_prev  = (c_done & (c_sync ? c_push_prev : c_push_prev_q)) | (mm_done & mm_done_push_prev);
  wire c_push_to_next  = (c_done & (c_sync ? c_push_next : c_push_next_q)) | (mm_done & mm_done_push_next);
  wire ld_pop = ld_start & ld_pop_next;
  wire ld_pop_store = ld_start & ld_pop_prev;
  wire st_pop = st_start & st_pop_prev;
  wire st_pop_load = st_start & st_pop_next;
  wire c_pop_from_prev = c_start & c_pop_prev;
  wire c_pop_from_next = c_start & c_pop_next;

  // Chaining (src/isa/timing.ts chainedTokenAt): a chained matmul may take the running load's token
  // to the compute unit once that load has written its first row (l2c_early), when every earlier
  // token has been taken (loads run one at a time, so one flag holds it); the load's end then adds
  // none. The race check proved the matmul never reads an entry before the load writes it.
  wire l2c_early, l2c_take_early, l2c_early_taken;
  generate
    if (CHAIN != 0) begin : g_chain
      reg first_q, early_q, taken_q;
      assign l2c_early = early_q;
      assign l2c_take_early = c_pop_from_prev & c_chain & (l2c_q == NO_TOKENS);
      assign l2c_early_taken = taken_q | l2c_take_early;
      wire push_next_now = ld_start ? ld_push_next : ld_push_next_q;
      always @(posedge clk) begin
        if (!rst_n) begin
          first_q <= 1'b0;
          early_q <= 1'b0;
          taken_q <= 1'b0;
        end else begin
          first_q <= (first_q | ld_start) & ~ld_wrote;
          early_q <= (early_q | (ld_wrote & (ld_start | first_q) & push_next_now)) & ~ld_last & ~l2c_take_early;
          taken_q <= (taken_q | l2c_take_early) & ~ld_last;
        end
      end
    end else begin : g_no_chain
      assign l2c_early = 1'b0;
      assign l2c_take_early = 1'b0;
      assign l2c_early_taken = 1'b0;
      wire unused_chain = ^{ld_wrote, c_chain};
    end
  endgenerate

  always @(posedge clk) begin
    if (!rst_n) begin
      l2c_q <= NO_TOKENS;
      c2l_q <= NO_TOKENS;
      c2s_q <= NO_TOKENS;
      s2c_q <= NO_TOKENS;
      s2l_q <= NO_TOKENS;
      l2s_q <= NO_TOKENS;
      s2l_late_q <= 1'b0;
      ld_busy_q <= 1'b0;
      st_busy_q <= 1'b0;
      c_busy_q <= 1'b0;
      c_th_q <= 1'b0;
      th_hi_q <= 1'b0;
      ld_push_next_q <= 1'b0;
      ld_push_prev_q <= 1'b0;
      st_push_prev_q <= 1'b0;
      st_push_next_q <= 1'b0;
      c_push_prev_q <= 1'b0;
      c_push_next_q <= 1'b0;
    end else begin
      l2c_q <= l2c_q + {{(TOKEN_W-1){1'b0}}, ld_push_c2_next & ~l2c_early_taken} - {{(TOKEN_W-1){1'b0}}, c_pop_from_prev & ~l2c_take_early};
      c2l_q <= c2l_q + {{(TOKEN_W-1){1'b0}}, c_push_to_prev} - {{(TOKEN_W-1){1'b0}}, ld_pop};
      c2s_q <= c2s_q + {{(TOKEN_W-1){1'b0}}, c_push_to_next} - {{(TOKEN_W-1){1'b0}}, st_pop};
      s2c_q <= s2c_q + {{(TOKEN_W-1){1'b0}}, st_push_to_prev} - {{(TOKEN_W-1){1'b0}}, c_pop_from_next};
      s2l_late_q <= st_push_to_next;
      s2l_q <= s2l_q + {{(TOKEN_W-1){1'b0}}, s2l_late_q} - {{(TOKEN_W-1){1'b0}}, ld_pop_store};
      l2s_q <= l2s_q + {{(TOKEN_W-1){1'b0}}, ld_push_to_prev} - {{(TOKEN_W-1){1'b0}}, st_pop_load};
      ld_busy_q <= (ld_busy_q | ld_start) & ~ld_last;
      st_busy_q <= (st_busy_q | st_start) & ~st_last;
      c_busy_q <= c_start ? ~c_sync : c_busy_q & ~c_last;
      if (c_start) c_th_q <= c_is_th;
      if (th_start) th_hi_q <= {{(32-ACC_AW){1'b0}}, th_acc} >= ACC_SPLIT;
      if (ld_start) {ld_push_next_q, ld_push_prev_q} <= {ld_push_next, ld_push_prev};
      if (st_start) {st_push_prev_q, st_push_next_q} <= {st_push_prev, st_push_next};
      if (c_start & ~c_is_mm) begin   // a matmul's pushes travel with it; a threshold's wait here, in its tail too
        c_push_prev_q <= c_push_prev;
        c_push_next_q <= c_push_next;
      end
    end
  end

  // Done in the first cycle in which halt has been fetched and every queue and unit is idle:
  // cycles = max(fetch(halt) + 1, max end) as in isa/timing.ts.
  assign done = halted_q & ld_empty & st_empty & c_empty & ~ld_busy_q & ~st_busy_q & ~c_busy_q & ~mm_busy;
  assign error = error_q;

endmodule
`default_nettype wire
