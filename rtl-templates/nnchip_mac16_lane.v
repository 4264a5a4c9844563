// SPDX-License-Identifier: MIT
// nnchip_mac16_lane: a threshold lane's requantization multiply, x (signed 32 bits) * mult (u16), in
// two iCE40 UltraPlus DSP blocks (SB_MAC16 in its 16x16 mode): x's high half (signed) and low half
// (unsigned) each times mult (unsigned), the products registered in the blocks' pipeline register.
// The operands enter through the blocks' input registers, fed with what the threshold's stage-1
// registers would take; the products are ready where its stage-2 register's would be, so the
// threshold's four stages (THRESHOLD_LATENCY) are unchanged: x * mult = (p_hi << 16) + p_lo.
// The whole of mult every beat: with PASSES = COLS*D the D beats of a lane group multiply the same
// x and mult, and the last one's product is the one stage 4 uses (nnchip_threshold.v).
`default_nettype none
module nnchip_mac16_lane (
  input  wire        clk,
  input  wire [31:0] x_next,   // the stage-1 operands, one cycle ahead
  input  wire [15:0] m_next,
  output wire [31:0] p_hi,     // x[31:16] * mult, signed
  output wire [31:0] p_lo      // x[15:0] * mult, unsigned
);
  wire [1:0] carry, accum_carry, sign_ext;   // the products use no adder: these go nowhere
  wire unused_carries = ^{carry, accum_carry, sign_ext};
  genvar h;
  generate
    for (h = 0; h < 2; h = h + 1) begin : g_half
      wire [31:0] o;
      SB_MAC16 #(
        .MODE_8x8(1'b0), .A_SIGNED(h == 1 ? 1'b1 : 1'b0), .B_SIGNED(1'b0),
        .A_REG(1'b1), .B_REG(1'b1), .C_REG(1'b0), .D_REG(1'b0),
        .TOP_8x8_MULT_REG(1'b0), .BOT_8x8_MULT_REG(1'b0),
        .PIPELINE_16x16_MULT_REG1(1'b0), .PIPELINE_16x16_MULT_REG2(1'b1),
        .TOPOUTPUT_SELECT(2'd3), .BOTOUTPUT_SELECT(2'd3)   // the 16x16 product, from its pipeline register
      ) u_mac (
        .CLK(clk), .CE(1'b1), .A(x_next[h*16 +: 16]), .B(m_next), .C(16'd0), .D(16'd0),
        .AHOLD(1'b0), .BHOLD(1'b0), .CHOLD(1'b0), .DHOLD(1'b0),
        .IRSTTOP(1'b0), .IRSTBOT(1'b0), .ORSTTOP(1'b0), .ORSTBOT(1'b0),
        .OLOADTOP(1'b0), .OLOADBOT(1'b0), .ADDSUBTOP(1'b0), .ADDSUBBOT(1'b0),
        .OHOLDTOP(1'b0), .OHOLDBOT(1'b0), .CI(1'b0), .ACCUMCI(1'b0), .SIGNEXTIN(1'b0),
        .O(o), .CO(carry[h]), .ACCUMCO(accum_carry[h]), .SIGNEXTOUT(sign_ext[h]));
      if (h == 1) begin : g_hi
        assign p_hi = o;
      end else begin : g_lo
        assign p_lo = o;
      end
    end
  endgenerate
endmodule
`default_nettype wire
