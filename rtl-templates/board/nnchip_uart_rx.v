// SPDX-License-Identifier: MIT
// nnchip_uart_rx: 8N1 serial receiver at clk / CLKS_PER_BIT baud (the generator computes the divider
// from the board clock; a test bench may pass a small one). Samples mid-bit after a two-flop
// synchroniser and drops a byte whose stop bit is low (framing error).
`default_nettype none
module nnchip_uart_rx #(parameter CLKS_PER_BIT = 104) (
  input  wire       clk,
  input  wire       rst_n,
  input  wire       rx,
  output reg        valid,   // one cycle, with `data`
  output reg  [7:0] data
);
  localparam CW = $clog2(CLKS_PER_BIT + 1);
  reg rx_meta_q = 1'b1, rx_q = 1'b1;
  reg [CW-1:0] count_q;
  reg [3:0] bit_q;          // 0: start bit, 1..8: data, 9: stop
  reg busy_q;
  reg [7:0] shift_q;
  always @(posedge clk) begin
    rx_meta_q <= rx;
    rx_q <= rx_meta_q;
    valid <= 1'b0;
    if (!rst_n) begin
      busy_q <= 1'b0;
    end else if (!busy_q) begin
      if (!rx_q) begin
        busy_q <= 1'b1;
        bit_q <= 4'd0;
        count_q <= CLKS_PER_BIT / 2;   // sample in the middle of each bit
      end
    end else if (count_q != 0) begin
      count_q <= count_q - 1'b1;
    end else begin
      count_q <= CLKS_PER_BIT - 1;
      if (bit_q == 4'd0) begin
        if (rx_q) busy_q <= 1'b0;      // a glitch, not a start bit
      end else if (bit_q == 4'd9) begin
        busy_q <= 1'b0;
        if (rx_q) begin
          valid <= 1'b1;
          data <= shift_q;
        end
      end else begin
        shift_q <= {rx_q, shift_q[7:1]};
      end
      bit_q <= bit_q + 1'b1;
    end
  end
endmodule
`default_nettype wire
