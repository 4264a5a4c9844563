// SPDX-License-Identifier: MIT
// nnchip_threshold: the threshold unit, COLS lanes of requantize + zero point + clamp, mirroring
// isa/numerics.ts threshold(): clamp(floor((x*mult + 2^(shift-1)) / 2^shift) + zp, lo, hi).
// Pipeline (t from start): acc row t read at t; x*mult (48-bit product) at t+1; round, shift,
// add zp, clamp and write out row t at t+2. duration = rows + 2.
`default_nettype none
module nnchip_threshold #(
  parameter COLS = 4,
  parameter ROWS_W = 16,
  parameter ACC_AW = 8,
  parameter OUT_AW = 8,
  parameter QNT_AW = 8
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
  output wire               acc_re,
  output wire [ACC_AW-1:0]  acc_raddr,
  input  wire [COLS*32-1:0] acc_rdata,
  output wire               qnt_re,
  output wire [QNT_AW-1:0]  qnt_raddr,
  input  wire [COLS*24-1:0] qnt_rdata,   // lane c: {shift u8, mult u16}
  output wire               out_we,
  output wire [OUT_AW-1:0]  out_waddr,
  output wire [COLS*8-1:0]  out_wdata,
  output wire               last
);
  localparam [ROWS_W-1:0] ONE_ROW = 1;

  // ---- stage 0: read acc rows; the qnt entry is read once, in the start cycle, and held
  reg               rd_busy_q;
  reg [ROWS_W-1:0]  rd_left_q;
  reg [ACC_AW-1:0]  rd_addr_q;
  reg [OUT_AW-1:0]  out_addr_q;
  reg [7:0]         zp_q, lo_q, hi_q;
  reg signed [9:0]  lo_m_zp_q, hi_m_zp_q;   // lo - zp and hi - zp, in [-255, 255]
  wire              rd_on = start | rd_busy_q;
  wire [ROWS_W-1:0] rd_left = start ? rows : rd_left_q;
  wire [OUT_AW-1:0] out_addr = start ? out : out_addr_q;
  wire              rd_final = rd_left == ONE_ROW;
  assign acc_re = rd_on;
  assign acc_raddr = start ? acc : rd_addr_q;
  assign qnt_re = start;
  assign qnt_raddr = qnt;

  // ---- stage 1 (product) and stage 2 (round, shift, clamp, write)
  reg              v1_q, v2_q, last1_q, last2_q;
  reg [OUT_AW-1:0] a1_q, a2_q;

  genvar c;
  generate
    for (c = 0; c < COLS; c = c + 1) begin : g_lane
      wire signed [31:0] x = acc_rdata[c*32 +: 32];
      wire        [15:0] mult = qnt_rdata[c*24 +: 16];
      wire        [7:0]  shift = qnt_rdata[c*24+16 +: 8];
      // |x * mult| < 2^47 (spec: mult is u16), so 48 bits hold the product exactly
      wire signed [47:0] x48 = {{16{x[31]}}, x};
      wire signed [47:0] m48 = {32'd0, mult};
      wire signed [47:0] prod = x48 * m48;
      reg  signed [47:0] prod_q;   // stage-1 register
      always @(posedge clk) prod_q <= prod;

      // floor((p + 2^(s-1)) / 2^s) = (floor(2p / 2^s) + 1) >> 1 for every s >= 0 (s = 0 gives p):
      // one shifter, no wide rounding constant. s >= 48 gives 0 for every |p| < 2^47. The shift is the
      // same for every row, so its decode is registered (qnt arrives at t = 1, row 0 needs it at t = 2).
      reg         [5:0]  shift_q;
      reg                to_zero_q;
      always @(posedge clk) begin
        shift_q <= shift[5:0];
        to_zero_q <= shift > 8'd47;
      end
      wire signed [48:0] twice = {prod_q, 1'b0};
      wire signed [48:0] fh = twice >>> shift_q;          // floor(2p / 2^s)
      // Saturating to 10 bits changes no result: beyond [-512, 511], + zp (int8) clamps the same way.
      // rounded = (fh + 1) >> 1 > 511  <=>  fh >= 1023;   rounded < -512  <=>  fh < -1025.
      wire               pos_over = ~fh[48] & ((fh[47:10] != 38'd0) | (fh[9:0] == 10'h3ff));
      wire               neg_over = fh[48] & ~((&fh[47:11]) & (fh[10:0] >= 11'd1023));
      wire        [10:0] low = fh[10:0] + 11'd1;            // in range, rounded = low[10:1]
      wire signed [9:0]  sat = to_zero_q ? 10'sd0 : pos_over ? 10'sd511 : neg_over ? -10'sd512 : low[10:1];
      // clamp(sat + zp, lo, hi) with the compares against lo - zp and hi - zp (per instruction)
      wire        [7:0]  with_zp = sat[7:0] + zp_q;
      assign out_wdata[c*8 +: 8] = (sat < lo_m_zp_q) ? lo_q : (sat > hi_m_zp_q) ? hi_q : with_zp;
      wire unused_lane = ^{shift[7:6], low[0]};
    end
  endgenerate

  assign out_we = v2_q;
  assign out_waddr = a2_q;
  assign last = v2_q & last2_q;

  always @(posedge clk) begin
    if (start) begin
      zp_q <= zp;
      lo_q <= lo;
      hi_q <= hi;
      lo_m_zp_q <= {{2{lo[7]}}, lo} - {{2{zp[7]}}, zp};
      hi_m_zp_q <= {{2{hi[7]}}, hi} - {{2{zp[7]}}, zp};
    end
    if (rd_on) begin
      rd_left_q <= rd_left - 1'b1;
      rd_addr_q <= acc_raddr + 1'b1;
      out_addr_q <= out_addr + 1'b1;
    end
    a1_q <= out_addr;
    a2_q <= a1_q;
    last1_q <= rd_final;
    last2_q <= last1_q;
  end

  always @(posedge clk) begin
    if (!rst_n) begin
      rd_busy_q <= 1'b0;
      v1_q <= 1'b0;
      v2_q <= 1'b0;
    end else begin
      rd_busy_q <= rd_on & ~rd_final;
      v1_q <= rd_on;
      v2_q <= v1_q;
    end
  end
endmodule
`default_nettype wire
