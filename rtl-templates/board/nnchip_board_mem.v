// SPDX-License-Identifier: MIT
// nnchip_board_mem: runs the core against the board's memories. The core's DRAM address space is
// [0, ram_base): the Program's constants (weights, tables), read from SPI flash at flash_data + addr;
// [ram_base, dram_size): input, output and activations, in block RAM (the host reads and writes it).
// ram_base, dram_size, flash_data and cycle_limit come from the flash image's header.
// The core's instruction RAM (PROG_DEPTH = 2^PROG_AW words) is a window over the program in flash
// [flash_prog, flash_data): programs are straight-line, so the core's fetch address only counts up,
// modulo the window. Before each core edge the adapter looks at the word the core will read; when
// it is not loaded yet, it loads the window's next PROG_DEPTH words from flash (the core clock held),
// through the RAM's own write port on clk. A program that fits stays loaded across runs; a longer
// one is streamed on every run, and its first window is loaded again while the board is idle.
// The core cannot wait for memory, so it gets a clock of its own, `core_clk`, one rising edge per
// core cycle, given only when the beat it asked for is in hand: the core sees exactly the memory of
// the test bench (a read in core cycle y answers in core cycle y + DRAM_LATENCY) and runs exactly
// the simulator's cycle count, however slow the flash. `core_clk` is a register of `clk`: core inputs
// change one clk period before a core edge at the earliest, core outputs are used from two after it.
`default_nettype none
module nnchip_board_mem #(
  parameter DRAM_BW = 1,
  parameter DRAM_LATENCY = 1,
  parameter DRAM_AW = 16,
  parameter RAM_BYTES = 1,
  parameter RAM_AW = 10,
  parameter PROG_AW = 5                    // the core's instruction RAM: 2^PROG_AW words (its PROG_DEPTH)
) (
  input  wire               clk,
  input  wire               rst_n,
  input  wire               enable,         // the image is good: its program may be loaded
  input  wire               start,          // one cycle: reset the core and run the program once
  output wire               busy,
  output reg                finished,       // one cycle, with status and the counts
  output reg  [1:0]         status,         // 0 done, 1 core error, 2 cycle limit reached
  output reg  [31:0]        core_cycles,    // cycles from reset release to `done`: isa/timing.ts cycles
  output reg  [31:0]        run_clks,       // clk cycles of the whole run (compute + memory waits)
  input  wire [31:0]        ram_base,       // from the image header
  input  wire [31:0]        dram_size,
  input  wire [23:0]        flash_prog,     // flash address of the program's first byte
  input  wire [23:0]        flash_data,     // … and of the constants, which follow it
  input  wire [31:0]        cycle_limit,
  input  wire               h_we,           // host access to the RAM region while idle
  input  wire [RAM_AW-1:0]  h_waddr,
  input  wire [7:0]         h_wdata,
  input  wire [RAM_AW-1:0]  h_raddr,
  output reg  [7:0]         ram_q,          // RAM byte at the read address of the previous cycle
  input  wire               f_ready,
  output reg                f_req,
  output reg  [23:0]        f_addr,
  input  wire               f_ack,
  input  wire [7:0]         f_data
);
  localparam RING = (DRAM_LATENCY > 0) ? DRAM_LATENCY : 1;
  localparam SW = (RING > 1) ? $clog2(RING) : 1;
  localparam A_IDLE = 4'd0, A_FILL = 4'd1, A_RST_RISE = 4'd2, A_RST_FALL = 4'd3, A_RELEASE = 4'd4,
             A_SAMPLE = 4'd5, A_WRITE = 4'd6, A_READ = 4'd7, A_FLASH = 4'd8, A_RAM = 4'd9,
             A_PRESENT = 4'd10, A_RISE = 4'd11, A_FALL = 4'd12, A_FINISH = 4'd13, A_FILL_BYTE = 4'd14;

  reg [3:0] state_q;
  reg core_clk_q, core_rst_n_q;
  // a run is from start to finish; loading the window while idle (the core in reset) is not
  wire filling = (state_q == A_FILL) || (state_q == A_FILL_BYTE);
  assign busy = (state_q != A_IDLE) && !(filling && !core_rst_n_q);

  // ---- the core, on its own clock
  reg rd_valid_q;
  reg [DRAM_BW*8-1:0] rd_data_q;
  wire done, error, rd_req, wr_valid;
  wire [DRAM_AW-1:0] rd_addr, wr_addr;
  wire [DRAM_BW*8-1:0] wr_data;
  wire [DRAM_BW-1:0] wr_strb;
  wire [DRAM_BW-1:0] unused_rd_strb;   // which bytes of a read beat the core keeps: this memory returns them all
  wire [15:0] prog_raddr;
  // the program window: word w of the program lives in slot w mod 2^PROG_AW
  reg [PROG_AW-1:0] slot_q;                  // the slot of the next program word to load
  reg [3:0] lane_q;                          // … and its next byte
  reg [23:0] prog_at_q;                      // flash address of that byte
  reg ahead_q;                               // the window holds the whole window from `want` on
  reg wrapped_q;                             // slot_q has come round: a new word replaces an older one
  reg moved_q;                               // the window has moved past word 0: the next run reloads it
  reg start_q;                               // a start that waits for the window
  wire prog_we = (state_q == A_FILL_BYTE) && f_ack;
  nnchip_top u_core (
    .clk(core_clk_q), .rst_n(core_rst_n_q), .done(done), .error(error),
    .dram_rd_req(rd_req), .dram_rd_addr(rd_addr), .dram_rd_strb(unused_rd_strb), .dram_rd_valid(rd_valid_q), .dram_rd_data(rd_data_q),
    .dram_wr_valid(wr_valid), .dram_wr_addr(wr_addr), .dram_wr_data(wr_data), .dram_wr_strb(wr_strb),
    .prog_wclk(clk), .prog_we(prog_we), .prog_waddr({{(16-PROG_AW){1'b0}}, slot_q}), .prog_lane(lane_q), .prog_wdata(f_data),
    .prog_raddr(prog_raddr));
  // The word the core reads at its next edge (word 0 in reset) is in the window unless it is the next
  // one to load: the fetch address moves by at most one word a core cycle, and it is looked at
  // before every edge. Equal slots with `ahead_q` mean the window is full from `want` on.
  wire [PROG_AW-1:0] want = prog_raddr[PROG_AW-1:0];
  wire prog_loaded = (prog_at_q == flash_data);
  wire miss = enable && (want == slot_q) && !ahead_q && !prog_loaded;

  // ---- the RAM region (byte wide; one port for the adapter or the host)
  reg [7:0] ram [0:RAM_BYTES-1];
  integer k;
  initial for (k = 0; k < RAM_BYTES; k = k + 1) ram[k] = 8'd0;
  reg a_we;
  reg [RAM_AW-1:0] a_waddr;
  reg [7:0] a_wdata;
  wire [RAM_AW-1:0] a_raddr;
  wire we = busy ? a_we : h_we;
  wire [RAM_AW-1:0] waddr = busy ? a_waddr : h_waddr;
  wire [7:0] wdata = busy ? a_wdata : h_wdata;
  wire [RAM_AW-1:0] raddr = busy ? a_raddr : h_raddr;
  always @(posedge clk) begin
    if (we) ram[waddr] <= wdata;
    ram_q <= ram[raddr];
  end

  // ---- the read ring: the beat asked for in core cycle y is presented in core cycle y + DRAM_LATENCY
  reg [DRAM_BW*8:0] ring [0:RING-1];
  reg [DRAM_BW*8:0] ring_q;
  reg [SW-1:0] ring_slot_q;

  // the core's outputs of the current core cycle are used as they are: they hold from the core edge
  // to the next one, which the adapter gives only after it has used them
  reg [DRAM_BW*8-1:0] beat_q;
  // j_q counts the bytes of a beat and the four reset cycles
  localparam JW = $clog2(((DRAM_BW > 3) ? DRAM_BW : 3) + 1);
  reg [JW-1:0] j_q;
  // byte addresses, one bit wider than the DRAM address (ram_base and dram_size are below 2^(DRAM_AW+1))
  localparam BYTE_W = ((DRAM_AW > JW) ? DRAM_AW : JW) + 1;
  wire [BYTE_W-1:0] rbyte = {{(BYTE_W-DRAM_AW){1'b0}}, rd_addr} + {{(BYTE_W-JW){1'b0}}, j_q};   // DRAM address of read byte j
  wire [BYTE_W-1:0] wbyte = {{(BYTE_W-DRAM_AW){1'b0}}, wr_addr} + {{(BYTE_W-JW){1'b0}}, j_q};
  wire [BYTE_W-1:0] base_b = ram_base[BYTE_W-1:0];
  wire [BYTE_W-1:0] size_b = dram_size[BYTE_W-1:0];
  /* verilator lint_off WIDTH */
  wire [23:0] flash_at = flash_data + rbyte;
  /* verilator lint_on WIDTH */
  wire [DRAM_BW-1:0] strb_from_j = wr_strb >> j_q;
  wire strb_j = strb_from_j[0];
  wire [RAM_AW-1:0] rram = rbyte[RAM_AW-1:0] - ram_base[RAM_AW-1:0];   // the low bits of rbyte - ram_base
  wire [RAM_AW-1:0] wram = wbyte[RAM_AW-1:0] - ram_base[RAM_AW-1:0];
  wire r_flash = rbyte < base_b, r_ram = rbyte < size_b;
  wire w_ram = wbyte >= base_b && wbyte < size_b;
  assign a_raddr = rram;

  always @(posedge clk) begin
    finished <= 1'b0;
    f_req <= 1'b0;
    a_we <= 1'b0;
    if (start) start_q <= 1'b1;
    if (want != slot_q) ahead_q <= 1'b0;
    if (!rst_n || (state_q == A_FINISH && moved_q)) begin   // the window starts at word 0 again
      slot_q <= 0;
      lane_q <= 4'd0;
      prog_at_q <= flash_prog;
      ahead_q <= 1'b0;
      wrapped_q <= 1'b0;
      moved_q <= 1'b0;
    end
    if (!rst_n) begin
      state_q <= A_IDLE;
      core_clk_q <= 1'b0;
      core_rst_n_q <= 1'b0;
      rd_valid_q <= 1'b0;
      start_q <= 1'b0;
    end else case (state_q)
      A_IDLE: if (miss) state_q <= A_FILL;     // the first window, before a run may start
      else if (start || start_q) begin
        start_q <= 1'b0;
        ring_slot_q <= 0;
        rd_valid_q <= 1'b0;
        core_rst_n_q <= 1'b0;
        j_q <= 0;
        run_clks <= 0;
        state_q <= A_RST_RISE;
      end
      // four core cycles in reset (the core's resets are synchronous)
      A_RST_RISE: begin core_clk_q <= 1'b1; state_q <= A_RST_FALL; end
      A_RST_FALL: begin
        core_clk_q <= 1'b0;
        j_q <= j_q + 1'b1;
        state_q <= (j_q == 3) ? A_RELEASE : A_RST_RISE;
      end
      A_RELEASE: begin core_rst_n_q <= 1'b1; core_cycles <= 0; state_q <= A_SAMPLE; end
      A_SAMPLE: begin
        ring_q <= ring[ring_slot_q];
        beat_q <= 0;
        j_q <= 0;
        state_q <= A_WRITE;
      end
      A_WRITE: begin                              // commit the store channel's beat, byte by byte
        if (!wr_valid || j_q == DRAM_BW) begin
          j_q <= 0;
          state_q <= (done || error || core_cycles >= cycle_limit) ? A_FINISH : A_READ;
        end else begin
          if (strb_j && w_ram) begin
            a_we <= 1'b1;
            a_waddr <= wram;
            a_wdata <= wr_data[j_q*8 +: 8];
          end
          j_q <= j_q + 1'b1;
        end
      end
      A_READ: begin                               // fetch the read channel's beat, byte by byte
        if (!rd_req || j_q == DRAM_BW) state_q <= miss ? A_FILL : A_PRESENT;
        else if (r_flash) begin
          if (f_ready) begin
            f_req <= 1'b1;
            f_addr <= flash_at;
            state_q <= A_FLASH;
          end
        end else if (r_ram) state_q <= A_RAM;   // ram_q holds ram[a_raddr] in A_RAM
        else j_q <= j_q + 1'b1;                   // past the end of DRAM: zero, as the test bench's model
      end
      A_FLASH: if (f_ack) begin
        beat_q[j_q*8 +: 8] <= f_data;
        j_q <= j_q + 1'b1;
        state_q <= A_READ;
      end
      A_RAM: begin
        beat_q[j_q*8 +: 8] <= ram_q;
        j_q <= j_q + 1'b1;
        state_q <= A_READ;
      end
      A_PRESENT: begin
        if (DRAM_LATENCY == 0) {rd_valid_q, rd_data_q} <= {rd_req, beat_q};
        // the ring's entries of the first DRAM_LATENCY cycles were made in reset: no data
        else {rd_valid_q, rd_data_q} <= (core_cycles < RING) ? {1'b0, ring_q[DRAM_BW*8-1:0]} : ring_q;
        ring[ring_slot_q] <= {rd_req, beat_q};
        ring_slot_q <= (ring_slot_q == RING - 1) ? 0 : ring_slot_q + 1'b1;
        state_q <= A_RISE;
      end
      A_RISE: begin core_clk_q <= 1'b1; core_cycles <= core_cycles + 1; state_q <= A_FALL; end
      A_FALL: begin core_clk_q <= 1'b0; state_q <= A_SAMPLE; end
      // load program words from flash until the window is full from `want` on or the program is all
      // loaded; then back to the run (A_READ looks again) or to idle
      A_FILL: if (ahead_q || prog_loaded) state_q <= core_rst_n_q ? A_READ : A_IDLE;
      else if (f_ready) begin
        f_req <= 1'b1;
        f_addr <= prog_at_q;
        state_q <= A_FILL_BYTE;
      end
      A_FILL_BYTE: if (f_ack) begin               // prog_we writes f_data into byte lane_q of slot_q
        prog_at_q <= prog_at_q + 24'd1;
        lane_q <= lane_q + 4'd1;
        if (lane_q == 4'd15) begin
          slot_q <= slot_q + 1'b1;
          if (&slot_q) wrapped_q <= 1'b1;
          if (wrapped_q) moved_q <= 1'b1;
          if (slot_q + 1'b1 == want) ahead_q <= 1'b1;
        end
        state_q <= A_FILL;
      end
      A_FINISH: begin
        finished <= 1'b1;
        status <= error ? 2'd1 : done ? 2'd0 : 2'd2;
        core_rst_n_q <= 1'b0;
        state_q <= A_IDLE;
      end
      default: state_q <= A_IDLE;
    endcase
    if (busy && state_q != A_FINISH) run_clks <= run_clks + 1;
  end
  wire unused_mem = ^{ram_base, dram_size, strb_from_j, prog_raddr};
endmodule
`default_nettype wire
