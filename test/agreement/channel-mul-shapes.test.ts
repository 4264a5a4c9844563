// SPDX-License-Identifier: MIT
/**
 * Squeeze-excite in the graphs around it: one gate scaling two maps, a product read by a max pool
 * (which folds into the product's threshold), a product of the model's input itself, and a product
 * whose map also feeds a residual add. Reference = sim (fast, step, certificate) = WASM; int8 follows float.
 */
import { describe, expect, test } from 'vitest';
import { emitWasm } from '../../src/backends/wasm/emit.js';
import { instantiate } from '../../src/backends/wasm/instance.js';
import type { Graph, Node } from '../../src/ir/graph.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { makeConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput, tensorSize } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';
import { prove, simulate } from '../../sim/index.js';
import { randomSamples, rng } from '../helpers/random-graph.js';

const r = rng(21);
const w = (n: number, fan: number): Float32Array => Float32Array.from({ length: n }, () => ((r() * 2 - 1) * 1.5) / Math.sqrt(fan));
const conv = (name: string, input: string, cin: number, cout: number, k = 3): Node => ({ name, op: 'conv2d', inputs: [input], output: name, kernel: { shape: [k, k, cin, cout], data: w(k * k * cin * cout, k * k * cin) }, bias: { shape: [cout], data: w(cout, 4) }, strides: [1, 1], pads: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0], depthwise: false, activation: 'relu' });
const gate = (prefix: string, x: string, c: number): Node[] => [
  { name: `${prefix}/pool`, op: 'globalAvgPool', inputs: [x], output: `${prefix}/pool` },
  { name: `${prefix}/fc`, op: 'dense', inputs: [`${prefix}/pool`], output: `${prefix}/g`, kernel: { shape: [c, c], data: w(c * c, c) }, bias: { shape: [c], data: w(c, 4) }, activation: { fn: 'sigmoid' } },
];
const graph = (name: string, shape: number[], nodes: Node[], out: string): Graph => ({ name, inputs: [{ name: 'input', shape }], nodes, outputs: [out], notes: [] });

const CASES: [string, Graph][] = [
  ['one gate scales two maps, then they are added', graph('two', [6, 6, 3], [conv('a', 'input', 3, 8), conv('b', 'input', 3, 8), ...gate('se', 'a', 8), { name: 'ya', op: 'channelMul', inputs: ['a', 'se/g'], output: 'ya' }, { name: 'yb', op: 'channelMul', inputs: ['b', 'se/g'], output: 'yb' }, { name: 'sum', op: 'add', inputs: ['ya', 'yb'], output: 'sum' }], 'sum')],
  ['a 2x2 max pool after the product (folded into its threshold)', graph('pool', [8, 8, 2], [conv('a', 'input', 2, 6), ...gate('se', 'a', 6), { name: 'y', op: 'channelMul', inputs: ['a', 'se/g'], output: 'y' }, { name: 'mp', op: 'pool2d', inputs: ['y'], output: 'mp', kind: 'max', size: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }], 'mp')],
  ['the model input scaled by a gate computed from it', graph('input', [5, 5, 4], [...gate('se', 'input', 4), { name: 'y', op: 'channelMul', inputs: ['input', 'se/g'], output: 'y' }, conv('z', 'y', 4, 5, 1)], 'z')],
  ['a residual block: x + x·g, ReLU', graph('residual', [6, 5, 3], [conv('a', 'input', 3, 7), ...gate('se', 'a', 7), { name: 'y', op: 'channelMul', inputs: ['a', 'se/g'], output: 'y' }, { name: 'sum', op: 'add', inputs: ['a', 'y'], output: 'sum' }, { name: 'relu', op: 'activation', inputs: ['sum'], output: 'relu', fn: 'relu' }], 'relu')],
];

describe.each(CASES)('%s', (_, g) => {
  const size = g.inputs[0]!.shape.reduce((a, b) => a * b, 1);
  const samples = randomSamples(16, size, 3, -1, 1);
  test.each([[8, 8], [3, 5]] as const)('reference = sim (fast, step, certificate) = WASM on %ix%i, int8 ≈ float', async (rows, cols) => {
    const { program: p } = compile(g, { config: makeConfig({ rows, cols }), calibration: { samples } });
    if (g.name === 'pool') expect(p.layers.map((l) => l.op)).toContain('channel-mul+maxpool2x2');
    const n = tensorSize(p.input);
    const inputs = [...samples.slice(0, 3).map((x) => quantizeInput(p, x)), new Int8Array(n).fill(-128), new Int8Array(n).fill(127)];
    const wasm = await instantiate(emitWasm(p));
    for (const x of inputs) {
      const want = Array.from(interpret(p, x));
      expect(Array.from(simulate(p, x, { trace: false }).output)).toEqual(want);
      expect(Array.from(wasm.runRaw(x))).toEqual(want);
    }
    expect(prove(p, inputs.slice(0, 3), { randomInputs: 1, stepCheck: true }).problems).toEqual([]);
    let [worst, peak] = [0, 0];
    for (const x of samples.slice(0, 8)) {
      const got = dequantizeOutput(p, interpret(p, quantizeInput(p, x)));
      const want = evaluateOutput(g, x);
      for (let i = 0; i < want.length; i++) [worst, peak] = [Math.max(worst, Math.abs(got[i]! - want[i]!)), Math.max(peak, Math.abs(want[i]!))];
    }
    expect(worst).toBeLessThan(4 * p.outputs[0]!.scale + 0.03 * peak);
  });
});
