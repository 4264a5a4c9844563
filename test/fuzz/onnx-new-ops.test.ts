// SPDX-License-Identifier: MIT
/**
 * Differential fuzzing of session 12's ONNX paths against onnxruntime-node: InstanceNormalization and
 * torch's GroupNorm pattern (Reshape → InstanceNormalization → Reshape → Mul → Add) at random shapes
 * (1×1 maps, H or W = 1, C = 1, groups 1..C); element-wise subgraphs of one tensor (random compositions
 * of Mul/Add/Sub/Div/Tanh/Erf/Sigmoid/Exp/Log/Sqrt/Pow/Abs/Neg/Relu/Clip with scalar constants, some
 * intermediates also read by a later Add so they cannot be fused); FLOAT16/BFLOAT16/DOUBLE constants
 * behind Casts and Cast chains on the map; SpaceToDepth, DepthToSpace (DCR and CRD) and PixelUnshuffle. Session 13:
 * the product of a map and a computed map (a conv of it, or CBAM's spatial gate from ReduceMean / ReduceMax over
 * the channels), and LayerNormalization over each pixel's channels. Session 16: LRN (with GlobalMaxPool), Sum and Mean of
 * several inputs. Session 28: channels picked (Gather of a list, Slice with a step, one channel and a reduction without
 * their axis added and unsqueezed) and a continuous Where in the element-wise chains.
 * The float graph = ONNX Runtime; on a random small machine the int8 program runs the same on the
 * reference interpreter, the simulator and WASM (SIMD and scalar) and stays near ONNX Runtime.
 * FC_SEED / FC_RUNS reproduce or widen a run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import onnxProto from 'onnx-proto';
import { afterAll, expect, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { expectClose } from '../helpers/close.js';
import { compileCase, int8Agreement, modelOrder, newTally, tallyLine } from '../helpers/fuzz-case.js';
import { buildOnnx, ortRun, weights, writeOnnx, type NodeSpec } from '../helpers/onnx-models.js';
import { randomSamples } from '../helpers/random-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261205);
const RUNS = Number(process.env['FC_RUNS'] ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'nnchip-onnx-new-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;

/** IEEE half bits of a value exactly representable in half (the generator only writes such values). */
function halfBits(v: number): number {
  if (v === 0) return Object.is(v, -0) ? 0x8000 : 0;
  const s = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  const e = Math.floor(Math.log2(a));
  const m = Math.round((a / 2 ** e - 1) * 1024);
  if (e < -14 || e > 15 || (a / 2 ** e - 1) * 1024 !== m) throw new Error(`${v} is not a half`);
  return s | ((e + 15) << 10) | m;
}

/** Scalar constants written in another float type: initializer `name_` of that type, then Cast to FLOAT as `name`. */
function retype(bytes: Uint8Array, kinds: Record<string, 'half' | 'bf16' | 'double'>): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const g = m.graph!;
  const casts: onnxProto.onnx.INodeProto[] = [];
  for (const t of g.initializer!) {
    const kind = kinds[t.name!];
    if (kind === undefined) continue;
    const f = new Float32Array(Uint8Array.from(t.rawData!).buffer);
    if (kind === 'half') (t.dataType = DT.FLOAT16), (t.rawData = new Uint8Array(Uint16Array.from(f, halfBits).buffer));
    else if (kind === 'bf16') (t.dataType = DT.BFLOAT16), (t.rawData = new Uint8Array(Uint16Array.from(new Uint32Array(f.buffer), (u) => u >>> 16).buffer));
    else (t.dataType = DT.DOUBLE), (t.rawData = new Uint8Array(Float64Array.from(f).buffer));
    casts.push({ opType: 'Cast', name: `cast_${t.name}`, input: [`${t.name}_`], output: [t.name!], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: DT.FLOAT }] });
    t.name = `${t.name}_`;
  }
  g.node = [...casts, ...g.node!];
  return onnx.ModelProto.encode(m).finish();
}

const UNARY = ['Mul', 'Add', 'Sub', 'Div', 'RDiv', 'Tanh', 'Erf', 'Sigmoid', 'Exp', 'Log', 'Sqrt', 'Pow', 'Abs', 'Neg', 'Relu', 'Clip', 'Where'] as const;

