// SPDX-License-Identifier: MIT
// nnchip_pnr_top: place-and-route harness for FPGA resource and Fmax figures (not a board design).
// The core's wide DRAM port is folded onto two pins — read data shifts in serially from `din`,
// every request/write output bit is XOR-folded into `dout` — so the core fits any package and
// none of its logic is optimized away.
`default_nettype none
module nnchip_pnr_top (
  input  wire clk,
  input  wire rst_n_pin,
  input  wire din,
  output reg  dout,
  output wire done,
  output wire error
);
  localparam DRAM_BW = {{DRAM_BW}};
  localparam DRAM_AW = {{DRAM_AW}};

  reg rst_meta_q, rst_n_q;
  always @(posedge clk) begin
    rst_meta_q <= rst_n_pin;
    rst_n_q <= rst_meta_q;
  end

  wire rd_req, wr_valid;
  wire [DRAM_AW-1:0] rd_addr, wr_addr;
  wire [DRAM_BW*8-1:0] wr_data;
  wire [DRAM_BW-1:0] wr_strb;
  wire [DRAM_BW-1:0] unused_rd_strb;   // which bytes of a read beat the core keeps: this memory returns them all
  reg  [DRAM_BW*8-1:0] rd_data_q;
  reg  rd_valid_q;

  nnchip_top u_core (
    .clk(clk), .rst_n(rst_n_q), .done(done), .error(error),
    .dram_rd_req(rd_req), .dram_rd_addr(rd_addr), .dram_rd_strb(unused_rd_strb), .dram_rd_valid(rd_valid_q), .dram_rd_data(rd_data_q),
    .dram_wr_valid(wr_valid), .dram_wr_addr(wr_addr), .dram_wr_data(wr_data), .dram_wr_strb(wr_strb),
    .prog_wclk(1'b0), .prog_we(1'b0), .prog_waddr(16'd0), .prog_lane(4'd0), .prog_wdata(8'd0), .prog_raddr());

  always @(posedge clk) begin
    rd_data_q <= {rd_data_q[DRAM_BW*8-2:0], din};
    rd_valid_q <= rd_req;
    dout <= ^{rd_req, rd_addr, wr_valid, wr_addr, wr_data, wr_strb};
  end
endmodule
`default_nettype wire
