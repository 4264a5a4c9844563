// SPDX-License-Identifier: MIT
// nnchip_decoder: splits one instruction word into its opcode class, token flags and fields. Every
// opcode value and bit position comes from the generated nnchip_isa.vh (src/isa/spec.ts).
`default_nettype none
module nnchip_decoder (
  insn,
  op_load, op_store, op_matmul, op_threshold, op_sync, op_halt, op_illegal,
  pop_prev, pop_next, push_prev, push_next,
  load_buf, load_sram, load_rows, load_dram, load_stride,
  store_sram, store_rows, store_dram, store_stride,
  mm_wgt, mm_act, mm_act_stride, mm_acc, mm_rows, mm_accumulate, mm_inner, mm_act_outer, mm_bias, mm_shift, mm_chain,
  th_acc, th_out, th_qnt, th_rows, th_zp, th_lo, th_hi, th_table, th_steps, th_pool_h, th_pool_w
);
  `include "nnchip_isa.vh"

  input  wire [INSN_BITS-1:0] insn;
  output wire op_load, op_store, op_matmul, op_threshold, op_sync, op_halt, op_illegal;
  output wire pop_prev, pop_next, push_prev, push_next;
  output wire [F_LOAD_BUF_W-1:0]    load_buf;
  output wire [F_LOAD_SRAM_W-1:0]   load_sram;
  output wire [F_LOAD_ROWS_W-1:0]   load_rows;
  output wire [F_LOAD_DRAM_W-1:0]   load_dram;
  output wire [F_LOAD_STRIDE_W-1:0] load_stride;
  output wire [F_STORE_SRAM_W-1:0]   store_sram;
  output wire [F_STORE_ROWS_W-1:0]   store_rows;
  output wire [F_STORE_DRAM_W-1:0]   store_dram;
  output wire [F_STORE_STRIDE_W-1:0] store_stride;
  output wire [F_MATMUL_WGT_W-1:0]        mm_wgt;
  output wire [F_MATMUL_ACT_W-1:0]        mm_act;
  output wire [F_MATMUL_ACT_STRIDE_W-1:0] mm_act_stride;
  output wire [F_MATMUL_ACC_W-1:0]        mm_acc;
  output wire [F_MATMUL_ROWS_W-1:0]       mm_rows;
  output wire [F_MATMUL_ACCUMULATE_W-1:0] mm_accumulate;
  output wire [F_MATMUL_INNER_W-1:0]      mm_inner;
  output wire [F_MATMUL_ACT_OUTER_W-1:0]  mm_act_outer;
  output wire [F_MATMUL_BIAS_W-1:0]       mm_bias;
  output wire [F_MATMUL_SHIFT_W-1:0]      mm_shift;
  output wire                             mm_chain;
  output wire [F_THRESHOLD_ACC_W-1:0]  th_acc;
  output wire [F_THRESHOLD_OUT_W-1:0]  th_out;
  output wire [F_THRESHOLD_QNT_W-1:0]  th_qnt;
  output wire [F_THRESHOLD_ROWS_W-1:0] th_rows;
  output wire [F_THRESHOLD_ZP_W-1:0]   th_zp;
  output wire [F_THRESHOLD_LO_W-1:0]   th_lo;
  output wire [F_THRESHOLD_HI_W-1:0]   th_hi;
  output wire [F_THRESHOLD_TABLE_W-1:0] th_table;
  output wire [F_THRESHOLD_STEPS_W-1:0] th_steps;
  output wire [F_THRESHOLD_POOL_H_W-1:0] th_pool_h;
  output wire [F_THRESHOLD_POOL_W_W-1:0] th_pool_w;

  wire [OPCODE_W-1:0] opcode = insn[OPCODE_MSB:OPCODE_LSB];
  assign op_load      = opcode == OP_LOAD;
  assign op_store     = opcode == OP_STORE;
  assign op_matmul    = opcode == OP_MATMUL;
  assign op_threshold = opcode == OP_THRESHOLD;
  assign op_sync      = opcode == OP_SYNC;
  assign op_halt      = opcode == OP_HALT;
  assign op_illegal   = ~(op_load | op_store | op_matmul | op_threshold | op_sync | op_halt);

  // the six opcodes above are all the ISA has: an opcode added to src/isa without RTL fails elaboration here
  localparam DECODED_OPCODES = 6;
  generate
    if (OPCODE_COUNT != DECODED_OPCODES) begin : g_isa_has_opcodes_the_decoder_lacks
      nnchip_isa_has_opcodes_the_decoder_lacks fail ();
    end
  endgenerate

  assign pop_prev  = insn[F_POP_PREV_MSB:F_POP_PREV_LSB] != {F_POP_PREV_W{1'b0}};
  assign pop_next  = insn[F_POP_NEXT_MSB:F_POP_NEXT_LSB] != {F_POP_NEXT_W{1'b0}};
  assign push_prev = insn[F_PUSH_PREV_MSB:F_PUSH_PREV_LSB] != {F_PUSH_PREV_W{1'b0}};
  assign push_next = insn[F_PUSH_NEXT_MSB:F_PUSH_NEXT_LSB] != {F_PUSH_NEXT_W{1'b0}};

  assign load_buf    = insn[F_LOAD_BUF_MSB:F_LOAD_BUF_LSB];
  assign load_sram   = insn[F_LOAD_SRAM_MSB:F_LOAD_SRAM_LSB];
  assign load_rows   = insn[F_LOAD_ROWS_MSB:F_LOAD_ROWS_LSB];
  assign load_dram   = insn[F_LOAD_DRAM_MSB:F_LOAD_DRAM_LSB];
  assign load_stride = insn[F_LOAD_STRIDE_MSB:F_LOAD_STRIDE_LSB];

  assign store_sram   = insn[F_STORE_SRAM_MSB:F_STORE_SRAM_LSB];
  assign store_rows   = insn[F_STORE_ROWS_MSB:F_STORE_ROWS_LSB];
  assign store_dram   = insn[F_STORE_DRAM_MSB:F_STORE_DRAM_LSB];
  assign store_stride = insn[F_STORE_STRIDE_MSB:F_STORE_STRIDE_LSB];

  assign mm_wgt        = insn[F_MATMUL_WGT_MSB:F_MATMUL_WGT_LSB];
  assign mm_act        = insn[F_MATMUL_ACT_MSB:F_MATMUL_ACT_LSB];
  assign mm_act_stride = insn[F_MATMUL_ACT_STRIDE_MSB:F_MATMUL_ACT_STRIDE_LSB];
  assign mm_acc        = insn[F_MATMUL_ACC_MSB:F_MATMUL_ACC_LSB];
  assign mm_rows       = insn[F_MATMUL_ROWS_MSB:F_MATMUL_ROWS_LSB];
  assign mm_accumulate = insn[F_MATMUL_ACCUMULATE_MSB:F_MATMUL_ACCUMULATE_LSB];
  assign mm_inner      = insn[F_MATMUL_INNER_MSB:F_MATMUL_INNER_LSB];
  assign mm_act_outer  = insn[F_MATMUL_ACT_OUTER_MSB:F_MATMUL_ACT_OUTER_LSB];
  assign mm_bias       = insn[F_MATMUL_BIAS_MSB:F_MATMUL_BIAS_LSB];
  assign mm_shift      = insn[F_MATMUL_SHIFT_MSB:F_MATMUL_SHIFT_LSB];
  assign mm_chain      = insn[F_MATMUL_CHAIN_MSB:F_MATMUL_CHAIN_LSB] != {F_MATMUL_CHAIN_W{1'b0}};

  assign th_acc  = insn[F_THRESHOLD_ACC_MSB:F_THRESHOLD_ACC_LSB];
  assign th_out  = insn[F_THRESHOLD_OUT_MSB:F_THRESHOLD_OUT_LSB];
  assign th_qnt  = insn[F_THRESHOLD_QNT_MSB:F_THRESHOLD_QNT_LSB];
  assign th_rows = insn[F_THRESHOLD_ROWS_MSB:F_THRESHOLD_ROWS_LSB];
  assign th_zp   = insn[F_THRESHOLD_ZP_MSB:F_THRESHOLD_ZP_LSB];
  assign th_lo   = insn[F_THRESHOLD_LO_MSB:F_THRESHOLD_LO_LSB];
  assign th_hi   = insn[F_THRESHOLD_HI_MSB:F_THRESHOLD_HI_LSB];
  assign th_table = insn[F_THRESHOLD_TABLE_MSB:F_THRESHOLD_TABLE_LSB];
  assign th_steps = insn[F_THRESHOLD_STEPS_MSB:F_THRESHOLD_STEPS_LSB];
  assign th_pool_h = insn[F_THRESHOLD_POOL_H_MSB:F_THRESHOLD_POOL_H_LSB];
  assign th_pool_w = insn[F_THRESHOLD_POOL_W_MSB:F_THRESHOLD_POOL_W_LSB];

  // Bits no format uses (reserved; encode.ts keeps them zero).
  wire unused_insn = ^insn;
endmodule
`default_nettype wire