const spec = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 30 }),
  body: fc.constantFrom('inorm', 'gnorm', 'expr', 'expr', 's2d', 'd2s', 'd2s', 'unshuffle', 'product', 'product', 'lnorm', 'lrn', 'lrn', 'summean', 'pick', 'pick'),
  h: fc.integer({ min: 1, max: 6 }), w: fc.integer({ min: 1, max: 6 }), c: fc.integer({ min: 1, max: 8 }), cin: fc.integer({ min: 1, max: 3 }),
  conv: fc.boolean(), block: fc.constantFrom(2, 2, 3, 1), crd: fc.boolean(), groups: fc.integer({ min: 1, max: 8 }), eps: fc.constantFrom(1e-5, 1e-3, 0.1),
  chain: fc.array(fc.record({ op: fc.constantFrom(...UNARY), k: fc.integer({ min: -96, max: 96 }), reuse: fc.constantFrom('no', 'no', 'add', 'pool') }), { minLength: 1, maxLength: 5 }),
  types: fc.constantFrom('float', 'half', 'bf16', 'double'), castChain: fc.constantFrom('none', 'double', 'float'),
  tail: fc.constantFrom('map', 'map', 'gemm'), opset: fc.constantFrom(13, 17),
  rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 9 }), small: fc.boolean(),
});
type Spec = typeof spec extends fc.Arbitrary<infer T> ? T : never;

