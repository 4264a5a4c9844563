// SPDX-License-Identifier: MIT
// tb_top: self-checking test bench for nnchip_top. Loads the DRAM image and one input sample
// (+SAMPLE=k), models external memory (DRAM_BW bytes/cycle per channel, DRAM_LATENCY cycles),
// runs to `done`, prints the output bytes and the cycle count, compares both with the expected
// values written by the generator (interpret() and scheduleTimes()), and prints NNCHIP_PASS/FAIL.
// Cycle 0 is the first clock cycle after reset release; the count is the first cycle in which
// `done` is high — exactly isa/timing.ts scheduleTimes().cycles.
// A failing run ends with a non-zero exit status (task fail_exit), so `make sim`, `make verilate`
// and FuseSoC fail with it; a passing run ends with $finish (status 0).
// The memory model does its address arithmetic in integers; width warnings are off for this file only.
/* verilator lint_off WIDTH */
module tb_top;
  localparam DRAM_BW = {{DRAM_BW}};
  localparam DRAM_LATENCY = {{DRAM_LATENCY}};
  localparam DRAM_AW = {{DRAM_AW}};
  localparam DRAM_CAP = {{DRAM_CAP}};        // bytes of the memory model (>= the program's dramSize)
  localparam INPUT_CAP = {{INPUT_CAP}};      // bytes of inputs.hex (all samples)
  localparam OUTPUT_CAP = {{OUTPUT_CAP}};    // bytes of expected.hex (all samples)
  localparam IN_ROWS_CAP = {{IN_ROWS_CAP}};  // entries of in_addr.hex: the DRAM address of each input row
  localparam OUT_ROWS_CAP = {{OUT_ROWS_CAP}};
  localparam META_WORDS = {{META_WORDS}};
{{META_LOCALPARAMS}}

  // $fatal(1) exits 1 in Icarus; $fatal in a Verilator build aborts (SIGABRT, maybe a core file),
  // so there the bench calls exit(1) itself
  task fail_exit;
    begin
`ifdef VERILATOR
      $c("std::exit(1);");
`else
      $fatal(1, "the nnchip test bench failed (NNCHIP_FAIL above)");
