// SPDX-License-Identifier: MIT
// nnchip_board_link: the board side of the host protocol (src/board/protocol.ts, whose constants
// are in nnchip_protocol.vh). One request at a time: parse a frame and check its sum, then answer
// with exactly one frame (INFO, ACK, DATA, DONE or ERROR). Bytes that arrive while a request is
// being answered are dropped; the host waits for each answer. A WRITE's data go to the RAM as they
// arrive, so one with a bad checksum may have written part of its data (the ERROR says resend).
`default_nettype none
module nnchip_board_link #(
  parameter RAM_AW = 10,
  parameter DRAM_AW = 16,          // ram_base and dram_size are below 2^(DRAM_AW+1) (the board top masks them)
  parameter [31:0] MACHINE_ID = 0
) (
  input  wire              clk,
  input  wire              rst_n,
  input  wire              booted,
  input  wire [2:0]        image_status,   // IMAGE_STATUS code
  input  wire [31:0]       ram_base,       // from the flash image's header
  input  wire [31:0]       dram_size,
  input  wire [31:0]       program_id,
  input  wire              rx_valid,
  input  wire [7:0]        rx_data,
  input  wire              tx_busy,
  output reg               tx_start,
  output reg  [7:0]        tx_data,
  output reg               h_we,
  output reg  [RAM_AW-1:0] h_waddr,
  output reg  [7:0]        h_wdata,
  output wire [RAM_AW-1:0] h_raddr,
  input  wire [7:0]        ram_q,
  output reg               run_start,
  input  wire              run_finished,
  input  wire [1:0]        run_status,
  input  wire [31:0]       core_cycles,
  input  wire [31:0]       run_clks
);
  `include "nnchip_protocol.vh"
  localparam L_SYNC = 3'd0, L_TYPE = 3'd1, L_LEN0 = 3'd2, L_LEN1 = 3'd3, L_PAY = 3'd4, L_CHK = 3'd5,
             L_EXEC = 3'd6, L_RUN = 3'd7;
  reg [2:0] state_q;
  reg responding_q;                 // sending the answer (the parser state is ignored meanwhile)
  reg [7:0] type_q, sum_q, err_q, resp_type_q;
  reg [15:0] len_q, idx_q, count_q, resp_len_q, pay_q;
  reg [31:0] addr_q;
  reg sum_ok_q;
  reg [2:0] step_q;
  reg hold_q;
  reg [7:0] tx_sum_q;

  // The range check: [addr, addr + n) inside the RAM region, n a WRITE's data bytes or a READ's count
  // (one adder and one compare for both: a request is one or the other). ram_base and dram_size are
  // below 2^(DRAM_AW+1), so an address with a bit set above that is outside, and the sum needs only LIM_W bits.
  localparam LIM_W = ((DRAM_AW + 1 > 16) ? DRAM_AW + 1 : 16) + 1;
  wire [15:0] span = (type_q == REQ_WRITE) ? len_q - 16'd4 : count_q;
  wire addr_low = (addr_q >> (DRAM_AW + 1)) == 32'd0;
  wire [LIM_W-1:0] addr_lim = addr_q[LIM_W-1:0];
  wire [LIM_W-1:0] base_lim = ram_base[LIM_W-1:0];
  wire [LIM_W-1:0] size_lim = dram_size[LIM_W-1:0];
  wire [LIM_W-1:0] span_end = addr_lim + {{(LIM_W-16){1'b0}}, span};
  wire image_ok = (image_status == IMG_STATUS_OK);
  wire range_ok = image_ok && addr_low && addr_lim >= base_lim && span_end <= size_lim;
  // RAM addresses: the low RAM_AW bits of addr - ram_base + i are those of the low bits' sum
  wire [RAM_AW-1:0] ram_off = addr_q[RAM_AW-1:0] - ram_base[RAM_AW-1:0];
  wire [15:0] data_idx = idx_q - 16'd4;
  wire [RAM_AW-1:0] ram_at = ram_off + data_idx[RAM_AW-1:0];
  wire [RAM_AW-1:0] ram_rd = ram_off + pay_q[RAM_AW-1:0];
  assign h_raddr = ram_rd;

  // the INFO and DONE payloads are 20 and 8 bytes: only pay_q's low bits select their byte
  localparam INFO_IW = $clog2(INFO_PAYLOAD_BYTES);
  wire [INFO_PAYLOAD_BYTES*8-1:0] info_vec = {dram_size, ram_base, program_id, MACHINE_ID, 5'd0, image_status, PROTOCOL_VERSION[7:0]};
  wire [63:0] done_vec = {run_clks, core_cycles};
  wire [INFO_IW-1:0] info_i = pay_q[INFO_IW-1:0];
  wire [2:0] done_i = pay_q[2:0];
  wire [7:0] pay_byte = (resp_type_q == RESP_INFO) ? info_vec[info_i*8 +: 8]
                      : (resp_type_q == RESP_DONE) ? done_vec[done_i*8 +: 8]
                      : (resp_type_q == RESP_DATA) ? ram_q : err_q;

  task answer(input [7:0] t, input [15:0] n, input [7:0] code);
    begin
      resp_type_q <= t;
      resp_len_q <= n;
      err_q <= code;
      pay_q <= 0;
      step_q <= 3'd0;
      tx_sum_q <= 8'd0;
      responding_q <= 1'b1;
      state_q <= L_SYNC;
    end
  endtask

  always @(posedge clk) begin
    tx_start <= 1'b0;
    h_we <= 1'b0;
    run_start <= 1'b0;
    if (!rst_n) begin
      state_q <= L_SYNC;
      responding_q <= 1'b0;
      hold_q <= 1'b0;
    end else if (responding_q) begin
      // one byte per step; after a start, skip a cycle so tx_busy is up before it is looked at
      if (hold_q) hold_q <= 1'b0;
      else if (!tx_busy) begin
        tx_start <= 1'b1;
        hold_q <= 1'b1;
        case (step_q)
          3'd0: tx_data <= PROTOCOL_SYNC;
          3'd1: tx_data <= resp_type_q;
          3'd2: tx_data <= resp_len_q[7:0];
          3'd3: tx_data <= resp_len_q[15:8];
          3'd4: tx_data <= pay_byte;
          default: tx_data <= 8'd0 - tx_sum_q;
        endcase
        if (step_q == 3'd1) tx_sum_q <= tx_sum_q + resp_type_q;
        if (step_q == 3'd2) tx_sum_q <= tx_sum_q + resp_len_q[7:0];
        if (step_q == 3'd3) tx_sum_q <= tx_sum_q + resp_len_q[15:8];
        if (step_q == 3'd4) tx_sum_q <= tx_sum_q + pay_byte;
        if (step_q == 3'd3) step_q <= (resp_len_q == 0) ? 3'd5 : 3'd4;
        else if (step_q == 3'd4) begin
          pay_q <= pay_q + 1'b1;
          if (pay_q == resp_len_q - 1'b1) step_q <= 3'd5;
        end else if (step_q == 3'd5) responding_q <= 1'b0;
        else step_q <= step_q + 1'b1;
      end
    end else case (state_q)
      L_SYNC: if (rx_valid && rx_data == PROTOCOL_SYNC) begin sum_q <= 8'd0; state_q <= L_TYPE; end
      L_TYPE: if (rx_valid) begin type_q <= rx_data; sum_q <= sum_q + rx_data; state_q <= L_LEN0; end
      L_LEN0: if (rx_valid) begin len_q[7:0] <= rx_data; sum_q <= sum_q + rx_data; state_q <= L_LEN1; end
      L_LEN1: if (rx_valid) begin
        len_q[15:8] <= rx_data;
        sum_q <= sum_q + rx_data;
        idx_q <= 0;
        addr_q <= 0;
        count_q <= 0;
        state_q <= ({rx_data, len_q[7:0]} == 16'd0) ? L_CHK : L_PAY;
      end
      L_PAY: if (rx_valid) begin
        sum_q <= sum_q + rx_data;
        if (idx_q < 4) addr_q[idx_q[1:0]*8 +: 8] <= rx_data;
        else if (type_q == REQ_WRITE) begin
          if (range_ok) begin
            h_we <= 1'b1;
            h_waddr <= ram_at;
            h_wdata <= rx_data;
          end
        end else if (idx_q < 6) count_q[idx_q[0]*8 +: 8] <= rx_data;
        idx_q <= idx_q + 1'b1;
        if (idx_q == len_q - 1'b1) state_q <= L_CHK;
      end
      L_CHK: if (rx_valid) begin
        sum_ok_q <= (sum_q + rx_data) == 8'd0;
        state_q <= L_EXEC;
      end
      L_EXEC: if (booted) begin
        if (!sum_ok_q) answer(RESP_ERROR, 16'd1, ERR_CHECKSUM);
        else case (type_q)
          REQ_INFO: if (len_q != 0) answer(RESP_ERROR, 16'd1, ERR_BAD_LENGTH);
                    else answer(RESP_INFO, INFO_PAYLOAD_BYTES, 8'd0);
          REQ_WRITE: if (len_q < 4) answer(RESP_ERROR, 16'd1, ERR_BAD_LENGTH);
                     else if (!image_ok) answer(RESP_ERROR, 16'd1, ERR_FLASH_IMAGE);
                     else if (!range_ok) answer(RESP_ERROR, 16'd1, ERR_BAD_ADDRESS);
                     else answer(RESP_ACK, 16'd0, 8'd0);
          REQ_READ: if (len_q != 6) answer(RESP_ERROR, 16'd1, ERR_BAD_LENGTH);
                    else if (!image_ok) answer(RESP_ERROR, 16'd1, ERR_FLASH_IMAGE);
                    else if (!range_ok) answer(RESP_ERROR, 16'd1, ERR_BAD_ADDRESS);
                    else answer(RESP_DATA, count_q, 8'd0);
          REQ_RUN: if (len_q != 0) answer(RESP_ERROR, 16'd1, ERR_BAD_LENGTH);
                   else if (!image_ok) answer(RESP_ERROR, 16'd1, ERR_FLASH_IMAGE);
                   else begin run_start <= 1'b1; state_q <= L_RUN; end
          default: answer(RESP_ERROR, 16'd1, ERR_UNKNOWN_TYPE);
        endcase
      end
      L_RUN: if (run_finished) begin
        if (run_status == 2'd0) answer(RESP_DONE, 16'd8, 8'd0);
        else answer(RESP_ERROR, 16'd1, run_status == 2'd1 ? ERR_CORE_ERROR : ERR_TIMEOUT);
      end
      default: state_q <= L_SYNC;
    endcase
  end
  wire unused_link = ^{addr_q, ram_base, dram_size, data_idx, pay_q};
endmodule
`default_nettype wire
