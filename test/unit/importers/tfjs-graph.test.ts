/**
 * TF.js graph models, on real files written by tfjs-converter (test/fixtures/tfjs-graph-*: two
 * models shipped in @vladmandic/human): the imported graph computes what TF.js's own
 * loadGraphModel computes on the same files, and the model compiles to a program.
 */
import * as tf from '@tensorflow/tfjs';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { NnchipError } from '../../../src/diagnostics/error.js';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { randomSamples } from '../../helpers/random-graph.js';
import '../../helpers/tfjs-models.js'; // pins the CPU backend, quiet

const FIXTURES = join(import.meta.dirname, '../../fixtures');

interface GraphModelJson { modelTopology: { node: { name: string; op: string; input?: string[]; attr?: Record<string, unknown> }[] }; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]; signature?: object; format: string }

async function tfjsGraphModel(dir: string): Promise<tf.GraphModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as GraphModelJson;
  const group = json.weightsManifest[0]!;
  const bin = Buffer.concat(group.paths.map((p) => readFileSync(join(dir, p))));
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length);
  return tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData, format: json.format, ...(json.signature ? { signature: json.signature } : {}) }));
}

function predict(model: tf.GraphModel, shape: number[], x: Float32Array): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(x, [1, ...shape])) as tf.Tensor).dataSync() as Float32Array);
}

const MODELS: [string, number[], string[]][] = [
  // conv (fused BiasAdd + Relu, SAME), batch norm as Mul + Add by constants, MaxPool VALID, Reshape, _FusedMatMul (+Relu), AddV2 of a constant, Softmax
  ['tfjs-graph-liveness', [32, 32, 3], ['conv2d', 'batchNorm', 'pool2d', 'reshape', 'dense', 'activation']],
  // conv (VALID, strided), DepthwiseConv2dNative (SAME), _FusedConv2D without activation, MaxPool SAME, AddV2 of two branches, Relu, Mean, Softmax
  ['tfjs-graph-emotion', [64, 64, 1], ['conv2d', 'pool2d', 'add', 'activation', 'globalAvgPool']],
  // dead channels (weights ~1e-33 beside a bias: NN304 until session 13), depthwise convolutions, AddV2 of two branches, Mean, Softmax
  ['tfjs-graph-gender', [64, 64, 1], ['conv2d', 'pool2d', 'add', 'activation', 'globalAvgPool']],
];

describe('TF.js graph models written by tfjs-converter = TF.js loadGraphModel on the same files', () => {
  test.each(MODELS)('%s', async (name, shape, ops) => {
    const dir = join(FIXTURES, name);
    const graph = loadModel(join(dir, 'model.json'));
    for (const op of ops) expect(graph.nodes.map((n) => n.op)).toContain(op);
    expect(graph.inputs[0]!.shape).toEqual(shape);
    const model = await tfjsGraphModel(dir);
    const inputs = randomSamples(3, shape.reduce((a, b) => a * b, 1), 21, 0, 1);
    for (const x of inputs) expectClose(evaluateOutput(graph, x), predict(model, shape, x));
  });

  test('liveness: the batch norms after each activation are one per-channel affine each (Mul and Add merged)', () => {
    const graph = loadModel(join(FIXTURES, 'tfjs-graph-liveness/model.json'));
    expect(graph.nodes.filter((n) => n.op === 'batchNorm')).toHaveLength(5);
    expect(graph.nodes.filter((n) => n.op === 'conv2d').map((n) => n.op === 'conv2d' && n.activation)).toEqual(['relu', 'relu', 'relu', 'relu']);
  });

  test('emotion: depthwise convolutions are depthwise, the residual adds are adds', () => {
    const graph = loadModel(join(FIXTURES, 'tfjs-graph-emotion/model.json'));
    expect(graph.nodes.filter((n) => n.op === 'conv2d' && n.depthwise)).toHaveLength(4);
    expect(graph.nodes.filter((n) => n.op === 'add')).toHaveLength(2);
  });

  // emotion's lowering alone takes ~20 s (48k instructions): few samples, a long timeout
  test.each(MODELS.map(([name, shape]) => [name, shape] as const))('%s compiles to an int8 program whose outputs track the float graph', { timeout: 240_000 }, (name, shape) => {
    const graph = loadModel(join(FIXTURES, name, 'model.json'));
    const samples = randomSamples(3, shape.reduce((a, b) => a * b, 1), 5, 0, 1);
    const program = compileGraph(graph, samples);
    expect(program.notes.join()).toMatch(/final softmax .* dropped/);
    const logitsGraph = { ...graph, nodes: graph.nodes.slice(0, -1), outputs: [graph.nodes[graph.nodes.length - 2]!.output] };
    for (const x of samples.slice(0, 1)) {
      const out = program.outputs[0]!;
      const codes = interpret(program, quantizeInput(program, x));
      const got = Array.from(codes, (q) => out.scale * (q - out.zp));
      const want = evaluateOutput(logitsGraph, x);
      const range = Math.max(...want) - Math.min(...want);
      got.forEach((v, j) => expect(Math.abs(v - want[j]!)).toBeLessThan(0.1 * range + 4 * out.scale));
    }
  });
});

