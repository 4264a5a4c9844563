// SPDX-License-Identifier: MIT
// nnchip_matmul: sequences matmuls through the systolic array (docs/hardware.md, t from a start):
//   t < R          read wgt entry wgt+t; PE(r, c) writes its shadow weight on t = 1 + r + c
//   t = R + m      read act row m (two-level address: runs of `inner` rows); PE(r,c) works on it at
//                  R+1+m+r+c; the swap bit, one cycle ahead of row 0, makes the shadow weights active
//   t = 2R+C+m     the de-skewed sums of row m meet acc row m (read at t-1) and are written back;
//                  a bias matmul holds row 0's read (acc[acc] as it found it, the column tile's
//                  bias) and adds it to every row in place of the read: rows >= 1 read entries
//                  it has not written yet, whatever they hold; a shifted matmul's sums enter
//                  the add shifted left by `shift` (a term weighted w·2^shift)
// duration = 2R + C + rows; the next matmul may start at t = max(R, rows + 1) (`issue_last` marks
// t - 1), so its preload overlaps this one's stream and its stream this one's drain. Up to
// ceil((2R+C)/R)+1 matmuls are in flight: the acc address, flags and token pushes of each act row
// travel down a delay line to the acc stage, so completions (`done`) come in start order.
`default_nettype none
module nnchip_matmul #(
  parameter ROWS = 4,
  parameter COLS = 4,
  parameter ROWS_W = 16,
  parameter INNER_W = 16,
  parameter WGT_AW = 8,
  parameter ACT_AW = 8,
  parameter ACC_AW = 8,
  parameter SHIFT_W = 4,
  parameter SHIFT = 1,      // the product shifter is built (0: every matmul of the program has shift 0)
  parameter PE_MAC16 = 0   // the array's multipliers in iCE40 UltraPlus DSP blocks (nnchip_systolic_array)
) (
  input  wire               clk,
  input  wire               rst_n,
  input  wire               start,
  input  wire [WGT_AW-1:0]  wgt,
  input  wire [ACT_AW-1:0]  act,
  input  wire [ACT_AW-1:0]  act_stride,
  input  wire [ACT_AW-1:0]  act_outer,
  input  wire [INNER_W-1:0] inner,
  input  wire [ACC_AW-1:0]  acc,
  input  wire [ROWS_W-1:0]  rows,
  input  wire               accumulate,
  input  wire               bias,          // every row starts from acc[acc] as found (accumulate is 0)
  input  wire [SHIFT_W-1:0] shift,         // the sums count ×2^shift
  input  wire               push_prev,     // token pushes of the starting matmul, fired at its `done`
  input  wire               push_next,
  output wire               wgt_re,
  output wire [WGT_AW-1:0]  wgt_raddr,
  input  wire [COLS*8-1:0]  wgt_rdata,
  output wire               act_re,
  output wire [ACT_AW-1:0]  act_raddr,
  input  wire [ROWS*8-1:0]  act_rdata,
  output wire               acc_re,
  output wire [ACC_AW-1:0]  acc_raddr,
  input  wire [COLS*32-1:0] acc_rdata,
  output wire               acc_we,
  output wire [ACC_AW-1:0]  acc_waddr,
  output wire [COLS*32-1:0] acc_wdata,
  output wire               issue_last,    // the last cycle before the unit may start the next matmul
  output wire               done,          // the last cycle (final acc write) of the oldest matmul in flight
  output wire               done_push_prev,
  output wire               done_push_next,
  output wire               busy           // a matmul is in flight (a threshold or sync must wait)
);
  localparam OCC_W = ROWS_W + 1;
  localparam [OCC_W-1:0] R_OCC = ROWS;
  localparam [OCC_W-1:0] ONE_OCC = 1;
  localparam [ROWS_W-1:0] ONE_ROW = 1;
  localparam [INNER_W-1:0] ONE = 1;
  localparam LINE = ROWS + COLS - 1;          // act read to acc read
  localparam TAG_W = SHIFT_W + ACC_AW + 6;    // {shift, accumulate, bias, first row, last row, push_prev, push_next, acc address}
  localparam FLIGHT_W = $clog2(2 * ROWS + COLS + 2) + 1;

  // ---- issue: the issue interval max(R, rows + 1) and the R-cycle preload (t counts from start)
  reg              i_busy_q;
  reg [OCC_W-1:0]  i_t_q, occ_q;
  reg [WGT_AW-1:0] wgt_addr_q;
  reg              w_go_q;
  wire [OCC_W-1:0] rows_occ = {1'b0, rows} + ONE_OCC;
  assign issue_last = i_busy_q & (i_t_q == occ_q - ONE_OCC);
  assign wgt_re = start | (i_busy_q & (i_t_q < R_OCC));
  assign wgt_raddr = start ? wgt : wgt_addr_q;
  // the preload's last cycle hands the matmul's act-side fields to the stream (R = 1: its start)
  wire pre_last = start ? (ROWS == 1) : (i_busy_q & (i_t_q == R_OCC - ONE_OCC));

  // fields of the matmul between its start and its stream (the previous one may still be streaming)
  reg [ACT_AW-1:0]  p_act_q, p_stride_q, p_outer_q;
  reg [INNER_W-1:0] p_inner_q;
  reg [ACC_AW-1:0]  p_acc_q;
  reg [ROWS_W-1:0]  p_rows_q;
  reg               p_accumulate_q, p_bias_q, p_push_prev_q, p_push_next_q;
  reg [SHIFT_W-1:0] p_shift_q;

  // ---- stream: act rows, one per cycle
  reg               s_busy_q, s_first_q;
  reg [ROWS_W-1:0]  s_left_q;
  reg [ACT_AW-1:0]  act_addr_q, run_base_q, stride_q, outer_q;
  reg [INNER_W-1:0] inner_q, in_run_q;
  reg [ACC_AW-1:0]  s_acc_q;
  reg               s_accumulate_q, s_bias_q, s_push_prev_q, s_push_next_q;
  reg [SHIFT_W-1:0] s_shift_q;
  assign act_re = s_busy_q;
  assign act_raddr = act_addr_q;
  wire run_end = in_run_q == inner_q - ONE;
  wire s_last = s_left_q == ONE_ROW;

  // ---- drain: each act row's tag reaches the acc read R + C - 1 cycles later, the write one after
  // (the valid bits are reset; the tags need not be)
  reg  [LINE-1:0]  v_line_q;
  wire [LINE:0]    v_chain = {v_line_q, act_re};
  wire             d_valid = v_chain[LINE];
  wire [TAG_W-1:0] d_tag;
  nnchip_delay #(.WIDTH(TAG_W), .STAGES(LINE)) u_line (
    .clk(clk), .d({s_shift_q, s_accumulate_q, s_bias_q, s_first_q, s_last, s_push_prev_q, s_push_next_q, s_acc_q}), .q(d_tag));
  assign acc_re = d_valid;
  assign acc_raddr = d_tag[ACC_AW-1:0];
  reg              w_valid_q;
  reg [TAG_W-1:0]  w_tag_q;
  wire w_accumulate = w_tag_q[ACC_AW+5];
  wire w_bias = w_tag_q[ACC_AW+4];
  wire w_first = w_tag_q[ACC_AW+3];
  wire [SHIFT_W-1:0] w_shift = w_tag_q[TAG_W-1 -: SHIFT_W];
  assign acc_we = w_valid_q;
  assign acc_waddr = w_tag_q[ACC_AW-1:0];
  assign done = w_valid_q & w_tag_q[ACC_AW+2];
  assign done_push_prev = w_tag_q[ACC_AW+1];
  assign done_push_next = w_tag_q[ACC_AW];
  reg [FLIGHT_W-1:0] flight_q;
  assign busy = flight_q != {FLIGHT_W{1'b0}};

  wire [COLS*32-1:0] sums;
  nnchip_systolic_array #(.ROWS(ROWS), .COLS(COLS), .PE_MAC16(PE_MAC16)) u_array (
    .clk(clk), .w_go(w_go_q), .w_top(wgt_rdata), .a_left(act_rdata), .a_sw(act_re & s_first_q), .sums(sums));

  // accumulate: acc row + sums·2^shift; bias: row 0's read (held for the later rows) + sums·2^shift; else sums·2^shift;
  // wrapping at 32 bits like numerics.wrap32
  reg  [COLS*32-1:0] bias_q;                  // the bias matmul's acc[acc] as it found it
  wire add_read = w_accumulate | (w_bias & w_first);
  wire add_held = w_bias & ~w_first;
  genvar c;
  generate
    for (c = 0; c < COLS; c = c + 1) begin : g_lane
      wire [31:0] base = add_read ? acc_rdata[c*32 +: 32] : add_held ? bias_q[c*32 +: 32] : 32'd0;
      wire [31:0] sum = SHIFT ? sums[c*32 +: 32] << w_shift : sums[c*32 +: 32];
      assign acc_wdata[c*32 +: 32] = base + sum;
    end
  endgenerate

  always @(posedge clk) begin
    w_go_q <= start;
    w_tag_q <= d_tag;
    if (w_valid_q & w_bias & w_first) bias_q <= acc_rdata;
    if (start) begin
      i_t_q <= ONE_OCC;
      occ_q <= (rows_occ > R_OCC) ? rows_occ : R_OCC;
      wgt_addr_q <= wgt + 1'b1;
      p_act_q <= act;
      p_stride_q <= act_stride;
      p_outer_q <= act_outer;
      p_inner_q <= inner;
      p_acc_q <= acc;
      p_rows_q <= rows;
      p_accumulate_q <= accumulate;
      p_bias_q <= bias;
      p_shift_q <= shift;
      p_push_prev_q <= push_prev;
      p_push_next_q <= push_next;
    end else begin
      i_t_q <= i_t_q + ONE_OCC;
      if (wgt_re) wgt_addr_q <= wgt_addr_q + 1'b1;
    end
    if (pre_last) begin
      s_first_q <= 1'b1;
      s_left_q <= start ? rows : p_rows_q;
      act_addr_q <= start ? act : p_act_q;
      run_base_q <= start ? act : p_act_q;
      stride_q <= start ? act_stride : p_stride_q;
      outer_q <= start ? act_outer : p_outer_q;
      inner_q <= start ? inner : p_inner_q;
      in_run_q <= {INNER_W{1'b0}};
      s_acc_q <= start ? acc : p_acc_q;
      s_accumulate_q <= start ? accumulate : p_accumulate_q;
      s_bias_q <= start ? bias : p_bias_q;
      s_shift_q <= start ? shift : p_shift_q;
      s_push_prev_q <= start ? push_prev : p_push_prev_q;
      s_push_next_q <= start ? push_next : p_push_next_q;
    end else if (act_re) begin
      s_first_q <= 1'b0;
      s_left_q <= s_left_q - 1'b1;
      s_acc_q <= s_acc_q + 1'b1;
      // a(m) = act + (m div inner)*actOuter + (m mod inner)*actStride  (spec.ts matmulActRow)
      if (run_end) begin
        in_run_q <= {INNER_W{1'b0}};
        run_base_q <= run_base_q + outer_q;
        act_addr_q <= run_base_q + outer_q;
      end else begin
        in_run_q <= in_run_q + 1'b1;
        act_addr_q <= act_addr_q + stride_q;
      end
    end
  end

  always @(posedge clk) begin
    if (!rst_n) begin
      i_busy_q <= 1'b0;
      s_busy_q <= 1'b0;
      v_line_q <= {LINE{1'b0}};
      w_valid_q <= 1'b0;
      flight_q <= {FLIGHT_W{1'b0}};
    end else begin
      i_busy_q <= start | (i_busy_q & ~issue_last);
      s_busy_q <= pre_last | (s_busy_q & ~s_last);
      v_line_q <= v_chain[LINE-1:0];
      w_valid_q <= d_valid;
      flight_q <= flight_q + {{(FLIGHT_W-1){1'b0}}, start} - {{(FLIGHT_W-1){1'b0}}, done};
    end
  end
endmodule
`default_nettype wire
