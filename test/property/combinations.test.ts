// SPDX-License-Identifier: MIT
/**
 * This session's lowerings in combination, on random graphs and random machines: a reflect or edge
 * pad (pad-mirror.ts) before or after the convolutions, squeeze-excite (channelMul: the gate spread
 * to DRAM and read back as diagonal weight tiles) scaling one or two maps (of one or two sizes), a
 * depthwise convolution's output or a vector, an element-wise activation of the flattened product
 * moved before the flatten (flatten-copy.ts) or a copy of it (concat), a dense tail, a max pool; 1-pixel-wide
 * maps, arrays from 1x1 to 12x12, small buffers, one or two acc banks, batches. Checked:
 * - reference interpreter = sim (fast) = WASM (SIMD or scalar), bit for bit; the certificate = the simulation;
 * - a batched program computes every sample as the unbatched one;
 * - the instruction floor (lower-budget.ts) never exceeds the emitted count;
 * - int8 follows the float graph.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { emitWasm } from '../../src/backends/wasm/emit.js';
import { instantiate } from '../../src/backends/wasm/instance.js';
import { NnchipError } from '../../src/diagnostics/error.js';
import type { Activation, Graph, Node } from '../../src/ir/graph.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { makeConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { dequantizeOutput, quantizeBatches, quantizeInput, splitOutputs, tensorSize, type Program } from '../../src/isa/program.js';
import { instructionFloor } from '../../src/passes/lower-budget.js';
import { compile, quantizeGraph } from '../../src/passes/pipeline.js';
import { prove, simulate } from '../../sim/index.js';
import { randomSamples, rng } from '../helpers/random-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261205);
const RUNS = Number(process.env['FC_RUNS'] ?? 40);
const ACTS: Activation[] = ['relu', 'linear', { fn: 'hardswish' }, 'relu6'];

interface Combo {
  seed: number;
  h: number;
  w: number;
  cin: number;
  c: number;
  pad: [number, number, number, number];
  mode: 0 | 1 | 2;
  k: 1 | 3;
  act: number;
  hard: boolean;
  two: boolean;
  tail: 0 | 1 | 2 | 3 | 4 | 5 | 6;
  /** the second map strided (the gate scales maps of two sizes, both flattened into one concat) */
  strided: boolean;
  /** the pad after the convolutions (on maps with a zero point, before the product) instead of on the input */
  padAfter: boolean;
  /** a depthwise 3x3 convolution between the first convolution and the product */
  dw: boolean;
  /** the gate's product (else the maps themselves: batches take those) */
  se: boolean;
}

