// SPDX-License-Identifier: MIT
// nnchip_spi_flash: reads bytes from the board's SPI flash with the standard READ command (0x03,
// 24-bit address, SPI mode 0, SCK = clk / 2). A request for the byte after the last one continues
// the open transfer (8 SCK cycles instead of 40), so sequential DMA reads stream. After reset it
// sends RELEASE POWER-DOWN (0xAB) and waits WAKE_CLKS cycles (tRES1), as the flash may sleep.
`default_nettype none
module nnchip_spi_flash #(parameter WAKE_CLKS = 64) (
  input  wire        clk,
  input  wire        rst_n,
  output wire        ready,     // accepts `req` (a one-cycle pulse with `addr`)
  input  wire        req,
  input  wire [23:0] addr,
  output reg         ack,       // one cycle, with `data`
  output reg  [7:0]  data,
  output reg         spi_cs_n,
  output reg         spi_sck,
  output reg         spi_mosi,
  input  wire        spi_miso
);
  localparam S_WAKE = 3'd0, S_WAKE_WAIT = 3'd1, S_IDLE = 3'd2, S_CMD = 3'd3, S_DATA = 3'd4, S_GAP = 3'd5;
  localparam WW = $clog2(WAKE_CLKS + 2);
  reg [2:0]  state_q;
  reg [31:0] out_q;
  reg [7:0]  in_q;
  reg [5:0]  bits_q;       // bits left in this shift
  reg [WW-1:0] wait_q;
  reg        open_q;       // a READ is in progress and next_q is the byte it delivers next
  reg [23:0] next_q;
  reg [23:0] want_q;
  assign ready = (state_q == S_IDLE);
  wire unused_out = out_q[31];   // bit 31 goes out as spi_mosi when a shift starts

  // shift one bit per two clk cycles: rising SCK samples MISO, falling SCK moves MOSI on
  wire shifting = (state_q == S_WAKE) || (state_q == S_CMD) || (state_q == S_DATA);
  wire last_bit = spi_sck && (bits_q == 6'd1);

  always @(posedge clk) begin
    ack <= 1'b0;
    if (!rst_n) begin
      state_q <= S_WAKE;
      spi_cs_n <= 1'b0;
      spi_sck <= 1'b0;
      out_q <= {8'hab, 24'd0};
      spi_mosi <= 1'b1;          // bit 7 of 0xAB
      bits_q <= 6'd8;
      open_q <= 1'b0;
    end else begin
      if (shifting) begin
        spi_sck <= ~spi_sck;
        if (!spi_sck) begin
          in_q <= {in_q[6:0], spi_miso};
        end else begin
          out_q <= {out_q[30:0], 1'b0};
          spi_mosi <= out_q[30];
          bits_q <= bits_q - 1'b1;
        end
      end
      case (state_q)
        S_WAKE: if (last_bit) begin
          spi_cs_n <= 1'b1;
          wait_q <= 0;
          state_q <= S_WAKE_WAIT;
        end
        S_WAKE_WAIT: begin
          wait_q <= wait_q + 1'b1;
          if (wait_q == WAKE_CLKS) state_q <= S_IDLE;
        end
        S_IDLE: if (req) begin
          want_q <= addr;
          if (open_q && addr == next_q) begin
            bits_q <= 6'd8;
            state_q <= S_DATA;
          end else if (open_q) begin
            spi_cs_n <= 1'b1;        // end the old transfer; S_GAP starts the new one
            open_q <= 1'b0;
            wait_q <= 0;
            state_q <= S_GAP;
          end else begin
            spi_cs_n <= 1'b0;
            out_q <= {8'h03, addr};
            spi_mosi <= 1'b0;        // bit 7 of 0x03
            bits_q <= 6'd32;
            state_q <= S_CMD;
          end
        end
        S_GAP: begin                 // CS# high for a few cycles (tSHSL), then the command
          wait_q <= wait_q + 1'b1;
          if (wait_q == 3) begin
            spi_cs_n <= 1'b0;
            out_q <= {8'h03, want_q};
            spi_mosi <= 1'b0;
            bits_q <= 6'd32;
            state_q <= S_CMD;
          end
        end
        S_CMD: if (last_bit) begin
          bits_q <= 6'd8;
          state_q <= S_DATA;
        end
        S_DATA: if (last_bit) begin
          ack <= 1'b1;
          data <= in_q;
          open_q <= 1'b1;
          next_q <= want_q + 1'b1;
          state_q <= S_IDLE;
        end
        default: state_q <= S_IDLE;
      endcase
    end
  end
endmodule
`default_nettype wire
