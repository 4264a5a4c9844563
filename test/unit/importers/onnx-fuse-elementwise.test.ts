/**
 * Element-wise subgraphs of one tensor → one table activation (src/importers/fuse-elementwise.ts): forms
 * built by hand and what torch.onnx.export (torch 1.13) writes for activations written out in PyTorch
 * (test/fixtures/elementwise/export.py: Swish with a learned β, hard-swish as x·relu6(x + 3)/6, softplus
 * and Mish with Exp and Log, a GELU of rounded constants, CELU, √(x² + 1) − 1, exp(−x²), erf, 1/(1 + |x|),
 * |x|^1.5). Each imports as `expr` tables whose float graph = onnxruntime (1e-4), and whose int8 program
 * runs the same on the reference interpreter and the simulator, within a tenth of the output spread of
 * onnxruntime. Every one of them was refused before (a product of two tensors, or Erf/Exp/Log/Sqrt/Pow/
 * Reciprocal/Celu unsupported; session 28: Greater, Less, GreaterOrEqual, LessOrEqual, Not, Where and Cast of a bool).
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { turningPointsOf, type ExprStep } from '../../../src/ir/expression.js';
import { erf } from '../../../src/ir/activations.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { simulate } from '../../../sim/index.js';
import { expectClose } from '../../helpers/close.js';
import { failure } from '../../helpers/errors.js';
import { compileGraph } from '../../helpers/compile.js';
import { buildOnnx, ortRun, weights, writeOnnx, type ModelSpec, type NodeSpec } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';
import type { Graph } from '../../../src/ir/graph.js';

const DIR = join(import.meta.dirname, '../../fixtures/elementwise');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.onnx')).sort();
const w = (dims: number[], seed: number, lo = -1, hi = 1) => ({ dims, data: weights(dims.reduce((a, b) => a * b, 1), seed, lo, hi) });
const n = (op: string, inputs: string[], out: string, attrs?: NodeSpec['attrs']): NodeSpec => ({ op, inputs, outputs: [out], ...(attrs === undefined ? {} : { attrs }) });
const fns = (g: Graph): string[] => g.nodes.filter((x) => x.op === 'activation').map((x) => (x.op === 'activation' && typeof x.fn === 'object' && 'fn' in x.fn ? x.fn.fn : String(x.op === 'activation' && x.fn)));

/** Float = onnxruntime; int8 ref = sim, within a tenth of onnxruntime's output spread. */
async function agrees(path: string, graph: Graph, dims: number[]): Promise<void> {
  const size = dims.reduce((a, b) => a * b, 1);
  const inputs = randomSamples(16, size, 3, -1, 1);
  const want = await ortRun(path, dims, inputs);
  inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
  const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
  const all = want.flatMap((v) => Array.from(v));
  const spread = Math.max(...all) - Math.min(...all);
  for (const [i, x] of inputs.slice(0, 6).entries()) {
    const codes = quantizeInput(program, x);
    const ref = interpret(program, codes);
    expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(ref));
    Array.from(ref).forEach((q, j) => expect(Math.abs(program.outputs[0]!.scale * (q - program.outputs[0]!.zp) - want[i]![j]!)).toBeLessThan(0.1 * spread));
  }
}

/** 1×2×5×5 → Conv 3×3 → `act` (reading c, writing a) → Flatten → Gemm → [1, 4]. */
function model(act: NodeSpec[], consts: Record<string, number>, opset = 13): ModelSpec {
  return {
    input: [1, 2, 5, 5],
    output: [1, 4],
    nodes: [{ op: 'Conv', inputs: ['x', 'K', 'B'], outputs: ['c'], attrs: { pads: { ints: [1, 1, 1, 1] } } }, ...act, { op: 'Flatten', inputs: ['a'], outputs: ['f'] }, { op: 'Gemm', inputs: ['f', 'W', 'Wb'], outputs: ['y'] }],
    inits: { K: w([3, 2, 3, 3], 10, -0.9, 0.9), B: w([3], 30, -0.3, 0.3), W: w([75, 4], 50, -0.3, 0.3), Wb: w([4], 51, -0.1, 0.1), ...Object.fromEntries(Object.entries(consts).map(([k, v]) => [k, { dims: [], data: [v] }])) },
    opset,
  };
}