describe('TF.js graph models: refusals, one line each', () => {
  function refusal(edit: (json: GraphModelJson) => void): string {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-graph-'));
    cpSync(join(FIXTURES, 'tfjs-graph-liveness'), dir, { recursive: true });
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as GraphModelJson;
    edit(json);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    try {
      loadModel(join(dir, 'model.json'));
    } catch (e) {
      return (e as NnchipError).format();
    }
    return 'loaded';
  }
  const rename = (json: GraphModelJson, from: string, to: string, count = Infinity): void => {
    for (const n of json.modelTopology.node) if (n.op === from && count-- > 0) n.op = to;
  };

  test('every unsupported op is named at once, with counts', () => {
    expect(refusal((j) => (rename(j, 'MaxPool', 'FractionalMaxPool'), rename(j, 'Softmax', 'Cosh'), rename(j, 'Mul', 'Sinh', 3)))).toMatch(
      /^error NN110: model.json: ops not supported: Sinh ×3, FractionalMaxPool ×2, Cosh ×1 \(supported: Placeholder, Const, Identity, Conv2D, /,
    );
  });
  test('a fused activation outside tfjs\'s fused set', () => {
    const tanh = Buffer.from('Tanh').toString('base64');
    expect(refusal((j) => {
      const conv = j.modelTopology.node.find((n) => n.op === '_FusedConv2D')!;
      (conv.attr!['fused_ops'] as { list: { s: string[] } }).list.s[1] = tanh;
    })).toMatch(/layer ".*activation_1\/Relu": fused activation Tanh is not supported \(supported: Relu, Relu6, Elu, LeakyRelu, Sigmoid, Prelu\)/);
  });
  test('a Const with no weight', () => {
    expect(refusal((j) => (j.weightsManifest[0]!.weights = j.weightsManifest[0]!.weights.map((w) => (w.name.endsWith('dense_2/BiasAdd/ReadVariableOp') ? { ...w, name: 'renamed' } : w)))))
      .toMatch(/NN201: model.json: layer ".*dense_2\/BiasAdd\/ReadVariableOp": no weight ".*" in the weightsManifest for this Const node/);
  });
});

describe('TF.js graph models: structure', () => {
  /** A small graph x [-1, 4] → MatMul(W) → nodes…; `W` is a [4, 3] weight. */
  function load(nodes: { name: string; op: string; input?: string[]; attr?: Record<string, unknown> }[], output?: string, top: Record<string, unknown> = {}): string {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-graph-structure-'));
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(Float32Array.from({ length: 12 }, (_, i) => i / 10 - 0.5).buffer));
    const head = [
      { name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: [{ size: '-1' }, { size: '4' }] } } } },
      { name: 'W', op: 'Const' },
      { name: 'mm', op: 'MatMul', input: ['x', 'W'] },
    ];
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'graph-model', modelTopology: { node: [...head, ...nodes] }, weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'W', shape: [4, 3], dtype: 'float32' }] }], ...top }));
    try {
      const g = loadModel(join(dir, 'model.json'), undefined, { output });
      const outputs = g.outputNames ?? g.outputs;
      return `loaded ${g.nodes.length} nodes${output === undefined ? '' : `: ${g.nodes.map((n) => n.name).join(' ')}`}${outputs.length > 1 ? `; outputs ${outputs.join(' ')}` : ''}`;
    } catch (e) {
      return (e as NnchipError).format();
    }
  }

  test('a chain 20 000 ops deep loads (no recursion through the graph)', () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => ({ name: `r${i}`, op: i % 2 ? 'Relu' : 'Identity', input: [i === 0 ? 'mm' : `r${i - 1}`] }));
    expect(load(chain)).toBe('loaded 10001 nodes');
  });
  test('a cycle', () => {
    expect(load([{ name: 'a', op: 'Relu', input: ['b'] }, { name: 'b', op: 'Relu', input: ['a'] }, { name: 'out', op: 'Relu', input: ['a', '^mm'] }]))
      .toMatch(/NN202: model.json: layer "[ab]": the graph has a cycle through this node/);
  });
  test('a TF while loop (its back edge NextIteration → Merge): refused by its ops where the output reads it; an output before it compiles', () => {
    const loop = [
      { name: 'h', op: 'Relu', input: ['mm'] },
      { name: 'enter', op: 'Enter', input: ['h'] },
      { name: 'merge', op: 'Merge', input: ['enter', 'next'] },
      { name: 'cond', op: 'LoopCond', input: ['merge'] },
      { name: 'switch', op: 'Switch', input: ['merge', 'cond'] },
      { name: 'body', op: 'Relu', input: ['switch:1'] },
      { name: 'next', op: 'NextIteration', input: ['body'] },
      { name: 'out', op: 'Exit', input: ['switch'] },
    ];
    expect(load(loop)).toMatch(/NN110: model.json: ops not supported: Enter ×1, Exit ×1, LoopCond ×1, Merge ×1, NextIteration ×1, Switch ×1 .* --output-name <node>/);
    expect(load(loop, 'h')).toBe('loaded 2 nodes: mm h');
    // a cycle of no NextIteration stays one
    expect(load([...loop.slice(0, 6), { name: 'next', op: 'Identity', input: ['body'] }, loop[7]!], 'h')).toMatch(/NN202: model.json: layer "\w+": the graph has a cycle through this node/);
  });
  test('an input no node produces', () => {
    expect(load([{ name: 'out', op: 'AddV2', input: ['mm', 'nowhere:0'] }])).toMatch(/NN202: model.json: layer "out": input tensor "nowhere" is not produced by any node/);
  });
  test('two outputs', () => {
    const two = [{ name: 'a', op: 'Relu', input: ['mm'] }, { name: 'b', op: 'Relu6', input: ['mm'] }];
    // both heads, in one program (session 29: NN110 "nnchip compiles one")
    expect(load(two)).toBe('loaded 3 nodes; outputs a b');
    // --output-name keeps the heads it names, in its order, and drops the other's node
    expect(load(two, 'b')).toBe('loaded 2 nodes: mm b');
    expect(load(two, 'b,a')).toBe('loaded 3 nodes: mm b a; outputs b a');
    expect(load(two, 'b,mm')).toBe('loaded 2 nodes: mm b; outputs b mm');
    expect(load(two, 'c')).toMatch(/NN801: model.json: --output-name "c" is not an output of the model: the model's outputs are a, b/);
  });
  test('two outputs, one reading an op nnchip lacks: refused naming it, and how to compile the other alone', () => {
    const two = [{ name: 'a', op: 'Relu', input: ['mm'] }, { name: 'b', op: 'Sin', input: ['mm'] }, { name: 'c', op: 'Relu6', input: ['mm'] }];
    expect(load(two)).toMatch(/^error NN110: model\.json: ops not supported: Sin ×1 \(supported: .*\) — replace them with supported ops, or compile the network up to a node before them: --output-name <node> \(any node of the graph\); or compile only the outputs that read none of them: --output-name a,c$/);
    expect(load(two, 'c,a')).toBe('loaded 3 nodes: mm c a; outputs c a');
    // every output reads it: no such advice
    expect(load([{ name: 'b', op: 'Sin', input: ['mm'] }, { name: 'a', op: 'Relu', input: ['b'] }, { name: 'c', op: 'Relu6', input: ['b'] }])).not.toMatch(/outputs that read none/);
  });
  test('two outputs read through Identity nodes (as SavedModels end: Identity, Identity_1)', () => {
    // the Identity's IR tensor is its input's: naming the Identity was refused as "not an output" (BlazeFace, BlazePose, FaceMesh)
    const two = [{ name: 'a', op: 'Relu', input: ['mm'] }, { name: 'b', op: 'Relu6', input: ['mm'] }, { name: 'Identity', op: 'Identity', input: ['a'] }, { name: 'Identity_1', op: 'Identity', input: ['b'] }];
    expect(load(two)).toBe('loaded 3 nodes; outputs Identity Identity_1');
    expect(load(two, 'Identity_1')).toBe('loaded 2 nodes: mm b');
    // any computed node: the network up to it (not an input or a constant)
    expect(load(two, 'mm')).toBe('loaded 1 nodes: mm');
    expect(load(two, 'W')).toMatch(/NN801: model.json: --output-name "W" is not an output of the model: the model's outputs are Identity, Identity_1/);
  });
  test('an input the op never reads is a malformed node, not one run without it', () => {
    expect(load([{ name: 'out', op: 'Relu', input: ['mm', 'mm'] }])).toMatch(/^error NN107: model.json: layer "out": Relu has 2 inputs; it takes 1/);
    expect(load([{ name: 'out', op: 'Identity', input: ['mm', 'x'] }])).toMatch(/^error NN107: model.json: layer "out": Identity has 2 inputs; it takes 1/);
    // a control input is no read
    expect(load([{ name: 'out', op: 'Relu', input: ['mm', '^x'] }])).toBe('loaded 2 nodes');
  });
  test('an attribute that is no AttrValue object is a malformed node, not one read with its default', () => {
    expect(load([{ name: 'out', op: 'Relu', input: ['mm'], attr: { T: 'DT_FLOAT' } }])).toMatch(/^error NN107: model\.json: layer "out": attribute "T" is "DT_FLOAT", not an AttrValue object such as \{"i": "2"\}/);
    expect(load([{ name: 'out', op: 'Relu', input: ['mm'], attr: { T: { type: 'DT_FLOAT' } } }])).toBe('loaded 2 nodes');
    expect(load([{ name: 'out', op: 'Relu', input: ['mm'], attr: 'strides' as unknown as Record<string, unknown> }])).toMatch(/^error NN107: model\.json: layer "out": the node's attr is not an object of attributes/);
  });
  test('a signature output that is no tensor is NN107, not skipped for the nodes nothing reads', () => {
    const two = [{ name: 'a', op: 'Relu', input: ['mm'] }, { name: 'b', op: 'Relu6', input: ['mm'] }];
    expect(load(two, undefined, { signature: { outputs: { y: { name: 'b:0' } } } })).toBe('loaded 2 nodes');
    expect(load(two, 'y', { signature: { outputs: { y: { name: 'b:0' } } } })).toBe('loaded 2 nodes: mm b');
    expect(load(two, undefined, { signature: { outputs: { y: 'b:0' } } })).toMatch(/^error NN107: model\.json: the signature's output "y" is "b:0", not a tensor such as \{"name": "Identity:0"\}/);
    expect(load(two, undefined, { signature: { outputs: ['b:0'] } })).toMatch(/^error NN107: model\.json: the signature's outputs are \["b:0"\], not an object/);
    expect(load(two, undefined, { signature: 'b' })).toMatch(/^error NN107: model\.json: the signature is "b", not an object/);
    expect(load(two, undefined, { signature: { outputs: { y: { name: 'zz:0' } } } })).toMatch(/^error NN202: model\.json: .*"zz" is not produced by any node/);
    // a signature of inputs only, or none: the nodes nothing reads
    expect(load(two, undefined, { signature: {} })).toBe('loaded 3 nodes; outputs a b');
    expect(load(two, undefined, { signature: null })).toBe('loaded 3 nodes; outputs a b');
  });
  test('a node only a control input waits for is no second output', () => {
    // an Assert-like check run for its effect: the output waits for it but reads no value of it
    const checked = [{ name: 'check', op: 'Relu6', input: ['mm'] }, { name: 'out', op: 'Relu', input: ['mm', '^check'] }];
    expect(load(checked)).toBe('loaded 2 nodes');
    expect(load(checked, 'check')).toBe('loaded 2 nodes: mm check');
    // when every unread node is waited for, they stay the outputs to choose from
    const both = [{ name: 'a', op: 'Relu', input: ['mm', '^b'] }, { name: 'b', op: 'Relu6', input: ['mm', '^a'] }];
    expect(load(both)).toBe('loaded 3 nodes; outputs a b');
  });
  test('the second output of an op', () => {
    expect(load([{ name: 'out', op: 'Relu', input: ['mm:1'] }])).toMatch(/NN110: model.json: layer "out": input "mm:1" reads output 1 of a multi-output op/);
    // only where it is compiled: CenterNet's decoding reads TopKV2:1 after the heads --output-name cuts at
    const decoded = [{ name: 'heads', op: 'Relu', input: ['mm'] }, { name: 'top', op: 'TopKV2', input: ['heads'] }, { name: 'ids', op: 'Relu', input: ['top:1'] }];
    expect(load(decoded, 'heads')).toBe('loaded 2 nodes: mm heads');
    // and an op nnchip has no form for is refused by name first, with how to cut before it
    expect(load(decoded)).toMatch(/NN110: model.json: ops not supported: TopKV2 ×1 .* --output-name <node>/);
  });
});
