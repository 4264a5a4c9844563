/**
 * GELU and Mish written out in ONNX nodes (src/importers/fuse-functions.ts): every form exporters write
 * imports as one table activation computing what onnxruntime computes, and the int8 program runs
 * the same on the reference interpreter and the simulator; a near miss (another constant, an
 * intermediate read twice inside it) is still a function of one tensor, one `expr` table (fuse-elementwise.ts);
 * an intermediate read outside the expression is not taken and stays refused.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { simulate } from '../../../sim/index.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { buildOnnx, ortRun, weights, writeOnnx, type ModelSpec, type NodeSpec } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';

const w = (dims: number[], seed: number, lo = -1, hi = 1) => ({ dims, data: weights(dims.reduce((a, b) => a * b, 1), seed, lo, hi) });
const scalar = (v: number) => ({ dims: [], data: [v] });

/** 1×2×5×5 → Conv 3×3 → `act` (reading c, writing a) → Flatten → Gemm → [1, 4]. */
function model(act: NodeSpec[], consts: Record<string, number>, opset = 13): ModelSpec {
  return {
    input: [1, 2, 5, 5],
    output: [1, 4],
    nodes: [{ op: 'Conv', inputs: ['x', 'K', 'B'], outputs: ['c'], attrs: { pads: { ints: [1, 1, 1, 1] } } }, ...act, { op: 'Flatten', inputs: ['a'], outputs: ['f'] }, { op: 'Gemm', inputs: ['f', 'W'], outputs: ['y'] }],
    inits: { K: w([3, 2, 3, 3], 10, -0.9, 0.9), B: w([3], 30, -0.3, 0.3), W: w([75, 4], 50, -0.3, 0.3), ...Object.fromEntries(Object.entries(consts).map(([k, v]) => [k, scalar(v)])) },
    opset,
  };
}

const n = (op: string, inputs: string[], out: string, name?: string): NodeSpec => ({ op, inputs, outputs: [out], ...(name === undefined ? {} : { name }) });

const FORMS: [string, NodeSpec[], Record<string, number>, string, number?][] = [
  ['GELU as torch.onnx writes nn.GELU(): x · (1 + Erf(x / √2)) · 0.5', [n('Div', ['c', 'sqrt2'], 'd'), n('Erf', ['d'], 'e'), n('Add', ['e', 'one'], 'g'), n('Mul', ['c', 'g'], 'm'), n('Mul', ['m', 'half'], 'a')], { sqrt2: Math.SQRT2, one: 1, half: 0.5 }, 'gelu'],
  ['GELU written 0.5 · x first, x · (1/√2), 1 + Erf', [n('Mul', ['half', 'c'], 'h'), n('Mul', ['c', 'r'], 'd'), n('Erf', ['d'], 'e'), n('Add', ['one', 'e'], 'g'), n('Mul', ['g', 'h'], 'a')], { r: Math.SQRT1_2, one: 1, half: 0.5 }, 'gelu'],
  [
    "GELU tanh as torch.onnx writes nn.GELU(approximate='tanh'): x · x · x",
    [n('Mul', ['c', 'c'], 'x2'), n('Mul', ['c', 'x2'], 'x3'), n('Mul', ['kappa', 'x3'], 'k3'), n('Add', ['c', 'k3'], 's'), n('Mul', ['beta', 's'], 'v'), n('Tanh', ['v'], 't'), n('Add', ['one', 't'], 'g'), n('Mul', ['c', 'g'], 'm'), n('Mul', ['half', 'm'], 'a')],
    { kappa: 0.044715, beta: Math.sqrt(2 / Math.PI), one: 1, half: 0.5 },
    'gelu_tanh',
  ],
  ['GELU tanh with Pow(x, 3) (Hugging Face gelu_new)', [n('Pow', ['c', 'three'], 'x3'), n('Mul', ['x3', 'kappa'], 'k3'), n('Add', ['k3', 'c'], 's'), n('Mul', ['s', 'beta'], 'v'), n('Tanh', ['v'], 't'), n('Add', ['t', 'one'], 'g'), n('Mul', ['c', 'half'], 'h'), n('Mul', ['h', 'g'], 'a')], { three: 3, kappa: 0.044715, beta: Math.sqrt(2 / Math.PI), one: 1, half: 0.5 }, 'gelu_tanh'],
  ['Mish as torch.onnx writes nn.Mish below opset 18: x · Tanh(Softplus(x))', [n('Softplus', ['c'], 's'), n('Tanh', ['s'], 't'), n('Mul', ['c', 't'], 'a')], {}, 'mish'],
  ['the ONNX Mish op (opset 18)', [n('Mish', ['c'], 'a')], {}, 'mish', 18],
];

