/**
 * An op of one matmul per column tile on two acc banks (lower-tile-choice.ts chooseLines
 * `oneMatmulBeside`; lower.ts keeps it where the whole program is faster): its thresholds follow the
 * next tile's matmul and its windows take three act slots, so neither the array's drain (2R + C per
 * tile, apart) nor the window two tiles on (waiting for the matmul two tiles back, with two slots)
 * stalls it. On one bank nothing changes. Outputs stay exact, and fast = step = certificate.
 */
import { expect, test } from 'vitest';
import { quantizeInput } from '../../../src/isa/program.js';
import { scheduleTimes } from '../../../src/isa/timing.js';
import { expectSimExact } from '../../helpers/agreement.js';
import { besideShape, oneMatmulShortcut } from '../../helpers/one-matmul-beside.js';
import { randomSamples } from '../../helpers/random-graph.js';

test('two acc banks: each threshold but the last follows the next tile\'s matmul, three act slots; exact', () => {
  const p = oneMatmulShortcut(2);
  const shape = besideShape(p);
  expect(shape.matmuls).toBe(shape.thresholds); // one matmul per tile
  expect(shape.matmuls).toBeGreaterThan(3);
  expect(shape.besideThresholds).toBe(shape.thresholds - 1);
  expect(shape.actSlots).toBe(3);
  // apart (M T M T), a tile's matmul waits for the threshold before it, which waits for the previous
  // tile's matmul to complete: beside, each starts while the previous one still drains
  const { timings } = scheduleTimes(p.instructions, p.config);
  const mms = p.instructions.flatMap((insn, i) => (insn.op === 'matmul' ? [timings[i]!] : []));
  expect(mms.slice(1).every((t, k) => t.start < mms[k]!.end)).toBe(true);
  for (const x of randomSamples(2, 16 * 16 * 4, 5, -1, 1)) expectSimExact(p, quantizeInput(p, x));
});

test('one acc bank: thresholds stay after their own matmul, two act slots', () => {
  const shape = besideShape(oneMatmulShortcut(1));
  expect(shape.besideThresholds).toBe(0);
  expect(shape.actSlots).toBeLessThanOrEqual(2);
});
