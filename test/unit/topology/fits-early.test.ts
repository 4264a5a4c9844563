// SPDX-License-Identifier: MIT
/**
 * `sim --topology` refuses a layer over a limit before compiling any layer: a late layer's NN406 used to
 * come after every earlier layer was compiled and simulated (ResNet-18 on 2x2: 4 minutes).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';

const compiled = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../../src/passes/pipeline.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/passes/pipeline.js')>();
  return { ...real, compile: (...args: Parameters<typeof real.compile>) => (compiled.count++, real.compile(...args)) };
});
const { runTopology } = await import('../../../src/cli/topology.js');

describe('sim --topology checks every layer before the first compiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-fits-early-'));
  const csv = join(dir, 'net.csv');
  writeFileSync(csv, 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nc1, 8, 8, 3, 3, 4, 8, 1,\nc2, 32, 32, 3, 3, 64, 64, 1,\n');

  test('a second layer over --max-instructions: NN406 naming it, and no layer compiled', () => {
    compiled.count = 0;
    expect(() => runTopology(csv, { array: '2x2', maxInstructions: '20000' })).toThrow(expect.objectContaining({ code: 'NN406', layer: 'c2' }));
    expect(compiled.count).toBe(0);
  });

  test('within the limit every layer compiles and runs', () => {
    compiled.count = 0;
    expect(runTopology(csv, { array: '8x8' }).runs.map((r) => r.layer.name)).toEqual(['c1', 'c2']);
    expect(compiled.count).toBe(2);
  });
});
