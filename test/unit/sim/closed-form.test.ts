/**
 * Closed-form cycle counts of single layers, written from docs/hardware.md (issue rules and the
 * per-instruction table), checked against both simulator modes; values against interpret().
 */
import { describe, expect, test } from 'vitest';
import { interpret } from '../../../src/isa/interpret.js';
import { simulate } from '../../../sim/index.js';
import { oneTile, type Layer } from './one-tile.js';

/**
 * docs/hardware.md, cycle by cycle. The four loads run back to back on the load unit from cycle 1
 * (fetched at 0, a start comes at least one cycle after the fetch); a DMA of `rows` entries of E
 * bytes takes latency + rows·ceil(E / bandwidth). The matmul pops the wgt load's token, so it
 * starts when the last load ends and takes R (preload) + R (row skew / fill) + M (rows) + C
 * (column skew and de-skew / drain). The threshold follows on the same unit (M rows + 4 pipeline
 * cycles: operand select, multiply, accumulate, round and write); the store pops its token and takes latency + M·ceil(C / bandwidth).
 */
function expectedCycles({ R, C, M, L, B }: Layer): number {
  const dma = (rows: number, bytes: number): number => L + rows * Math.ceil(bytes / B);
  const loads = dma(1, 4 * C) + dma(M, 4 * C) + dma(M, R) + dma(R, C);
  const matmul = R + R + M + C;
  const threshold = M + 4;
  const store = dma(M, C);
  return 1 + loads + matmul + threshold + store;
}

const LAYERS: Layer[] = [
  { R: 1, C: 1, M: 1, L: 0, B: 1 },
  { R: 3, C: 5, M: 4, L: 7, B: 2 },
  { R: 4, C: 8, M: 9, L: 20, B: 8 },
  { R: 8, C: 8, M: 1, L: 20, B: 8 },
  { R: 5, C: 3, M: 6, L: 1, B: 3 },
  { R: 16, C: 2, M: 3, L: 5, B: 64 },
];

describe('one weight tile, by the formula of docs/hardware.md', () => {
  test.each(LAYERS)('R=$R C=$C M=$M latency=$L bandwidth=$B', (layer) => {
    const p = oneTile(layer, layer.R * 31 + layer.C);
    const x = Int8Array.from({ length: layer.M * layer.R }, (_, i) => ((i * 53) % 256) - 128);
    const fast = simulate(p, x);
    const step = simulate(p, x, { mode: 'step' });
    expect(fast.cycles).toBe(expectedCycles(layer));
    expect(step.cycles).toBe(expectedCycles(layer));
    const want = Array.from(interpret(p, x));
    expect(Array.from(fast.output)).toEqual(want);
    expect(Array.from(step.output)).toEqual(want);
    // one MAC per PE per streamed row; every PE of the tile is used
    expect(step.stats.arrayMacs).toBe(layer.M * layer.R * layer.C);
    expect(step.stats.layers[0]!.cycles).toBe(expectedCycles(layer) - 1); // the layer starts at cycle 1
  });

  test('a lone matmul keeps the compute unit busy exactly 2R + C + M cycles (start to last acc write), the threshold M + 4', () => {
    const layer = LAYERS[2]!;
    const p = oneTile(layer, 5);
    const s = simulate(p, new Int8Array(layer.M * layer.R), { mode: 'step' });
    expect(s.stats.busyCycles.compute).toBe(2 * layer.R + layer.C + layer.M + layer.M + 4);
    // the compute unit waits (idle, head fetched) for the wgt load's token from cycle 5 to the loads' end
    const loadsEnd = expectedCycles(layer) - (2 * layer.R + layer.C + layer.M) - (layer.M + 4) - (layer.L + layer.M * Math.ceil(layer.C / layer.B));
    expect(s.stats.stalls.tokenWait.loadToCompute).toBe(loadsEnd - 5);
    expect(s.stats.stalls.tokenWait.computeToStore).toBe(loadsEnd + 2 * layer.R + layer.C + 2 * layer.M + 4 - 7);
  });
});
