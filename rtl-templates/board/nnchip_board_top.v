// SPDX-License-Identifier: MIT
// nnchip_board_top: the design for a board. PLL → design clock; power-on reset; the boot: read the
// SPI-flash image's header (magic, machine id, sizes, sums: src/board/image.ts) and sum its payload;
// the UART host link (frames of src/board/protocol.ts); nnchip_board_mem runs the core, its
// instruction RAM a window it fills from the image's program. The bitstream holds the machine only: the
// program, the constants and the RAM layout come from the image. Parameter defaults are filled in by
// src/board/emit.ts; the protocol and image constants come from protocol.ts and image.ts.
`default_nettype none
module nnchip_board_top #(
  parameter CLKS_PER_BIT = {{CLKS_PER_BIT}},
  parameter WAKE_CLKS = {{WAKE_CLKS}},
  parameter USE_PLL = {{USE_PLL}},
  parameter PLL_PAD = {{PLL_PAD}},            // 1: the oscillator's pin is the PLL's own input pad (SB_PLL40_PAD)
  parameter [3:0] PLL_DIVR = {{PLL_DIVR}},
  parameter [6:0] PLL_DIVF = {{PLL_DIVF}},
  parameter [2:0] PLL_DIVQ = {{PLL_DIVQ}},
  parameter [2:0] PLL_FILTER = {{PLL_FILTER}},
  parameter LED_ACTIVE_LOW = {{LED_ACTIVE_LOW}},
  parameter DRAM_BW = {{DRAM_BW}},
  parameter DRAM_LATENCY = {{DRAM_LATENCY}},
  parameter DRAM_AW = {{DRAM_AW}},
  parameter RAM_BYTES = {{RAM_BYTES}},        // block RAM for the RAM region (input, output, activations)
  parameter RAM_AW = {{RAM_AW}},
  parameter PROG_AW = {{PROG_AW}},            // the core's instruction RAM: 2^PROG_AW words, a window over the program
  parameter FLASH_IMAGE = {{FLASH_IMAGE}},    // byte address of the image header in flash
  parameter [7:0] FLASH_READ_CMD = {{FLASH_READ_CMD}},   // the flash read (src/board/flash.ts): command,
  parameter FLASH_DUMMY_CLKS = {{FLASH_DUMMY_CLKS}},     // dummy clocks,
  parameter FLASH_BITS_PER_CLK = {{FLASH_BITS_PER_CLK}}, // data bits per clock (2: MOSI is IO0 of a dual read)
  parameter [31:0] MACHINE_ID = {{MACHINE_ID}}  // the image must carry this id (image.ts machineIdOf)
) (
  input  wire clk_pin,
  input  wire uart_rx,
  output wire uart_tx,
  output wire spi_cs_n,
  output wire spi_sck,
  inout  wire spi_mosi,      // IO0: the reader's output, the flash's in a dual read's data phase
  input  wire spi_miso,
  output wire led_ready,     // flash image checked and good
  output wire led_busy       // a run is in progress
);
  `include "nnchip_protocol.vh"
  wire clk, locked;
  nnchip_board_pll #(.USE_PLL(USE_PLL), .PLL_PAD(PLL_PAD), .DIVR(PLL_DIVR), .DIVF(PLL_DIVF), .DIVQ(PLL_DIVQ), .FILTER_RANGE(PLL_FILTER))
    u_pll (.clk_in(clk_pin), .clk_out(clk), .locked(locked));

  reg [3:0] por_q = 4'd0;                       // power-on reset: 15 cycles after PLL lock
  wire rst_n = &por_q;
  always @(posedge clk) if (!locked) por_q <= 4'd0; else if (!rst_n) por_q <= por_q + 1'b1;

  // ---- SPI flash: the boot's until it has read the image, then the core's constant reads
  wire f_ready, f_ack, m_req, run_busy;
  wire [7:0] f_data;
  wire [23:0] m_addr;
  reg b_req;
  wire [23:0] b_at;                             // the boot's flash address, held from its request to the answer
  reg [2:0] status_q;                           // IMAGE_STATUS code
  wire booted = (status_q != IMG_STATUS_BOOTING);
  wire f_mosi, f_mosi_oe;
  assign spi_mosi = f_mosi_oe ? f_mosi : 1'bz;
  nnchip_spi_flash #(.WAKE_CLKS(WAKE_CLKS), .READ_CMD(FLASH_READ_CMD), .DUMMY_CLKS(FLASH_DUMMY_CLKS), .BITS_PER_CLK(FLASH_BITS_PER_CLK)) u_flash (
    .clk(clk), .rst_n(rst_n), .ready(f_ready), .req(booted ? m_req : b_req), .addr(booted ? m_addr : b_at),
    .ack(f_ack), .data(f_data), .spi_cs_n(spi_cs_n), .spi_sck(spi_sck), .spi_mosi(f_mosi), .spi_mosi_oe(f_mosi_oe),
    .spi_io0(spi_mosi), .spi_miso(spi_miso));

  // ---- boot: the header (checked byte by byte, fields kept), the program and the constants (summed
  // only: the memory adapter loads the program into the instruction RAM, the core reads the constants)
  reg asked_q, payload_q, magic_ok_q, machine_ok_q, header_ok_q;
  reg [23:0] b_count_q;                         // the flash addresses 16 MiB
  reg [31:0] sum_q;
  reg [31:0] program_id_q, insns_q, ram_base_q, dram_size_q, cycle_limit_q, payload_sum_q;
  // A good image's sizes fit this machine (its id covers DRAM_AW) and the 16 MiB flash (a program of
  // at most 2^20 instructions), so the logic that uses them is only as wide as they can be; yosys
  // drops the header bits above.
  localparam [31:0] DRAM_MASK = (DRAM_AW >= 31) ? 32'hffffffff : ((32'd1 << (DRAM_AW + 1)) - 32'd1);
  wire [31:0] ram_base = ram_base_q & DRAM_MASK;
  wire [31:0] dram_size = dram_size_q & DRAM_MASK;
  localparam [31:0] IMAGE_AT = FLASH_IMAGE;
  localparam [31:0] HEADER_BYTES = IMAGE_HEADER_BYTES;
  assign b_at = IMAGE_AT[23:0] + b_count_q;
  wire [23:0] prog_end = HEADER_BYTES[23:0] + {insns_q[19:0], 4'd0};
  wire [23:0] image_end = prog_end + ram_base[23:0];
  wire [3:0] field = b_count_q[5:2];
  wire [4:0] lane8 = {b_count_q[1:0], 3'd0};
  wire unused_boot = ^{insns_q[31:20], ram_base[31:24], IMAGE_AT[31:24], HEADER_BYTES[31:24]};
  always @(posedge clk) begin
    b_req <= 1'b0;
    if (!rst_n) begin
      status_q <= IMG_STATUS_BOOTING;
      asked_q <= 1'b0;
      payload_q <= 1'b0;
      magic_ok_q <= 1'b1;
      machine_ok_q <= 1'b1;
      header_ok_q <= 1'b1;
      b_count_q <= 24'd0;
      sum_q <= 0;
    end else if (!booted) begin
      if (f_ack) begin
        asked_q <= 1'b0;
        b_count_q <= b_count_q + 24'd1;
        if (!payload_q) begin
          case (field)
            IMG_FIELD_MAGIC: if (f_data != IMAGE_MAGIC[lane8 +: 8]) magic_ok_q <= 1'b0;
            IMG_FIELD_MACHINE_ID: if (f_data != MACHINE_ID[lane8 +: 8]) machine_ok_q <= 1'b0;
            IMG_FIELD_PROGRAM_ID: program_id_q[lane8 +: 8] <= f_data;
            IMG_FIELD_INSTRUCTIONS: insns_q[lane8 +: 8] <= f_data;
            IMG_FIELD_CONSTANTS: ram_base_q[lane8 +: 8] <= f_data;
            IMG_FIELD_DRAM_SIZE: dram_size_q[lane8 +: 8] <= f_data;
            IMG_FIELD_CYCLE_LIMIT: cycle_limit_q[lane8 +: 8] <= f_data;
            IMG_FIELD_PAYLOAD_SUM: payload_sum_q[lane8 +: 8] <= f_data;
            default: if (f_data != sum_q[lane8 +: 8]) header_ok_q <= 1'b0;   // the header sum
          endcase
          if (field != IMG_FIELD_HEADER_SUM) sum_q <= sum_q + {24'd0, f_data};
        end else sum_q <= sum_q + {24'd0, f_data};
      end else if (!asked_q) begin
        if (!payload_q && b_count_q == HEADER_BYTES[23:0]) begin
          // what is wrong first: no image at all, then a damaged one, then another machine's
          if (!magic_ok_q) status_q <= IMG_STATUS_NO_IMAGE;
          else if (!header_ok_q) status_q <= IMG_STATUS_CORRUPT;
          else if (!machine_ok_q) status_q <= IMG_STATUS_OTHER_MACHINE;
          payload_q <= 1'b1;
          sum_q <= 0;
        end else if (payload_q && b_count_q == image_end) begin
          status_q <= (sum_q == payload_sum_q) ? IMG_STATUS_OK : IMG_STATUS_CORRUPT;
        end else if (f_ready) begin
          b_req <= 1'b1;
          asked_q <= 1'b1;
        end
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
  wire [23:0] flash_prog = IMAGE_AT[23:0] + HEADER_BYTES[23:0];
  // the constants follow the program; a register (the header is read long before a run) keeps the
  // two adders off the memory adapter's paths
  reg [23:0] flash_data;
  always @(posedge clk) flash_data <= IMAGE_AT[23:0] + prog_end;
  wire image_ok = (status_q == IMG_STATUS_OK);
  nnchip_board_mem #(
    .DRAM_BW(DRAM_BW), .DRAM_LATENCY(DRAM_LATENCY), .DRAM_AW(DRAM_AW), .RAM_BYTES(RAM_BYTES), .RAM_AW(RAM_AW), .PROG_AW(PROG_AW)
  ) u_mem (
    .clk(clk), .rst_n(rst_n), .enable(image_ok), .start(run_start), .busy(run_busy), .finished(run_finished), .status(run_status),
    .core_cycles(core_cycles), .run_clks(run_clks),
    .ram_base(ram_base), .dram_size(dram_size), .flash_prog(flash_prog), .flash_data(flash_data), .cycle_limit(cycle_limit_q),
    .h_we(h_we), .h_waddr(h_waddr), .h_wdata(h_wdata), .h_raddr(h_raddr), .ram_q(ram_q),
    .f_ready(f_ready), .f_req(m_req), .f_addr(m_addr), .f_ack(f_ack), .f_data(f_data));

  // ---- UART
  wire rx_valid, tx_busy, tx_start;
  wire [7:0] rx_data, tx_data;
  nnchip_uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_rx (.clk(clk), .rst_n(rst_n), .rx(uart_rx), .valid(rx_valid), .data(rx_data));
  nnchip_uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) u_tx (.clk(clk), .rst_n(rst_n), .start(tx_start), .data(tx_data), .busy(tx_busy), .tx(uart_tx));

  nnchip_board_link #(.RAM_AW(RAM_AW), .DRAM_AW(DRAM_AW), .MACHINE_ID(MACHINE_ID)) u_link (
    .clk(clk), .rst_n(rst_n), .booted(booted), .image_status(status_q),
    .ram_base(ram_base), .dram_size(dram_size), .program_id(program_id_q),
    .rx_valid(rx_valid), .rx_data(rx_data), .tx_busy(tx_busy), .tx_start(tx_start), .tx_data(tx_data),
    .h_we(h_we), .h_waddr(h_waddr), .h_wdata(h_wdata), .h_raddr(h_raddr), .ram_q(ram_q),
    .run_start(run_start), .run_finished(run_finished), .run_status(run_status),
    .core_cycles(core_cycles), .run_clks(run_clks));

  assign led_ready = image_ok ^ (LED_ACTIVE_LOW != 0);
  assign led_busy = run_busy ^ (LED_ACTIVE_LOW != 0);
endmodule
`default_nettype wire
