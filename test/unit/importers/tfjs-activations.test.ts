/**
 * TF.js Layers activations as step tables: models written by tfjs with sigmoid, tanh, LeakyReLU,
 * PReLU (per channel), ELU, ThresholdedReLU, hard-sigmoid, SELU, softplus, softsign, swish, GELU, Mish
 * import to graphs that compute what TF.js computes, and their int8 programs run the same on
 * reference, simulator and WASM, close to the float outputs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { emitWasm } from '../../../src/backends/wasm/emit.js';
import { instantiate } from '../../../src/backends/wasm/instance.js';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { simulate } from '../../../sim/index.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { saveTfjsModel, tfjsPredict } from '../../helpers/tfjs-models.js';

const init = (seed: number) => ({ kernelInitializer: tfjs.initializers.glorotUniform({ seed }), biasInitializer: tfjs.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: seed + 1 }) });

function convNet(): tf.LayersModel {
  return tfjs.sequential({ layers: [
    tfjs.layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3, padding: 'same', ...init(1) }),
    tfjs.layers.leakyReLU({ alpha: 0.2 }),
    tfjs.layers.conv2d({ filters: 3, kernelSize: 3, ...init(3) }),
    tfjs.layers.prelu({ sharedAxes: [1, 2], alphaInitializer: tfjs.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 5 }) }),
    tfjs.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'tanh', ...init(6) }),
    tfjs.layers.elu(),
    tfjs.layers.flatten(),
    tfjs.layers.dense({ units: 5, ...init(8) }),
    tfjs.layers.thresholdedReLU({ theta: 0.1 }),
    tfjs.layers.dense({ units: 1, activation: 'sigmoid', ...init(10) }),
  ] });
}

function mlp(activations: string[]): tf.LayersModel {
  return tfjs.sequential({ layers: [
    ...activations.map((a, i) => tfjs.layers.dense({ ...(i === 0 ? { inputShape: [10] } : {}), units: 8, activation: a as 'linear', ...init(20 + 2 * i) })),
    tfjs.layers.dense({ units: 3, ...init(40) }),
    tfjs.layers.activation({ activation: 'sigmoid' }),
  ] });
}

const NETS: [string, () => tf.LayersModel, number][] = [
  ['conv: LeakyReLU, PReLU per channel, tanh, ELU, ThresholdedReLU, final sigmoid', convNet, 72],
  ['dense: hardSigmoid, selu, softplus, softsign', () => mlp(['hardSigmoid', 'selu', 'softplus', 'softsign']), 10],
  ['dense: swish, gelu, elu, tanh', () => mlp(['swish', 'gelu', 'elu', 'tanh']), 10],
  ['dense: mish, gelu_new, mish', () => mlp(['mish', 'gelu_new', 'mish']), 10],
];

describe('TF.js activations (threshold step tables)', () => {
  test.each(NETS)('%s: float = TF.js; int8: ref = sim = WASM, close to float', async (_, build, size) => {
    const model = build();
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-act-'));
    await saveTfjsModel(model, dir);
    const graph = loadModel(join(dir, 'model.json'));
    const inputs = randomSamples(24, size, 7, -1, 1);
    const want = tfjsPredict(model, inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
    expect(program.instructions.some((i) => i.op === 'threshold' && i.steps > 0)).toBe(true);
    const wasm = await instantiate(emitWasm(program, { simd: true }));
    const out = program.outputs[0]!;
    for (const [i, x] of inputs.slice(0, 6).entries()) {
      const codes = quantizeInput(program, x);
      const ref = interpret(program, codes);
      expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(ref));
      expect(Array.from(wasm.runRaw(codes))).toEqual(Array.from(ref));
      // sigmoid outputs in [0, 1]: within a few hundredths
      Array.from(ref).forEach((q, j) => expect(Math.abs(out.scale * (q - out.zp) - want[i]![j]!)).toBeLessThan(0.05));
    }
  });
});
