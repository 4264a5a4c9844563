/**
 * ONNX activations as step tables: models with Sigmoid, Tanh, LeakyRelu, PRelu (per channel),
 * HardSwish, HardSigmoid, Elu, Selu, Softplus, Softsign, ThresholdedRelu import to graphs that
 * compute what onnxruntime computes; their int8 programs run the same on reference, simulator
 * and WASM, close to float. SiLU and hard-swish written as x·gate(x) are one table; other Mul of two tensors is refused.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { emitWasm } from '../../../src/backends/wasm/emit.js';
import { instantiate } from '../../../src/backends/wasm/instance.js';
import { NnchipError } from '../../../src/diagnostics/error.js';
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

/** 1×2×5×5 → conv(3) → act1 → conv(3) → act2 → … → Flatten → Gemm → [1, 4]: each activation after a 3×3 or 1×1 conv. */
function chain(acts: NodeSpec[], opset = 14): ModelSpec {
  const nodes: NodeSpec[] = [];
  const inits: ModelSpec['inits'] = {};
  let prev = 'x';
  let cin = 2;
  acts.forEach((a, i) => {
    inits[`K${i}`] = w([3, cin, i % 2 === 0 ? 3 : 1, i % 2 === 0 ? 3 : 1], 10 + i, -0.6, 0.6);
    inits[`B${i}`] = w([3], 30 + i, -0.3, 0.3);
    nodes.push({ op: 'Conv', inputs: [prev, `K${i}`, `B${i}`], outputs: [`c${i}`], attrs: i % 2 === 0 ? { pads: { ints: [1, 1, 1, 1] } } : {} });
    nodes.push({ ...a, inputs: [`c${i}`, ...a.inputs], outputs: [`a${i}`] });
    prev = `a${i}`;
    cin = 3;
  });
  nodes.push({ op: 'Flatten', inputs: [prev], outputs: ['f'] });
  inits['W'] = w([75, 4], 50, -0.3, 0.3);
  nodes.push({ op: 'Gemm', inputs: ['f', 'W'], outputs: ['y'] });
  if (acts.some((a) => a.op === 'PRelu')) inits['slope'] = { dims: [3, 1, 1], data: [0.25, -0.2, 0.6] };
  return { input: [1, 2, 5, 5], output: [1, 4], nodes, inits, opset };
}

const CHAINS: [string, NodeSpec[], number?][] = [
  ['LeakyRelu, PRelu, Sigmoid', [{ op: 'LeakyRelu', inputs: [], attrs: { alpha: { f: 0.1 } } }, { op: 'PRelu', inputs: ['slope'] }, { op: 'Sigmoid', inputs: [] }]],
  ['HardSwish, Tanh, HardSigmoid', [{ op: 'HardSwish', inputs: [] }, { op: 'Tanh', inputs: [] }, { op: 'HardSigmoid', inputs: [], attrs: { alpha: { f: 1 / 6 } } }]],
  ['Elu, Selu, Softplus', [{ op: 'Elu', inputs: [], attrs: { alpha: { f: 0.8 } } }, { op: 'Selu', inputs: [] }, { op: 'Softplus', inputs: [] }]],
  ['Softsign, ThresholdedRelu, Tanh', [{ op: 'Softsign', inputs: [] }, { op: 'ThresholdedRelu', inputs: [], attrs: { alpha: { f: 0.05 } } }, { op: 'Tanh', inputs: [] }]],
  ['Gelu (erf), Gelu (approximate tanh), Sigmoid at opset 20', [{ op: 'Gelu', inputs: [] }, { op: 'Gelu', inputs: [], attrs: { approximate: { s: 'tanh' } } }, { op: 'Sigmoid', inputs: [] }], 20],
];

