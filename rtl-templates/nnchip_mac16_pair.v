// SPDX-License-Identifier: MIT
// nnchip_mac16_pair: the int8 x int8 products of two PEs in one iCE40 UltraPlus DSP block (SB_MAC16
// in its 8x8 mode, both operands signed: A[15:8] * B[15:8] on O[31:16], A[7:0] * B[7:0] on O[15:0]).
// The operands enter through the block's input registers, fed with the values the PEs' own
// activation and weight registers take at the same edge (a_*_next, w_*_next): the registers move
// into the DSP and a product is ready in the cycle the fabric multiplier's would be, so the array's
// timing (isa/timing.ts) is unchanged. A_REG = 0 is for the one pair whose activation has no
// earlier form (row 0, columns 0 and 1: lane 0 comes straight from the act buffer's read port);
// a_*_now are its operands then. The products leave unregistered: the multiplier's pipeline
// registers would add a cycle.
`default_nettype none
module nnchip_mac16_pair #(
  parameter A_REG = 1   // 1: a_*_next through the A register; 0: a_*_now straight in
) (
  input  wire        clk,
  input  wire [7:0]  a_hi_next, a_lo_next,   // the activations one cycle ahead (A_REG = 1)
  input  wire [7:0]  a_hi_now, a_lo_now,     // the activations this cycle (A_REG = 0)
  input  wire [7:0]  w_hi_next, w_lo_next,   // the weights one cycle ahead
  output wire [15:0] p_hi, p_lo              // a * w, signed
);
  wire [15:0] a = A_REG != 0 ? {a_hi_next, a_lo_next} : {a_hi_now, a_lo_now};
  wire [31:0] o;
  wire carry, accum_carry, sign_ext;   // the 8x8 products use no adder: these go nowhere
  wire unused_carries = ^{carry, accum_carry, sign_ext};
  SB_MAC16 #(
    .MODE_8x8(1'b1), .A_SIGNED(1'b1), .B_SIGNED(1'b1),
    .A_REG(A_REG != 0 ? 1'b1 : 1'b0), .B_REG(1'b1), .C_REG(1'b0), .D_REG(1'b0),
    .TOP_8x8_MULT_REG(1'b0), .BOT_8x8_MULT_REG(1'b0),
    .PIPELINE_16x16_MULT_REG1(1'b0), .PIPELINE_16x16_MULT_REG2(1'b0),
    .TOPOUTPUT_SELECT(2'd2), .BOTOUTPUT_SELECT(2'd2)   // the 8x8 products, unregistered
  ) u_mac (
    .CLK(clk), .CE(1'b1), .A(a), .B({w_hi_next, w_lo_next}), .C(16'd0), .D(16'd0),
    .AHOLD(1'b0), .BHOLD(1'b0), .CHOLD(1'b0), .DHOLD(1'b0),
    .IRSTTOP(1'b0), .IRSTBOT(1'b0), .ORSTTOP(1'b0), .ORSTBOT(1'b0),
    .OLOADTOP(1'b0), .OLOADBOT(1'b0), .ADDSUBTOP(1'b0), .ADDSUBBOT(1'b0),
    .OHOLDTOP(1'b0), .OHOLDBOT(1'b0), .CI(1'b0), .ACCUMCI(1'b0), .SIGNEXTIN(1'b0),
    .O(o), .CO(carry), .ACCUMCO(accum_carry), .SIGNEXTOUT(sign_ext));
  assign p_hi = o[31:16];
  assign p_lo = o[15:0];
endmodule
`default_nettype wire
