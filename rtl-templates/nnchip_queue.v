// SPDX-License-Identifier: MIT
// nnchip_queue: the instruction queue in front of one unit (DEPTH entries of WIDTH bits). `full`
// and `empty` come from the registered count, so a slot freed by a pop in cycle s can be refilled
// by fetch in cycle s+1 — the "f = s[q] + 1" rule of isa/timing.ts.
`default_nettype none
module nnchip_queue #(
  parameter WIDTH = 8,
  parameter DEPTH = 8
) (
  input  wire             clk,
  input  wire             rst_n,
  input  wire             push,
  input  wire [WIDTH-1:0] push_data,
  input  wire             pop,
  output wire [WIDTH-1:0] head,
  output wire             full,
  output wire             empty
);
  localparam PTR_W = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  localparam CNT_W = $clog2(DEPTH + 1);
  localparam integer LAST_SLOT_I = DEPTH - 1;
  localparam [PTR_W-1:0] LAST_SLOT = LAST_SLOT_I[PTR_W-1:0];
  localparam [CNT_W-1:0] FULL_COUNT = DEPTH;

  reg [WIDTH-1:0] slot_q [0:DEPTH-1];
  reg [PTR_W-1:0] rd_q, wr_q;
  reg [CNT_W-1:0] count_q;

  assign head = slot_q[rd_q];
  assign full = count_q == FULL_COUNT;
  assign empty = count_q == {CNT_W{1'b0}};

  always @(posedge clk) begin
    if (push) slot_q[wr_q] <= push_data;
  end

  always @(posedge clk) begin
    if (!rst_n) begin
      rd_q <= {PTR_W{1'b0}};
      wr_q <= {PTR_W{1'b0}};
      count_q <= {CNT_W{1'b0}};
    end else begin
      if (push) wr_q <= (wr_q == LAST_SLOT) ? {PTR_W{1'b0}} : wr_q + 1'b1;
      if (pop) rd_q <= (rd_q == LAST_SLOT) ? {PTR_W{1'b0}} : rd_q + 1'b1;
      if (push && !pop) count_q <= count_q + 1'b1;
      else if (pop && !push) count_q <= count_q - 1'b1;
    end
  end
endmodule
`default_nettype wire