const FORMS: [string, NodeSpec[], Record<string, number>][] = [
  ['Swish with β: x · Sigmoid(1.5 x)', [n('Mul', ['c', 'beta'], 'b'), n('Sigmoid', ['b'], 's'), n('Mul', ['c', 's'], 'a')], { beta: 1.5 }],
  ['x · Relu6(x + 3) / 6 (Clip with input bounds)', [n('Add', ['c', 'three'], 'p'), n('Clip', ['p', 'zero', 'six'], 'r'), n('Mul', ['c', 'r'], 'm'), n('Div', ['m', 'six'], 'a')], { three: 3, zero: 0, six: 6 }],
  ['x · Clip(x + 3) / 6 at opset 10 (Clip with attribute bounds)', [n('Add', ['c', 'three'], 'p'), n('Clip', ['p'], 'r', { min: { f: 0 }, max: { f: 6 } }), n('Mul', ['r', 'c'], 'm'), n('Div', ['m', 'six'], 'a')], { three: 3, six: 6 }],
  ['Max(x, 0.1 x) (leaky ReLU written out)', [n('Mul', ['c', 'k'], 'b'), n('Max', ['c', 'b'], 'a')], { k: 0.1 }],
  ['x · x', [n('Mul', ['c', 'c'], 'a')], {}],
  ['Erf alone', [n('Erf', ['c'], 'a')], {}],
  ['Pow(x, 2) then Sqrt(· + 1)', [n('Pow', ['c', 'two'], 'p'), n('Add', ['p', 'one'], 'q'), n('Sqrt', ['q'], 'a')], { two: 2, one: 1 }],
  ['a constant over a computed tensor: 1 / (1 + |x|)', [n('Abs', ['c'], 'b'), n('Add', ['one', 'b'], 'p'), n('Div', ['one', 'p'], 'a')], { one: 1 }],
  ['Reciprocal, Exp, Neg, LeakyRelu(α 0.3) and Celu(α 0.5) in one expression', [n('Neg', ['c'], 'm'), n('Exp', ['m'], 'e'), n('Add', ['e', 'one'], 'p'), n('Reciprocal', ['p'], 'r'), n('LeakyRelu', ['c'], 'l', { alpha: { f: 0.3 } }), n('Celu', ['l'], 'k', { alpha: { f: 0.5 } }), n('Mul', ['r', 'k'], 'a')], { one: 1 }],
  // session 28: comparisons, Not, Where and a Cast of their bools (were refused: unsupported ops)
  ['torch.where(x > 0, x, 0.1 x): Greater, Where', [n('Greater', ['c', 'zero'], 'g'), n('Mul', ['c', 'k'], 'b'), n('Where', ['g', 'c', 'b'], 'a')], { zero: 0, k: 0.1 }],
  ['x · (x ≥ 0).float(): GreaterOrEqual, Cast to FLOAT, Mul', [n('GreaterOrEqual', ['c', 'zero'], 'g'), n('Cast', ['g'], 'cf', { to: { i: 1 } }), n('Mul', ['c', 'cf'], 'a')], { zero: 0 }],
  ['x · Not(x < 0) (torch\'s ≥ below opset 12), the bool cast to FLOAT', [n('Less', ['c', 'zero'], 'l'), n('Not', ['l'], 'g'), n('Cast', ['g'], 'cf', { to: { i: 1 } }), n('Mul', ['cf', 'c'], 'a')], { zero: 0 }],
  ['Where(x ≤ 1, x, 1 + log x): LessOrEqual (the Log only where it is chosen)', [n('LessOrEqual', ['c', 'one'], 'g'), n('Log', ['c'], 'lg'), n('Add', ['one', 'lg'], 'b'), n('Where', ['g', 'c', 'b'], 'a')], { one: 1 }],
];

