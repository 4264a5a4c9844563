// SPDX-License-Identifier: MIT
// nnchip_board_pll: the board oscillator (12 MHz) to the design clock. DIVR/DIVF/DIVQ/FILTER_RANGE
// come from src/board/pll.ts; USE_PLL = 0 passes the oscillator through. Simulation (no SYNTHESIS
// macro) always passes the clock through: the test bench drives the design clock directly.
// PLL_PAD = 1: the oscillator's pin is the PLL's own input pad (the iCEBreaker's pin 35): SB_PLL40_PAD,
// as nextpnr cannot place an SB_PLL40_CORE whose site that pin's input buffer takes.
`default_nettype none
module nnchip_board_pll #(
  parameter USE_PLL = 0,
  parameter PLL_PAD = 0,
  parameter [3:0] DIVR = 4'd0,
  parameter [6:0] DIVF = 7'd0,
  parameter [2:0] DIVQ = 3'd0,
  parameter [2:0] FILTER_RANGE = 3'd1
) (
  input  wire clk_in,
  output wire clk_out,
  output wire locked
);
`ifdef SYNTHESIS
  generate
    if (USE_PLL != 0 && PLL_PAD != 0) begin : g_pad_pll
      SB_PLL40_PAD #(
        .FEEDBACK_PATH("SIMPLE"), .DIVR(DIVR), .DIVF(DIVF), .DIVQ(DIVQ), .FILTER_RANGE(FILTER_RANGE)
      ) u_pll (
        .PACKAGEPIN(clk_in), .PLLOUTGLOBAL(clk_out), .LOCK(locked), .RESETB(1'b1), .BYPASS(1'b0));
    end else if (USE_PLL != 0) begin : g_pll
      SB_PLL40_CORE #(
        .FEEDBACK_PATH("SIMPLE"), .DIVR(DIVR), .DIVF(DIVF), .DIVQ(DIVQ), .FILTER_RANGE(FILTER_RANGE)
      ) u_pll (
        .REFERENCECLK(clk_in), .PLLOUTGLOBAL(clk_out), .LOCK(locked), .RESETB(1'b1), .BYPASS(1'b0));
    end else begin : g_direct
      assign clk_out = clk_in;
      assign locked = 1'b1;
    end
  endgenerate
`else
  assign clk_out = clk_in;
  assign locked = 1'b1;
  wire unused_pll = ^{DIVR, DIVF, DIVQ, FILTER_RANGE, USE_PLL[0], PLL_PAD[0]};
`endif
endmodule
`default_nettype wire
