// SPDX-License-Identifier: MIT
// nnchip_dma_load: the load unit. It requests one DRAM beat (DRAM_BW bytes) per cycle from its start
// cycle on; beats return DRAM latency cycles later, are assembled into one buffer entry, and each
// entry is written on its row's last beat. Its last busy cycle is the last row's write:
// duration = latency + rows * ceil(entryBytes / DRAM_BW), as in isa/ops/dma.ts. DRAM_BW is the
// beat (isa/ops/dma.ts dramBeatBytes: the bandwidth, at most the widest entry). rd_strb marks the
// bytes of the requested beat that belong to the row (all but the tail of a row's last beat): the
// bytes the simulator reads (sim/dma.ts); the unit ignores the rest of the beat.
`default_nettype none
module nnchip_dma_load #(
  parameter ROWS = 4,
  parameter COLS = 4,
  parameter DRAM_BW = 8,      // bytes per beat
  parameter DRAM_AW = 16,
  parameter LD_AW = 8,
  parameter BUF_W = 2,
  parameter ROWS_W = 16
) (
  input  wire                  clk,
  input  wire                  rst_n,
  input  wire                  start,
  input  wire [BUF_W-1:0]      buf_sel,
  input  wire [LD_AW-1:0]      sram,
  input  wire [ROWS_W-1:0]     rows,
  input  wire [DRAM_AW-1:0]    dram,
  input  wire [DRAM_AW-1:0]    stride,
  output wire                  rd_req,
  output wire [DRAM_AW-1:0]    rd_addr,
  output wire [DRAM_BW-1:0]    rd_strb,
  input  wire                  rd_valid,
  input  wire [DRAM_BW*8-1:0]  rd_data,
  output wire                  act_we,
  output wire                  wgt_we,
  output wire                  acc_we,
  output wire                  qnt_we,
  output wire [LD_AW-1:0]      waddr,
  output wire [8*((ROWS > 4*COLS) ? ROWS : 4*COLS)-1:0] wdata,   // widest entry: act (R) or acc/qnt (4C bytes)
  output wire                  last
);
  `include "nnchip_isa.vh"
  localparam B_ACT = (ROWS + DRAM_BW - 1) / DRAM_BW;        // beats per act entry (R bytes)
  localparam B_WGT = (COLS + DRAM_BW - 1) / DRAM_BW;        // beats per wgt entry (C bytes)
  localparam B_WIDE = (4 * COLS + DRAM_BW - 1) / DRAM_BW;   // beats per acc / qnt entry (4C bytes)
  localparam B_MAX = (B_ACT > B_WIDE) ? B_ACT : B_WIDE;
  localparam ENTRY_W = 8 * ((ROWS > 4 * COLS) ? ROWS : 4 * COLS);
  localparam ASM_W = B_MAX * DRAM_BW * 8;
  localparam [B_MAX-1:0] BEAT0 = {{(B_MAX-1){1'b0}}, 1'b1};
  localparam [DRAM_AW-1:0] BEAT_BYTES = DRAM_BW;
  localparam [ROWS_W-1:0] ONE_ROW = 1;
  // the bytes of a row's last beat that are part of the row: entry bytes - (beats - 1) * DRAM_BW
  localparam [DRAM_BW-1:0] ALL_BYTES = {DRAM_BW{1'b1}};
  localparam [DRAM_BW-1:0] TAIL_ACT = ALL_BYTES >> (B_ACT * DRAM_BW - ROWS);
  localparam [DRAM_BW-1:0] TAIL_WGT = ALL_BYTES >> (B_WGT * DRAM_BW - COLS);
  localparam [DRAM_BW-1:0] TAIL_WIDE = ALL_BYTES >> (B_WIDE * DRAM_BW - 4 * COLS);

  // Values of the running instruction: taken from the queue head in the start cycle, then held.
  reg [BUF_W-1:0]   buf_q;
  reg [DRAM_AW-1:0] stride_q;
  wire [BUF_W-1:0]   buf_c = start ? buf_sel : buf_q;
  wire [DRAM_AW-1:0] stride_c = start ? stride : stride_q;

  // ---- request side: beat b of row i at dram + i*stride + b*DRAM_BW, one per cycle
  reg               rq_busy_q;
  reg [B_MAX-1:0]   rq_beat_q;        // one-hot beat within the row
  reg [ROWS_W-1:0]  rq_left_q;        // rows left, including the current one
  reg [DRAM_AW-1:0] rq_row_q, rq_addr_q;
  wire              rq_on = start | rq_busy_q;
  wire [B_MAX-1:0]  rq_beat = start ? BEAT0 : rq_beat_q;
  wire [ROWS_W-1:0] rq_left = start ? rows : rq_left_q;
  wire [DRAM_AW-1:0] rq_row = start ? dram : rq_row_q;
  wire [DRAM_AW-1:0] rq_addr = start ? dram : rq_addr_q;
  wire rq_row_end = (buf_c == BUF_ACT) ? rq_beat[B_ACT-1] : (buf_c == BUF_WGT) ? rq_beat[B_WGT-1] : rq_beat[B_WIDE-1];
  wire rq_final = rq_row_end & (rq_left == ONE_ROW);
  assign rd_req = rq_on;
  assign rd_addr = rq_addr;
  assign rd_strb = !rq_row_end ? ALL_BYTES : (buf_c == BUF_ACT) ? TAIL_ACT : (buf_c == BUF_WGT) ? TAIL_WGT : TAIL_WIDE;

  // ---- response side: beats arrive in request order, without gaps
  reg [B_MAX-1:0]  rs_beat_q;
  reg [ROWS_W-1:0] rs_left_q;
  reg [LD_AW-1:0]  rs_addr_q;
  reg [ASM_W-1:0]  asm_q;
  wire [B_MAX-1:0]  rs_beat = start ? BEAT0 : rs_beat_q;
  wire [ROWS_W-1:0] rs_left = start ? rows : rs_left_q;
  wire [LD_AW-1:0]  rs_addr = start ? sram : rs_addr_q;
  wire rs_row_end = (buf_c == BUF_ACT) ? rs_beat[B_ACT-1] : (buf_c == BUF_WGT) ? rs_beat[B_WGT-1] : rs_beat[B_WIDE-1];
  wire [ASM_W-1:0] merged;
  genvar k;
  generate
    for (k = 0; k < B_MAX; k = k + 1) begin : g_beat
      assign merged[k*DRAM_BW*8 +: DRAM_BW*8] = rs_beat[k] ? rd_data : asm_q[k*DRAM_BW*8 +: DRAM_BW*8];
    end
  endgenerate

  wire row_done = rd_valid & rs_row_end;
  assign act_we = row_done & (buf_c == BUF_ACT);
  assign wgt_we = row_done & (buf_c == BUF_WGT);
  assign acc_we = row_done & (buf_c == BUF_ACC);
  assign qnt_we = row_done & (buf_c == BUF_QNT);
  assign waddr = rs_addr;
  assign wdata = merged[ENTRY_W-1:0];
  assign last = row_done & (rs_left == ONE_ROW);
  wire unused_asm = ^merged;

  always @(posedge clk) begin
    if (start) begin
      buf_q <= buf_sel;
      stride_q <= stride;
    end
    if (rq_on) begin
      if (rq_row_end) begin
        rq_beat_q <= BEAT0;
        rq_left_q <= rq_left - 1'b1;
        rq_row_q <= rq_row + stride_c;
        rq_addr_q <= rq_row + stride_c;
      end else begin
        rq_beat_q <= rq_beat << 1;
        rq_left_q <= rq_left;
        rq_row_q <= rq_row;
        rq_addr_q <= rq_addr + BEAT_BYTES;
      end
    end
    if (rd_valid) begin
      asm_q <= merged;
      rs_beat_q <= rs_row_end ? BEAT0 : rs_beat << 1;
      rs_left_q <= rs_row_end ? rs_left - 1'b1 : rs_left;
      rs_addr_q <= rs_row_end ? rs_addr + 1'b1 : rs_addr;
    end else if (start) begin
      rs_beat_q <= BEAT0;
      rs_left_q <= rows;
      rs_addr_q <= sram;
    end
  end

  always @(posedge clk) begin
    if (!rst_n) rq_busy_q <= 1'b0;
    else rq_busy_q <= rq_on & ~rq_final;
  end
endmodule
`default_nettype wire
