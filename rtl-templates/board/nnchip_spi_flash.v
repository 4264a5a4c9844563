// SPDX-License-Identifier: MIT
// nnchip_spi_flash: reads bytes from the board's SPI flash (SPI mode 0, SCK = clk / 2) with the read
// command of src/board/flash.ts: READ (0x03, one bit per clock on MISO) or Dual Output Fast Read
// (0x3B: 8 dummy clocks after the address, then two bits per clock, IO1 = MISO and IO0 = MOSI, the
// reader releasing MOSI from the dummy clocks on). A request for the byte after the last one
// continues the open transfer, and the reader shifts that next byte in while nobody asks (one byte
// ahead), so sequential DMA reads stream at the flash's rate. After reset it sends RELEASE
// POWER-DOWN (0xAB) and waits WAKE_CLKS cycles (tRES1), as the flash may sleep.
`default_nettype none
module nnchip_spi_flash #(
  parameter WAKE_CLKS = 64,
  parameter [7:0] READ_CMD = 8'h03,
  parameter DUMMY_CLKS = 0,
  parameter BITS_PER_CLK = 1            // 1 or 2 (dual: the data phase reads IO0 too)
) (
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
  output wire        spi_mosi_oe,  // drive MOSI (IO0); low through a dual read's dummy and data clocks
  input  wire        spi_io0,      // IO0 as an input (the data phase of a dual read)
  input  wire        spi_miso
);
  localparam S_WAKE = 3'd0, S_WAKE_WAIT = 3'd1, S_IDLE = 3'd2, S_CMD = 3'd3, S_DATA = 3'd4, S_GAP = 3'd5;
  localparam WW = $clog2(WAKE_CLKS + 2);
  localparam [5:0] CMD_CLKS = 6'd32 + DUMMY_CLKS[5:0];
  localparam [5:0] BYTE_CLKS = (BITS_PER_CLK == 2) ? 6'd4 : 6'd8;
  localparam [5:0] RELEASE_AT = DUMMY_CLKS[5:0] + 6'd1;  // the clock of the address's last bit
  reg [2:0]  state_q;
  reg [31:0] out_q;
  reg [7:0]  in_q;
  reg [5:0]  bits_q;       // SCK clocks left in this shift
  reg [WW-1:0] wait_q;
  reg        oe_q;
  // open_q: a READ is in progress at next_q. In S_DATA the byte at next_q is shifting in (pend_q:
  // asked for); in S_IDLE it is in `data` already, which changes only where nobody reads it (without
  // ack). A request for another address sets next_q to it and loads the command into out_q.
  reg        open_q, pend_q;
  reg [23:0] next_q;
  wire hit = req && open_q && (addr == next_q);
  wire [23:0] after_next = next_q + 24'd1;
  assign ready = (state_q == S_IDLE) || (state_q == S_DATA && !pend_q);
  assign spi_mosi_oe = (BITS_PER_CLK == 2) ? oe_q : 1'b1;
  wire unused_out = out_q[31];   // bit 31 goes out as spi_mosi when a shift starts

  // shift one bit per two clk cycles: rising SCK samples MISO (and IO0), falling SCK moves MOSI on
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
      oe_q <= 1'b1;
      bits_q <= 6'd8;
      open_q <= 1'b0;
      pend_q <= 1'b0;
    end else begin
      if (shifting) begin
        spi_sck <= ~spi_sck;
        if (!spi_sck) begin
          if (BITS_PER_CLK == 2) in_q <= {in_q[5:0], spi_miso, spi_io0};
          else in_q <= {in_q[6:0], spi_miso};
        end else begin
          out_q <= {out_q[30:0], 1'b0};
          spi_mosi <= out_q[30];
          bits_q <= bits_q - 1'b1;
          if (state_q == S_CMD && bits_q == RELEASE_AT) oe_q <= 1'b0;   // the flash may drive IO0 from here on
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
          if (hit) begin               // the byte read ahead, in `data`
            ack <= 1'b1;
            next_q <= after_next;
            bits_q <= BYTE_CLKS;
            state_q <= S_DATA;
          end else begin
            next_q <= addr;
            out_q <= {READ_CMD, addr};
            if (open_q) begin
              spi_cs_n <= 1'b1;      // end the old transfer; S_GAP starts the new one
              open_q <= 1'b0;
              wait_q <= 0;
              state_q <= S_GAP;
            end else begin
              spi_cs_n <= 1'b0;
              spi_mosi <= READ_CMD[7];
              oe_q <= 1'b1;
              bits_q <= CMD_CLKS;
              state_q <= S_CMD;
            end
          end
        end
        S_GAP: begin                 // CS# high for a few cycles (tSHSL), then the command
          wait_q <= wait_q + 1'b1;
          if (wait_q == 3) begin
            spi_cs_n <= 1'b0;
            spi_mosi <= READ_CMD[7];
            oe_q <= 1'b1;
            bits_q <= CMD_CLKS;
            state_q <= S_CMD;
          end
        end
        S_CMD: if (last_bit) begin
          bits_q <= BYTE_CLKS;
          open_q <= 1'b1;
          pend_q <= 1'b1;
          state_q <= S_DATA;
        end
        S_DATA: if (req && !hit) begin   // another address: end this transfer, SCK low
          next_q <= addr;
          out_q <= {READ_CMD, addr};
          spi_sck <= 1'b0;
          spi_cs_n <= 1'b1;
          open_q <= 1'b0;
          pend_q <= 1'b0;
          wait_q <= 0;
          state_q <= S_GAP;
        end else if (last_bit) begin
          data <= in_q;
          if (pend_q || hit) begin       // asked for: deliver it and read the next one ahead
            ack <= 1'b1;
            next_q <= after_next;
            pend_q <= 1'b0;
            bits_q <= BYTE_CLKS;
          end else state_q <= S_IDLE;    // read ahead: keep it, stop SCK until it is asked for
        end else if (hit) pend_q <= 1'b1;
        default: state_q <= S_IDLE;
      endcase
    end
  end
endmodule
`default_nettype wire
