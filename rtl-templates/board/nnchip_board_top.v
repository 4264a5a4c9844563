// SPDX-License-Identifier: MIT
// nnchip_board_top: the design for a board. PLL → design clock; power-on reset; a boot check of the
// SPI flash image (header and payload sum); the UART host link (frames of src/board/protocol.ts:
// SYNC · type · length · payload · checksum); nnchip_board_mem runs the core. Parameter defaults are
// filled in by src/board/emit.ts; the protocol constants come from protocol.ts.
`default_nettype none
module nnchip_board_top #(
  parameter CLKS_PER_BIT = {{CLKS_PER_BIT}},
  parameter WAKE_CLKS = {{WAKE_CLKS}},
  parameter USE_PLL = {{USE_PLL}},
  parameter [3:0] PLL_DIVR = {{PLL_DIVR}},
  parameter [6:0] PLL_DIVF = {{PLL_DIVF}},
  parameter [2:0] PLL_DIVQ = {{PLL_DIVQ}},
  parameter [2:0] PLL_FILTER = {{PLL_FILTER}},
  parameter LED_ACTIVE_LOW = {{LED_ACTIVE_LOW}},
  parameter DRAM_BW = {{DRAM_BW}},
  parameter DRAM_LATENCY = {{DRAM_LATENCY}},
  parameter DRAM_AW = {{DRAM_AW}},
  parameter RAM_BASE = {{RAM_BASE}},          // constants: DRAM [0, RAM_BASE), read from flash
  parameter DRAM_SIZE = {{DRAM_SIZE}},        // RAM region: DRAM [RAM_BASE, DRAM_SIZE)
  parameter RAM_AW = {{RAM_AW}},
  parameter FLASH_IMAGE = {{FLASH_IMAGE}},    // byte address of the image header in flash
  parameter IMAGE_HEADER_BYTES = {{IMAGE_HEADER_BYTES}},
  parameter [IMAGE_HEADER_BYTES*8-1:0] IMAGE_HEADER = {{IMAGE_HEADER}},   // byte 0 in bits 7:0
  parameter [31:0] IMAGE_SUM = {{IMAGE_SUM}},  // sum of the payload bytes mod 2^32
  parameter CHECK_PAYLOAD = {{CHECK_PAYLOAD}},
  parameter [31:0] DESIGN_ID = {{DESIGN_ID}},
  parameter CYCLE_LIMIT = {{CYCLE_LIMIT}}
) (
  input  wire clk_pin,
  input  wire uart_rx,
  output wire uart_tx,
  output wire spi_cs_n,
  output wire spi_sck,
  output wire spi_mosi,
  input  wire spi_miso,
  output wire led_ready,     // flash image checked and good
  output wire led_busy       // a run is in progress
);
  wire clk, locked;
  nnchip_board_pll #(.USE_PLL(USE_PLL), .DIVR(PLL_DIVR), .DIVF(PLL_DIVF), .DIVQ(PLL_DIVQ), .FILTER_RANGE(PLL_FILTER))
    u_pll (.clk_in(clk_pin), .clk_out(clk), .locked(locked));

  reg [3:0] por_q = 4'd0;                       // power-on reset: 15 cycles after PLL lock
  wire rst_n = &por_q;
  always @(posedge clk) if (!locked) por_q <= 4'd0; else if (!rst_n) por_q <= por_q + 1'b1;

  // ---- SPI flash, shared by the boot check and the core's constant reads
  wire f_ready, f_ack, m_req, run_busy;
  wire [7:0] f_data;
  wire [23:0] m_addr;
  reg b_req;
  reg [23:0] b_addr;
  nnchip_spi_flash #(.WAKE_CLKS(WAKE_CLKS)) u_flash (
    .clk(clk), .rst_n(rst_n), .ready(f_ready), .req(run_busy ? m_req : b_req), .addr(run_busy ? m_addr : b_addr),
    .ack(f_ack), .data(f_data), .spi_cs_n(spi_cs_n), .spi_sck(spi_sck), .spi_mosi(spi_mosi), .spi_miso(spi_miso));

  // ---- boot: compare the image header, sum the payload (when CHECK_PAYLOAD)
  localparam PAYLOAD = RAM_BASE;
  reg booted_q, image_ok_q, header_ok_q, asked_q;
  reg [31:0] b_count_q, sum_q;
  wire [31:0] b_base = FLASH_IMAGE + b_count_q;
  wire unused_boot = ^b_base[31:24];
  always @(posedge clk) begin
    b_req <= 1'b0;
    if (!rst_n) begin
      booted_q <= 1'b0;
      image_ok_q <= 1'b0;
      header_ok_q <= 1'b1;
      asked_q <= 1'b0;
      b_count_q <= 0;
      sum_q <= 0;
    end else if (!booted_q) begin
      if (b_count_q == IMAGE_HEADER_BYTES + (CHECK_PAYLOAD ? PAYLOAD : 0)) begin
        booted_q <= 1'b1;
        image_ok_q <= header_ok_q && (CHECK_PAYLOAD == 0 || sum_q == IMAGE_SUM);
      end else if (!asked_q && f_ready) begin
        b_req <= 1'b1;
        b_addr <= b_base[23:0];
        asked_q <= 1'b1;
      end else if (f_ack) begin
        asked_q <= 1'b0;
        b_count_q <= b_count_q + 1;
        if (b_count_q < IMAGE_HEADER_BYTES) begin
          if (f_data != IMAGE_HEADER[b_count_q*8 +: 8]) header_ok_q <= 1'b0;
        end else sum_q <= sum_q + {24'd0, f_data};
      end
    end
  end

  // ---- the core and its memories
  wire run_start, run_finished;
  wire [1:0] run_status;
  wire [31:0] core_cycles, run_clks;
  wire h_we;
  wire [RAM_AW-1:0] h_waddr, h_raddr;
  wire [7:0] h_wdata;
  wire [7:0] ram_q;
  nnchip_board_mem #(
    .DRAM_BW(DRAM_BW), .DRAM_LATENCY(DRAM_LATENCY), .DRAM_AW(DRAM_AW), .RAM_BASE(RAM_BASE), .DRAM_SIZE(DRAM_SIZE),
    .RAM_AW(RAM_AW), .FLASH_DATA(FLASH_IMAGE + IMAGE_HEADER_BYTES), .CYCLE_LIMIT(CYCLE_LIMIT)
  ) u_mem (
    .clk(clk), .rst_n(rst_n), .start(run_start), .busy(run_busy), .finished(run_finished), .status(run_status),
    .core_cycles(core_cycles), .run_clks(run_clks),
    .h_we(h_we), .h_waddr(h_waddr), .h_wdata(h_wdata), .h_raddr(h_raddr), .ram_q(ram_q),
    .f_ready(f_ready), .f_req(m_req), .f_addr(m_addr), .f_ack(f_ack), .f_data(f_data));

  // ---- UART
  wire rx_valid, tx_busy, tx_start;
  wire [7:0] rx_data, tx_data;
  nnchip_uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_rx (.clk(clk), .rst_n(rst_n), .rx(uart_rx), .valid(rx_valid), .data(rx_data));
  nnchip_uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_tx (.clk(clk), .rst_n(rst_n), .start(tx_start), .data(tx_data), .busy(tx_busy), .tx(uart_tx));

  nnchip_board_link #(
    .RAM_BASE(RAM_BASE), .DRAM_SIZE(DRAM_SIZE), .RAM_AW(RAM_AW), .DESIGN_ID(DESIGN_ID)
  ) u_link (
    .clk(clk), .rst_n(rst_n), .booted(booted_q), .image_ok(image_ok_q),
    .rx_valid(rx_valid), .rx_data(rx_data), .tx_busy(tx_busy), .tx_start(tx_start), .tx_data(tx_data),
    .h_we(h_we), .h_waddr(h_waddr), .h_wdata(h_wdata), .h_raddr(h_raddr), .ram_q(ram_q),
    .run_start(run_start), .run_finished(run_finished), .run_status(run_status),
    .core_cycles(core_cycles), .run_clks(run_clks));

  assign led_ready = (image_ok_q != 0) ^ (LED_ACTIVE_LOW != 0);
  assign led_busy = run_busy ^ (LED_ACTIVE_LOW != 0);
endmodule
`default_nettype wire