describe('element-wise functions of one tensor: one table activation', () => {
  test.each(FORMS)('%s: one expr table, = onnxruntime; int8 ref = sim', async (name, act, consts) => {
    const path = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-expr-')), buildOnnx(model(act, consts, name.includes('opset 10') ? 10 : 13)));
    const graph = loadModel(path);
    expect(graph.nodes.map((x) => x.op)).toEqual(['conv2d', 'activation', 'flatten', 'dense']);
    expect(fns(graph)).toEqual(['expr']);
    await agrees(path, graph, [1, 2, 5, 5]);
  });

  test.each(FILES)('torch.onnx.export: %s lowers with its activations as tables, = onnxruntime; int8 ref = sim', async (file) => {
    const path = join(DIR, file);
    const graph = loadModel(path);
    expect(fns(graph).length).toBeGreaterThanOrEqual(2);
    // Swish with β and hard-swish by hand are tables too: expr, or hardswish where the form is exactly x · hardsigmoid(x; 1/6, 1/2)
    expect(fns(graph).every((f) => f !== 'relu' && f !== 'linear')).toBe(true);
    await agrees(path, graph, [1, 3, 8, 8]);
  });

  // (found by test/fuzz/tfjs-graph-new-ops: the region grew from the Log through the Add to c and the MaxPool, two inputs, and
  // nothing was fused: NN110 at the Log)
  test('Log(|s| + 1) of s = 2c + MaxPool(c): the part that is a function of s is one expr table, = onnxruntime', async () => {
    const act = [n('Mul', ['c', 'two'], 'm'), n('MaxPool', ['c'], 'p', { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } }), n('Add', ['m', 'p'], 's'), n('Abs', ['s'], 'b'), n('Add', ['b', 'one'], 'q'), n('Log', ['q'], 'a')];
    const path = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-expr-')), buildOnnx(model(act, { two: 2, one: 1 })));
    const graph = loadModel(path);
    expect(fns(graph)).toEqual(['expr']);
    await agrees(path, graph, [1, 2, 5, 5]);
  });

  test('two computed tensors are not taken: x · Sigmoid(y) stays a product of two tensors (IR mul)', () => {
    const act = [{ op: 'Conv', inputs: ['c', 'K2'], outputs: ['d'] }, n('Sigmoid', ['d'], 's'), { op: 'Mul', inputs: ['c', 's'], outputs: ['a'], name: 'gate' }];
    const spec = model(act, {});
    spec.inits = { ...spec.inits, K2: w([3, 3, 1, 1], 12) };
    const graph = loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-expr-')), buildOnnx(spec)));
    expect(graph.nodes.find((x) => x.name === 'gate')?.op).toBe('mul');
  });

  test('a Pow by an exponent the walk folds (GeM\'s x.pow(1 / p), p a parameter: Reciprocal(p)) is its own table, node by node: float = onnxruntime; int8 ref = sim, near it', async () => {
    const spec = model([n('Relu', ['c'], 'r'), n('Reciprocal', ['p'], 'q'), n('Pow', ['r', 'q'], 'a')], { p: 2 });
    const path = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-expr-')), buildOnnx(spec));
    const graph = loadModel(path);
    expect(fns(graph)).toContain('expr');
    await agrees(path, graph, [1, 2, 5, 5]);
  });

  test('a Where choosing a constant of several values (torch.zeros_like) is no function of one value: refused in one line', () => {
    const spec = model([n('Greater', ['c', 'zero'], 'g'), n('Where', ['g', 'c', 'Z'], 'a')], { zero: 0 });
    spec.inits!['Z'] = w([1, 3, 5, 5], 7);
    const path = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-expr-')), buildOnnx(spec));
    // (the comparison alone is a function of x: its own table)
    expect(failure(() => loadModel(path)).format()).toBe('error NN110: model.onnx: layer "where_2": Where: is supported only in an element-wise function of one computed tensor with scalar constants (which becomes one table activation); here it reads a constant of several values, a second computed tensor, or a tensor read elsewhere too — replace the layer with a supported one, or open an issue');
  });

  test('torch.where(x > 0, x, torch.zeros_like(x)): a constant of x\'s shape holding one value is that value: one table, = onnxruntime; int8 ref = sim', async () => {
    const spec = model([n('Greater', ['c', 'zero'], 'g'), n('Where', ['g', 'c', 'Z'], 'a')], { zero: 0 });
    spec.inits!['Z'] = { dims: [1, 3, 5, 5], data: new Float32Array(75) };
    const path = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-expr-')), buildOnnx(spec));
    const graph = loadModel(path);
    expect(fns(graph)).toEqual(['expr']);
    await agrees(path, graph, [1, 2, 5, 5]);
  });

  test('a constant of one value that broadcasts x up ([1, 1, 5, 5] against [1, 3, 5, 5]) is refused in one line (the table keeps x\'s shape)', () => {
    const spec = model([n('ReduceMean', ['c'], 'm', { axes: { ints: [1] }, keepdims: { i: 1 } }), n('Greater', ['m', 'zero'], 'g'), n('Where', ['g', 'm', 'Z'], 'a')], { zero: 0 });
    spec.inits!['Z'] = { dims: [1, 3, 5, 5], data: new Float32Array(75).fill(0.5) };
    const path = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-expr-')), buildOnnx(spec));
    expect(failure(() => loadModel(path)).format()).toBe('error NN110: model.onnx: layer "where_3": Where: a constant of shape [1,3,5,5] broadcasts the function\'s input [1,1,5,5] to another shape; only constants of its shape or broadcast to it are supported — replace the layer with a supported one, or open an issue');
  });

  test('a Pow by a per-channel constant is no function of one value: refused in one line', () => {
    const spec = model([n('Pow', ['c', 'e'], 'a')], {});
    spec.inits = { ...spec.inits, e: { dims: [1, 3, 1, 1], data: [1, 2, 3] } };
    const line = failure(() => loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-expr-')), buildOnnx(spec)))).format();
    expect(line).toMatch(/^error NN110: .*Pow: is supported only in an element-wise function of one computed tensor with scalar constants/);
    expect(line.split('\n')).toHaveLength(1);
  });

  test('a NaN scalar constant is not taken into an expression (its table would be the NaN stand-in, 0, everywhere): NN108 at its node, as any NaN weight', () => {
    const spec = model([n('Add', ['c', 'k'], 'p'), n('Sqrt', ['p'], 'a')], { k: NaN });
    const line = failure(() => loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-expr-')), buildOnnx(spec)))).format();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^error NN108: .* is NaN/);
  });

  test('1 / Relu(x) reaches Infinity on the calibration samples: NN304 at its layer, in one line, naming the value (was "the expr table needs 149,372 steps")', () => {
    const graph = loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-expr-')), buildOnnx(model([n('Relu', ['c'], 'r'), n('Reciprocal', ['r'], 'a')], {}))));
    const line = failure(() => compileGraph(graph, randomSamples(8, 2 * 5 * 5, 3, -1, 1))).format();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^error NN304: layer "[^"]+": calibration gives this tensor the value Infinity: int8 has no scale for it — a division by zero/);
  });

  test('turning points are found where the function turns: x · sigmoid(1.5 x) at its minimum, exp(−x²) at 0, |x| at 0', () => {
    const swish: ExprStep[] = [{ op: 'x' }, { op: 'const', value: 1.5 }, { op: 'mul', args: [0, 1] }, { op: 'sigmoid', args: [2] }, { op: 'mul', args: [0, 3] }];
    // d/dx x·σ(βx) = 0 at βx = −1.2784645428 (SiLU's minimum, scaled): found from float64 values to ~1e-8, well inside
    // the 1e-6 the table builder checks value by value either side (passes/table.ts)
    expect(turningPointsOf(swish, erf).some((t) => Math.abs(t - -1.2784645428 / 1.5) < 1e-7)).toBe(true);
    const bump: ExprStep[] = [{ op: 'x' }, { op: 'mul', args: [0, 0] }, { op: 'neg', args: [1] }, { op: 'exp', args: [2] }];
    expect(turningPointsOf(bump, erf).every((t) => Math.abs(t) < 1e-7)).toBe(true);
    const sine: ExprStep[] = [{ op: 'x' }, { op: 'const', value: 0.25 }, { op: 'sub', args: [0, 1] }, { op: 'abs', args: [2] }];
    expect(turningPointsOf(sine, erf).some((t) => Math.abs(t - 0.25) < 1e-9)).toBe(true);
  });
});
