// SPDX-License-Identifier: MIT
/**
 * This session's ONNX paths in combination, on random models checked against onnxruntime-node: Pad
 * (reflect, edge, constant) before a Conv, squeeze-excite (GlobalAveragePool → 1x1 Conv → Sigmoid or
 * HardSigmoid → Mul, either operand order) scaling one or two maps, then the map itself (the output
 * layout), a Flatten with an activation after it, or an [N, C, H·W] view and its mean over the pixels.
 * The float graph = ONNX Runtime; the int8 program within a few output steps of it; sim = interpret.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import onnxProto from 'onnx-proto';
import { afterAll, expect, test } from 'vitest';
import { NnchipError } from '../../src/diagnostics/error.js';
import { loadModel } from '../../src/importers/index.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { makeConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput, type Program } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';
import { simulate } from '../../sim/index.js';
import { expectClose } from '../helpers/close.js';
import { buildOnnx, ortRun, weights, writeOnnx, type NodeSpec } from '../helpers/onnx-models.js';
import { randomSamples } from '../helpers/random-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261205);
const RUNS = Number(process.env['FC_RUNS'] ?? 25);
const dir = mkdtempSync(join(tmpdir(), 'nnchip-onnx-combos-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The program's output in the model's own layout (a channel-major map transposed back), dequantized. */
function modelOrder(p: Program, hwc: ArrayLike<number>): Float64Array {
  const shape = p.outputs[0]!.shape;
  if (p.outputs[0]!.layout !== 'chw' || shape.length !== 3) return Float64Array.from(hwc);
  const [h, w, c] = shape as [number, number, number];
  return Float64Array.from({ length: h * w * c }, (_, j) => hwc[(j % (h * w)) * c + Math.floor(j / (h * w))]!);
}

type Ints = Record<string, { dims: number[]; data: number[]; uint8: boolean }>;

/** The model with its 8-bit initializers: the UINT8 zero point 0 `zu` of its QDQ pairs, quantized weights and their zero points. */
function withInts(bytes: Uint8Array, ints: Ints): Uint8Array {
  const { onnx } = onnxProto;
  const m = onnx.ModelProto.decode(bytes);
  for (const [name, t] of Object.entries({ zu: { dims: [], data: [0], uint8: true }, ...ints })) {
    const raw = t.uint8 ? Uint8Array.from(t.data) : new Uint8Array(Int8Array.from(t.data).buffer);
    m.graph!.initializer!.push(onnx.TensorProto.create({ name, dims: t.dims, dataType: t.uint8 ? onnx.TensorProto.DataType.UINT8 : onnx.TensorProto.DataType.INT8, rawData: raw }));
  }
  return onnx.ModelProto.encode(m).finish();
}

const spec = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 30 }),
  h: fc.integer({ min: 1, max: 5 }), w: fc.integer({ min: 1, max: 5 }), cin: fc.integer({ min: 1, max: 3 }), c: fc.integer({ min: 1, max: 9 }),
  pad: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
  mode: fc.constantFrom('none', 'reflect', 'edge', 'constant'), k: fc.constantFrom(1, 3), relu: fc.boolean(), hard: fc.boolean(), swap: fc.boolean(), two: fc.boolean(),
  tail: fc.constantFrom('map', 'flatten-relu', 'flatten-sigmoid', 'view-mean', 'view-back', 'tokens', 'tokens-mean', 'tokens-back', 'nhwc', 'nhwc-flatten'),
  gate: fc.constantFrom('conv', 'torch'), qw: fc.constantFrom('none', 'tensor', 'axis'), direct: fc.boolean(), qdq: fc.constantFrom(0, 0, 1, 2), opset: fc.constantFrom(13, 17, 18),
  rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 9 }),
});