/** input → [pad reflect/edge] → conv k×k (act) = a [, conv = b] → gate from a → a·g [+ b·g] → tail. */
function comboGraph(o: Combo): Graph | null {
  const r = rng(o.seed);
  const weights = (n: number, fan: number): Float32Array => Float32Array.from({ length: n }, () => ((r() * 2 - 1) * 1.5) / Math.sqrt(fan));
  const bias = (n: number): Float32Array => Float32Array.from({ length: n }, () => (r() * 2 - 1) * 0.2);
  const mode = o.mode === 0 ? undefined : o.mode === 1 ? 'reflect' : 'edge';
  const [t, l, b, rr] = mode === undefined ? [0, 0, 0, 0] : o.pad;
  if (mode === 'reflect' && (Math.max(t, b) >= o.h || Math.max(l, rr) >= o.w)) return null;
  const [ph, pw] = [o.h + t + b, o.w + l + rr];
  const convPad = o.k === 3 ? 1 : 0;
  const nodes: Node[] = [];
  const after = o.padAfter && mode !== undefined;
  const src = mode === undefined || after ? 'input' : 'padded';
  if (mode !== undefined && !after) nodes.push({ name: 'pad', op: 'pad', inputs: ['input'], output: 'padded', pads: [t, l, b, rr], mode });
  const conv = (name: string, act: Activation, stride = 1): Node => ({ name, op: 'conv2d', inputs: [src], output: name, kernel: { shape: [o.k, o.k, o.cin, o.c], data: weights(o.k * o.k * o.cin * o.c, o.k * o.k * o.cin) }, bias: { shape: [o.c], data: bias(o.c) }, strides: [stride, stride], pads: [convPad, convPad, convPad, convPad], depthwise: false, activation: act });
  const strided = o.two && o.strided && o.se && !after;
  nodes.push(conv(after ? 'a0' : 'a', ACTS[o.act]!));
  if (o.two) nodes.push(conv(after ? 'b0' : 'b', ACTS[(o.act + 1) % ACTS.length]!, strided ? 2 : 1));
  if (after) for (const m of o.two ? ['a', 'b'] : ['a']) nodes.push({ name: `pad${m}`, op: 'pad', inputs: [`${m}0`], output: m, pads: [t, l, b, rr], mode: mode! });
  // MobileNetV3's block: the product scales a depthwise convolution's output
  const a = o.dw ? 'ad' : 'a';
  if (o.dw) nodes.push({ name: 'ad', op: 'conv2d', inputs: ['a'], output: 'ad', kernel: { shape: [3, 3, o.c, 1], data: weights(9 * o.c, 9) }, bias: { shape: [o.c], data: bias(o.c) }, strides: [1, 1], pads: [1, 1, 1, 1], depthwise: true, activation: ACTS[(o.act + 2) % ACTS.length]! });
  nodes.push(
    { name: 'squeeze', op: 'globalAvgPool', inputs: [a], output: 'p' },
    { name: 'fc', op: 'dense', inputs: ['p'], output: 'g', kernel: { shape: [o.c, o.c], data: weights(o.c * o.c, o.c) }, bias: { shape: [o.c], data: bias(o.c) }, activation: o.hard ? { fn: 'hardsigmoid', alpha: 1 / 6, beta: 0.5 } : { fn: 'sigmoid' } },
  );
  if (o.se) nodes.push({ name: 'ya', op: 'channelMul', inputs: [a, 'g'], output: 'ya' });
  let y = o.se ? 'ya' : a;
  if (o.two && o.se) nodes.push({ name: 'yb', op: 'channelMul', inputs: ['b', 'g'], output: 'yb' });
  const n = ph * pw * o.c;
  if (strided) {
    const m = n + Math.floor((ph + 2 * convPad - o.k) / 2 + 1) * Math.floor((pw + 2 * convPad - o.k) / 2 + 1) * o.c;
    nodes.push({ name: 'fa', op: 'flatten', inputs: ['ya'], output: 'fa' }, { name: 'fb', op: 'flatten', inputs: ['yb'], output: 'fb' }, { name: 'cat', op: 'concat', inputs: ['fa', 'fb'], output: 'cat' });
    nodes.push({ name: 'head', op: 'dense', inputs: ['cat'], output: 'out', kernel: { shape: [m, 4], data: weights(m * 4, m) }, bias: { shape: [4], data: bias(4) }, activation: 'linear' });
    return { name: 'combo', inputs: [{ name: 'input', shape: [o.h, o.w, o.cin] }], nodes, outputs: ['out'], notes: [] };
  }
  if (o.two) nodes.push({ name: 'sum', op: 'add', inputs: [y, o.se ? 'yb' : 'b'], output: 'sum' }), (y = 'sum');
  if (o.tail === 1 || o.tail === 2) {
    nodes.push({ name: 'flat', op: 'flatten', inputs: [y], output: 'flat' }, { name: 'act', op: 'activation', inputs: ['flat'], output: 'fa', fn: o.tail === 1 ? 'relu' : { fn: 'sigmoid' } });
    nodes.push({ name: 'head', op: 'dense', inputs: ['fa'], output: 'out', kernel: { shape: [n, 5], data: weights(n * 5, n) }, bias: { shape: [5], data: bias(5) }, activation: 'linear' });
    y = 'out';
  } else if (o.tail === 3) {
    // a flattened product read by a concat: copied out in order (flatten-copy.ts)
    nodes.push({ name: 'flat', op: 'flatten', inputs: [y], output: 'flat' }, { name: 'pflat', op: 'identity', inputs: ['p'], output: 'pc' }, { name: 'cat', op: 'concat', inputs: ['flat', 'pc'], output: 'cat' });
    nodes.push({ name: 'head', op: 'dense', inputs: ['cat'], output: 'out', kernel: { shape: [n + o.c, 4], data: weights((n + o.c) * 4, n) }, bias: { shape: [4], data: bias(4) }, activation: 'linear' });
    y = 'out';
  } else if (o.tail === 6 && ph >= 2 && pw >= 2) {
    // a max pool after the product (folds into its threshold), then a nearest upsampling
    nodes.push({ name: 'mp', op: 'pool2d', inputs: [y], output: 'mp', kind: 'max', size: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }, { name: 'up', op: 'upsample', inputs: ['mp'], output: 'up', factors: [2, 1] });
    y = 'up';
  } else if (o.tail === 5) {
    // the flatten read both through an activation (moved before it) and as it is
    const d = (name: string, input: string): Node => ({ name, op: 'dense', inputs: [input], output: name, kernel: { shape: [n, 4], data: weights(n * 4, n) }, bias: { shape: [4], data: bias(4) }, activation: 'linear' });
    nodes.push({ name: 'flat', op: 'flatten', inputs: [y], output: 'flat' }, { name: 'act', op: 'activation', inputs: ['flat'], output: 'fa', fn: { fn: 'sigmoid' } }, { name: 'fr', op: 'activation', inputs: ['fa'], output: 'fr', fn: 'relu6' }, d('d1', 'fr'), d('d2', 'flat'), { name: 'out', op: 'add', inputs: ['d1', 'd2'], output: 'out' });
    y = 'out';
  } else if (o.tail === 4) {
    // the gate scaling a vector (the squeezed map itself), beside the map's flatten
    nodes.push({ name: 'pv', op: 'channelMul', inputs: ['p', 'g'], output: 'pv' }, { name: 'flat', op: 'flatten', inputs: [y], output: 'flat' }, { name: 'cat', op: 'concat', inputs: ['flat', 'pv'], output: 'cat' });
    nodes.push({ name: 'head', op: 'dense', inputs: ['cat'], output: 'out', kernel: { shape: [n + o.c, 4], data: weights((n + o.c) * 4, n) }, bias: { shape: [4], data: bias(4) }, activation: 'linear' });
    y = 'out';
  }
  return { name: 'combo', inputs: [{ name: 'input', shape: [o.h, o.w, o.cin] }], nodes, outputs: [y], notes: [] };
}

