// SPDX-License-Identifier: MIT
// nnchip_uart_tx: 8N1 serial transmitter at clk / CLKS_PER_BIT baud.
`default_nettype none
module nnchip_uart_tx #(parameter CLKS_PER_BIT = 104) (
  input  wire       clk,
  input  wire       rst_n,
  input  wire       start,   // with `data`, when !busy
  input  wire [7:0] data,
  output wire       busy,
  output reg        tx
);
  localparam CW = $clog2(CLKS_PER_BIT + 1);
  reg [CW-1:0] count_q;
  reg [3:0] bit_q;
  reg [9:0] shift_q;        // stop · data · start, sent LSB first
  reg busy_q;
  assign busy = busy_q;
  always @(posedge clk) begin
    if (!rst_n) begin
      busy_q <= 1'b0;
      tx <= 1'b1;
    end else if (!busy_q) begin
      tx <= 1'b1;
      if (start) begin
        busy_q <= 1'b1;
        shift_q <= {1'b1, data, 1'b0};
        bit_q <= 4'd0;
        count_q <= 0;
      end
    end else if (count_q != 0) begin
      count_q <= count_q - 1'b1;
    end else if (bit_q == 4'd10) begin
      busy_q <= 1'b0;
    end else begin
      tx <= shift_q[0];
      shift_q <= {1'b1, shift_q[9:1]};
      bit_q <= bit_q + 1'b1;
      count_q <= CLKS_PER_BIT - 1;
    end
  end
endmodule
`default_nettype wire