describe('GELU and Mish written in ONNX nodes', () => {
  test.each(FORMS)('%s: one table activation, = onnxruntime; int8 ref = sim', async (_, act, consts, fn, opset) => {
    const path = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-fuse-')), buildOnnx(model(act, consts, opset)));
    const graph = loadModel(path);
    expect(graph.nodes.map((x) => (x.op === 'activation' && typeof x.fn === 'object' && 'fn' in x.fn ? x.fn.fn : x.op))).toEqual(['conv2d', fn, 'flatten', 'dense']);
    const inputs = randomSamples(16, 50, 3, -1, 1);
    const want = await ortRun(path, [1, 2, 5, 5], inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
    const range = Math.max(...want.flatMap((v) => Array.from(v))) - Math.min(...want.flatMap((v) => Array.from(v)));
    for (const [i, x] of inputs.slice(0, 4).entries()) {
      const codes = quantizeInput(program, x);
      const ref = interpret(program, codes);
      expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(ref));
      Array.from(ref).forEach((q, j) => expect(Math.abs(program.outputs[0]!.scale * (q - program.outputs[0]!.zp) - want[i]![j]!)).toBeLessThan(0.06 * range));
    }
  });

  // a near miss of GELU or Mish is still a function of one tensor: one `expr` table (fuse-elementwise.ts; before it, refused)
  test.each<[string, NodeSpec[], Record<string, number>]>([
    ['GELU with 0.4 for 0.5', FORMS[0]![1], { sqrt2: Math.SQRT2, one: 1, half: 0.4 }],
    ['GELU dividing by 1.5 for √2', FORMS[0]![1], { sqrt2: 1.5, one: 1, half: 0.5 }],
    ['Mish whose Softplus is read twice (x·Tanh(Softplus(x)) + Softplus(x))', [n('Softplus', ['c'], 's'), n('Tanh', ['s'], 't'), n('Mul', ['c', 't'], 'm', 'mish'), n('Add', ['m', 's'], 'a')], {}],
  ])('a near miss: %s is one expr table, = onnxruntime', async (_, act, consts) => {
    const path = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-fuse-')), buildOnnx(model(act, consts)));
    const graph = loadModel(path);
    expect(graph.nodes.map((x) => (x.op === 'activation' && typeof x.fn === 'object' && 'fn' in x.fn ? x.fn.fn : x.op))).toEqual(['conv2d', 'expr', 'flatten', 'dense']);
    const inputs = randomSamples(16, 50, 3, -1, 1);
    const want = await ortRun(path, [1, 2, 5, 5], inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
  });

  test('an intermediate read outside the expression (Mish\'s Softplus also read by a Conv) is not taken: its Mul is a product of two tensors', () => {
    const act = [n('Softplus', ['c'], 's'), n('Tanh', ['s'], 't'), n('Mul', ['c', 't'], 'm', 'mish'), { op: 'Conv', inputs: ['s', 'K2'], outputs: ['k'] }, n('Add', ['m', 'k'], 'a')];
    const spec = model(act, {});
    spec.inits = { ...spec.inits, K2: w([3, 3, 1, 1], 12) };
    const graph = loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-fuse-')), buildOnnx(spec)));
    expect(graph.nodes.find((x) => x.name === 'mish')?.op).toBe('mul');
    expect(graph.nodes.some((x) => x.op === 'activation' && typeof x.fn === 'object' && 'fn' in x.fn && x.fn.fn === 'mish')).toBe(false);
  });

  test('a chain of 20,000 Mul by a constant imports: the matcher descends at most a few products from each node', () => {
    const nodes: NodeSpec[] = Array.from({ length: 20_000 }, (_, i) => n('Mul', [i === 0 ? 'x' : `m${i - 1}`, 'half'], i === 19_999 ? 'y' : `m${i}`));
    const spec: ModelSpec = { input: [1, 4], output: [1, 4], nodes, inits: { half: scalar(0.5) }, opset: 13 };
    const graph = loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-fuse-')), buildOnnx(spec)));
    expect(graph.nodes).toHaveLength(20_000);
  });
});