const combo = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 30 }),
  h: fc.integer({ min: 1, max: 5 }), w: fc.integer({ min: 1, max: 5 }), cin: fc.integer({ min: 1, max: 4 }), c: fc.integer({ min: 1, max: 14 }),
  pad: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  mode: fc.constantFrom<0 | 1 | 2>(0, 1, 2), k: fc.constantFrom<1 | 3>(1, 3), act: fc.integer({ min: 0, max: ACTS.length - 1 }), hard: fc.boolean(), two: fc.boolean(), tail: fc.constantFrom<0 | 1 | 2 | 3 | 4 | 5 | 6>(0, 1, 2, 3, 4, 5, 6), se: fc.boolean(), strided: fc.boolean(), padAfter: fc.boolean(), dw: fc.boolean(),
});
const machine = fc.record({
  rows: fc.integer({ min: 1, max: 12 }), cols: fc.integer({ min: 1, max: 12 }),
  small: fc.boolean(), actDepth: fc.constantFrom(40, 160), wgtDepth: fc.constantFrom(8, 64), accDepth: fc.constantFrom(300, 800), accBanks: fc.constantFrom(1, 2), dramBytesPerCycle: fc.constantFrom(1, 3, 8, 64), dramLatency: fc.constantFrom(0, 2, 20), batch: fc.constantFrom(1, 1, 2, 3), simd: fc.boolean(),
});


