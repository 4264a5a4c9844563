// SPDX-License-Identifier: MIT
/**
 * A convolution of one matmul per column tile (its K within the rows) on a large array keeps its
 * weight tile in the wgt buffer from tile to tile, and its windows take three act slots: per tile
 * the load unit moves only the windows, a bias entry and the requant parameters. The tile estimate
 * (lower-tile-choice.ts tileCost) charged the weight tile and a cycle per out row every tile, so it
 * chose tiles so long that each threshold waited for the next tile's matmul to leave the issue slot:
 * a 7×7/2 convolution of one channel on 64x64 took 4,579 cycles at matched settings, 1.53× SCALE-Sim.
 */
import { expect, test } from 'vitest';
import { scaleSimWsCycles } from '../../../src/cli/topology.js';
import { certify } from '../../../src/isa/cost.js';
import { LOAD_BUFFERS } from '../../../src/isa/spec.js';
import { expectSimExact } from '../../helpers/agreement.js';
import { matchedConfig, topologyLayerProgram } from '../../helpers/matched.js';

test('a 7×7/2 convolution of one channel on 64x64 is within 1.4× of SCALE-Sim at matched settings, in tiles short enough for its thresholds, exactly', () => {
  const program = topologyLayerProgram('Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nConv,112,112,7,7,1,16,2,\n', matchedConfig(64, 64));
  const matmuls = program.instructions.filter((i) => i.op === 'matmul');
  // one weight tile for every tile, loaded once; tiles of at most 4 lines (212 rows), where the old estimate chose 5 (265)
  expect(new Set(matmuls.map((m) => m.op === 'matmul' && m.wgt)).size).toBe(1);
  expect(program.instructions.filter((i) => i.op === 'load' && i.buf === LOAD_BUFFERS.wgt).length).toBe(1);
  expect(Math.max(...matmuls.map((m) => (m.op === 'matmul' ? m.rows : 0)))).toBeLessThanOrEqual(4 * 53);
  expect(certify(program).cycles).toBeLessThanOrEqual(1.4 * scaleSimWsCycles({ M: 53 * 53, N: 16, K: 49 }, 64, 64));
  const x = new Int8Array(program.input.rows * program.input.rowBytes).map((_, i) => ((i * 37) % 256) - 128);
  expectSimExact(program, x);
});