/** The model of a spec (or null when the shape does not fit the body), its input dims and output shape. */
function build(o: Spec): { bytes: Uint8Array; dims: number[]; exprLike: boolean; conditioned: boolean } | null {
  const inits: Record<string, { dims: number[]; data: ArrayLike<number>; int64?: boolean }> = {};
  const nodes: NodeSpec[] = [];
  const typed: Record<string, 'half' | 'bf16' | 'double'> = {};
  let k = 0;
  const init = (dims: number[], data: ArrayLike<number>, int64 = false): string => ((inits[`i${k}`] = { dims, data, int64 }), `i${k++}`);
  /** A scalar constant, m/64 (exact in half and bfloat16), maybe stored as another float type. */
  const scalar = (m: number): string => {
    const name = init([], [m / 64]);
    if (o.types !== 'float') typed[name] = o.types;
    return name;
  };
  const node = (op: string, inputs: string[], attrs?: NodeSpec['attrs']): string => {
    const out = `n${nodes.length}`;
    nodes.push({ op, inputs, outputs: [out], ...(attrs === undefined ? {} : { attrs }) });
    return out;
  };
  const { h, w, cin } = o;
  let c = o.conv ? o.c : cin;
  let [oh, ow] = [h, w];
  let x = 'x';
  if (o.castChain !== 'none') x = node('Cast', [node('Cast', [x], { to: { i: o.castChain === 'double' ? DT.DOUBLE : DT.FLOAT } })], { to: { i: DT.FLOAT } });
  // (weights of at least 0.5 in magnitude: a channel whose spread is a few steps of the per-tensor int8 scale is normalized
  // from those few codes, docs/numerics.md, instance normalization's precision — a known int8 limit, not what this hunts)
  if (o.conv) x = node('Conv', [x, init([c, cin, 1, 1], Float32Array.from(weights(c * cin, o.seed + 3, -1, 1), (v) => v + Math.sign(v) * 0.5)), init([c], weights(c, o.seed + 4, -0.5, 0.5))], { kernel_shape: { ints: [1, 1] } });
  let exprLike = false;
  let conditioned = true;
  const r = o.block;
  if (o.body === 'inorm') {
    x = node('InstanceNormalization', [x, init([c], weights(c, o.seed + 5, 0.25, 1.5)), init([c], weights(c, o.seed + 6, -0.5, 0.5))], { epsilon: { f: o.eps } });
    conditioned = h * w >= 4;
  } else if (o.body === 'gnorm') {
    const g = [1, ...Array.from({ length: c }, (_, i) => i + 1).filter((d) => c % d === 0)].filter((d) => d <= o.groups).at(-1)!;
    conditioned = (h * w * c) / g >= 4;
    const v = node('Reshape', [x, init([3], [0, g, -1], true)]);
    const n = node('InstanceNormalization', [v, init([g], new Array(g).fill(1)), init([g], new Array(g).fill(0))], { epsilon: { f: o.eps } });
    const back = node('Reshape', [n, init([4], [1, c, h, w], true)]);
    x = node('Add', [node('Mul', [back, init([c, 1, 1], weights(c, o.seed + 5, 0.25, 1.5))]), init([c, 1, 1], weights(c, o.seed + 6, -0.5, 0.5))]);
  } else if (o.body === 'expr') {
    exprLike = true;
    const [seen, pooled]: [string[], string[]] = [[], []];
    for (const s of o.chain) {
      const m = s.k === 0 ? 17 : s.k;
      const before = x;
      const abs = (): string => node('Add', [node('Abs', [x]), scalar(Math.abs(m) / 4 + 16)]); // |x| + c, c ≥ 0.25
      switch (s.op) {
        case 'Mul': case 'Add': case 'Sub': x = node(s.op, [x, scalar(m)]); break;
        case 'Div': x = node('Div', [x, scalar(Math.sign(m) * Math.max(16, Math.abs(m)))]); break;
        case 'RDiv': x = node('Div', [scalar(m), abs()]); break;
        case 'Exp': x = node('Exp', [node('Clip', [x, scalar(-160), scalar(160)])]); break;
        case 'Log': case 'Sqrt': x = node(s.op, [abs()]); break;
        case 'Pow': x = m > 0 ? node('Pow', [abs(), scalar(96)]) : node('Pow', [x, scalar(128)]); break; // |x|^1.5 + …, or x²
        case 'Clip': x = node('Clip', [x, scalar(-Math.abs(m) - 8), scalar(Math.abs(m) + 8)]); break;
        // a continuous choice (torch.where(x > t, x, t + (x − t)/2)): no jump for an input code to land on
        case 'Where': x = node('Where', [node('Greater', [x, scalar(m)]), x, node('Add', [node('Mul', [node('Sub', [x, scalar(m)]), scalar(32)]), scalar(m)])]); break;
        default: x = node(s.op, [x]);
      }
      seen.push(before);
      // an intermediate read again by a later Add (still one function of the chain's input), or by a 3×3 MaxPool whose
      // output is added to the chain's result: that one must stay a tensor of its own (no fusion across it)
      if (s.reuse === 'add' && seen.length > 1) x = node('Add', [x, seen[seen.length - 1]!]);
      if (s.reuse === 'pool' && seen.length > 1) pooled.push(node('MaxPool', [seen[seen.length - 1]!], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } }));
    }
    for (const t of pooled) x = node('Add', [x, t]);
  } else if (o.body === 'product') {
    // a map times a computed map (session 13, ir/product.ts): a conv of it (linear, sigmoid or tanh), or CBAM's spatial
    // gate sigmoid(conv(cat(mean over the channels, max over the channels))) [1, 1, H, W]; either order
    const pad = { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } };
    let y: string;
    if (o.crd) {
      const pooled = node('Concat', [node('ReduceMean', [x], { axes: { ints: [1] }, keepdims: { i: 1 } }), node('ReduceMax', [x], { axes: { ints: [1] }, keepdims: { i: 1 } })], { axis: { i: 1 } });
      y = node('Sigmoid', [node('Conv', [pooled, init([1, 2, 3, 3], weights(18, o.seed + 10, -1, 1)), init([1], [0.1])], pad)]);
    } else {
      const k = node('Conv', [x, init([c, c, 3, 3], weights(c * c * 9, o.seed + 10, -0.6, 0.6)), init([c], weights(c, o.seed + 11, -0.3, 0.3))], pad);
      y = r === 1 ? k : node(r === 3 ? 'Tanh' : 'Sigmoid', [k]);
    }
    x = node('Mul', o.groups % 2 === 0 ? [x, y] : [y, x]);
  } else if (o.body === 'lnorm') {
    // LayerNormalization over each pixel's channels (opset 17): ConvNeXt's Transpose → LayerNormalization → Transpose
    if (o.opset < 17) return null;
    const t = node('Transpose', [x], { perm: { ints: [0, 2, 3, 1] } });
    const n = node('LayerNormalization', [t, init([c], weights(c, o.seed + 5, 0.25, 1.5)), init([c], weights(c, o.seed + 6, -0.5, 0.5))], { epsilon: { f: o.eps } });
    x = node('Transpose', [n], { perm: { ints: [0, 3, 1, 2] } });
    // (as a normalization of fewer than 4 values below: one channel's d is 0, two channels' ±σ)
    conditioned = c >= 4;
  } else if (o.body === 'lrn') {
    // session 16: LRN (odd sizes: onnxruntime refuses even ones) over the channels, after a ReLU or not; then GlobalMaxPool
    // as a per-channel gate of the map (squeeze-excite's Mul)
    const size = 2 * (o.groups % 3) + 1;
    const [alpha, beta, bias] = [[1e-4, 0.1, 2][o.seed % 3]!, [0.5, 0.75, 1][o.groups % 3]!, [1, 2][o.seed % 2]!];
    x = node('LRN', [o.crd ? node('Relu', [x]) : x], { size: { i: size }, alpha: { f: alpha }, beta: { f: beta }, bias: { f: bias } });
    if (o.eps === 0.1) x = node('Mul', [x, node('GlobalMaxPool', [x])]);
  } else if (o.body === 'summean') {
    // session 16: Sum and Mean of 2–4 inputs: the map, its ReLU, its Neg, a per-channel constant
    const parts = [x, node('Relu', [x]), node('Neg', [x]), init([1, c, 1, 1], weights(c, o.seed + 12, -0.5, 0.5))].slice(0, 2 + (o.groups % 3));
    x = node(o.crd ? 'Mean' : 'Sum', parts);
  } else if (o.body === 'pick') {
    // session 28: channels picked by constant indices — Gather of a list (repeats, negatives), Slice with a step (backwards
    // too, as torch's flip), or one channel of the map (Gather without the axis, [N, H, W]) through element-wise ops of
    // such views and back with Unsqueeze
    const variant = o.seed % 3;
    // (something computed before: a pick that keeps every channel in order is views alone, NN305)
    if (!o.conv) x = node('Relu', [x]);
    if (variant === 0) {
      const list = o.chain.map((e, i) => ((e.k + 96 + i) % (2 * c)) - c);
      x = node('Gather', [x, init([list.length], list, true)], { axis: { i: 1 } });
      c = list.length;
    } else if (variant === 1) {
      const step = [1, 2, -1, -2][o.groups % 4]!;
      const [from, to] = step > 0 ? [o.seed % c, c] : [c - 1 - (o.seed % c), -(2 ** 53)];
      const count = step > 0 ? Math.ceil((to - from) / step) : Math.floor(from / -step) + 1;
      x = node('Slice', [x, init([1], [from], true), init([1], [to], true), init([1], [1], true), init([1], [step], true)]);
      c = count;
    } else {
      const one = (i: number): string => node('Gather', [x, init([], [i % c], true)], { axis: { i: 1 } });
      const reduced = node(o.crd ? 'ReduceMax' : 'ReduceMean', [x], { axes: { ints: [1] }, keepdims: { i: 0 } });
      const v = node(o.groups % 2 === 0 ? 'Add' : 'Sub', [one(o.seed), reduced]);
      x = node('Unsqueeze', o.opset >= 13 ? [node('Sigmoid', [v]), init([1], [1], true)] : [node('Sigmoid', [v])], o.opset >= 13 ? undefined : { axes: { ints: [1] } });
      c = 1;
    }
  } else if (o.body === 's2d') {
    if (h % r !== 0 || w % r !== 0) return null;
    x = node('SpaceToDepth', [x], { blocksize: { i: r } });
    [c, oh, ow] = [c * r * r, h / r, w / r];
  } else if (o.body === 'd2s') {
    // r² · (1..4) channels: the map's own if they divide, else a Slice of them or a 1×1 Conv to them
    const q = r * r * Math.max(1, Math.floor(o.c / 2));
    if (c >= q && c !== q) x = node('Slice', [x, init([1], [0], true), init([1], [q], true), init([1], [1], true)]);
    else if (c < q) x = node('Conv', [x, init([q, c, 1, 1], Float32Array.from(weights(q * c, o.seed + 9, -1, 1), (v) => v + Math.sign(v) * 0.5))], { kernel_shape: { ints: [1, 1] } });
    x = node('DepthToSpace', [x], { blocksize: { i: r }, ...(o.crd ? { mode: { s: 'CRD' } } : {}) });
    [c, oh, ow] = [q / (r * r), h * r, w * r];
  } else {
    // (PixelUnshuffle(1) is refused: its 6-D Transpose moves nothing but is not recognised; r ≥ 2 here)
    if (r === 1 || h % r !== 0 || w % r !== 0) return null;
    const v = node('Reshape', [x, init([6], [1, c, h / r, r, w / r, r], true)]);
    const t = node('Transpose', [v], { perm: { ints: [0, 1, 3, 5, 2, 4] } });
    x = node('Reshape', [t, init([4], [1, c * r * r, h / r, w / r], true)]);
    [c, oh, ow] = [c * r * r, h / r, w / r];
  }
  let out = [1, c, oh, ow];
  if (o.tail === 'gemm') {
    const n = c * oh * ow;
    x = node('Gemm', [node('Flatten', [x]), init([3, n], weights(3 * n, o.seed + 8, -1 / Math.sqrt(n), 1 / Math.sqrt(n))), init([3], [0.1, -0.2, 0.3])], { transB: { i: 1 } });
    out = [1, 3];
  }
  nodes[nodes.length - 1]!.outputs = ['out'];
  const bytes = retype(buildOnnx({ input: [1, cin, h, w], output: out, nodes, inits, opset: o.opset, outputName: 'out' }), typed);
  return { bytes, dims: [1, cin, h, w], exprLike, conditioned };
}

