/**
 * The graph-model ops the two real fixtures do not use (Conv2D, BiasAdd, Relu6, MatMul with
 * transpose_b, AvgPool, Pad, Sub, ConcatV2, Squeeze, Mean with keep_dims, FusedDepthwiseConv2dNative,
 * the table activations Sigmoid, Tanh, LeakyRelu, Elu, Selu, Softplus, Prelu, alone and fused, a
 * squeeze-excite Mul of a map and its gate),
 * exercised by rewriting the real converter-written graphs into equivalent forms. TF.js's own
 * loadGraphModel runs every rewritten file too and is the reference, so the rewrites need not be exact.
 */
import * as tf from '@tensorflow/tfjs';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { DEFAULT_LIMITS, loadModel } from '../../../src/importers/index.js';
import { readTfjsWeights } from '../../../src/importers/tfjs-weights.js';
import type { Tensor } from '../../../src/ir/graph.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { simulate } from '../../../sim/index.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { randomSamples } from '../../helpers/random-graph.js';
import '../../helpers/tfjs-models.js'; // pins the CPU backend, quiet

interface TfNodeJson { name: string; op: string; input?: string[]; attr?: Record<string, unknown> }
interface ModelJson { format: string; modelTopology: { node: TfNodeJson[] }; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] }

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const ints = (v: number[]): { list: { i: string[] } } => ({ list: { i: v.map(String) } });

/** A copy of a fixture that can be rewritten: nodes edited or added, constants appended to its weights. */
class GraphEdit {
  readonly dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-graph-edit-'));
  readonly json: ModelJson;
  readonly weights: Map<string, Tensor>;
  constructor(fixture: string) {
    cpSync(join(import.meta.dirname, '../../fixtures', fixture), this.dir, { recursive: true });
    this.json = JSON.parse(readFileSync(join(this.dir, 'model.json'), 'utf8')) as ModelJson;
    this.weights = readTfjsWeights(this.json.weightsManifest, join(this.dir, 'model.json'), DEFAULT_LIMITS);
  }
  nodes(op: string): TfNodeJson[] {
    return this.json.modelTopology.node.filter((n) => n.op === op);
  }
  named(suffix: string): TfNodeJson {
    return this.json.modelTopology.node.find((n) => n.name.endsWith(suffix))!;
  }
  add(node: TfNodeJson): void {
    this.json.modelTopology.node.push(node);
  }
  constant(name: string, shape: number[], data: Float32Array | Int32Array): string {
    const dtype = data instanceof Int32Array ? 'int32' : 'float32';
    appendFileSync(join(this.dir, 'weights.bin'), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.json.weightsManifest[0]!.weights.push({ name, shape, dtype });
    const type = dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
    this.add({ name, op: 'Const', attr: { dtype: { type }, value: { tensor: { dtype: type, tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } } } });
    return name;
  }
  /** A fused node N → op(x, w) → BiasAdd → activation, the last keeping the name N its readers use. */
  unfuse(n: TfNodeJson, op: 'Conv2D' | 'MatMul', activation: 'Relu' | 'Relu6', w = n.input![1]!): void {
    const [x, , bias] = n.input!;
    const attr = { ...n.attr };
    for (const k of ['fused_ops', 'num_args', 'epsilon']) delete attr[k];
    this.add({ name: `${n.name}/op`, op, input: [x!, w], attr });
    this.add({ name: `${n.name}/bias`, op: 'BiasAdd', input: [`${n.name}/op`, bias!], attr: { data_format: { s: b64('NHWC') } } });
    Object.assign(n, { op: activation, input: [`${n.name}/bias`], attr: {} });
  }
  save(): string {
    writeFileSync(join(this.dir, 'model.json'), JSON.stringify(this.json));
    return join(this.dir, 'model.json');
  }
}

async function expectSameAsTfjs(path: string, shape: number[], ops: string[]): Promise<void> {
  const graph = loadModel(path);
  for (const op of ops) expect(graph.nodes.map((n) => (n.op === 'pool2d' ? `pool2d:${n.kind}` : n.op))).toContain(op);
  const json = JSON.parse(readFileSync(path, 'utf8')) as ModelJson;
  const bin = readFileSync(join(path, '../weights.bin'));
  const model = await tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length), format: json.format }));
  for (const x of randomSamples(2, shape.reduce((a, b) => a * b, 1), 8, 0, 1)) {
    // rewrites leave unread constants, which TF.js would count as outputs: name the real one
    const want = tf.tidy(() => (model.execute(tf.tensor(x, [1, ...shape]), 'Identity') as tf.Tensor).dataSync());
    expectClose(evaluateOutput(graph, x), want);
  }
}