`endif
    end
  endtask

  reg clk = 1'b0;
  reg rst_n = 1'b0;
  always #5 clk = ~clk;

  reg [7:0]  dram [0:DRAM_CAP-1];
  reg [7:0]  inputs [0:INPUT_CAP-1];
  reg [7:0]  expected [0:OUTPUT_CAP-1];
  reg [31:0] meta [0:META_WORDS-1];
  reg [31:0] in_addr [0:IN_ROWS_CAP-1];
  reg [31:0] out_addr [0:OUT_ROWS_CAP-1];

  wire done, error;
  wire rd_req, rd_valid, wr_valid;
  wire [DRAM_AW-1:0] rd_addr, wr_addr;
  wire [DRAM_BW*8-1:0] rd_data, wr_data;
  wire [DRAM_BW-1:0] rd_strb, wr_strb;

  nnchip_top dut (
    .clk(clk), .rst_n(rst_n), .done(done), .error(error),
    .dram_rd_req(rd_req), .dram_rd_addr(rd_addr), .dram_rd_strb(rd_strb), .dram_rd_valid(rd_valid), .dram_rd_data(rd_data),
    .dram_wr_valid(wr_valid), .dram_wr_addr(wr_addr), .dram_wr_data(wr_data), .dram_wr_strb(wr_strb),
    .prog_wclk(1'b0), .prog_we(1'b0), .prog_waddr(16'd0), .prog_lane(4'd0), .prog_wdata(8'd0), .prog_raddr());

  // ---- external memory: a read sampled at request cycle y returns in cycle y + DRAM_LATENCY;
  // a write presented in cycle x is committed at the end of cycle x + DRAM_LATENCY.
  function [DRAM_BW*8-1:0] beat_at(input [DRAM_AW-1:0] addr);
    integer j;
    begin
      beat_at = {DRAM_BW*8{1'b0}};
      for (j = 0; j < DRAM_BW; j = j + 1)
        if (addr + j < DRAM_CAP) beat_at[j*8 +: 8] = dram[addr + j];
    end
  endfunction

  // true when a write of `strb` bytes at waddr touches a byte the read at raddr keeps (its `rstrb`:
  // the bytes of the row; the rest of a beat wider than the row is fetched and dropped)
  function overlaps(input [DRAM_AW-1:0] raddr, input [DRAM_BW-1:0] rstrb, input [DRAM_AW-1:0] waddr, input [DRAM_BW-1:0] strb);
    integer j;
    begin
      overlaps = 1'b0;
      for (j = 0; j < DRAM_BW; j = j + 1)
        if (strb[j] && waddr + j >= raddr && waddr + j < raddr + DRAM_BW)
          if (rstrb[waddr + j - raddr]) overlaps = 1'b1;
    end
  endfunction

  integer hazards = 0;   // reads that overlapped a write in flight: the token ordering would be broken
  // the write committed at this clock edge (g_now: the one presented; g_later: the one due), one
  // always block a byte lane below: Verilator takes no delayed array write inside a loop it does not
  // unroll (over 64 lanes: a 32-column machine's 128-byte acc beat on wide DRAM)
  wire                 commit_valid;
  wire [DRAM_AW-1:0]   commit_addr;
  wire [DRAM_BW*8-1:0] commit_data;
  wire [DRAM_BW-1:0]   commit_strb;
  genvar lane;
  for (lane = 0; lane < DRAM_BW; lane = lane + 1) begin : g_lane
    always @(posedge clk)
      if (commit_valid && commit_strb[lane] && commit_addr + lane < DRAM_CAP) dram[commit_addr + lane] <= commit_data[lane*8 +: 8];
  end
  generate
    if (DRAM_LATENCY == 0) begin : g_now
      assign rd_valid = rd_req;
      assign rd_data = beat_at(rd_addr);
      assign commit_valid = wr_valid;
      assign commit_addr = wr_addr;
      assign commit_data = wr_data;
      assign commit_strb = wr_strb;
      always @(posedge clk)
        if (rd_req && wr_valid)
          if (overlaps(rd_addr, rd_strb, wr_addr, wr_strb)) hazards = hazards + 1;
    end else begin : g_later
      // ring buffers: the entry made in cycle y sits in slot y mod DRAM_LATENCY and is due in cycle y + DRAM_LATENCY
      reg                 rv_q [0:DRAM_LATENCY-1];
      reg [DRAM_BW*8-1:0] rd_q [0:DRAM_LATENCY-1];
      reg                 wv_q [0:DRAM_LATENCY-1];
      reg [DRAM_AW-1:0]   wa_q [0:DRAM_LATENCY-1];
      reg [DRAM_BW*8-1:0] wd_q [0:DRAM_LATENCY-1];
      reg [DRAM_BW-1:0]   ws_q [0:DRAM_LATENCY-1];
      integer slot = 0;
      integer in_flight = 0;   // writes in the ring
      integer k;
      initial begin
        for (k = 0; k < DRAM_LATENCY; k = k + 1) begin
          rv_q[k] = 1'b0;
          wv_q[k] = 1'b0;
        end
      end
      assign commit_valid = wv_q[slot];
      assign commit_addr = wa_q[slot];
      assign commit_data = wd_q[slot];
      assign commit_strb = ws_q[slot];
      always @(posedge clk) begin
        if (wv_q[slot]) in_flight = in_flight - 1;
        if (rd_req) begin
          if (wr_valid)
            if (overlaps(rd_addr, rd_strb, wr_addr, wr_strb)) hazards = hazards + 1;
          if (in_flight > 0)
            for (k = 0; k < DRAM_LATENCY; k = k + 1)
              if (wv_q[k])
                if (overlaps(rd_addr, rd_strb, wa_q[k], ws_q[k])) hazards = hazards + 1;
        end
        rv_q[slot] <= rst_n & rd_req;
        rd_q[slot] <= beat_at(rd_addr);
        wv_q[slot] <= rst_n & wr_valid;
        wa_q[slot] <= wr_addr;
        wd_q[slot] <= wr_data;
        ws_q[slot] <= wr_strb;
        if (rst_n & wr_valid) in_flight = in_flight + 1;
        slot <= (slot == DRAM_LATENCY - 1) ? 0 : slot + 1;
      end
      assign rd_valid = rv_q[slot];
      assign rd_data = rd_q[slot];
    end
  endgenerate

  // ---- run one sample
  integer sample, i, r, b, rr, bb, errors, limit;
  integer cycle = 0;
  integer done_cycle = -1;
  reg [7:0] got;
  initial begin
    for (i = 0; i < DRAM_CAP; i = i + 1) dram[i] = 8'd0;
    $readmemh("{{META_FILE}}", meta);
    $readmemh("{{DRAM_FILE}}", dram);
    $readmemh("{{INPUT_FILE}}", inputs);
    $readmemh("{{EXPECTED_FILE}}", expected);
    $readmemh("{{IN_ADDR_FILE}}", in_addr);
    $readmemh("{{OUT_ADDR_FILE}}", out_addr);
    if (!$value$plusargs("SAMPLE=%d", sample)) sample = 0;
    if (sample < 0 || sample >= meta[META_SAMPLES]) begin
      $display("NNCHIP_FAIL sample %0d is not in 0..%0d", sample, meta[META_SAMPLES] - 1);
      fail_exit;
    end
    // place the input tensor row by row (isa/program.ts initialDram)
    for (r = 0; r < meta[META_IN_ROWS]; r = r + 1)
      for (b = 0; b < meta[META_IN_ROW_BYTES]; b = b + 1)
        dram[in_addr[r] + b] =
          inputs[sample * meta[META_IN_ROWS] * meta[META_IN_ROW_BYTES] + r * meta[META_IN_ROW_BYTES] + b];
    limit = 2 * meta[META_CYCLES] + 1000;
    repeat (3) @(posedge clk);
    @(negedge clk) rst_n = 1'b1;
  end

  always @(posedge clk) begin
    if (rst_n) begin
      if (done && done_cycle < 0) done_cycle = cycle;
      if (cycle > limit && done_cycle < 0) begin
        $display("NNCHIP_FAIL timeout: not done after %0d cycles", cycle);
        fail_exit;
      end
      cycle = cycle + 1;
    end
  end

  initial begin
    wait (done_cycle >= 0);
    repeat (DRAM_LATENCY + 2) @(posedge clk);   // let the last writes land
    errors = 0;
    $write("NNCHIP_OUTPUT ");
    for (rr = 0; rr < meta[META_OUT_ROWS]; rr = rr + 1)
      for (bb = 0; bb < meta[META_OUT_ROW_BYTES]; bb = bb + 1) begin
        got = dram[out_addr[rr] + bb];
        $write("%02x", got);
        if (got !== expected[sample * meta[META_OUT_ROWS] * meta[META_OUT_ROW_BYTES] + rr * meta[META_OUT_ROW_BYTES] + bb]) errors = errors + 1;
      end
    $write("\n");
    $display("NNCHIP_CYCLES %0d", done_cycle);
    if (errors != 0) $display("NNCHIP_MISMATCH %0d output bytes differ from the reference interpreter", errors);
    if (done_cycle != meta[META_CYCLES]) begin
      $display("NNCHIP_MISMATCH %0d cycles, the schedule says %0d", done_cycle, meta[META_CYCLES]);
      errors = errors + 1;
    end
    if (error) begin $display("NNCHIP_MISMATCH illegal instruction"); errors = errors + 1; end
    if (hazards != 0) begin $display("NNCHIP_MISMATCH %0d DRAM accesses overlapped a write in flight", hazards); errors = errors + 1; end
    if (errors == 0) begin
      $display("NNCHIP_PASS");
      $finish;
    end else begin
      $display("NNCHIP_FAIL");
      fail_exit;
    end
  end
endmodule
