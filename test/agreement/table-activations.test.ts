/**
 * Networks with table activations (sigmoid, tanh, leaky ReLU, PReLU, hard-swish, GELU, …): the
 * compiler emits table-mode thresholds, and reference = sim (fast and step, with the certificate)
 * = WASM (SIMD and scalar) on them; int8 outputs follow the float model. (RTL: test/cosim/icarus.test.ts.)
 */
import { describe, expect, test } from 'vitest';
import { emitWasm } from '../../src/backends/wasm/emit.js';
import { instantiate } from '../../src/backends/wasm/instance.js';
import type { TableActivation } from '../../src/ir/activations.js';
import type { Activation, Graph } from '../../src/ir/graph.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { makeConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput, tensorSize } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';
import { prove, simulate } from '../../sim/index.js';
import { randomMlp, randomSamples, rng } from '../helpers/random-graph.js';

/** An MLP with `hidden` activations, ending in a table activation node (e.g. a binary classifier's sigmoid). */
function model(hidden: Activation[], final: TableActivation, seed: number): Graph {
  const g = randomMlp([12, 10, 9, 3], seed, hidden);
  return { ...g, nodes: [...g.nodes, { name: 'final', op: 'activation', fn: final, inputs: [g.outputs[0]!], output: 'final' }], outputs: ['final'] };
}

const CASES: [string, Activation[], TableActivation][] = [
  ['sigmoid / tanh → sigmoid', [{ fn: 'sigmoid' }, { fn: 'tanh' }], { fn: 'sigmoid' }],
  ['leaky ReLU / PReLU → tanh', [{ fn: 'leakyrelu', alpha: 0.1 }, { fn: 'prelu', slopes: [0.2, -0.3, 0.5, 0.1, 0, 0.7, 0.25, 0.3, 0.05] }], { fn: 'tanh' }],
  ['hard-swish / GELU → SiLU', [{ fn: 'hardswish' }, { fn: 'gelu' }], { fn: 'silu' }],
  ['ELU / SELU → hard-sigmoid', [{ fn: 'elu' }, { fn: 'selu' }], { fn: 'hardsigmoid' }],
  ['softplus / softsign → GELU (tanh)', [{ fn: 'softplus' }, { fn: 'softsign' }], { fn: 'gelu_tanh' }],
];

describe.each(CASES)('%s', (_, hidden, final) => {
  const graph = model(hidden, final, 5);
  const samples = randomSamples(40, 12, 6, -2, 2);
  test.each([[8, 8], [3, 5]] as const)('reference = sim (fast, step, certificate) = WASM on %ix%i, int8 ≈ float', async (rows, cols) => {
    const { program: p } = compile(graph, { config: makeConfig({ rows, cols }), calibration: { samples }, verify: true });
    const tables = p.instructions.filter((i) => i.op === 'threshold' && i.steps > 0);
    expect(tables.length).toBeGreaterThanOrEqual(3);
    const r = rng(9);
    const n = tensorSize(p.input);
    const inputs = [...samples.slice(0, 6).map((x) => quantizeInput(p, x)), new Int8Array(n).fill(-128), new Int8Array(n).fill(127), Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128)];
    const modules = await Promise.all([true, false].map((simd) => instantiate(emitWasm(p, { simd }))));
    for (const x of inputs) {
      const want = Array.from(interpret(p, x));
      expect(Array.from(simulate(p, x, { trace: false }).output)).toEqual(want);
      for (const m of modules) expect(Array.from(m.runRaw(x))).toEqual(want);
    }
    expect(prove(p, inputs.slice(0, 3), { randomInputs: 1 }).problems).toEqual([]);
    // int8 follows float: a few output steps on in-distribution samples (three quantized layers)
    for (const x of samples.slice(0, 10)) {
      const got = dequantizeOutput(p, interpret(p, quantizeInput(p, x)));
      const want = evaluateOutput(graph, x);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(8 * p.outputs[0]!.scale + 0.03);
    }
  });
});