describe('TF.js graph ops on rewritten real graphs = TF.js loadGraphModel', () => {
  test('liveness unfused: Conv2D + BiasAdd + Relu6, MatMul (transpose_b) + BiasAdd + Relu, Pad before a VALID conv, AvgPool, Sub and a constant-first Mul', async () => {
    const g = new GraphEdit('tfjs-graph-liveness');
    const [first, ...convs] = g.nodes('_FusedConv2D');
    g.unfuse(first!, 'Conv2D', 'Relu6');
    for (const c of convs) g.unfuse(c, 'Conv2D', 'Relu');
    // conv 1 reads an explicitly padded input with VALID padding
    const conv1 = g.named('activation_1/Relu/op');
    const paddings = g.constant('pad1/paddings', [4, 2], Int32Array.from([0, 0, 1, 1, 1, 1, 0, 0]));
    g.add({ name: 'pad1', op: 'Pad', input: [conv1.input![0]!, paddings], attr: {} });
    conv1.input![0] = 'pad1';
    conv1.attr!['padding'] = { s: b64('VALID') };
    // dense 1 as MatMul with its weights stored transposed
    const dense1 = g.named('activation_5/Relu');
    const w = g.weights.get(dense1.input![1]!)!;
    const [k, n] = w.shape as [number, number];
    const wt = Float32Array.from({ length: k * n }, (_, i) => w.data[(i % k) * n + Math.floor(i / k)]!);
    g.unfuse(dense1, 'MatMul', 'Relu', g.constant('dense_1/transposed', [n, k], wt));
    g.named('activation_5/Relu/op').attr = { transpose_a: { b: false }, transpose_b: { b: true } };
    g.named('max_pooling2d_1/MaxPool').op = 'AvgPool';
    // x + c as x − (−c); c·x with the constant first
    const add = g.named('batchnorm/add_1');
    add.op = 'Sub';
    add.input![1] = g.constant('negated_offset', [64], g.weights.get(add.input![1]!)!.data.map((v) => -v));
    g.named('batch_normalization_1/FusedBatchNormV3/Mul').input!.reverse();
    await expectSameAsTfjs(g.save(), [32, 32, 3], ['pad', 'pool2d:avg', 'pool2d:max', 'dense', 'batchNorm']);
  });

  test('liveness with swish after conv 3, as tfjs-converter writes Keras swish: Mul(x, Sigmoid(x)) is one silu table', async () => {
    const g = new GraphEdit('tfjs-graph-liveness');
    const conv3 = g.named('activation_3/Relu');
    g.unfuse(conv3, 'Conv2D', 'Relu');
    g.add({ name: 'swish/sigmoid', op: 'Sigmoid', input: [`${conv3.name}/bias`], attr: {} });
    Object.assign(conv3, { op: 'Mul', input: ['swish/sigmoid', `${conv3.name}/bias`], attr: {} });
    const path = g.save();
    const graph = loadModel(path);
    expect(graph.nodes.filter((n) => n.op === 'activation' && typeof n.fn === 'object' && 'fn' in n.fn).map((n) => n.op === 'activation' && typeof n.fn === 'object' && 'fn' in n.fn && n.fn.fn)).toEqual(['silu']);
    await expectSameAsTfjs(path, [32, 32, 3], ['activation']);
  });

  test('liveness with squeeze-excite after conv 3, as tfjs-converter writes Keras Multiply: Mul(x, Sigmoid(Mean(x, keep_dims))) is channelMul', async () => {
    const g = new GraphEdit('tfjs-graph-liveness');
    const conv3 = g.named('activation_3/Relu');
    g.unfuse(conv3, 'Conv2D', 'Relu');
    g.add({ name: 'se/x', op: 'Relu', input: [`${conv3.name}/bias`], attr: {} });
    g.add({ name: 'se/mean', op: 'Mean', input: ['se/x', g.constant('se/axes', [2], Int32Array.from([1, 2]))], attr: { keep_dims: { b: true } } });
    g.add({ name: 'se/gate', op: 'Sigmoid', input: ['se/mean'], attr: {} });
    Object.assign(conv3, { op: 'Mul', input: ['se/gate', 'se/x'], attr: {} });
    const path = g.save();
    await expectSameAsTfjs(path, [32, 32, 3], ['globalAvgPool', 'channelMul']);
    // and its int8 program: the reference interpreter = the simulator
    const samples = randomSamples(4, 32 * 32 * 3, 3, 0, 1);
    const program = compileGraph(loadModel(path), samples);
    const x = quantizeInput(program, samples[0]!);
    expect(Array.from(simulate(program, x, { trace: false }).output)).toEqual(Array.from(interpret(program, x)));
  });

  test('liveness with Mish after conv 3, as tfjs-converter writes it: Mul(x, Tanh(Softplus(x))) is one mish table', async () => {
    const g = new GraphEdit('tfjs-graph-liveness');
    const conv3 = g.named('activation_3/Relu');
    g.unfuse(conv3, 'Conv2D', 'Relu');
    g.add({ name: 'mish/softplus', op: 'Softplus', input: [`${conv3.name}/bias`], attr: {} });
    g.add({ name: 'mish/tanh', op: 'Tanh', input: ['mish/softplus'], attr: {} });
    Object.assign(conv3, { op: 'Mul', input: [`${conv3.name}/bias`, 'mish/tanh'], attr: {} });
    const path = g.save();
    const graph = loadModel(path);
    expect(graph.nodes.filter((n) => n.op === 'activation' && typeof n.fn === 'object' && 'fn' in n.fn).map((n) => n.op === 'activation' && typeof n.fn === 'object' && 'fn' in n.fn && n.fn.fn)).toEqual(['mish']);
    await expectSameAsTfjs(path, [32, 32, 3], ['activation']);
  });

  test('liveness with GELU after conv 2 and GELU tanh after conv 3, as tf.nn.gelu writes them (Erf; Pow(x, 3), Tanh): one table each', async () => {
    const g = new GraphEdit('tfjs-graph-liveness');
    const c = (name: string, v: number): string => g.constant(name, [], Float32Array.of(v));
    const [conv2, conv3] = [g.named('activation_2/Relu'), g.named('activation_3/Relu')];
    g.unfuse(conv2, 'Conv2D', 'Relu');
    g.unfuse(conv3, 'Conv2D', 'Relu');
    // 0.5 · x · (1 + erf(x / √2))
    const x2 = `${conv2.name}/bias`;
    g.add({ name: 'gelu/half_x', op: 'Mul', input: [c('gelu/half', 0.5), x2], attr: {} });
    g.add({ name: 'gelu/scaled', op: 'RealDiv', input: [x2, c('gelu/sqrt2', Math.SQRT2)], attr: {} });
    g.add({ name: 'gelu/erf', op: 'Erf', input: ['gelu/scaled'], attr: {} });
    g.add({ name: 'gelu/one_plus', op: 'AddV2', input: [c('gelu/one', 1), 'gelu/erf'], attr: {} });
    Object.assign(conv2, { op: 'Mul', input: ['gelu/half_x', 'gelu/one_plus'], attr: {} });
    // 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))
    const x3 = `${conv3.name}/bias`;
    g.add({ name: 'tgelu/cube', op: 'Pow', input: [x3, c('tgelu/three', 3)], attr: {} });
    g.add({ name: 'tgelu/kx3', op: 'Mul', input: [c('tgelu/kappa', 0.044715), 'tgelu/cube'], attr: {} });
    g.add({ name: 'tgelu/sum', op: 'AddV2', input: [x3, 'tgelu/kx3'], attr: {} });
    g.add({ name: 'tgelu/inner', op: 'Mul', input: [c('tgelu/beta', Math.sqrt(2 / Math.PI)), 'tgelu/sum'], attr: {} });
    g.add({ name: 'tgelu/tanh', op: 'Tanh', input: ['tgelu/inner'], attr: {} });
    g.add({ name: 'tgelu/one_plus', op: 'AddV2', input: [c('tgelu/one', 1), 'tgelu/tanh'], attr: {} });
    g.add({ name: 'tgelu/half_x', op: 'Mul', input: [c('tgelu/half', 0.5), x3], attr: {} });
    Object.assign(conv3, { op: 'Mul', input: ['tgelu/half_x', 'tgelu/one_plus'], attr: {} });
    const path = g.save();
    const graph = loadModel(path);
    expect(graph.nodes.filter((n) => n.op === 'activation' && typeof n.fn === 'object' && 'fn' in n.fn).map((n) => n.op === 'activation' && typeof n.fn === 'object' && 'fn' in n.fn && n.fn.fn)).toEqual(['gelu', 'gelu_tanh']);
    await expectSameAsTfjs(path, [32, 32, 3], ['activation']);
  });

  test('liveness with a ConcatV2 of two branches before conv 3', async () => {
    const g = new GraphEdit('tfjs-graph-liveness');
    const conv3 = g.named('activation_3/Relu');
    const w = g.weights.get(conv3.input![1]!)!; // [3, 3, 16, 32]
    const doubled = Float32Array.from({ length: 9 * 32 * 32 }, (_, i) => {
      const [tap, ci, co] = [Math.floor(i / 1024), Math.floor(i / 32) % 32, i % 32];
      return w.data[(tap * 16 + (ci % 16)) * 32 + co]! * (ci < 16 ? 0.25 : 0.75);
    });
    g.add({ name: 'cat', op: 'ConcatV2', input: [conv3.input![0]!, g.named('batch_normalization_2/FusedBatchNormV3').name, g.constant('cat/axis', [], Int32Array.from([-1]))], attr: { N: { i: '2' } } });
    // the second branch is the map before max pooling: pool it the same way so both are 16×16
    const pool = g.named('max_pooling2d_1/MaxPool');
    g.add({ ...pool, name: 'pool_b', input: [g.named('batch_normalization_2/FusedBatchNormV3').name] });
    g.named('cat').input![1] = 'pool_b';
    conv3.input = ['cat', g.constant('conv3/doubled', [3, 3, 32, 32], doubled), conv3.input![2]!];
    await expectSameAsTfjs(g.save(), [32, 32, 3], ['concat']);
  });

  test('liveness with a ResizeNearestNeighbor (×2, half-pixel centres) and a 3×3 SAME max pool back to 16×16 before conv 3', async () => {
    const g = new GraphEdit('tfjs-graph-liveness');
    const conv3 = g.named('activation_3/Relu');
    g.add({ name: 'up', op: 'ResizeNearestNeighbor', input: [conv3.input![0]!, g.constant('up/size', [2], Int32Array.from([32, 32]))], attr: { align_corners: { b: false }, half_pixel_centers: { b: true } } });
    const pool = g.named('max_pooling2d_1/MaxPool');
    // a 3×3 window mixes neighbouring pixels, so a wrong resize shows in the result
    g.add({ ...pool, name: 'down', input: ['up'], attr: { ...pool.attr, ksize: ints([1, 3, 3, 1]), padding: { s: b64('SAME') } } });
    conv3.input![0] = 'down';
    await expectSameAsTfjs(g.save(), [32, 32, 3], ['upsample', 'pool2d:max']);
  });

  test('liveness with two Conv2DBackpropInput (Keras Conv2DTranspose: SAME 3×3 and VALID 2×2, stride 2), each pooled back to 16×16, before conv 3', async () => {
    const g = new GraphEdit('tfjs-graph-liveness');
    const conv3 = g.named('activation_3/Relu');
    const pool = g.named('max_pooling2d_1/MaxPool');
    const filter = (k: number, seed: number): Float32Array => Float32Array.from({ length: k * k * 16 * 16 }, (_, i) => Math.sin(i * 0.37 + seed) * 0.15);
    const deconv = (name: string, from: string, k: number, padding: string): void =>
      g.add({ name, op: 'Conv2DBackpropInput', input: [g.constant(`${name}/size`, [4], Int32Array.from([1, 32, 32, 16])), g.constant(`${name}/filter`, [k, k, 16, 16], filter(k, k)), from], attr: { strides: ints([1, 2, 2, 1]), padding: { s: b64(padding) }, data_format: { s: b64('NHWC') } } });
    // a 3×3 window mixes neighbouring pixels, so a wrong phase or crop shows in the result
    const down = (name: string, from: string): void => g.add({ ...pool, name, input: [from], attr: { ...pool.attr, ksize: ints([1, 3, 3, 1]), padding: { s: b64('SAME') } } });
    deconv('up1', conv3.input![0]!, 3, 'SAME');
    down('down1', 'up1');
    deconv('up2', 'down1', 2, 'VALID');
    down('down2', 'up2');
    conv3.input![0] = 'down2';
    await expectSameAsTfjs(g.save(), [32, 32, 3], ['convTranspose', 'pool2d:max']);
  });

  test('liveness ending in a Conv1D as Keras exports it: Reshape to [N, 64, 32], ExpandDims, Conv2D, Squeeze, Mean over the sequence', async () => {
    const g = new GraphEdit('tfjs-graph-liveness');
    const flat = g.named('flatten_1/Reshape').name;
    g.add({ name: 'seq', op: 'Reshape', input: [flat, g.constant('seq/shape', [3], Int32Array.from([-1, 64, 32]))], attr: {} });
    g.add({ name: 'c1d/expand', op: 'ExpandDims', input: ['seq', g.constant('c1d/axis', [], Int32Array.from([-3]))], attr: {} });
    const filter = Float32Array.from({ length: 3 * 32 * 8 }, (_, i) => Math.sin(i * 0.37) * 0.2);
    g.add({ name: 'c1d', op: 'Conv2D', input: ['c1d/expand', g.constant('c1d/filter', [1, 3, 32, 8], filter)], attr: { strides: ints([1, 1, 2, 1]), padding: { s: b64('VALID') }, data_format: { s: b64('NHWC') }, dilations: ints([1, 1, 1, 1]) } });
    g.add({ name: 'c1d/relu', op: 'Relu', input: ['c1d'] });
    g.add({ name: 'c1d/squeeze', op: 'Squeeze', input: ['c1d/relu'], attr: { squeeze_dims: ints([-3]) } });
    g.add({ name: 'gap', op: 'Mean', input: ['c1d/squeeze', g.constant('gap/axes', [1], Int32Array.from([1]))], attr: { keep_dims: { b: false } } });
    g.add({ name: 'logits', op: 'MatMul', input: ['gap', g.constant('logits/w', [8, 2], Float32Array.from([0.5, -0.3, 0.2, 0.9, -0.7, 0.1, 0.4, -0.2, 0.3, 0.3, -0.5, 0.6, 0.8, -0.1, -0.4, 0.2]))], attr: {} });
    g.nodes('Softmax')[0]!.input = ['logits'];
    const graph = loadModel(g.save());
    // ExpandDims and Squeeze move no data: the sequence [1, 64, 32] feeds the height-1 convolution directly
    const byName = new Map(graph.nodes.map((n) => [n.name, n]));
    expect([byName.has('c1d/expand'), byName.has('c1d/squeeze')]).toEqual([false, false]);
    expect(byName.get('c1d')?.inputs).toEqual(['seq']);
    expect(byName.get('gap')?.inputs).toEqual(['c1d/relu']);
    await expectSameAsTfjs(join(g.dir, 'model.json'), [32, 32, 3], ['globalAvgPool']);
  });

  test('liveness with a StridedSlice crop (Keras Cropping2D, masks and a negative end) padded back before conv 2', async () => {
    const g = new GraphEdit('tfjs-graph-liveness');
    const conv2 = g.named('activation_2/Relu');
    const [begin, end, strides] = [[0, 1, 2, 0], [0, -2, 0, 0], [1, 1, 1, 1]].map((v, i) => g.constant(`crop/${i}`, [4], Int32Array.from(v)));
    // begin_mask 9 and end_mask 13: batch and channels whole, the width runs to its end
    g.add({ name: 'crop', op: 'StridedSlice', input: [conv2.input![0]!, begin!, end!, strides!], attr: { begin_mask: { i: '9' }, end_mask: { i: '13' }, ellipsis_mask: { i: '0' }, new_axis_mask: { i: '0' }, shrink_axis_mask: { i: '0' } } });
    g.add({ name: 'uncrop', op: 'Pad', input: ['crop', g.constant('uncrop/paddings', [4, 2], Int32Array.from([0, 0, 1, 2, 2, 0, 0, 0]))], attr: {} });
    conv2.input![0] = 'uncrop';
    const graph = loadModel(g.save());
    expect(graph.nodes.find((n) => n.name === 'crop')).toMatchObject({ op: 'crop', crop: [1, 2, 2, 0] });
    await expectSameAsTfjs(join(g.dir, 'model.json'), [32, 32, 3], ['crop', 'pad']);
  });

  const filterOut = (g: GraphEdit, n: TfNodeJson): number => g.weights.get(n.input![1]!)!.shape.at(-1)!;
  const slopes = (c: number): Float32Array => Float32Array.from({ length: c }, (_, j) => ((j * 5) % 7) / 10 - 0.25);

  test('liveness with fused table activations: BiasAdd + LeakyRelu (leakyrelu_alpha), Prelu (4th input), Tanh by op, Elu; MatMul + BiasAdd + Sigmoid', async () => {
    const g = new GraphEdit('tfjs-graph-liveness');
    const [c1, c2, c3, c4] = g.nodes('_FusedConv2D');
    const fuse = (n: TfNodeJson, act: string, extra: Record<string, unknown> = {}): void => {
      n.attr = { ...n.attr, fused_ops: { list: { s: [b64('BiasAdd'), b64(act)] } }, ...extra };
    };
    fuse(c1!, 'LeakyRelu', { leakyrelu_alpha: { f: 0.15 } });
    fuse(c2!, 'Prelu', { num_args: { i: '2' } });
    c2!.input!.push(g.constant('c2/alpha', [filterOut(g, c2!)], slopes(filterOut(g, c2!))));
    g.unfuse(c3!, 'Conv2D', 'Relu');
    c3!.op = 'Tanh';
    fuse(c4!, 'Elu');
    fuse(g.named('activation_5/Relu'), 'Sigmoid');
    const graph = loadModel(g.save());
    const fns = graph.nodes.map((n) => (n.op === 'conv2d' || n.op === 'dense' || n.op === 'activation' ? JSON.stringify(n.op === 'activation' ? n.fn : n.activation) : '')).filter((f) => f !== '' && f !== '"linear"');
    expect(fns).toEqual([
      JSON.stringify({ fn: 'leakyrelu', alpha: 0.15 }), JSON.stringify({ fn: 'prelu', slopes: Array.from(slopes(filterOut(g, c2!))) }), JSON.stringify({ fn: 'tanh' }),
      JSON.stringify({ fn: 'elu', alpha: 1 }), JSON.stringify({ fn: 'sigmoid' }), JSON.stringify('softmax'),
    ]);
    await expectSameAsTfjs(join(g.dir, 'model.json'), [32, 32, 3], ['conv2d', 'dense', 'activation']);
  });

  test('liveness with table activations as ops: Selu, Softplus, Prelu (alpha [1, 1, C]), LeakyRelu (alpha), Sigmoid', async () => {
    const g = new GraphEdit('tfjs-graph-liveness');
    const convs = g.nodes('_FusedConv2D');
    const channels = convs.map((c) => filterOut(g, c));
    for (const c of convs) g.unfuse(c, 'Conv2D', 'Relu');
    const [a1, a2, a3, a4] = convs;
    a1!.op = 'Selu';
    a2!.op = 'Softplus';
    Object.assign(a3!, { op: 'Prelu', input: [...a3!.input!, g.constant('a3/alpha', [1, 1, channels[2]!], slopes(channels[2]!))] });
    Object.assign(a4!, { op: 'LeakyRelu', attr: { alpha: { f: 0.3 } } });
    const dense = g.named('activation_5/Relu');
    g.unfuse(dense, 'MatMul', 'Relu');
    dense.op = 'Sigmoid';
    const graph = loadModel(g.save());
    expect(graph.nodes.filter((n) => n.op === 'activation').map((n) => n.op === 'activation' && (typeof n.fn === 'object' && 'fn' in n.fn ? n.fn.fn : String(n.fn)))).toEqual(['selu', 'softplus', 'prelu', 'leakyrelu', 'sigmoid', 'softmax']);
    await expectSameAsTfjs(join(g.dir, 'model.json'), [32, 32, 3], ['activation']);
  });

  test('emotion: Mean with keep_dims + Squeeze, FusedDepthwiseConv2dNative (BiasAdd + Relu6)', { timeout: 120_000 }, async () => {
    const g = new GraphEdit('tfjs-graph-emotion');
    const mean = g.nodes('Mean')[0]!;
    mean.attr!['keep_dims'] = { b: true };
    g.add({ name: 'squeezed', op: 'Squeeze', input: [mean.name], attr: { squeeze_dims: ints([1, 2]) } });
    g.nodes('Softmax')[0]!.input = ['squeezed'];
    for (const [i, d] of g.nodes('DepthwiseConv2dNative').entries()) {
      const c = g.weights.get(d.input![1]!)!.shape[2]!;
      const bias = g.constant(`dw_bias_${i}`, [c], Float32Array.from({ length: c }, (_, j) => ((j * 7) % 5) / 10 - 0.2));
      Object.assign(d, { op: 'FusedDepthwiseConv2dNative', input: [...d.input!, bias], attr: { ...d.attr, fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu6')] } }, num_args: { i: '1' } } });
    }
    await expectSameAsTfjs(g.save(), [64, 64, 1], ['globalAvgPool', 'reshape', 'conv2d']);
  });
});
