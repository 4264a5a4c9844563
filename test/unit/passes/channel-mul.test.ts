// SPDX-License-Identifier: MIT
/**
 * The per-channel product's pieces (passes/channel-mul.ts, lower-dram.ts spreadPitch, quantize.ts):
 * the spread layout read back as weight tiles is diag(gate) for every array shape, the gate's
 * parameters are symmetric, bad shapes and batches are refused in one line.
 */
import { describe, expect, test } from 'vitest';
import type { Graph } from '../../../src/ir/graph.js';
import { checkGraph } from '../../../src/ir/verify.js';
import { makeConfig } from '../../../src/isa/config.js';
import { ceilDiv, spreadPitch, spreadTail } from '../../../src/passes/lower-dram.js';
import { compile } from '../../../src/passes/pipeline.js';
import { calibrate } from '../../../src/passes/quantize.js';
import { failure } from '../../helpers/errors.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { seGraph } from '../../helpers/se-graph.js';

describe('spreadPitch: the spread gate read with stride P − 1 is diag(gate), tile by tile', () => {
  test('every R, C ≤ 24 and gate width ≤ 3·max(R, C): each tile the diagonal crosses is exactly its part of diag(g), never another channel, inside the zero tail', () => {
    const wrong: string[] = [];
    for (let R = 1; R <= 24; R++) for (let C = 1; C <= 24; C++) {
      const P = spreadPitch(R, C);
      expect(P).toBeGreaterThanOrEqual(Math.max(R, C));
      for (const k of [1, R, C, R + C - 1, 3 * Math.max(R, C) - 1]) {
        // channel j's code (j + 1) at byte j·P, zeros elsewhere, far past the region (its zero tail)
        const bytes = new Int32Array(ceilDiv(k, R) * R * P + ceilDiv(k, C) * C + P);
        for (let j = 0; j < k; j++) bytes[j * P] = j + 1;
        for (let nt = 0; nt < ceilDiv(k, C); nt++) for (let ct = 0; ct < ceilDiv(k, R); ct++) {
          if (ct * R > nt * C + C - 1 || ct * R + R - 1 < nt * C) continue; // the diagonal misses it: never loaded
          const base = ct * R * (P - 1) + nt * C;
          // the tile's last byte lies inside the region and its zero tail
          if (base + (R - 1) * (P - 1) + C > k * P + spreadTail(k, P, R, C)) wrong.push(`R ${R} C ${C} k ${k} tile (${ct}, ${nt}) reads past the tail`);
          for (let i = 0; i < R; i++) for (let c = 0; c < C; c++) {
            const [row, col] = [ct * R + i, nt * C + c];
            if (bytes[base + i * (P - 1) + c] !== (row === col && row < k ? row + 1 : 0)) wrong.push(`R ${R} C ${C} k ${k} tile (${ct}, ${nt}) row ${i} col ${c}`);
          }
        }
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });
});

describe('the gate and its checks', () => {
  const graph = seGraph({ h: 3, w: 3, cin: 2, c: 6, hidden: 3, act: 'relu', gate: { fn: 'sigmoid' }, seed: 4 });
  const samples = randomSamples(6, 18, 3, -1, 1);

  test('the gate is symmetric int8 (zp 0, scale max |g| / 127); x keeps its asymmetric parameters', () => {
    const { params } = calibrate(graph, { samples });
    expect(params.get('g')!.zp).toBe(0);
    expect(params.get('x')!.zp).toBe(-128);
  });

  test('a gate that is not a vector of the map\'s channels: NN203 naming the layer and shapes', () => {
    const bad: Graph = { ...graph, nodes: graph.nodes.map((n) => (n.op === 'channelMul' ? { ...n, inputs: ['x', 'h'] } : n)) };
    expect(failure(() => checkGraph(bad)).format()).toMatch(/^error NN203: layer "excite": inputs have shapes \[3,3,6\] and \[3\]; a per-channel product needs a map \[H, W, C\] or vector \[C\] and a vector of its C channels/);
  });

  test('a batch: NN306 with a hint, not a wrong answer', () => {
    const e = failure(() => compile(graph, { config: makeConfig({ rows: 4, cols: 4 }), calibration: { samples }, batch: 2 }));
    expect([e.code, e.format()]).toEqual(['NN306', expect.stringMatching(/layer "excite": a batch of 2 stacks the samples' lines, but a per-channel product \(squeeze-excite\) takes its weights from one sample's gate — lower it without --batch/)]);
  });
});
