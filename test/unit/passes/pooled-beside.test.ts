// SPDX-License-Identifier: MIT
/**
 * A pooled convolution of two matmuls per column tile may put each tile's threshold beside the next
 * tile's matmuls where the load unit bounds it (lower-tile-choice.ts chooseLines). The MNIST CNN's
 * conv_1 (676×8×9 on 8x8: K = 9 on 8 rows, a fused 2×2 max pool) kept them apart, and each next tile
 * waited for the threshold: 1,760 cycles at matched settings, 1.26× SCALE-Sim's 1,395.
 */
import { describe, expect, test } from 'vitest';
import { scaleSimWsCycles } from '../../../src/cli/topology.js';
import { loadModel } from '../../../src/importers/index.js';
import { certify } from '../../../src/isa/cost.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { compile } from '../../../src/passes/pipeline.js';
import { expectSimExact } from '../../helpers/agreement.js';
import { matchedConfig } from '../../helpers/matched.js';

const matched = matchedConfig(8, 8);

describe('a pooled convolution bound by its loads', () => {
  const cnn = loadModel(new URL('../../../examples/digits-cnn/model.json', import.meta.url).pathname);
  const { program } = compile(cnn, { config: matched, calibration: { inputRange: [0, 1] } });
  const conv1 = program.layers.findIndex((l) => l.name === 'conv_1');
  const compute = program.instructions.flatMap((insn, i) => (program.insnLayer[i] === conv1 && (insn.op === 'matmul' || insn.op === 'threshold') ? [insn.op === 'matmul' ? 'M' : 'T'] : [])).join('');

  test('puts each tile\'s pooled threshold after the next tile\'s first matmul', () => {
    // apart, each tile's two matmuls and then its threshold: MMT MMT …; beside: MM M T M M T …
    expect(compute).toMatch(/^MM(MTM)+T$/);
  });

  test('and is within 1.15× of SCALE-Sim\'s closed form at matched settings, exactly', () => {
    expect(certify(program).layers[conv1]!.cycles).toBeLessThanOrEqual(1.15 * scaleSimWsCycles({ M: 676, N: 8, K: 9 }, 8, 8));
    expectSimExact(program, quantizeInput(program, new Float32Array(28 * 28).map((_, i) => (i % 11) / 11)));
  });
});
