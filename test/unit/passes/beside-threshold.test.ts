/**
 * A column tile's threshold placed beside the next column tile's matmuls (two acc banks,
 * lower-emit.ts emitOp `held`) follows at most that column tile's matmuls: past them come the
 * following column tile's, on the threshold's own bank, which it would wait for (timing.ts
 * thresholdBesideFrom). A batch-1 dense layer of two folds per column tile on 256x256 once put its
 * thresholds after three matmuls (besideAfter of a one-row matmul), each waiting for a same-bank
 * matmul to drain: ResNet-18's FC took 3,348 cycles, 2,833 since.
 */
import { describe, expect, test } from 'vitest';
import { accSplit } from '../../../src/isa/config.js';
import type { Program } from '../../../src/isa/program.js';
import { tableSteps } from '../../../src/isa/ops/threshold.js';
import { compileGraph } from '../../helpers/compile.js';
import { MATCHED } from '../../helpers/matched.js';
import { randomMlp, randomSamples } from '../../helpers/random-graph.js';


/** The requantize-mode thresholds whose nearest earlier matmul is on their acc bank without writing their rows. */
function behindSameBank(p: Program): number[] {
  const split = accSplit(p.config);
  const bad: number[] = [];
  let last = -1;
  p.instructions.forEach((insn, i) => {
    if (insn.op === 'matmul') last = i;
    if (insn.op !== 'threshold' || tableSteps(insn) > 0 || last < 0) return;
    const mm = p.instructions[last]!;
    if (mm.op !== 'matmul') return;
    const ownRows = mm.acc < insn.acc + insn.rows && insn.acc < mm.acc + mm.rows;
    const sameBank = (mm.acc >= split) === (insn.acc >= split);
    if (sameBank && !ownRows) bad.push(i);
  });
  return bad;
}

describe('a threshold beside the next column tile follows only its matmuls', () => {
  test.each([
    ['512 → 1000, batch 1, 256x256 (ResNet-18 FC: two folds per column tile)', [512, 1000], 256],
    ['300 → 70, batch 1, 32x32', [300, 70], 32],
    ['64 → 40, batch 1, 8x8', [64, 40], 8],
  ] as const)('%s', (_name, sizes, side) => {
    const p = compileGraph(randomMlp(sizes, 3), randomSamples(4, sizes[0], 4, -1, 1), { rows: side, cols: side, ...MATCHED });
    expect(p.instructions.filter((i) => i.op === 'threshold').length).toBeGreaterThan(2);
    expect(behindSameBank(p)).toEqual([]);
  });
});
