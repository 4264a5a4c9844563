// SPDX-License-Identifier: MIT
// nnchip_matmul: sequences one matmul through the systolic array (docs/hardware.md, t from start):
//   t < R          read wgt entry wgt+R-1-t; the array shifts it in at t+1 (preload, R cycles)
//   t = R + m      read act row m (two-level address: runs of `inner` rows); PE(r,c) works on it at R+1+m+r+c
//   t = 2R+C+m     the de-skewed sums of row m meet acc row m (read at t-1) and are written back
// duration = 2R + C + rows.
`default_nettype none
module nnchip_matmul #(
  parameter ROWS = 4,
  parameter COLS = 4,
  parameter ROWS_W = 16,
  parameter INNER_W = 16,
  parameter WGT_AW = 8,
  parameter ACT_AW = 8,
  parameter ACC_AW = 8
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
  output wire               last
);
  localparam T_W = ROWS_W + 2;   // 2R + C + rows < 2^(ROWS_W+2) for R, C <= 256
  localparam [T_W-1:0] T_ACT0 = ROWS;                  // first act read
  localparam [T_W-1:0] T_ACCR0 = 2 * ROWS + COLS - 1;  // first acc read
  localparam [T_W-1:0] T_ACCW0 = 2 * ROWS + COLS;      // first acc write
  localparam [WGT_AW-1:0] WGT_LAST = ROWS - 1;
  localparam [INNER_W-1:0] ONE = 1;

  reg               busy_q;
  reg [T_W-1:0]     t_q;
  reg [ROWS_W-1:0]  rows_q;
  reg               accumulate_q;
  reg [WGT_AW-1:0]  wgt_addr_q;
  reg [ACT_AW-1:0]  act_addr_q, run_base_q, stride_q, outer_q;
  reg [INNER_W-1:0] inner_q, in_run_q;
  reg [ACC_AW-1:0]  acc_rd_q, acc_wr_q;
  wire [T_W-1:0]    rows_t = {{(T_W-ROWS_W){1'b0}}, rows_q};

  // weight preload: entries wgt+R-1 down to wgt, so row 0 of the tile ends in PE row 0
  wire w_shift = busy_q & (t_q <= T_ACT0);
  assign wgt_re = start | (busy_q & (t_q < T_ACT0));
  assign wgt_raddr = start ? wgt + WGT_LAST : wgt_addr_q;

  assign act_re = busy_q & (t_q >= T_ACT0) & (t_q < T_ACT0 + rows_t);
  assign act_raddr = act_addr_q;
  wire run_end = in_run_q == inner_q - ONE;

  assign acc_re = busy_q & (t_q >= T_ACCR0) & (t_q < T_ACCR0 + rows_t);
  assign acc_raddr = acc_rd_q;
  assign acc_we = busy_q & (t_q >= T_ACCW0) & (t_q < T_ACCW0 + rows_t);
  assign acc_waddr = acc_wr_q;
  assign last = busy_q & (t_q == T_ACCW0 + rows_t - 1'b1);

  wire [COLS*32-1:0] sums;
  nnchip_systolic_array #(.ROWS(ROWS), .COLS(COLS)) u_array (
    .clk(clk), .w_shift(w_shift), .w_top(wgt_rdata), .a_left(act_rdata), .sums(sums));

  // accumulate: acc row + sums, wrapping at 32 bits like numerics.wrap32
  genvar c;
  generate
    for (c = 0; c < COLS; c = c + 1) begin : g_lane
      assign acc_wdata[c*32 +: 32] = (accumulate_q ? acc_rdata[c*32 +: 32] : 32'd0) + sums[c*32 +: 32];
    end
  endgenerate

  always @(posedge clk) begin
    if (start) begin
      t_q <= {{(T_W-1){1'b0}}, 1'b1};
      rows_q <= rows;
      accumulate_q <= accumulate;
      wgt_addr_q <= wgt + WGT_LAST - 1'b1;
      act_addr_q <= act;
      run_base_q <= act;
      stride_q <= act_stride;
      outer_q <= act_outer;
      inner_q <= inner;
      in_run_q <= {INNER_W{1'b0}};
      acc_rd_q <= acc;
      acc_wr_q <= acc;
    end else begin
      t_q <= t_q + 1'b1;
      if (wgt_re) wgt_addr_q <= wgt_addr_q - 1'b1;
      if (act_re) begin
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
      if (acc_re) acc_rd_q <= acc_rd_q + 1'b1;
      if (acc_we) acc_wr_q <= acc_wr_q + 1'b1;
    end
  end

  always @(posedge clk) begin
    if (!rst_n) busy_q <= 1'b0;
    else busy_q <= (busy_q | start) & ~last;
  end
endmodule
`default_nettype wire