describe('ONNX activations (threshold step tables)', () => {
  test.each(CHAINS)('%s: float = onnxruntime; int8: ref = sim = WASM, close to float', async (_, acts, opset) => {
    const path = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-act-')), buildOnnx(chain(acts, opset)));
    const graph = loadModel(path);
    const inputs = randomSamples(16, 50, 3, -1, 1);
    const want = await ortRun(path, [1, 2, 5, 5], inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
    expect(program.instructions.filter((i) => i.op === 'threshold' && i.steps > 0).length).toBeGreaterThanOrEqual(3);
    const wasm = await instantiate(emitWasm(program, { simd: false }));
    const out = program.outputs[0]!;
    const range = Math.max(...want.flatMap((v) => Array.from(v))) - Math.min(...want.flatMap((v) => Array.from(v)));
    for (const [i, x] of inputs.slice(0, 4).entries()) {
      const codes = quantizeInput(program, x);
      const ref = interpret(program, codes);
      expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(ref));
      expect(Array.from(wasm.runRaw(codes))).toEqual(Array.from(ref));
      Array.from(ref).forEach((q, j) => expect(Math.abs(out.scale * (q - out.zp) - want[i]![j]!)).toBeLessThan(0.06 * range));
    }
  });

  // PyTorch writes nn.SiLU as Mul(x, Sigmoid(x)) and, below opset 14, nn.Hardswish as Mul(x, HardSigmoid(x; 1/6))
  const gated = (gate: NodeSpec, second: NodeSpec): ModelSpec => ({
    input: [1, 2, 5, 5],
    output: [1, 4],
    nodes: [
      { op: 'Conv', inputs: ['x', 'K0', 'B0'], outputs: ['c0'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { ...gate, inputs: ['c0'], outputs: ['g0'] },
      { op: 'Mul', inputs: ['c0', 'g0'], outputs: ['a0'], name: 'swish' },
      { op: 'Conv', inputs: ['a0', 'K1', 'B1'], outputs: ['c1'] },
      { ...second, inputs: ['c1'], outputs: ['g1'] },
      { op: 'Mul', inputs: ['g1', 'c1'], outputs: ['a1'], name: 'hswish' },
      { op: 'Flatten', inputs: ['a1'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'W'], outputs: ['y'] },
    ],
    inits: { K0: w([3, 2, 3, 3], 10, -0.6, 0.6), B0: w([3], 30, -0.3, 0.3), K1: w([3, 3, 1, 1], 11, -0.6, 0.6), B1: w([3], 31, -0.3, 0.3), W: w([75, 4], 50, -0.3, 0.3) },
    opset: 13,
  });

  test('x·Sigmoid(x) (SiLU) and x·HardSigmoid(x; 1/6, 1/2) (hard-swish) as PyTorch writes them: one table each, = onnxruntime', async () => {
    const path = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-swish-')), buildOnnx(gated({ op: 'Sigmoid', inputs: [] }, { op: 'HardSigmoid', inputs: [], attrs: { alpha: { f: 1 / 6 } } })));
    const graph = loadModel(path);
    expect(graph.nodes.filter((n) => n.op === 'activation').map((n) => n.op === 'activation' && typeof n.fn === 'object' && 'fn' in n.fn && n.fn.fn)).toEqual(['silu', 'hardswish']);
    const inputs = randomSamples(16, 50, 3, -1, 1);
    const want = await ortRun(path, [1, 2, 5, 5], inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
    expect(program.instructions.filter((i) => i.op === 'threshold' && i.steps > 0).length).toBeGreaterThanOrEqual(2);
  });

  // before fuse-elementwise.ts each was refused by its Mul of two tensors
  test.each<[string, NodeSpec, boolean]>([
    ['a gate read twice (x·Sigmoid(x) + Sigmoid(x))', { op: 'Sigmoid', inputs: [] }, true],
    ['x·HardSigmoid(x) with the default α 0.2 (not hard-swish)', { op: 'HardSigmoid', inputs: [] }, false],
    ['x·Tanh(x)', { op: 'Tanh', inputs: [] }, false],
  ])('%s: a function of one tensor, one expr table, = onnxruntime', async (_, gate, twice) => {
    const spec = gated(gate, { op: 'HardSigmoid', inputs: [], attrs: { alpha: { f: 1 / 6 } } });
    if (twice) spec.nodes.splice(5, 1, { op: 'Mul', inputs: ['g1', 'c1'], outputs: ['m1'], name: 'hswish' }, { op: 'Add', inputs: ['m1', 'g1'], outputs: ['a1'] });
    if (twice) spec.nodes[4] = { op: 'Sigmoid', inputs: ['c1'], outputs: ['g1'] };
    const path = writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-mul-')), buildOnnx(spec));
    const graph = loadModel(path);
    const fns = graph.nodes.filter((n) => n.op === 'activation').map((n) => n.op === 'activation' && typeof n.fn === 'object' && 'fn' in n.fn && n.fn.fn);
    expect(fns).toEqual(twice ? ['silu', 'expr'] : ['expr', 'hardswish']);
    const inputs = randomSamples(16, 50, 3, -1, 1);
    const want = await ortRun(path, [1, 2, 5, 5], inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
  });
});