test('random pad + squeeze-excite + flatten combinations on random machines: ref = sim = WASM, batch = single, floor ≤ count, int8 ≈ float', async () => {
  let checked = 0;
  await fc.assert(
    fc.asyncProperty(combo, machine, async (o, m) => {
      const graph = comboGraph(o);
      if (graph === null) return;
      const size = o.h * o.w * o.cin;
      const samples = randomSamples(8, size, o.seed + 1, -1, 1);
      const config = makeConfig({ rows: m.rows, cols: m.cols, ...(m.small ? { actDepth: m.actDepth, outDepth: 2 * (o.w + 4), wgtDepth: m.wgtDepth, accDepth: m.accDepth } : {}), accBanks: m.accBanks, dramBytesPerCycle: m.dramBytesPerCycle, dramLatency: m.dramLatency });
      /** the program, or undefined where refused as expected: buffers too small (NN403), a batch of squeeze-excite products (NN306: not lowered yet) */
      const compiled = (batch: number): Program | undefined => {
        try {
          return compile(graph, { config, calibration: { samples }, batch }).program;
        } catch (e) {
          if (e instanceof NnchipError && (e.code === 'NN403' || (e.code === 'NN306' && batch > 1))) return undefined;
          throw e;
        }
      };
      const p = compiled(1);
      if (p === undefined) return;
      const batched = m.batch > 1 ? compiled(m.batch) : undefined;
      const q = quantizeGraph(graph, { samples });
      expect(instructionFloor(q.gemm, config, q.unfused)).toBeLessThanOrEqual(p.instructions.length);
      const r = rng(o.seed + 2);
      const n = tensorSize(p.input);
      const inputs = [...samples.slice(0, 2).map((x) => quantizeInput(p, x)), new Int8Array(n).fill(-128), new Int8Array(n).fill(127), Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128)];
      const wasm = await instantiate(emitWasm(p, { simd: m.simd }));
      for (const x of inputs) {
        const want = Array.from(interpret(p, x));
        expect(Array.from(simulate(p, x, { trace: false }).output)).toEqual(want);
        expect(Array.from(wasm.runRaw(x))).toEqual(want);
      }
      expect(prove(p, inputs.slice(0, 2), { randomInputs: 1, stepCheck: p.instructions.length < 3000 }).problems).toEqual([]);
      if (batched !== undefined) {
        const qb = quantizeGraph(graph, { samples }, false, m.batch);
        expect(instructionFloor(qb.gemm, config, qb.unfused)).toBeLessThanOrEqual(batched.instructions.length);
        const some = samples.slice(0, m.batch + 1);
        const got = splitOutputs(batched, quantizeBatches(batched, some).map((codes) => interpret(batched, codes)), some.length);
        expect(got.map((g) => Array.from(g))).toEqual(some.map((x) => Array.from(interpret(p, quantizeInput(p, x)))));
        const codes = quantizeBatches(batched, some)[0]!;
        expect(Array.from(simulate(batched, codes, { trace: false }).output)).toEqual(Array.from(interpret(batched, codes)));
      }
      let [worst, peak] = [0, 0];
      for (const x of samples) {
        const got = dequantizeOutput(p, interpret(p, quantizeInput(p, x)));
        const want = evaluateOutput(graph, x);
        for (let i = 0; i < want.length; i++) [worst, peak] = [Math.max(worst, Math.abs(got[i]! - want[i]!)), Math.max(peak, Math.abs(want[i]!))];
      }
      expect(worst).toBeLessThan(6 * p.outputs[0]!.scale + 0.05 * peak);
      checked++;
    }),
    { numRuns: RUNS, seed: SEED },
  );
  expect(checked).toBeGreaterThan(RUNS / 2);
}, 600_000);