test('random ONNX pad + squeeze-excite + flatten/view models: float = onnxruntime, int8 ≈ onnxruntime, sim = interpret', async () => {
  let checked = 0;
  await fc.assert(
    fc.asyncProperty(spec, async (o) => {
      const [t, l, b, r] = o.mode === 'none' ? [0, 0, 0, 0] : o.pad;
      if (o.mode === 'reflect' && (Math.max(t, b) >= o.h || Math.max(l, r) >= o.w)) return;
      const [ph, pw] = [o.h + t + b, o.w + l + r];
      const cp = o.k === 3 ? 1 : 0;
      const inits: Record<string, { dims: number[]; data: ArrayLike<number>; int64?: boolean }> = {};
      const nodes: NodeSpec[] = [];
      let k = 0;
      const init = (dims: number[], data: ArrayLike<number>, int64 = false): string => ((inits[`i${k}`] = { dims, data, int64 }), `i${k++}`);
      const ints: Ints = {};
      /** DequantizeLinear of 8-bit weights: per output channel (axis 0) or per tensor, INT8 or UINT8, zero points off the middle */
      const qwts = (dims: number[], fan: number): string => {
        const [n, per] = [dims.reduce((a, c) => a * c, 1), o.qw === 'axis' ? dims[0]! : 1];
        const r = weights(2 * n + 2 * per, o.seed + 7 * k);
        const uint8 = r[0]! > 0;
        const mid = uint8 ? 128 : 0;
        const zp = Array.from({ length: per }, (_, i) => mid + Math.round(r[n + i]! * 20));
        const q = Array.from({ length: n }, (_, i) => Math.max(uint8 ? 0 : -128, Math.min(uint8 ? 255 : 127, zp[Math.floor(i / (n / per))]! + Math.round(r[i]! * 100))));
        const scales = Array.from({ length: per }, (_, i) => ((1 + Math.abs(r[n + per + i]!)) * 1.5) / (100 * Math.sqrt(fan)));
        const [qn, zn] = [`q${k}`, `z${k}`];
        ints[qn] = { dims, data: q, uint8 };
        ints[zn] = { dims: per === 1 ? [] : [per], data: zp, uint8 };
        const sn = init(per === 1 ? [] : [per], scales);
        nodes.push({ op: 'DequantizeLinear', inputs: [qn, sn, zn], outputs: [`${qn}f`], ...(per === 1 ? {} : { attrs: { axis: { i: 0 } } }) });
        return `${qn}f`;
      };
      /** ReduceMean over one axis: axes an attribute, an input from opset 18 */
      const mean = (v: string, axis: number): NodeSpec => (o.opset < 18 ? { op: 'ReduceMean', inputs: [v], outputs: ['out'], attrs: { axes: { ints: [axis] }, keepdims: { i: 0 } } } : { op: 'ReduceMean', inputs: [v, init([1], [axis], true)], outputs: ['out'], attrs: { keepdims: { i: 0 } } });
      const wts = (dims: number[], fan: number): string => init(dims, Array.from(weights(dims.reduce((a, c) => a * c, 1), o.seed + k), (v) => (v * 1.5) / Math.sqrt(fan)));
      let x = 'x';
      if (o.mode !== 'none') {
        nodes.push({ op: 'Pad', inputs: ['x', init([8], [0, 0, t, l, 0, 0, b, r], true)], outputs: ['padded'], attrs: { mode: { s: o.mode } } });
        x = 'padded';
      }
      const conv = (name: string): void => {
        nodes.push({ op: 'Conv', inputs: [x, (o.qw === 'none' ? wts : qwts)([o.c, o.cin, o.k, o.k], o.k * o.k * o.cin), wts([o.c], 25)], outputs: [o.relu ? `${name}0` : name], attrs: { kernel_shape: { ints: [o.k, o.k] }, pads: { ints: [cp, cp, cp, cp] } } });
        if (o.relu) nodes.push({ op: 'Relu', inputs: [`${name}0`], outputs: [name] });
      };
      const c = o.direct ? o.cin : o.c;
      if (o.direct) nodes.push({ op: 'Identity', inputs: [x], outputs: ['a'] });
      else conv('a');
      if (o.two) conv('b');
      if (o.direct && o.two && o.c !== o.cin) return;
      let a = 'a';
      // (a pair on the model input is an identity in nnchip, onnx-quant.ts: not one here)
      if (o.qdq >= 1 && !o.direct) {
        nodes.push({ op: 'QuantizeLinear', inputs: ['a', init([], [1 / 40]), 'zu'], outputs: ['aq'] }, { op: 'DequantizeLinear', inputs: ['aq', init([], [1 / 40]), 'zu'], outputs: ['adq'] });
        a = 'adq';
      }
      nodes.push({ op: 'GlobalAveragePool', inputs: [a], outputs: ['p'] });
      if (o.gate === 'conv') nodes.push({ op: 'Conv', inputs: ['p', (o.qw === 'none' ? wts : qwts)([c, c, 1, 1], c), wts([c], 25)], outputs: ['gl'], attrs: { kernel_shape: { ints: [1, 1] } } });
      else nodes.push({ op: 'Flatten', inputs: ['p'], outputs: ['pf'] }, { op: 'Gemm', inputs: ['pf', wts([3, c], c), wts([3], 25)], outputs: ['h0'], attrs: { transB: { i: 1 } } }, { op: 'Relu', inputs: ['h0'], outputs: ['h'] }, { op: 'Gemm', inputs: ['h', wts([c, 3], 3), wts([c], 25)], outputs: ['gf'], attrs: { transB: { i: 1 } } });
      const gv = o.gate === 'conv' ? 'gl' : 'gf';
      nodes.push(o.hard ? { op: 'HardSigmoid', inputs: [gv], outputs: ['g0'], attrs: { alpha: { f: 1 / 6 }, beta: { f: 0.5 } } } : { op: 'Sigmoid', inputs: [gv], outputs: ['g0'] });
      let g = 'g0';
      if (o.gate === 'torch') nodes.push({ op: 'Reshape', inputs: [g, init([4], [1, c, 1, 1], true)], outputs: ['g1'] }), (g = 'g1');
      if (o.qdq === 2) {
        nodes.push({ op: 'QuantizeLinear', inputs: [g, init([], [1 / 255]), 'zu'], outputs: ['gq'] }, { op: 'DequantizeLinear', inputs: ['gq', init([], [1 / 255]), 'zu'], outputs: ['g'] });
      } else nodes.push({ op: 'Identity', inputs: [g], outputs: ['g'] });
      nodes.push({ op: 'Mul', inputs: o.swap ? ['g', a] : [a, 'g'], outputs: ['ya'] });
      let y = 'ya';
      if (o.two) nodes.push({ op: 'Mul', inputs: o.swap ? ['b', 'g'] : ['g', 'b'], outputs: ['yb'] }, { op: 'Add', inputs: ['ya', 'yb'], outputs: ['sum'] }), (y = 'sum');
      let out: number[] = [1, c, ph, pw];
      const n = c * ph * pw;
      if (o.tail === 'flatten-relu' || o.tail === 'flatten-sigmoid') {
        nodes.push({ op: 'Flatten', inputs: [y], outputs: ['flat'] }, { op: o.tail === 'flatten-relu' ? 'Relu' : 'Sigmoid', inputs: ['flat'], outputs: ['fa'] }, { op: 'Gemm', inputs: ['fa', wts([4, n], n), wts([4], 25)], outputs: ['out'], attrs: { transB: { i: 1 } } });
        out = [1, 4];
      } else if (o.tail === 'view-mean') {
        nodes.push({ op: 'Reshape', inputs: [y, init([3], [1, c, -1], true)], outputs: ['v'] }, mean('v', 2));
        out = [1, c];
      } else if (o.tail === 'tokens-mean') {
        nodes.push({ op: 'Reshape', inputs: [y, init([3], [1, c, -1], true)], outputs: ['v'] }, { op: 'Transpose', inputs: ['v'], outputs: ['tk'], attrs: { perm: { ints: [0, 2, 1] } } }, mean('tk', 1));
        out = [1, c];
      } else if (o.tail === 'tokens-back') {
        nodes.push({ op: 'Reshape', inputs: [y, init([3], [1, c, -1], true)], outputs: ['v'] }, { op: 'Transpose', inputs: ['v'], outputs: ['tk'], attrs: { perm: { ints: [0, 2, 1] } } }, { op: 'MatMul', inputs: ['tk', wts([c, c], c)], outputs: ['tm'] });
        nodes.push({ op: 'Transpose', inputs: ['tm'], outputs: ['tt'], attrs: { perm: { ints: [0, 2, 1] } } }, { op: 'Reshape', inputs: ['tt', init([4], [1, c, ph, pw], true)], outputs: ['out'] });
      } else if (o.tail === 'nhwc') {
        nodes.push({ op: 'Transpose', inputs: [y], outputs: ['out'], attrs: { perm: { ints: [0, 2, 3, 1] } } });
        out = [1, ph, pw, c];
      } else if (o.tail === 'nhwc-flatten') {
        nodes.push({ op: 'Transpose', inputs: [y], outputs: ['t'], attrs: { perm: { ints: [0, 2, 3, 1] } } }, { op: 'Flatten', inputs: ['t'], outputs: ['tf'] }, { op: 'Gemm', inputs: ['tf', wts([3, n], n), wts([3], 25)], outputs: ['out'], attrs: { transB: { i: 1 } } });
        out = [1, 3];
      } else if (o.tail === 'tokens') {
        nodes.push({ op: 'Reshape', inputs: [y, init([3], [1, c, -1], true)], outputs: ['v'] }, { op: 'Transpose', inputs: ['v'], outputs: ['tk'], attrs: { perm: { ints: [0, 2, 1] } } }, { op: 'MatMul', inputs: ['tk', wts([c, 3], c)], outputs: ['out'] });
        out = [1, ph * pw, 3];
      } else if (o.tail === 'view-back') {
        nodes.push({ op: 'Reshape', inputs: [y, init([3], [1, c, -1], true)], outputs: ['v'] }, { op: 'Relu', inputs: ['v'], outputs: ['vr'] }, { op: 'Reshape', inputs: ['vr', init([4], [1, c, ph, pw], true)], outputs: ['out'] });
      } else nodes.push({ op: 'Identity', inputs: [y], outputs: ['out'] });
      const bytes = withInts(buildOnnx({ input: [1, o.cin, o.h, o.w], output: out, nodes, inits, opset: o.opset, outputName: 'out' }), ints);
      const path = writeOnnx(mkdtempSync(join(dir, 'm-')), bytes);
      const dims = [1, o.cin, o.h, o.w];
      const samples = randomSamples(8, o.cin * o.h * o.w, o.seed + 1, -1, 1);
      const want = await ortRun(path, dims, samples);
      let graph;
      let p: Program;
      try {
        graph = loadModel(path);
        p = compile(graph, { config: makeConfig({ rows: o.rows, cols: o.cols }), calibration: { samples } }).program;
      } catch (e) {
        if (e instanceof NnchipError) throw new Error(`${e.code} ${e.message} on ${JSON.stringify(o)}`);
        throw e;
      }
      let [worst, peak] = [0, 0];
      samples.forEach((s, i) => {
        // (a QDQ pair rounds in ONNX Runtime, nnchip takes it as a clamp)
        if (o.qdq === 0) expectClose(modelOrder(p, evaluateOutput(graph, s)), want[i]!, 1e-4);
        const codes = quantizeInput(p, s);
        const got = modelOrder(p, dequantizeOutput(p, interpret(p, codes)));
        for (let j = 0; j < got.length; j++) [worst, peak] = [Math.max(worst, Math.abs(got[j]! - want[i]![j]!)), Math.max(peak, Math.abs(want[i]![j]!))];
        expect(Array.from(simulate(p, codes, { trace: false }).output)).toEqual(Array.from(interpret(p, codes)));
      });
      // (ONNX Runtime rounds a pair's values to its step, 1/40, where nnchip keeps its own scales)
      expect(worst).toBeLessThan(6 * p.outputs[0]!.scale + 0.05 * peak + (o.qdq === 0 ? 0 : 1 / 40));
      checked++;
    }),
    { numRuns: RUNS, seed: SEED },
  );
  expect(checked).toBeGreaterThan(RUNS / 2);
}, 600_000);