const tally = newTally();
afterAll(() => console.log(tallyLine('onnx-new-ops', tally)));

test('random normalization / element-wise / float-type / depth-space ONNX models: float = onnxruntime; int8 ref = sim = WASM ≈ onnxruntime', async () => {
  await fc.assert(
    fc.asyncProperty(spec, async (o) => {
      const built = build(o);
      if (built === null) return;
      const { bytes, dims, exprLike, conditioned } = built;
      const path = writeOnnx(mkdtempSync(join(dir, 'm-')), bytes);
      const samples = randomSamples(6, dims.reduce((a, b) => a * b, 1), o.seed + 1, -1.5, 1.5);
      const want = await ortRun(path, dims, samples);
      const compiled = compileCase(path, o, samples, tally);
      if (compiled === null) return;
      const { graph, p } = compiled;
      // float: nnchip's graph = onnxruntime (a Cast through float32 only; half casts on data are not generated)
      samples.forEach((s, i) => expectClose(modelOrder(p, evaluateOutput(graph, s)), want[i]!, 2e-4));
      const { worst, spread } = await int8Agreement(p, samples, want, JSON.stringify(o));
      // int8: element-wise tables of steep functions, and a Clip or table taking a small slice of an intermediate's range
      // (a few of that intermediate's steps, whose range is at most ~4 here), lose more than one layer's rounding. A
      // normalization of fewer than 4 values per group is not held to a bound: its float output jumps between ±scale as
      // the centred value d crosses 0, and int8 rounds a small d to 0 (docs/numerics.md, a channel of a few codes)
      const allowed = exprLike ? 0.15 * spread + 6 * p.outputs[0]!.scale + 0.05 : 0.1 * spread + 6 * p.outputs[0]!.scale;
      if (conditioned) expect(worst, `int8 vs onnxruntime on ${JSON.stringify(o)}`).toBeLessThanOrEqual(allowed);
      tally.checked++;
      tally.bodies.set(o.body, (tally.bodies.get(o.body) ?? 0) + 1);
    }),
    { numRuns: RUNS, seed: SEED },
  );
  expect(tally.checked).toBeGreaterThan(RUNS / 2);
}, 300_000);

