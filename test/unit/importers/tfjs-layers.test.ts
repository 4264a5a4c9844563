/** The TF.js importer on files written by tfjs itself: the imported graph computes what TF.js computes. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { buildConv1dNet, buildFunctionalMlp, buildNestedNet, buildPermuteNet, buildSequentialMlp, buildUpsampleNet, saveTfjsModel, tfjsPredict } from '../../helpers/tfjs-models.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { quantizeGraph } from '../../../src/passes/pipeline.js';
import { simulate } from '../../../sim/index.js';
import { emitWasm } from '../../../src/backends/wasm/emit.js';
import { instantiate } from '../../../src/backends/wasm/instance.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import * as tfjs from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import type { NnchipError } from '../../../src/diagnostics/error.js';

async function roundTrip(model: tf.LayersModel, inputSize: number, shardBytes?: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-'));
  await saveTfjsModel(model, dir, shardBytes === undefined ? {} : { shardBytes });
  const graph = loadModel(join(dir, 'model.json'));
  const inputs = randomSamples(8, inputSize, 11);
  const want = tfjsPredict(model, inputs);
  inputs.forEach((x, i) => {
    const got = Array.from(evaluateOutput(graph, x));
    got.forEach((v, j) => expect(v).toBeCloseTo(want[i]![j]!, 4));
  });
}

describe('TF.js Layers importer', () => {
  test('Sequential with Dropout and a final softmax', () => roundTrip(buildSequentialMlp([12, 9, 5], { dropout: true, finalSoftmax: true }), 12));
  test('Sequential with Flatten from [4, 5], weights split over several shards', () => roundTrip(buildSequentialMlp([20, 16, 3], { flattenInput: [4, 5] }), 20, 100));
  test('functional Model with Activation and ReLU layers', () => roundTrip(buildFunctionalMlp([10, 8, 6, 4]), 10));
  // a model used as a layer was refused as "the input shape is missing" (Teachable Machine saves its models so)
  test("Teachable Machine's nesting: Sequential of [Sequential of (functional base, pooling), Sequential head]", () => roundTrip(buildNestedNet('teachable'), 8 * 8 * 3));
  test('a Sequential inside a Sequential', () => roundTrip(buildNestedNet('sequential'), 4));
  test('a functional model applying a Sequential', () => roundTrip(buildNestedNet('functional'), 4));
});

describe('TF.js Layers importer: image layers it refuses, one clear line each', () => {
  const cases: [string, () => tf.LayersModel, RegExp][] = [
    ['channels_first on a map that is not one (a flat input reshaped, and read by a Dense too)', () => {
      const x = tfjs.input({ shape: [50] });
      const conv = tfjs.layers.conv2d({ name: 'cf', filters: 2, kernelSize: 3, dataFormat: 'channelsFirst' }).apply(tfjs.layers.reshape({ targetShape: [2, 5, 5] }).apply(x)) as tf.SymbolicTensor;
      return tfjs.model({ inputs: x, outputs: tfjs.layers.concatenate().apply([tfjs.layers.flatten().apply(conv) as tf.SymbolicTensor, tfjs.layers.dense({ units: 2 }).apply(x) as tf.SymbolicTensor]) as tf.SymbolicTensor });
    },
      /NN110: model.json: layer "cf": data_format "channels_first" on a map that is not channels-first is not supported/],
    ['DepthwiseConv2D dilation (tfjs ignores it, Keras applies it)', () => tfjs.sequential({ layers: [tfjs.layers.depthwiseConv2d({ name: 'dil', inputShape: [7, 7, 1], kernelSize: 3, dilationRate: 2 })] }),
      /layer "dil": dilation_rate \[2,2\] is not supported for DepthwiseConv2D/],
    ['an unsupported layer lists the supported ones', () => tfjs.sequential({ layers: [tfjs.layers.conv3d({ name: 'c3', inputShape: [3, 3, 3, 1], filters: 1, kernelSize: 1 })] }),
      /layer "c3": layer type Conv3D is not supported \(supported: InputLayer, Dense, Conv2D, DepthwiseConv2D, MaxPooling2D/],
    ['a Permute that moves data', () => tfjs.sequential({ layers: [tfjs.layers.permute({ name: 'swap', inputShape: [4, 2, 3], dims: [2, 1, 3] })] }),
      /layer "swap": Permute \[2,1,3\] of \[4,2,3\] moves data \(only permutations that move axes of size 1 are supported\)/],
  ];
  test.each(cases)('%s', async (_, build, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-bad-'));
    await saveTfjsModel(build(), dir);
    let line = '';
    try {
      loadModel(join(dir, 'model.json'));
    } catch (e) {
      line = (e as NnchipError).format();
    }
    expect(line).toMatch(message);
  });
});

describe('TF.js Layers importer: 1-D, separable, upsampling, cropping, global max pooling, layout no-ops', () => {
  // [name, model, input size, ops the graph must hold, the graph's input shape]
  const NETS: [string, () => tf.LayersModel, number, string[], number[]][] = [
    ['Conv1D (same, valid, strided), MaxPooling1D, AveragePooling1D, GlobalMaxPooling1D', buildConv1dNet, 60, ['conv2d', 'pool2d', 'reshape', 'dense'], [1, 20, 3]],
    ['SeparableConv2D, UpSampling2D [2, 3], Cropping2D, GlobalMaxPooling2D', buildUpsampleNet, 72, ['conv2d', 'upsample', 'crop', 'pool2d'], [6, 6, 2]],
    // the Permute and the Reshape only change how the input is read: both fold into the input's shape
    ['Permute of a size-1 axis, Reshape to a sequence, GlobalAveragePooling1D', buildPermuteNet, 12, ['globalAvgPool', 'dense'], [1, 4, 3]],
  ];

  test.each(NETS)('%s: float = TF.js; int8 program: ref = sim = WASM on 8×8 and 16×16, close to float', async (_, build, size, ops, inputShape) => {
    const model = build();
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-more-'));
    await saveTfjsModel(model, dir);
    const graph = loadModel(join(dir, 'model.json'));
    for (const op of ops) expect(graph.nodes.map((n) => n.op)).toContain(op);
    expect(graph.inputs[0]!.shape).toEqual(inputShape);
    const inputs = randomSamples(16, size, 7, -1, 2);
    const want = tfjsPredict(model, inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    for (const rows of [8, 16]) {
      const program = compileGraph(graph, inputs, { rows, cols: rows });
      const out = program.outputs[0]!;
      const wasm = await instantiate(emitWasm(program, { simd: true }));
      for (const [i, x] of inputs.slice(0, 4).entries()) {
        const codes = quantizeInput(program, x);
        const ref = interpret(program, codes);
        expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(ref));
        expect(Array.from(wasm.runRaw(codes))).toEqual(Array.from(ref));
        const range = Math.max(...want.flat()) - Math.min(...want.flat());
        Array.from(ref).forEach((q, j) => expect(Math.abs(out.scale * (q - out.zp) - want[i]![j]!)).toBeLessThan(0.08 * range));
      }
    }
  });

  test('Conv1D causal = zero padding before the sequence + a valid convolution (TF.js cannot run causal itself)', async () => {
    const init = { kernelInitializer: tfjs.initializers.glorotUniform({ seed: 4 }), biasInitializer: tfjs.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: 5 }) };
    const causal = tfjs.sequential({ layers: [tfjs.layers.conv1d({ name: 'c', inputShape: [10, 2], filters: 3, kernelSize: 3, padding: 'causal', ...init })] });
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-causal-'));
    await saveTfjsModel(causal, dir);
    const graph = loadModel(join(dir, 'model.json'));
    const reference = tfjs.sequential({ layers: [
      tfjs.layers.reshape({ inputShape: [10, 2], targetShape: [1, 10, 2] }),
      tfjs.layers.zeroPadding2d({ padding: [[0, 0], [2, 0]] }),
      tfjs.layers.conv2d({ name: 'c2d', filters: 3, kernelSize: [1, 3] }),
    ] });
    const [kernel, bias] = causal.getLayer('c').getWeights();
    reference.getLayer('c2d').setWeights([kernel!.reshape([1, 3, 2, 3]), bias!]);
    const inputs = randomSamples(4, 20, 9, -1, 1);
    const want = tfjsPredict(reference, inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    // and its program (padding on the left only) runs the same on the reference and the simulator
    const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
    for (const x of inputs) {
      const codes = quantizeInput(program, x);
      expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(interpret(program, codes)));
    }
  });

  test('UpSampling2D lowers to one copy per output phase, each storing every 2nd line and 3rd pixel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-more-'));
    await saveTfjsModel(buildUpsampleNet(), dir);
    const graph = loadModel(join(dir, 'model.json'));
    const { gemm } = quantizeGraph(graph, { samples: randomSamples(4, 72, 3) });
    const copies = gemm.ops.filter((op) => op.layer === 'up');
    expect(copies.map((op) => op.at)).toEqual([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
    expect(copies.every((op) => op.oh === 6 && op.ow === 6 && op.step?.join() === '2,3')).toBe(true);
    expect(gemm.tensors.get('up')?.h).toBe(12);
  });
});
