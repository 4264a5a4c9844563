/**
 * A program's bias-bit form (ISA issue #15): each replicated acc load (stride 0) over n rows whose
 * next access to any of those rows is a matmul accumulating onto exactly them becomes a one-row
 * load into the first row and that matmul a bias matmul (accumulate 0, bias 1) — what the compiler
 * emits since the bias bit, with the same results: every row starts from the loaded entry.
 */
import { accessesOf } from '../../../../src/isa/effects.js';
import type { Program } from '../../../../src/isa/program.js';
import { loadBufferOf, type Instruction } from '../../../../src/isa/spec.js';

export function toBiasForm(p: Program): Program {
  const insns: Instruction[] = [...p.instructions];
  insns.forEach((load, i) => {
    if (load.op !== 'load' || loadBufferOf(load.buf) !== 'acc' || load.stride !== 0) return;
    const rows = { start: load.sram, end: load.sram + load.rows };
    for (let j = i + 1; j < insns.length; j++) {
      const next = insns[j]!;
      if (!accessesOf(next, p.config).some((a) => a.space === 'acc' && a.start < rows.end && rows.start < a.end)) continue;
      if (next.op === 'matmul' && next.accumulate === 1 && next.acc === load.sram && next.rows === load.rows) {
        insns[i] = { ...load, rows: 1 };
        insns[j] = { ...next, accumulate: 0, bias: 1 };
      }
      return;
    }
  });
  return { ...p, instructions: insns };
}
