// SPDX-License-Identifier: MIT
// tb_board: co-simulation bench for nnchip_board_top. An SPI-flash model holds the image nnchip
// wrote (mem/flash.hex, or the file +FLASH=<file> names, at FLASH_IMAGE; 0xFF elsewhere) and
// answers READ (0x03) and Dual Output Fast Read (0x3B). The host side of
// the UART is a pair of byte streams driven from outside (named pipes, one hex byte per line):
// +TO_BOARD=<file> carries request frames, which the bench sends on uart_rx at the bench's baud;
// the answer frame read from uart_tx goes to +FROM_BOARD=<file>. One frame in, one frame out, until
// the host closes its stream. The protocol itself lives in src/board/protocol.ts, on the host.
/* verilator lint_off WIDTH */
`timescale 1ns/1ps
module tb_board;
  localparam CLKS_PER_BIT = 8;
  localparam FLASH_IMAGE = {{FLASH_IMAGE}};
  localparam FLASH_BYTES = {{FLASH_BYTES}};
  reg clk = 1'b0;
  always #5 clk = ~clk;

  reg uart_rx = 1'b1;
  wire uart_tx, cs_n, sck, led_ready, led_busy;
  wire io0;                  // MOSI: the design drives it, except in a dual read's dummy and data clocks
  reg miso = 1'b0;           // IO1
  reg io0_q = 1'b0;
  reg io0_oe = 1'b0;         // the flash model drives IO0 (a dual read's data phase)
  assign io0 = io0_oe ? io0_q : 1'bz;
  nnchip_board_top #(.CLKS_PER_BIT(CLKS_PER_BIT), .WAKE_CLKS(8)) dut (
    .clk_pin(clk), .uart_rx(uart_rx), .uart_tx(uart_tx), .spi_cs_n(cs_n), .spi_sck(sck), .spi_mosi(io0),
    .spi_miso(miso), .led_ready(led_ready), .led_busy(led_busy));

  // ---- SPI flash (mode 0): command and address shift in on IO0 at rising SCK, data shift out at
  // falling SCK: READ (0x03) on IO1 from the clock after the address; Dual Output Fast Read (0x3B)
  // after 8 dummy clocks, bits 7, 5, 3, 1 on IO1 and 6, 4, 2, 0 on IO0. RELEASE POWER-DOWN (0xAB)
  // is accepted; any other command is an error, and so is the design driving IO0 while the flash does.
  reg [7:0] flash [0:FLASH_BYTES-1];
  reg [7:0] cmd;
  reg [23:0] addr;
  reg [7:0] out_byte;
  integer nbits = 0;
  integer bitpos = 0;
  integer errors = 0;
  integer reads = 0;         // READ commands
  integer data_bytes = 0;    // bytes shifted out
  function [7:0] byte_at(input [23:0] a);
    byte_at = (a >= FLASH_IMAGE && a < FLASH_IMAGE + FLASH_BYTES) ? flash[a - FLASH_IMAGE] : 8'hff;
  endfunction
  wire dual = (cmd == 8'h3b);
  wire [31:0] data_from = dual ? 40 : 32;   // rising SCK edges before the data
  always @(negedge cs_n) nbits = 0;
  always @(posedge cs_n) io0_oe <= 1'b0;
  always @(posedge sck) if (!cs_n && nbits < 40) begin
    if (nbits < 8) cmd = {cmd[6:0], io0};
    else if (nbits < 32) addr = {addr[22:0], io0};
    nbits = nbits + 1;
    if (nbits == 8 && cmd != 8'h03 && cmd != 8'h3b && cmd != 8'hab) begin
      $display("tb_board: ERROR flash command %02x", cmd);
      errors = errors + 1;
    end
    if (nbits == 8 && (cmd == 8'h03 || cmd == 8'h3b)) reads = reads + 1;
    if (nbits == 32) begin
      out_byte = byte_at(addr);
      bitpos = 0;
    end
  end
  always @(negedge sck) if (!cs_n && (cmd == 8'h03 || cmd == 8'h3b) && nbits >= data_from) begin
    if (dual) begin
      io0_oe <= 1'b1;
      miso <= out_byte[7];
      io0_q <= out_byte[6];
      out_byte = {out_byte[5:0], 2'b00};
      bitpos = bitpos + 2;
    end else begin
      miso <= out_byte[7];
      out_byte = {out_byte[6:0], 1'b0};
      bitpos = bitpos + 1;
    end
    if (bitpos == 8) begin       // sequential read: the next byte follows
      addr = addr + 1;
      out_byte = byte_at(addr);
      bitpos = 0;
      data_bytes = data_bytes + 1;
    end
  end
  always @(posedge clk) if (io0_oe && dut.f_mosi_oe) begin
    if (errors < 10) $display("tb_board: ERROR bus contention: the design and the flash both drive IO0");
    errors = errors + 1;
  end

  // ---- the boot's length, in board clocks from the first clock to the image's verdict
  integer clocks = 0;
  reg reported = 1'b0;
  always @(posedge clk) begin
    clocks <= clocks + 1;
    if (!reported && dut.status_q != 3'd0) begin
      reported <= 1'b1;
      $display("tb_board: image status %0d after %0d clocks", dut.status_q, clocks);
    end
  end

  // ---- the host's UART
  integer to_board, from_board, got, v, n, k, len;
  reg [8*256-1:0] to_name, from_name, flash_name;
  task send_byte(input [7:0] b);
    integer i;
    begin
      uart_rx = 1'b0;
      repeat (CLKS_PER_BIT) @(posedge clk);
      for (i = 0; i < 8; i = i + 1) begin
        uart_rx = b[i];
        repeat (CLKS_PER_BIT) @(posedge clk);
      end
      uart_rx = 1'b1;
      repeat (CLKS_PER_BIT) @(posedge clk);
    end
  endtask
  task recv_byte(output [7:0] b);
    integer i;
    begin
      wait (uart_tx == 1'b0);
      repeat (CLKS_PER_BIT / 2) @(posedge clk);
      for (i = 0; i < 8; i = i + 1) begin
        repeat (CLKS_PER_BIT) @(posedge clk);
        b[i] = uart_tx;
      end
      repeat (CLKS_PER_BIT) @(posedge clk);   // the stop bit
    end
  endtask
  reg [7:0] rb;
  initial begin
    for (k = 0; k < FLASH_BYTES; k = k + 1) flash[k] = 8'hff;
    if ($value$plusargs("FLASH=%s", flash_name)) $readmemh(flash_name, flash);
    else $readmemh("{{FLASH_FILE}}", flash);
    if (!$value$plusargs("TO_BOARD=%s", to_name) || !$value$plusargs("FROM_BOARD=%s", from_name)) begin
      $display("tb_board: pass +TO_BOARD=<file> +FROM_BOARD=<file>");
      $finish;
    end
    to_board = $fopen(to_name, "r");
    from_board = $fopen(from_name, "w");
    repeat (32) @(posedge clk);      // past the power-on reset, as a host is
    forever begin
      // one request frame: SYNC, type, length (2), payload, checksum
      got = $fscanf(to_board, "%x", v);
      if (got != 1) begin
        $display("tb_board: flash: %0d READ commands, %0d bytes read, %0d errors", reads, data_bytes, errors);
        $fclose(from_board);
        $finish;
      end
      send_byte(v);
      len = 0;
      for (k = 0; k < 3; k = k + 1) begin
        got = $fscanf(to_board, "%x", v);
        send_byte(v);
        if (k == 1) len = v;
        if (k == 2) len = len + 256 * v;
      end
      for (k = 0; k <= len; k = k + 1) begin
        got = $fscanf(to_board, "%x", v);
        send_byte(v);
      end
      // one answer frame
      recv_byte(rb); $fwrite(from_board, "%02x\n", rb);
      n = 0;
      for (k = 0; k < 3; k = k + 1) begin
        recv_byte(rb); $fwrite(from_board, "%02x\n", rb);
        if (k == 1) n = rb;
        if (k == 2) n = n + 256 * rb;
      end
      for (k = 0; k <= n; k = k + 1) begin
        recv_byte(rb); $fwrite(from_board, "%02x\n", rb);
      end
      $fflush(from_board);
    end
  end
endmodule
