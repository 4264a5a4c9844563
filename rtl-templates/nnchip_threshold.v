// SPDX-License-Identifier: MIT
// nnchip_threshold: the threshold unit — requantize + zero point + clamp, mirroring isa/numerics.ts
// threshold(): clamp(floor((x*mult + 2^(shift-1)) / 2^shift) + zp, lo, hi). Each acc row takes
// P = PASSES beats (isa/config.ts thresholdPasses), t from start:
//   t = P*m        read acc row m (the read data stays on the RAM's output until the next read)
//   t = b + 1      select beat b's operands: x (its column of the acc row) and mult or one digit
//   t = b + 2      multiply
//   t = b + 3      accumulate the digits (shift-and-add)
//   t = b + 4      round, shift, add zp, clamp; the last beat of row m writes out row m
// duration = P*rows + THRESHOLD_LATENCY (src/isa/ops/threshold.ts; nnchip_isa.vh carries it and the
// legal PASSES, and elaboration fails when this module's four stages or PASSES disagree with them).
// Pooling (pool_h or pool_w > 0, requantize mode): each out row first reads the W - 1 leading acc
// rows of its kh x kw window (one per beat, tbl = L acc entries per line) into a running maximum,
// then its P beats read the last row and requantize max(running, last): W - 1 + P beats per row.
// The steps field then holds the window geometry (POOL_* in nnchip_isa.vh): windows overlap by
// kh - sh lines and kw - sw entries, and the first starts pt lines above and pl entries left of acc;
// a tap in that padding reads line or entry 0 (poolRow in src/isa/ops/threshold.ts).
// Column reuse (reusedColumns in src/isa/ops/threshold.ts): when windows overlap by ow <= sw columns
// and pl >= ow, each window reads only its last kw - ow columns (the walker runs on that narrower
// window, ow columns further right) and starts its maximum from tl_q, the maximum of the previous
// window's reads in its last ow columns (a line's first window: from nothing, its first ow columns
// are padding): kh*(kw - ow) - 1 + P beats per row.
// Table mode (steps > 0) is a second, independent sequencer at the end of this file.
// Every stage ends in registers: the RAM outputs feed only the operand multiplexers, so no stage
// holds more than one carry chain. How the P beats are used is this module's choice:
//   P divides COLS:  COLS/P lanes, each a full 32x16 multiplier, one lane group per beat;
//   P = COLS*D:      one lane whose multiplier takes mult D digits of 16/D bits, most significant
//                    first (D beats per column) — the smallest unit, for FPGAs without DSPs.
`default_nettype none
module nnchip_threshold #(
  parameter COLS = 4,
  parameter PASSES = 1,
  parameter POOL = 1,        // 0: the program has no pooling threshold, so the window walker and running maximum are left out
  parameter TABLE = 1,       // 0: the program has no step table (steps > 0, no pooling), so the table sequencer is left out
  parameter MAC16 = 0,       // 1: each lane's multiply is in two iCE40 UltraPlus DSP blocks (nnchip_mac16_lane.v)
  parameter ROWS_W = 16,
  parameter STEPS_W = 10,
  parameter ACC_AW = 8,
  parameter OUT_AW = 8,
  parameter QNT_AW = 8,
  parameter LEAD = 11,       // matmul_acc_lead(array rows, COLS): the tail (below) a matmul may start in
  parameter BANKS = 1,       // 2: acc banks with a read port each, so `reach` (below) is built
  parameter MM_ROWS_W = 16
) (
  input  wire               clk,
  input  wire               rst_n,
  input  wire               start,
  input  wire [ACC_AW-1:0]  acc,
  input  wire [OUT_AW-1:0]  out,
  input  wire [QNT_AW-1:0]  qnt,
  input  wire [ROWS_W-1:0]  rows,
  input  wire [7:0]         zp,
  input  wire [7:0]         lo,
  input  wire [7:0]         hi,
  input  wire [ACC_AW-1:0]  tbl,        // table mode (steps > 0): the step table's first acc entry
  input  wire [STEPS_W-1:0] steps,
  input  wire [2:0]         pool_h,     // max-pooling window height - 1 (requantize mode)
  input  wire [2:0]         pool_w,     // max-pooling window width - 1
  output wire               acc_re,
  output wire [ACC_AW-1:0]  acc_raddr,
  input  wire [COLS*32-1:0] acc_rdata,
  output wire               qnt_re,
  output wire [QNT_AW-1:0]  qnt_raddr,
  input  wire [COLS*24-1:0] qnt_rdata,   // lane c: {shift u8, mult u16}
  output wire               out_we,
  output wire [OUT_AW-1:0]  out_waddr,
  output wire [COLS*8-1:0]  out_wdata,
  output wire               last,
  output wire               tail,       // a requantize-mode instruction, from its start + 2, ends within LEAD cycles
  input  wire [MM_ROWS_W-1:0] next_rows, // the rows of the matmul heading the compute queue
  output wire               reach       // BANKS = 2: ... ends within LEAD + next_rows cycles (a matmul of next_rows on the other acc bank ends after it)
);
  `include "nnchip_isa.vh"
  localparam STAGES = 4;   // select, multiply, accumulate, round + clamp + write: the *1_q .. *4_q registers below
  generate
    if (STAGES != THRESHOLD_LATENCY) begin : g_stages_differ_from_isa
      nnchip_threshold_stages_differ_from_isa_threshold_latency fail ();
    end
    if (!threshold_passes_ok(PASSES, COLS)) begin : g_passes_illegal
      nnchip_threshold_passes_illegal_for_cols fail ();
    end
  endgenerate
  // a pooling threshold is in requantize mode whatever its steps field (its window geometry) holds
  wire              start_pooling = (POOL != 0) & ((pool_h != 3'd0) | (pool_w != 3'd0));
  wire rq_start = start & ((steps == {STEPS_W{1'b0}}) | start_pooling);
  wire tb_start = start & (steps != {STEPS_W{1'b0}}) & ~start_pooling;
  wire tb_acc_re, tb_we, tb_last;
  wire [ACC_AW-1:0] tb_acc_raddr;
  wire [OUT_AW-1:0] tb_waddr;
  wire              tb_through;   // a table row's codes enter the requantize stage-4 registers now
  wire [COLS*8-1:0] tb_codes;
  localparam LANES = (PASSES <= COLS) ? COLS / PASSES : 1;
  localparam DIGITS = (PASSES <= COLS) ? 1 : PASSES / COLS;   // beats per lane group
  localparam DIGIT_W = 16 / DIGITS;                            // mult bits per beat
  localparam GROUPS = COLS / LANES;                            // lane groups per row
  localparam PH_W = (PASSES > 1) ? $clog2(PASSES) : 1;
  localparam [ROWS_W-1:0] ONE_ROW = 1;
  localparam integer LAST_PH_INT = PASSES - 1;
  localparam [PH_W-1:0] LAST_PH = LAST_PH_INT[PH_W-1:0];

  // ---- beats: row m's acc read at its first beat; the qnt entry is read once, at rq_start, and held
  reg               rd_busy_q;
  reg [ROWS_W-1:0]  rd_left_q;
  reg [PH_W-1:0]    ph_q;
  reg [ACC_AW-1:0]  rd_addr_q;
  reg [OUT_AW-1:0]  out_addr_q;
  reg [7:0]         zp_q, lo_q, hi_q;
  reg signed [10:0] lo_fh_q, hi_fh_q;       // 2(lo - zp) - 1 and 2(hi - zp) + 1, in [-511, 511]
  reg               rq_start_q;
  reg [LANES*8-1:0] zero_code_q;            // per lane: clamp(zp, lo, hi), or a table row's codes (below)
  wire              beat = rq_start | rd_busy_q;
  wire [PH_W-1:0]   ph = rq_start ? {PH_W{1'b0}} : ph_q;
  wire              row_end = ~in_pre & (ph == LAST_PH);
  wire [ROWS_W-1:0] rd_left = rq_start ? rows : rd_left_q;
  wire [OUT_AW-1:0] out_addr = rq_start ? out : out_addr_q;
  wire              rd_final = (rd_left == ONE_ROW) & row_end;
  wire rq_acc_re = beat & (ph == {PH_W{1'b0}});
  wire [ACC_AW-1:0] rq_acc_raddr = rq_start ? acc : rd_addr_q;
  // pooling: pre-beats read a window's leading rows; ph stays 0 through them, so the acc read enable
  // is unchanged. The walker keeps each tap's signed position (ty_q, tx_q: negative in the padding)
  // and the acc address of its line (rowa_q, clamped to line 0); the next address is rowa plus the
  // clamped x, from registers alone while running. Start selects the address after a window's first
  // tap (which is acc: the padding clamps to it) from the instruction's fields.
  // signed positions, -3 .. L + 15 (L < 2^ACC_AW, strides and windows up to 8): ACC_AW + 2 bits from ACC_AW = 4 on
  localparam CW = ((ACC_AW > 4) ? ACC_AW : 4) + 2;
  localparam signed [CW-1:0] ONE_CW = 1;
  reg  [5:0]        pre_left_q, pre_n_q;   // pre-beats left in this row; W - 1 per row
  reg               pool_q, lend_q;        // lend_q: the window is the last of its line
  reg  [2:0]        kx_q, ky_q, kwm1_q, khm1_q;
  reg  [ACC_AW-1:0] rowa_q, wtop_q, nxt_q, line_q;
  reg signed [CW-1:0] tx_q, ty_q, wx_q, wy_q, sh_q, sw_q, kw_q, pl_q, lcw_q;
  reg               reuse_q;               // the instruction reuses columns
  reg  [3:0]        swe_q;                 // reusing: the read columns from which a read is of the window's tail (sw - ow)
  // the instruction's window geometry (its steps field)
  wire [2:0]        g_ovh = steps[POOL_OVERLAP_H_LSB +: POOL_OVERLAP_H_W];
  wire [2:0]        g_ovw = steps[POOL_OVERLAP_W_LSB +: POOL_OVERLAP_W_W];
  wire signed [CW-1:0] g_pt = {{(CW-POOL_PAD_TOP_W){1'b0}}, steps[POOL_PAD_TOP_LSB +: POOL_PAD_TOP_W]};
  wire signed [CW-1:0] g_pl = {{(CW-POOL_PAD_LEFT_W){1'b0}}, steps[POOL_PAD_LEFT_LSB +: POOL_PAD_LEFT_W]};
  wire signed [CW-1:0] g_sh = {{(CW-3){1'b0}}, pool_h} + 1'b1 - {{(CW-3){1'b0}}, g_ovh};
  wire signed [CW-1:0] g_kw = {{(CW-3){1'b0}}, pool_w} + 1'b1;
  wire signed [CW-1:0] g_sw = g_kw - {{(CW-3){1'b0}}, g_ovw};
  wire signed [CW-1:0] g_line = {{(CW-ACC_AW){1'b0}}, tbl};
  // column reuse: ow >= 1, ow <= sw, pl >= ow, and at least two reads a window (kh*(kw - ow) >= 2)
  wire signed [CW-1:0] g_ow = {{(CW-3){1'b0}}, g_ovw};
  wire              g_reuses = start_pooling & (g_ovw != 3'd0) & (g_ow <= g_sw) & (g_pl >= g_ow) & ((pool_h != 3'd0) | (g_sw != ONE_CW));
  wire [2:0]        g_reuse = g_reuses ? g_ovw : 3'd0;
  wire [2:0]        pool_w_e = pool_w - g_reuse;                            // the read window's width - 1
  wire signed [CW-1:0] g_kw_e = g_kw - {{(CW-3){1'b0}}, g_reuse};
  wire signed [CW-1:0] g_pl_e = g_pl - {{(CW-3){1'b0}}, g_reuse};
  wire [5:0]        start_pre_n = start_pooling ? ({3'd0, pool_h} + 6'd1) * ({3'd0, pool_w_e} + 6'd1) - 6'd1 : 6'd0;
  wire [5:0]        pre_n = rq_start ? start_pre_n : pre_n_q;
  wire [5:0]        pre_left = rq_start ? start_pre_n : pre_left_q;
  wire              in_pre = rq_start ? start_pooling : pre_left_q != 6'd0;
  wire              main_beat = beat & ~in_pre;
  function [ACC_AW-1:0] clamp0(input [CW-1:0] v);   // a position in the padding reads entry 0
    clamp0 = v[CW-1] ? {ACC_AW{1'b0}} : v[ACC_AW-1:0];
  endfunction
  // running: the read after rd_addr_q's (next column, next window row, or the next window)
  wire              run_next_col = kx_q != kwm1_q;
  wire              run_next_line = ~run_next_col & (ky_q != khm1_q);
  wire [ACC_AW-1:0] down = ty_q[CW-1] ? rowa_q : rowa_q + line_q;   // the line below rowa_q's (line 0 again from the padding)
  wire              next_top = {{(CW-3){1'b0}}, ky_q} + 1'b1 == sh_q;   // the line below is the next line of windows' top
  wire signed [CW-1:0] win_x0 = lend_q ? -pl_q : wx_q + sw_q;       // the next window's first position
  wire [ACC_AW-1:0] win_top = ~lend_q ? wtop_q : next_top ? down : nxt_q;
  wire [ACC_AW-1:0] run_rowa = run_next_col ? rowa_q : run_next_line ? down : win_top;
  wire signed [CW-1:0] run_x = run_next_col ? tx_q + 1'b1 : run_next_line ? wx_q : win_x0;
  wire [ACC_AW-1:0] run_next = ~pool_q ? rd_addr_q + 1'b1 : run_rowa + clamp0(run_x);
  // at start: the window's second tap (the next column, or the next line when the window is one wide)
  wire              start_down = start_pooling & (pool_w_e == 3'd0);
  wire signed [CW-1:0] start_x = start_down ? -g_pl_e : ONE_CW - g_pl_e;
  wire              start_lend = g_sw + g_kw - g_pl > g_line;   // the first window is its line's last
  wire [ACC_AW-1:0] start_rowa = start_down & (g_pt == {CW{1'b0}}) ? acc + tbl : acc;
  wire [ACC_AW-1:0] start_next = ~start_pooling ? acc + 1'b1 : start_rowa + clamp0(start_x);
  // both modes read acc row 0 at start, so the mode (steps) stays off the start → RAM address path
  assign acc_re = start | (rd_busy_q & (ph_q == {PH_W{1'b0}})) | tb_busy_q;
  assign acc_raddr = start ? acc : tb_busy_q ? tb_acc_raddr : rd_addr_q;
  wire unused_rq_read = ^{tb_acc_re, rq_acc_raddr};

  // the running maximum: the data of a pre-beat read is on the RAM output one cycle later. Without
  // pooling it holds the most negative value, so stage 1's max(running, row) is the row itself.
  reg               dpre_q, dfirst_q;
  reg               dread_q, dtail_q;   // the data phase of a read; of a tail the next window takes
  reg [COLS*32-1:0] mx_q;
  wire [COLS*32-1:0] rq_row;   // stage 1's row: max(running, acc row read), held through the P beats
  wire [COLS*32-1:0] mx_next;
  genvar mc;
  generate
    for (mc = 0; mc < COLS; mc = mc + 1) begin : g_max_lane
      if (POOL != 0) begin : g_pool
        wire signed [31:0] a = acc_rdata[mc*32 +: 32];
        // column reuse: tl_q, the maximum of the window's tail reads (the next window's first
        // columns), most negative when the next window takes nothing (without reuse, and after a
        // line's last window: the next starts a line, its first columns in the padding). A window's
        // first read starts its maximum from it; a row's last read (stage 1) is never its first.
        reg  signed [31:0] tl_q;
        wire signed [31:0] b = dfirst_q ? tl_q : mx_q[mc*32 +: 32];
        wire               a_gt = a > b;
        assign rq_row[mc*32 +: 32] = a_gt ? a : b;
        assign mx_next[mc*32 +: 32] = a_gt ? a : b;
        // the tail restarts at a window's first read (which took the old one), then keeps the maximum of its tail reads
        always @(posedge clk)
          if (rq_start) tl_q <= 32'sh80000000;
          else if (dread_q & reuse_q) begin
            if (dfirst_q) tl_q <= dtail_q ? a : 32'sh80000000;
            else if (dtail_q & (a > tl_q)) tl_q <= a;
          end
      end else begin : g_no_pool
        assign rq_row[mc*32 +: 32] = acc_rdata[mc*32 +: 32];
        assign mx_next[mc*32 +: 32] = mx_q[mc*32 +: 32];
        wire unused_no_pool = ^{dfirst_q, dread_q, dtail_q, reuse_q};
      end
    end
  endgenerate
  always @(posedge clk) begin
    dpre_q <= beat & in_pre;
    dfirst_q <= rq_start | (pre_left_q == pre_n_q);
    dread_q <= rq_acc_re;
    // a read of the window's last ow columns, unless the window ends its line (at start: read column 0, the tail when ow = sw)
    dtail_q <= rq_start ? (g_sw == g_ow) & ~start_lend : ({1'b0, kx_q} >= swe_q) & ~lend_q;
    if (rq_start & ~start_pooling) mx_q <= {COLS{32'h80000000}};
    else if (dpre_q) mx_q <= mx_next;
  end
  assign qnt_re = rq_start;
  assign qnt_raddr = qnt;

  // ---- stages 1 (select), 2 (multiply), 3 (accumulate), 4 (round, shift, clamp; a row's last beat writes)
  reg              v1_q, v2_q, v3_q, v4_q, w1_q, w2_q, w3_q, w4_q, last1_q, last2_q, last3_q, last4_q;
  reg [PH_W-1:0]   ph1_q, ph2_q, ph3_q, ph4_q;
  reg [OUT_AW-1:0] a1_q, a2_q, a3_q, a4_q;
  wire [LANES*8-1:0] result;   // stage 4: this beat's lanes
  wire [COLS*8-1:0] rq_wdata;

  // beat -> (lane group, digit): ph = group*DIGITS + digit
  localparam DG_SHIFT = (DIGITS > 1) ? $clog2(DIGITS) : 0;
  localparam integer LAST_DIGIT_INT = DIGITS - 1;
  localparam [PH_W-1:0] LAST_DIGIT = LAST_DIGIT_INT[PH_W-1:0];
  wire [PH_W-1:0] g1 = ph1_q >> DG_SHIFT;
  wire [PH_W-1:0] d1 = ph1_q & LAST_DIGIT;
  wire [PH_W-1:0] d1_msb_first = LAST_DIGIT - d1;   // digit d1 counts from mult's top
  wire            first_digit3 = (ph3_q & LAST_DIGIT) == {PH_W{1'b0}};
  wire [PH_W-1:0] g4 = ph4_q >> DG_SHIFT;
  wire            lane_done4 = (ph4_q & LAST_DIGIT) == LAST_DIGIT;

  genvar l;
  generate
    for (l = 0; l < LANES; l = l + 1) begin : g_lane
      // column g1*LANES + l: a GROUPS-way selection (constant when PASSES = 1)
      wire signed [31:0] x = rq_row[(g1 * LANES + l) * 32 +: 32];
      wire        [23:0] q = qnt_rdata[(g1 * LANES + l) * 24 +: 24];
      wire        [15:0] mult = q[15:0];
      wire        [7:0]  shift = q[23:16];
      wire [DIGIT_W-1:0] digit = mult[d1_msb_first * DIGIT_W +: DIGIT_W];
      // |x * mult| < 2^47 (spec: mult is u16), so 48 bits hold the product, and every prefix, exactly
      reg  signed [47:0] prod_q;           // stage 3: the product (the digits so far)
      reg         [5:0]  shift1_q, shift2_q, shift_q;
      reg                to_zero1_q, to_zero2_q, to_zero_q;
      always @(posedge clk) begin
        shift1_q <= shift[5:0];
        to_zero1_q <= shift > 8'd47;
        {shift2_q, to_zero2_q} <= {shift1_q, to_zero1_q};
        {shift_q, to_zero_q} <= {shift2_q, to_zero2_q | tb_through};
      end
      if (MAC16 != 0) begin : g_mac16
        // stages 1 and 2 in the DSP blocks: the whole of mult each beat, so stage 3 takes the product
        wire [31:0] p_hi, p_lo;
        nnchip_mac16_lane u_mul (.clk(clk), .x_next(x), .m_next(mult), .p_hi(p_hi), .p_lo(p_lo));
        always @(posedge clk) prod_q <= {p_hi, 16'd0} + {16'd0, p_lo};
        wire unused_digits = ^{digit, first_digit3};
      end else begin : g_fabric
        reg  signed [31:0] x_q;              // stage 1: the operands
        reg  [DIGIT_W-1:0] digit_q;
        reg  signed [47:0] part_q;           // stage 2: x * digit
        always @(posedge clk) begin
          x_q <= x;
          digit_q <= digit;
          part_q <= x_q * $signed({1'b0, digit_q});
          prod_q <= (first_digit3 ? 48'sd0 : (prod_q <<< DIGIT_W)) + part_q;
        end
      end

      // rounded = floor((p + 2^(s-1)) / 2^s) = floor((fh + 1) / 2) with fh = floor(2p / 2^s), for
      // every s >= 0 (s = 0 gives p): one shifter, no wide rounding constant; s >= 48 gives 0.
      wire signed [48:0] twice = {prod_q, 1'b0};
      wire signed [48:0] fh = twice >>> shift_q;
      // The clamp reads fh, not rounded, so no adder stands between the shifter and the compares:
      //   rounded < lo - zp  <=>  fh < 2(lo - zp) - 1;   rounded > hi - zp  <=>  fh >= 2(hi - zp) + 1;
      //   rounded + zp = floor((fh + 2zp + 1) / 2), its low 8 bits from a 9-bit sum.
      // fh outside 11 bits (signed) is beyond both bounds (|lo - zp|, |hi - zp| <= 255).
      wire               pos_over = ~fh[48] & (fh[47:10] != 38'd0);
      wire               neg_over = fh[48] & ~(&fh[47:10]);
      wire signed [10:0] fh11 = fh[10:0];
      wire         [8:0] with_zp = fh[8:0] + {zp_q, 1'b1};
      assign result[l*8 +: 8] = to_zero_q ? zero_code_q[l*8 +: 8]
                              : (neg_over | (~pos_over & (fh11 < lo_fh_q))) ? lo_q
                              : (pos_over | (fh11 >= hi_fh_q)) ? hi_q : with_zp[8:1];
      wire unused_lane = ^{shift[7:6], with_zp[0]};
    end

    if (GROUPS == 1) begin : g_parallel
      assign rq_wdata = result;
      wire unused_ph = ^{g4, lane_done4};
    end else begin : g_serial
      // the lane groups before a row's last hold their bytes here; the last completes the row
      reg [(GROUPS-1)*LANES*8-1:0] held_q;
      always @(posedge clk) begin
        if (tb_through) held_q <= tb_codes[(GROUPS-1)*LANES*8-1:0];
        else if (v4_q & lane_done4 & ~w4_q) held_q[g4 * LANES * 8 +: LANES * 8] <= result;
      end
      assign rq_wdata = {result, held_q};
    end
  endgenerate

  assign out_we = (v4_q & w4_q) | tb_we;
  assign out_waddr = tb_we ? tb_waddr : a4_q;
  assign out_wdata = rq_wdata;   // table rows too (tb_through): no mode multiplexer after the clamp
  assign last = (v4_q & last4_q) | tb_last;

  always @(posedge clk) begin
    if (rq_start) begin
      zp_q <= zp;
      lo_q <= lo;
      hi_q <= hi;
      lo_fh_q <= {{2{lo[7]}}, lo, 1'b1} - {{2{zp[7]}}, zp, 1'b0} - 11'sd2;
      hi_fh_q <= {{2{hi[7]}}, hi, 1'b1} - {{2{zp[7]}}, zp, 1'b0};
    end
    rq_start_q <= rq_start;
    // stage 4 needs it 4 beats after start; a table row's codes (to_zero forced) are the last lane
    // group's, held_q has the others. Never during a requantize instruction (one at a time).
    if (rq_start_q) zero_code_q <= {LANES{($signed(zp_q) < $signed(lo_q)) ? lo_q : ($signed(zp_q) > $signed(hi_q)) ? hi_q : zp_q}};
    else if (tb_through) zero_code_q <= tb_codes[(GROUPS-1)*LANES*8 +: LANES*8];
    if (beat) begin
      ph_q <= (row_end | in_pre) ? {PH_W{1'b0}} : ph + 1'b1;
      pre_left_q <= row_end ? pre_n : in_pre ? pre_left - 1'b1 : pre_left;
      if (rq_start) {pre_n_q, pool_q, kwm1_q, khm1_q, line_q, sh_q} <= {start_pre_n, start_pooling, pool_w_e, pool_h, tbl, g_sh};
      if (rq_start) {sw_q, kw_q, pl_q, lcw_q} <= {g_sw, g_kw_e, g_pl_e, g_line};
      if (rq_start) {reuse_q, swe_q} <= {g_reuses, g_sw[3:0] - {1'b0, g_reuse}};
      if (row_end) begin
        rd_left_q <= rd_left - 1'b1;
        out_addr_q <= out_addr + 1'b1;
      end else begin
        rd_left_q <= rd_left;
        out_addr_q <= out_addr;
      end
      if (rq_start) begin
        rd_addr_q <= start_next;
        kx_q <= start_down ? 3'd0 : 3'd1;
        ky_q <= start_down ? 3'd1 : 3'd0;
        tx_q <= start_x;
        ty_q <= start_down ? ONE_CW - g_pt : -g_pt;
        wx_q <= -g_pl_e;
        wy_q <= -g_pt;
        rowa_q <= start_rowa;
        wtop_q <= acc;
        // a one-wide window of stride 1 passes the next line of windows' top at once
        nxt_q <= start_rowa;
        lend_q <= start_lend;
      end else if (rq_acc_re) begin
        rd_addr_q <= run_next;
        kx_q <= run_next_col ? kx_q + 1'b1 : 3'd0;
        ky_q <= run_next_col ? ky_q : run_next_line ? ky_q + 1'b1 : 3'd0;
        tx_q <= run_x;
        ty_q <= run_next_col ? ty_q : run_next_line ? ty_q + 1'b1 : lend_q ? wy_q + sh_q : wy_q;
        rowa_q <= run_rowa;
        if (~run_next_col & next_top) nxt_q <= down;
        if (~run_next_col & ~run_next_line) begin
          wx_q <= win_x0;
          if (lend_q) wy_q <= wy_q + sh_q;
          wtop_q <= win_top;
          lend_q <= win_x0 + sw_q + kw_q > lcw_q;
        end
      end
    end
    {ph1_q, w1_q, a1_q, last1_q} <= {ph, row_end, out_addr, rd_final};
    {ph2_q, w2_q, a2_q, last2_q} <= {ph1_q, w1_q, a1_q, last1_q};
    {ph3_q, w3_q, a3_q, last3_q} <= {ph2_q, w2_q, a2_q, last2_q};
    {ph4_q, w4_q, a4_q, last4_q} <= {ph3_q, w3_q, a3_q, last3_q};
  end

  always @(posedge clk) begin
    if (!rst_n) begin
      rd_busy_q <= 1'b0;
      v1_q <= 1'b0;
      v2_q <= 1'b0;
      v3_q <= 1'b0;
      v4_q <= 1'b0;
    end else begin
      rd_busy_q <= beat & ~rd_final;
      v1_q <= main_beat;
      v2_q <= v1_q;
      v3_q <= v2_q;
      v4_q <= v3_q;
    end
  end

  // ---- tail (src/isa/timing.ts): a matmul right after a requantize-mode threshold may start in its
  // last LEAD cycles, from its start + THRESHOLD_TAIL_FROM = 2 on; every acc read is done by then.
  // left_q = cycles to the end (end - t), set at start + 1 to rows * beats per row + 4 - 2: a
  // registered multiply (by the constant PASSES without pooling), kept off the start path.
  localparam integer BEATS_W = $clog2(((POOL != 0) ? 63 : 0) + PASSES + 1);   // W - 1 + PASSES, W - 1 < 64
  localparam integer LEFT_W = ROWS_W + BEATS_W;
  localparam integer PASSES_INT = PASSES;
  localparam integer LATER_INT = THRESHOLD_LATENCY - 2;
  // LEAD and LEAD + 1 in LEFT_W bits; beyond them every cycle of the instruction is in its tail
  localparam integer LEAD_SAT = (LEFT_W >= 20 || LEAD < (1 << LEFT_W)) ? LEAD : (1 << LEFT_W) - 1;
  localparam integer LEAD1_SAT = (LEFT_W >= 20 || LEAD + 1 < (1 << LEFT_W)) ? LEAD + 1 : (1 << LEFT_W) - 1;
  localparam [BEATS_W-1:0] PASSES_B = PASSES_INT[BEATS_W-1:0];
  localparam [LEFT_W-1:0] LATER_L = LATER_INT[LEFT_W-1:0];
  localparam [LEFT_W-1:0] LEAD_L = LEAD_SAT[LEFT_W-1:0];
  localparam [LEFT_W-1:0] LEAD1_L = LEAD1_SAT[LEFT_W-1:0];
  reg [ROWS_W-1:0] rows_q;
  reg [LEFT_W-1:0] left_q;
  reg              tail_on_q, tail_q;
  wire [BEATS_W-1:0] beats;   // per out row; a constant without pooling
  generate
    if (POOL != 0) begin : g_pool_beats
      assign beats = {{(BEATS_W-6){1'b0}}, pre_n_q} + PASSES_B;
    end else begin : g_beats
      assign beats = PASSES_B;
    end
  endgenerate
  wire [LEFT_W-1:0] first_left = {{BEATS_W{1'b0}}, rows_q} * {{ROWS_W{1'b0}}, beats} + LATER_L;
  wire              tail_on = (tail_on_q | rq_start_q) & ~last;
  always @(posedge clk) begin
    if (rq_start) rows_q <= rows;
    left_q <= rq_start_q ? first_left : left_q - 1'b1;
  end
  // tail_q holds next cycle's (left <= LEAD): a register, so the controller's start logic gets no compare
  always @(posedge clk) begin
    if (!rst_n) begin
      tail_on_q <= 1'b0;
      tail_q <= 1'b0;
    end else begin
      tail_on_q <= tail_on;
      tail_q <= tail_on & (rq_start_q ? first_left <= LEAD_L : left_q <= LEAD1_L);
    end
  end
  assign tail = tail_q;
  // reach (src/isa/timing.ts thresholdTailReach): left <= duration(matmul) - 1 = LEAD + next_rows, a
  // matmul on the other acc bank may start then (the controller checks the banks)
  generate
    if (BANKS == 2) begin : g_reach
      localparam [31:0] LEAD_32 = LEAD;
      wire [31:0] left_32 = {{(32-LEFT_W){1'b0}}, left_q};
      wire [31:0] limit_32 = LEAD_32 + {{(32-MM_ROWS_W){1'b0}}, next_rows};
      assign reach = tail_on_q & (left_32 <= limit_32);
    end else begin : g_no_reach
      assign reach = 1'b0;
      wire unused_next_rows = ^next_rows;
    end
  endgenerate

  // ---- table mode (src/isa/ops/threshold.ts): P = 1 + 2*steps beats per acc row, t from start:
  //   t = P*m          read acc row m;  t = P*m + k (k = 1 .. 2*steps) read table entry tbl + k - 1
  //   one cycle later  the entry is on the RAM's output: the row is held (k = 0), every lane compares
  //                    its value with the step's threshold (odd k) or takes the step's code if it was
  //                    >= (even k); after the row's last code the result goes through two registers
  //   t = P*m + P + 3  out row m is written (THRESHOLD_LATENCY cycles after the row's last beat)
  // TABLE = 0: no step table in the program, no sequencer; tb_busy_q stays low (its constant flip-flop goes)
  reg               tb_busy_q;
  generate
    if (TABLE != 0) begin : g_table   // (its body keeps the module's indentation)
  localparam K_W = STEPS_W + 1;
  reg [K_W-1:0]     tb_k_q, tb_last_k_q;
  reg [ROWS_W-1:0]  tb_left_q;
  reg [ACC_AW-1:0]  tb_row_q, tb_tab_q, tb_base_q;
  reg [OUT_AW-1:0]  tb_out_q;
  wire              tb_beat = tb_start | tb_busy_q;
  wire [K_W-1:0]    tb_k = tb_start ? {K_W{1'b0}} : tb_k_q;
  wire [K_W-1:0]    tb_last_k = tb_start ? {steps, 1'b0} : tb_last_k_q;
  wire              tb_row_end = tb_k == tb_last_k;
  wire [ROWS_W-1:0] tb_left = tb_start ? rows : tb_left_q;
  wire [ACC_AW-1:0] tb_row = tb_start ? acc : tb_row_q;
  wire [ACC_AW-1:0] tb_base = tb_start ? tbl : tb_base_q;
  wire [OUT_AW-1:0] tb_out = tb_start ? out : tb_out_q;
  wire              tb_final = (tb_left == ONE_ROW) & tb_row_end;
  wire              tb_k0 = tb_k == {K_W{1'b0}};
  assign tb_acc_re = tb_beat;
  assign tb_acc_raddr = (tb_k_q == {K_W{1'b0}}) ? tb_row_q : tb_tab_q;   // used after start only
  always @(posedge clk) begin
    if (tb_beat) begin
      tb_k_q <= tb_row_end ? {K_W{1'b0}} : tb_k + 1'b1;
      tb_last_k_q <= tb_last_k;
      tb_base_q <= tb_base;
      tb_left_q <= tb_row_end ? tb_left - 1'b1 : tb_left;
      tb_out_q <= tb_row_end ? tb_out + 1'b1 : tb_out;
      tb_row_q <= tb_k0 ? tb_row + 1'b1 : tb_row;
      tb_tab_q <= tb_k0 ? tb_base : tb_tab_q + 1'b1;
    end
  end
  // the data phase: what the RAM output holds this cycle (read one cycle ago)
  reg               d_v_q, d_end_q, d_last_q;
  reg [K_W-1:0]     d_k_q;
  reg [OUT_AW-1:0]  d_out_q;
  reg [COLS*32-1:0] x_q;
  reg [COLS-1:0]    ge_q;
  reg [COLS*8-1:0]  y_q, r1_q, r2_q;
  reg               v1t_q, v2t_q, v3t_q, l1t_q, l2t_q, l3t_q;
  reg [OUT_AW-1:0]  o1_q, o2_q, o3_q;
  wire [COLS*8-1:0] y_next;
  genvar t;
    for (t = 0; t < COLS; t = t + 1) begin : g_table_lane
      wire signed [31:0] held = x_q[t*32 +: 32];
      wire signed [31:0] entry = acc_rdata[t*32 +: 32];
      assign y_next[t*8 +: 8] = ge_q[t] ? entry[7:0] : y_q[t*8 +: 8];
      always @(posedge clk) if (d_v_q & d_k_q[0]) ge_q[t] <= held >= entry;
    end
  always @(posedge clk) begin
    {d_k_q, d_end_q, d_last_q, d_out_q} <= {tb_k, tb_row_end, tb_final, tb_out};
    if (d_v_q & (d_k_q == {K_W{1'b0}})) begin
      x_q <= acc_rdata;
      y_q <= {COLS*8{1'b0}};
    end else if (d_v_q & ~d_k_q[0]) begin
      y_q <= y_next;
    end
    r1_q <= y_next;
    {o1_q, l1t_q} <= {d_out_q, d_last_q};
    {r2_q, o2_q, l2t_q} <= {r1_q, o1_q, l1t_q};
    {o3_q, l3t_q} <= {o2_q, l2t_q};
  end
  always @(posedge clk) begin
    if (!rst_n) begin
      tb_busy_q <= 1'b0;
      d_v_q <= 1'b0;
      v1t_q <= 1'b0;
      v2t_q <= 1'b0;
      v3t_q <= 1'b0;
    end else begin
      tb_busy_q <= tb_beat & ~tb_final;
      d_v_q <= tb_beat;
      v1t_q <= d_v_q & d_end_q;
      v2t_q <= v1t_q;
      v3t_q <= v2t_q;
    end
  end
  assign tb_we = v3t_q;
  assign tb_waddr = o3_q;
  assign tb_through = v2t_q;
  assign tb_codes = r2_q;
  assign tb_last = v3t_q & l3t_q;
    end else begin : g_no_table
      always @(posedge clk) tb_busy_q <= 1'b0;
      assign tb_acc_re = 1'b0;
      assign tb_acc_raddr = {ACC_AW{1'b0}};
      assign tb_we = 1'b0;
      assign tb_waddr = {OUT_AW{1'b0}};
      assign tb_through = 1'b0;
      assign tb_codes = {COLS*8{1'b0}};
      assign tb_last = 1'b0;
      wire unused_no_table = tb_start;
    end
  endgenerate
endmodule
`default_nettype wire