test('a Pow (fused only) whose exponent is a FLOAT16, BFLOAT16 or DOUBLE scalar cast to FLOAT: one expr table, = onnxruntime (it was NN110)', async () => {
  for (const kind of ['half', 'bf16', 'double'] as const) {
    const spec = { input: [1, 2, 3, 3], output: [1, 2, 3, 3], inits: { e: { dims: [], data: [2] }, one: { dims: [], data: [0.5] } }, nodes: [{ op: 'Abs', inputs: ['x'], outputs: ['a'] }, { op: 'Add', inputs: ['a', 'one'], outputs: ['b'] }, { op: 'Pow', inputs: ['b', 'e'], outputs: ['out'] }] };
    const path = writeOnnx(mkdtempSync(join(dir, 'pow-')), retype(buildOnnx(spec), { e: kind, one: kind }));
    const graph = loadModel(path);
    expect(graph.nodes.map((n) => n.op)).toEqual(['activation']);
    const samples = randomSamples(3, 18, 7, -2, 2);
    const want = await ortRun(path, [1, 2, 3, 3], samples);
    samples.forEach((s, i) => expectClose(Float64Array.from({ length: 18 }, (_, j) => evaluateOutput(graph, s)[(j % 9) * 2 + Math.floor(j / 9)]!), want[i]!));
  }
});
