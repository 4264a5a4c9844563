// SPDX-License-Identifier: MIT
// nnchip_dma_store: the store unit. Out row i is read at t = i*B (B = ceil(C / DRAM_BW)) and sent as
// B beats at t = i*B + 1 .. i*B + B; the unit then waits DRAM_LATENCY cycles for the last beat to
// land: duration = latency + rows * B, as in isa/ops/dma.ts. The last beat is sent one cycle after
// the last read, so with DRAM_LATENCY = 0 it leaves in the first cycle after the instruction.
`default_nettype none
module nnchip_dma_store #(
  parameter COLS = 4,
  parameter DRAM_BW = 8,
  parameter DRAM_AW = 16,
  parameter DRAM_LATENCY = 20,
  parameter OUT_AW = 8,
  parameter ROWS_W = 16
) (
  input  wire                 clk,
  input  wire                 rst_n,
  input  wire                 start,
  input  wire [OUT_AW-1:0]    sram,
  input  wire [ROWS_W-1:0]    rows,
  input  wire [DRAM_AW-1:0]   dram,
  input  wire [DRAM_AW-1:0]   stride,
  output wire                 out_re,
  output wire [OUT_AW-1:0]    out_raddr,
  input  wire [COLS*8-1:0]    out_rdata,
  output wire                 wr_valid,
  output wire [DRAM_AW-1:0]   wr_addr,
  output wire [DRAM_BW*8-1:0] wr_data,
  output wire [DRAM_BW-1:0]   wr_strb,
  output wire                 last
);
  localparam B = (COLS + DRAM_BW - 1) / DRAM_BW;   // beats per out row
  localparam PAD_W = B * DRAM_BW * 8;
  localparam [B-1:0] BEAT0 = {{(B-1){1'b0}}, 1'b1};
  localparam [DRAM_AW-1:0] BEAT_BYTES = DRAM_BW;
  localparam [ROWS_W-1:0] ONE_ROW = 1;

  reg [DRAM_AW-1:0] stride_q;
  wire [DRAM_AW-1:0] stride_c = start ? stride : stride_q;

  // ---- read stage: beat b of row i in cycle t = i*B + b; the row is read from `out` on beat 0
  reg               rd_busy_q;
  reg [B-1:0]       rd_beat_q;
  reg [ROWS_W-1:0]  rd_left_q;
  reg [DRAM_AW-1:0] rd_row_q, rd_addr_q;
  reg [OUT_AW-1:0]  rd_entry_q;
  wire              rd_on = start | rd_busy_q;
  wire [B-1:0]      rd_beat = start ? BEAT0 : rd_beat_q;
  wire [ROWS_W-1:0] rd_left = start ? rows : rd_left_q;
  wire [DRAM_AW-1:0] rd_row = start ? dram : rd_row_q;
  wire [DRAM_AW-1:0] rd_addr = start ? dram : rd_addr_q;
  wire [OUT_AW-1:0] rd_entry = start ? sram : rd_entry_q;
  wire rd_row_end = rd_beat[B-1];
  wire rd_final = rd_row_end & (rd_left == ONE_ROW);
  assign out_re = rd_on & rd_beat[0];
  assign out_raddr = rd_entry;

  // ---- send stage, one cycle later: the beat's bytes come straight from the SRAM read register
  reg               snd_valid_q;
  reg [B-1:0]       snd_beat_q;
  reg [DRAM_AW-1:0] snd_addr_q;
  wire [PAD_W-1:0]  padded;
  // byte j of beat k is part of the row when k*DRAM_BW + j < COLS (a constant: no loop to unroll)
  localparam [B*DRAM_BW-1:0] STRB_ALL = {(B*DRAM_BW){1'b1}} >> (B*DRAM_BW - COLS);
  wire [B*DRAM_BW-1:0] strb_all = STRB_ALL;
  generate
    if (PAD_W > COLS * 8) begin : g_pad
      assign padded = {{(PAD_W - COLS*8){1'b0}}, out_rdata};
    end else begin : g_nopad
      assign padded = out_rdata;
    end
  endgenerate
  reg [DRAM_BW*8-1:0] data_c;
  reg [DRAM_BW-1:0]   strb_c;
  integer b;
  always @* begin
    data_c = {DRAM_BW*8{1'b0}};
    strb_c = {DRAM_BW{1'b0}};
    for (b = 0; b < B; b = b + 1) begin
      if (snd_beat_q[b]) begin
        data_c = data_c | padded[b*DRAM_BW*8 +: DRAM_BW*8];
        strb_c = strb_c | strb_all[b*DRAM_BW +: DRAM_BW];
      end
    end
  end
  assign wr_valid = snd_valid_q;
  assign wr_addr = snd_addr_q;
  assign wr_data = data_c;
  assign wr_strb = strb_c;

  always @(posedge clk) begin
    if (start) stride_q <= stride;
    if (rd_on) begin
      if (rd_row_end) begin
        rd_beat_q <= BEAT0;
        rd_left_q <= rd_left - 1'b1;
        rd_row_q <= rd_row + stride_c;
        rd_addr_q <= rd_row + stride_c;
        rd_entry_q <= rd_entry + 1'b1;
      end else begin
        rd_beat_q <= rd_beat << 1;
        rd_left_q <= rd_left;
        rd_row_q <= rd_row;
        rd_addr_q <= rd_addr + BEAT_BYTES;
        rd_entry_q <= rd_entry;
      end
    end
    snd_beat_q <= rd_beat;
    snd_addr_q <= rd_addr;
  end

  always @(posedge clk) begin
    if (!rst_n) begin
      rd_busy_q <= 1'b0;
      snd_valid_q <= 1'b0;
    end else begin
      rd_busy_q <= rd_on & ~rd_final;
      snd_valid_q <= rd_on;
    end
  end

  // ---- completion: DRAM_LATENCY cycles after the read stage's final cycle
  generate
    if (DRAM_LATENCY == 0) begin : g_nowait
      assign last = rd_on & rd_final;
    end else begin : g_wait
      localparam WAIT_W = $clog2(DRAM_LATENCY + 1);
      localparam [WAIT_W-1:0] WAIT_LAST = DRAM_LATENCY;
      localparam [WAIT_W-1:0] WAIT_FIRST = 1;
      reg              waiting_q;
      reg [WAIT_W-1:0] wait_q;
      assign last = waiting_q & (wait_q == WAIT_LAST);
      always @(posedge clk) begin
        if (!rst_n) begin
          waiting_q <= 1'b0;
        end else if (rd_on & rd_final) begin
          waiting_q <= 1'b1;
          wait_q <= WAIT_FIRST;
        end else if (last) begin
          waiting_q <= 1'b0;
        end else begin
          wait_q <= wait_q + 1'b1;
        end
      end
    end
  endgenerate
endmodule
`default_nettype wire
