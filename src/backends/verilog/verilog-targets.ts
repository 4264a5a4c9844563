// SPDX-License-Identifier: MIT
/** The flows `nnchip verilog --target` writes (its own module so devices.ts and emit.ts both import it without a cycle). */
export const VERILOG_TARGETS = ['ice40', 'ecp5', 'asic', 'generic'] as const;
export type VerilogTarget = (typeof VERILOG_TARGETS)[number];
