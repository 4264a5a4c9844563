// SPDX-License-Identifier: MIT
/**
 * An op of one term over full lines (a 1×1 convolution; a topology's GEMM layer) loads each channel
 * tile of its window just before the first matmul that reads it (lower-emit.ts loadWindows), so its
 * second matmul waits for two channel tiles, not for all of them.
 */
import { describe, expect, test } from 'vitest';
import { scaleSimWsCycles } from '../../../src/cli/topology.js';
import { mnkOf, parseTopology } from '../../../src/importers/topology.js';
import { certify } from '../../../src/isa/cost.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { LOAD_BUFFERS } from '../../../src/isa/spec.js';
import { expectSimExact } from '../../helpers/agreement.js';
import { matchedConfig, topologyLayerProgram } from '../../helpers/matched.js';

const matched = matchedConfig(8, 8);

describe('a one-term op streams its channel tiles', () => {
  const csv = 'Layer, M, N, K,\nfc3, 64, 10, 64,\n';
  const program = topologyLayerProgram(csv, matched);

  test('the channel tiles\' loads are spread among the matmuls, not all before them', () => {
    const insns = program.instructions;
    const matmuls = insns.flatMap((insn, i) => (insn.op === 'matmul' ? [i] : []));
    const actLoads = insns.flatMap((insn, i) => (insn.op === 'load' && insn.buf === LOAD_BUFFERS.act ? [i] : []));
    // K = 64 on 8 rows: 8 channel tiles of 64 rows; the second matmul follows three of them (the
    // scheduler hoists each load up to a matmul ahead), the last one's load follows the sixth matmul
    expect(actLoads).toHaveLength(8);
    expect(actLoads.filter((i) => i < matmuls[1]!)).toHaveLength(3);
    expect(actLoads.at(-1)!).toBeGreaterThan(matmuls[5]!);
  });

  test('at matched settings the GEMM 64×10×64 on 8x8 takes no more than SCALE-Sim\'s closed form, exactly', () => {
    expect(certify(program).cycles).toBeLessThanOrEqual(scaleSimWsCycles(mnkOf(parseTopology(csv, 't.csv').layers[0]!), 8, 8));
    expectSimExact(program, quantizeInput(program, new Float32Array(64 * 64).map((_, i) => ((i * 37) % 100) / 100)));
  });
});
