/**
 * TF.js Layers Conv2DTranspose and bilinear UpSampling2D: models written by tfjs (padding valid and
 * same, strides 1–3, a kernel smaller than the stride, an activation; bilinear ×2 and ×3 × ×2)
 * import to graphs that compute what TF.js computes, and their int8 programs run the same on the reference interpreter and the simulator,
 * close to float, and compiled for a batch of 3 give each sample's codes; Keras' output_padding (which tfjs ignores) is refused in one line.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { NnchipError } from '../../../src/diagnostics/error.js';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeBatches, quantizeInput, splitOutputs } from '../../../src/isa/program.js';
import { simulate } from '../../../sim/index.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { saveTfjsModel, tfjsPredict } from '../../helpers/tfjs-models.js';

const init = (seed: number) => ({ kernelInitializer: tfjs.initializers.glorotUniform({ seed }), biasInitializer: tfjs.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: seed + 1 }) });

/** [5, 6, 3] → conv2dTranspose(…) → conv2dTranspose(…): a map out. */
type ConvArgs = Omit<Parameters<typeof tfjs.layers.conv2dTranspose>[0], "filters" | "kernelSize"> & { kernelSize?: number | number[] };
function net(first: ConvArgs, second: ConvArgs): tf.LayersModel {
  return tfjs.sequential({ layers: [
    tfjs.layers.conv2dTranspose({ inputShape: [5, 6, 3], filters: 4, kernelSize: 3, ...init(1), ...first }),
    tfjs.layers.conv2dTranspose({ filters: 2, kernelSize: 3, ...init(3), ...second }),
  ] });
}

/** [5, 6, 3] → conv 3×3 relu → bilinear upsampling → conv 3×3. */
function bilinear(size: [number, number]): tf.LayersModel {
  return tfjs.sequential({ layers: [
    tfjs.layers.conv2d({ inputShape: [5, 6, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', ...init(1) }),
    tfjs.layers.upSampling2d({ size, interpolation: 'bilinear' }),
    tfjs.layers.conv2d({ filters: 2, kernelSize: 3, ...init(3) }),
  ] });
}

const NETS: [string, () => tf.LayersModel][] = [
  ['valid 3×3 stride 2 + relu, same 3×3 stride 1', () => net({ strides: 2, activation: 'relu' }, { padding: 'same' })],
  ['same 3×3 stride 2 (an odd crop), same 4×4 stride 2 + tanh', () => net({ strides: 2, padding: 'same' }, { kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' })],
  ['valid 1×1 stride 2 (kernel under the stride), valid 2×3 strides 3 × 1', () => net({ kernelSize: 1, strides: 2 }, { kernelSize: [2, 3], strides: [3, 1] })],
  ['UpSampling2D bilinear ×2', () => bilinear([2, 2])],
  ['UpSampling2D bilinear ×3 × ×2', () => bilinear([3, 2])],
];

describe('TF.js Conv2DTranspose and bilinear UpSampling2D', () => {
  test.each(NETS)('%s: float = TF.js; int8: ref = sim, close to float', async (name, build) => {
    const model = build();
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-convt-'));
    await saveTfjsModel(model, dir);
    const graph = loadModel(join(dir, 'model.json'));
    expect(graph.nodes.map((n) => n.op)).toContain(name.startsWith('UpSampling2D') ? 'upsample' : 'convTranspose');
    const inputs = randomSamples(16, 90, 7, -1, 1);
    const want = tfjsPredict(model, inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
    const all = want.flatMap((v) => Array.from(v));
    const range = Math.max(...all) - Math.min(...all);
    for (const [i, x] of inputs.slice(0, 4).entries()) {
      const codes = quantizeInput(program, x);
      const ref = interpret(program, codes);
      expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(ref));
      Array.from(ref).forEach((q, j) => expect(Math.abs(program.outputs[0]!.scale * (q - program.outputs[0]!.zp) - want[i]![j]!)).toBeLessThan(0.05 * range));
    }
    // a batch of 3 (samples stacked along the lines, phase stores included): each sample's codes as alone
    const batched = compileGraph(graph, inputs, { rows: 8, cols: 8 }, 3);
    const xs = inputs.slice(0, 3);
    const got = splitOutputs(batched, quantizeBatches(batched, xs).map((codes) => simulate(batched, codes, { trace: false }).output), xs.length);
    xs.forEach((x, i) => expect(Array.from(got[i]!)).toEqual(Array.from(interpret(program, quantizeInput(program, x)))));
  });

  test('output_padding in a tfjs-written file (tfjs ignores it; Keras 3 files are taken: tfjs-layer-breadth.test.ts) is refused in one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-convt-'));
    await saveTfjsModel(net({ strides: 2 }, {}), dir);
    const path = join(dir, 'model.json');
    const json = JSON.parse(readFileSync(path, 'utf8')) as { modelTopology: { config: { layers: { config: Record<string, unknown> }[] } } };
    json.modelTopology.config.layers[0]!.config['output_padding'] = [1, 1];
    writeFileSync(path, JSON.stringify(json));
    let error: unknown;
    try {
      loadModel(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NnchipError);
    expect((error as NnchipError).format()).toMatch(/^error NN110: model\.json: layer "conv2d_transpose_\w+": output_padding \[1,1\] is not supported \(tfjs ignores it, Keras applies it: taken from Keras 3 files only\)/);
  });
});
