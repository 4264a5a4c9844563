/**
 * TF.js Layers options that map exactly onto the IR and used to be refused (session 10 op-coverage
 * audit): dilated Conv2D/Conv1D/SeparableConv2D, a depthwise channel multiplier (DepthwiseConv2D and
 * SeparableConv2D depth_multiplier 2), ReLU(max_value n) as a clamp, Rescaling, the Average merge, Dense
 * on a map or a sequence (Keras applies it per pixel: a 1×1 convolution, not a Flatten), BatchNormalization
 * with the axis Keras saves for a sequence (2), Maximum / Minimum / Subtract, a Reshape of a vector to a map (a
 * generator's Dense → Reshape), and the layers
 * that are the identity at inference (GaussianNoise, GaussianDropout, AlphaDropout, SpatialDropout1D).
 * Models written by tfjs itself: the imported graph computes what TF.js computes, and the int8 program
 * runs the same on the reference interpreter and the simulator, close to float.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfjs from '@tensorflow/tfjs';
import type * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import type { NnchipError } from '../../../src/diagnostics/error.js';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { simulate } from '../../../sim/index.js';
import { makeConfig } from '../../../src/isa/config.js';
import { compile } from '../../../src/passes/pipeline.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { saveTfjsModel, tfjsPredict } from '../../helpers/tfjs-models.js';

const L = tfjs.layers;
const init = (seed: number) => ({ kernelInitializer: tfjs.initializers.glorotUniform({ seed }), biasInitializer: tfjs.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: seed + 1 }) });
const sepInit = (seed: number) => ({ depthwiseInitializer: tfjs.initializers.glorotUniform({ seed }), pointwiseInitializer: tfjs.initializers.glorotUniform({ seed: seed + 1 }), biasInitializer: tfjs.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: seed + 2 }) });

/** [9, 9, 3]: Rescaling, dilated Conv2D (same) with ReLU(max_value 1), depthwise ×2, dilated separable ×2, GaussianNoise, Average of three branches. */
function imageNet(): tf.LayersModel {
  const x = tfjs.input({ shape: [9, 9, 3] });
  const r = L.rescaling({ scale: 0.5, offset: -0.25 }).apply(x) as tf.SymbolicTensor;
  const a = L.reLU({ maxValue: 1 }).apply(L.conv2d({ filters: 6, kernelSize: 3, dilationRate: 2, padding: 'same', ...init(1) }).apply(r)) as tf.SymbolicTensor;
  const b = L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', depthwiseInitializer: tfjs.initializers.glorotUniform({ seed: 3 }) }).apply(r) as tf.SymbolicTensor;
  const c = L.separableConv2d({ filters: 6, kernelSize: 3, dilationRate: [2, 1], depthMultiplier: 2, padding: 'same', activation: 'relu', ...sepInit(5) }).apply(r) as tf.SymbolicTensor;
  const m = L.average().apply([a, L.gaussianNoise({ stddev: 0.3 }).apply(b) as tf.SymbolicTensor, c]) as tf.SymbolicTensor;
  const y = L.dense({ units: 4, ...init(8) }).apply(L.globalAveragePooling2d({}).apply(m)) as tf.SymbolicTensor;
  return tfjs.model({ inputs: x, outputs: y });
}

/** [12, 4] sequence: Rescaling per channel, Conv1D dilation 2 (same), BatchNormalization axis 2, Dense per step (relu), AlphaDropout, SpatialDropout1D, GlobalAveragePooling1D, Dense. */
function sequenceNet(): tf.LayersModel {
  return tfjs.sequential({ layers: [
    L.rescaling({ inputShape: [12, 4], scale: 2, offset: -1 }),
    L.conv1d({ filters: 6, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'relu', ...init(11) }),
    // the axis Keras saves for a sequence (the built [2], not -1)
    L.batchNormalization({ axis: 2, movingMeanInitializer: tfjs.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 12 }), movingVarianceInitializer: tfjs.initializers.randomUniform({ minval: 0.5, maxval: 2, seed: 13 }) }),
    L.dense({ units: 5, activation: 'relu', ...init(13) }),
    L.alphaDropout({ rate: 0.2 }),
    L.spatialDropout1d({ rate: 0.2 }),
    L.globalAveragePooling1d({}),
    L.dense({ units: 3, ...init(15) }),
  ] });
}

/** [5, 5, 3]: Conv2D, Dense on the map (per pixel), GaussianDropout, Flatten, Dense. */
function denseOnMap(): tf.LayersModel {
  return tfjs.sequential({ layers: [
    L.conv2d({ inputShape: [5, 5, 3], filters: 4, kernelSize: 3, activation: 'relu', ...init(21) }),
    L.dense({ units: 6, activation: 'tanh', ...init(23) }),
    L.gaussianDropout({ rate: 0.3 }),
    L.flatten(),
    L.dense({ units: 3, ...init(25) }),
  ] });
}

/** [6, 6, 2]: three conv branches, Maximum of three, Minimum of two, Add, GlobalAveragePooling2D, Dense. */
function extremaNet(): tf.LayersModel {
  const x = tfjs.input({ shape: [6, 6, 2] });
  const a = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same', ...init(31) }).apply(x) as tf.SymbolicTensor;
  const b = L.conv2d({ filters: 4, kernelSize: 1, ...init(33) }).apply(x) as tf.SymbolicTensor;
  const c = L.conv2d({ filters: 4, kernelSize: 1, activation: 'relu', ...init(35) }).apply(x) as tf.SymbolicTensor;
  const hi = L.maximum().apply([a, b, c]) as tf.SymbolicTensor;
  const lo = L.minimum().apply([a, b]) as tf.SymbolicTensor;
  const y = L.dense({ units: 3, ...init(37) }).apply(L.globalAveragePooling2d({}).apply(L.add().apply([hi, lo]))) as tf.SymbolicTensor;
  return tfjs.model({ inputs: x, outputs: y });
}

/** [6] → Dense(48) LeakyReLU → Reshape [4, 4, 3] → Conv2DTranspose ×2 → Conv2D: a DCGAN-style generator, a map out. */
function generator(): tf.LayersModel {
  return tfjs.sequential({ layers: [
    L.dense({ inputShape: [6], units: 48, ...init(61) }),
    L.leakyReLU({ alpha: 0.2 }),
    L.reshape({ targetShape: [4, 4, 3] }),
    L.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', ...init(63) }),
    L.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'tanh', ...init(65) }),
  ] });
}

/** [8, 3] sequence: Conv1D, TimeDistributed(Dense relu), TimeDistributed(Dropout), Flatten, Dense (TimeDistributed was refused by name). */
function timeDistributed(): tf.LayersModel {
  return tfjs.sequential({ layers: [
    L.conv1d({ inputShape: [8, 3], filters: 4, kernelSize: 3, ...init(81) }),
    L.timeDistributed({ layer: L.dense({ units: 5, activation: 'relu', ...init(83) }) }),
    L.timeDistributed({ layer: L.dropout({ rate: 0.5 }) }),
    L.flatten(),
    L.dense({ units: 3, ...init(85) }),
  ] });
}

/** [10, 3] sequence: two Conv1D branches (kernels 3 and 5) joined by Concatenate axis 2, the sequence's channels as Keras counts them (it was refused as not the channel axis), GlobalMaxPooling1D, Dense. */
function sequenceConcat(): tf.LayersModel {
  const x = tfjs.input({ shape: [10, 3] });
  const a = L.conv1d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu', ...init(91) }).apply(x) as tf.SymbolicTensor;
  const b = L.conv1d({ filters: 3, kernelSize: 5, padding: 'same', ...init(93) }).apply(x) as tf.SymbolicTensor;
  const y = L.dense({ units: 2, ...init(95) }).apply(L.globalMaxPooling1d({}).apply(L.concatenate({ axis: 2 }).apply([a, b]))) as tf.SymbolicTensor;
  return tfjs.model({ inputs: x, outputs: y });
}

describe('TF.js Layers options that map exactly onto the IR', () => {
  const NETS: [string, () => tf.LayersModel, number, string[]][] = [
    ['Rescaling, dilated Conv2D + ReLU(max_value 1), DepthwiseConv2D ×2, dilated SeparableConv2D ×2, GaussianNoise, Average', imageNet, 243, ['batchNorm', 'conv2d', 'add']],
    ['Rescaling per step, dilated Conv1D, BatchNormalization axis 2, Dense per step, AlphaDropout, SpatialDropout1D', sequenceNet, 48, ['conv2d', 'globalAvgPool', 'dense']],
    ['Dense on a map (per pixel), GaussianDropout', denseOnMap, 75, ['conv2d', 'flatten', 'dense']],
    ['Maximum of three branches, Minimum of two', extremaNet, 72, ['batchNorm', 'add', 'activation']],
    ['a generator: Dense → Reshape to a map (one copy per pixel) → Conv2DTranspose', generator, 6, ['dense', 'reshape', 'convTranspose']],
    ['TimeDistributed(Dense), TimeDistributed(Dropout) on a sequence', timeDistributed, 24, ['conv2d', 'flatten', 'dense']],
    ['Conv1D branches joined by Concatenate axis 2 (a sequence\'s channels)', sequenceConcat, 30, ['conv2d', 'concat', 'pool2d', 'dense']],
  ];
  test.each(NETS)('%s: float = TF.js; int8: ref = sim, close to float', async (_, build, size, ops) => {
    const model = build();
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-cover-'));
    await saveTfjsModel(model, dir);
    const graph = loadModel(join(dir, 'model.json'));
    for (const op of ops) expect(graph.nodes.map((n) => n.op)).toContain(op);
    const inputs = randomSamples(16, size, 5, -1, 2);
    const want = tfjsPredict(model, inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
    const out = program.outputs[0]!;
    const range = Math.max(...want.flat()) - Math.min(...want.flat());
    for (const [i, x] of inputs.slice(0, 6).entries()) {
      const codes = quantizeInput(program, x);
      const ref = interpret(program, codes);
      expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(ref));
      Array.from(ref).forEach((q, j) => expect(Math.abs(out.scale * (q - out.zp) - want[i]![j]!)).toBeLessThan(0.1 * range));
    }
  });

  test('ReLU(max_value 1) is a clamp fused into the convolution; depth_multiplier 2 a full kernel of 6 outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-cover-'));
    await saveTfjsModel(imageNet(), dir);
    const graph = loadModel(join(dir, 'model.json'));
    expect(graph.nodes.some((n) => n.op === 'activation' && typeof n.fn === 'object' && 'clip' in n.fn && n.fn.clip.join() === '0,1')).toBe(true);
    const dw = graph.nodes.find((n) => n.op === 'conv2d' && n.name.startsWith('depthwise'));
    expect(dw?.op === 'conv2d' && [dw.depthwise, dw.kernel.shape.join()]).toEqual([false, '3,3,3,6']);
    expect(graph.nodes.filter((n) => n.op === 'conv2d' && n.dilations !== undefined).map((n) => n.op === 'conv2d' && n.dilations!.join())).toEqual(['2,2', '2,1']);
  });

  test('DepthwiseConv2D dilation_rate is refused in one line: tfjs ignores it, Keras applies it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-cover-'));
    await saveTfjsModel(tfjs.sequential({ layers: [L.depthwiseConv2d({ name: 'dw', inputShape: [7, 7, 2], kernelSize: 3, dilationRate: 2 })] }), dir);
    let line = '';
    try {
      loadModel(join(dir, 'model.json'));
    } catch (e) {
      line = (e as NnchipError).format();
    }
    expect(line).toMatch(/^error NN110: model\.json: layer "dw": dilation_rate \[2,2\] is not supported for DepthwiseConv2D \(tfjs ignores it, Keras applies it: the model means two things; only 1\) — /);
  });
});

test('Keras Subtract (which tfjs-layers cannot load) is a − b: the two branches TF.js computes, subtracted', async () => {
  const x = tfjs.input({ shape: [5, 5, 2] });
  const a = L.conv2d({ filters: 3, kernelSize: 3, padding: 'same', ...init(41) }).apply(x) as tf.SymbolicTensor;
  const b = L.conv2d({ filters: 3, kernelSize: 1, activation: 'relu', ...init(43) }).apply(x) as tf.SymbolicTensor;
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-cover-'));
  await saveTfjsModel(tfjs.model({ inputs: x, outputs: L.add({ name: 'diff' }).apply([a, b]) as tf.SymbolicTensor }), dir);
  const path = join(dir, 'model.json');
  writeFileSync(path, readFileSync(path, 'utf8').replace('"class_name":"Add"', '"class_name":"Subtract"'));
  const graph = loadModel(path);
  const inputs = randomSamples(6, 50, 3, -1, 1);
  const [wa, wb] = [a, b].map((t) => tfjsPredict(tfjs.model({ inputs: x, outputs: t }), inputs));
  inputs.forEach((s, i) => expectClose(evaluateOutput(graph, s), wa![i]!.map((v, j) => v - wb![i]![j]!)));
});

test('a final softmax over each step of a sequence (Dense per step): the float graph normalizes each step, as TF.js does', async () => {
  const model = tfjs.sequential({ layers: [L.dense({ inputShape: [5, 4], units: 3, activation: 'softmax', ...init(51) })] });
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-cover-'));
  await saveTfjsModel(model, dir);
  const graph = loadModel(join(dir, 'model.json'));
  const inputs = randomSamples(4, 20, 9, -2, 2);
  const want = tfjsPredict(model, inputs);
  inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
});

/**
 * Keras 2.1's MobileNet head (the tfjs-models mobilenet_v1 Layers models): GlobalAveragePooling2D → Reshape
 * [1, 1, C] → Dropout → Conv2D 1×1 → Activation softmax on the [1, 1, K] map → Reshape [K] (written with -1,
 * which tfjs saves as null). Session 11 audit: the softmax before the Reshape was refused ("only as the final
 * layer") and target_shape [-1] as not fully known.
 */
test('Keras 2.1 MobileNet head: softmax on the [1, 1, K] map, then Reshape([-1]): dropped as a final softmax; int8 logits close to TF.js', async () => {
  const x = tfjs.input({ shape: [6, 6, 3] });
  const feat = L.globalAveragePooling2d({}).apply(L.conv2d({ filters: 8, kernelSize: 3, activation: 'relu6', ...init(71) }).apply(x));
  const preds = L.conv2d({ name: 'conv_preds', filters: 5, kernelSize: 1, ...init(73) }).apply(L.dropout({ rate: 0.001 }).apply(L.reshape({ targetShape: [1, 1, 8] }).apply(feat))) as tf.SymbolicTensor;
  const model = tfjs.model({ inputs: x, outputs: L.reshape({ name: 'reshape_2', targetShape: [-1] }).apply(L.activation({ name: 'act_softmax', activation: 'softmax' }).apply(preds)) as tf.SymbolicTensor });
  const logits = tfjs.model({ inputs: x, outputs: L.reshape({ targetShape: [5] }).apply(preds) as tf.SymbolicTensor });
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-cover-'));
  await saveTfjsModel(model, dir);
  expect(readFileSync(join(dir, 'model.json'), 'utf8')).toContain('"target_shape":[null]');
  const graph = loadModel(join(dir, 'model.json'));
  const inputs = randomSamples(8, 108, 75, -1, 1);
  inputs.forEach((s, i) => expectClose(evaluateOutput(graph, s), tfjsPredict(model, inputs)[i]!));
  const compiled = compile(graph, { config: makeConfig({ rows: 8, cols: 8 }), calibration: { samples: inputs } });
  expect(compiled.graph.notes).toContain('final softmax "act_softmax" dropped: outputs are logits, argmax unchanged');
  const { program } = compiled;
  const want = tfjsPredict(logits, inputs);
  const range = Math.max(...want.flat()) - Math.min(...want.flat());
  for (const [i, s] of inputs.entries()) {
    const ref = interpret(program, quantizeInput(program, s));
    Array.from(ref).forEach((q, j) => expect(Math.abs(program.outputs[0]!.scale * (q - program.outputs[0]!.zp) - want[i]![j]!)).toBeLessThan(0.1 * range));
  }
});

/**
 * An SSD-style detection head in Keras: a map's Conv2D of anchors × 4 box values, Reshape([-1, 4]) to its list of
 * anchors, sigmoid. Session 14: a Reshape of a map to another map was refused at lowering. (Concatenate(axis=1) of two
 * such lists is still read as along H: a Layers model holds no tensor ranks, and a map of height 1 is [1, W, C] too.)
 */
test('SSD head: Conv2D → Reshape([-1, 4]) → sigmoid: = TF.js; int8 close, sim = interpret', async () => {
  const x = tfjs.input({ shape: [6, 6, 3] });
  const big = L.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', ...init(81) }).apply(x) as tf.SymbolicTensor;
  const small = L.maxPooling2d({ poolSize: 2 }).apply(big) as tf.SymbolicTensor;
  const boxes = (map: tf.SymbolicTensor, anchors: number, seed: number): tf.SymbolicTensor => L.reshape({ targetShape: [-1, 4] }).apply(L.conv2d({ filters: anchors * 4, kernelSize: 1, ...init(seed) }).apply(map)) as tf.SymbolicTensor;
  const model = tfjs.model({ inputs: x, outputs: L.activation({ activation: 'sigmoid' }).apply(boxes(small, 3, 85)) as tf.SymbolicTensor });
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-cover-'));
  await saveTfjsModel(model, dir);
  const graph = loadModel(join(dir, 'model.json'));
  const inputs = randomSamples(6, 108, 87, -1, 1);
  const want = tfjsPredict(model, inputs);
  expect(want[0]!.length).toBe(27 * 4);
  inputs.forEach((s, i) => expectClose(evaluateOutput(graph, s), want[i]!));
  const program = compileGraph(graph, inputs, { rows: 8, cols: 8 });
  const range = Math.max(...want.flat()) - Math.min(...want.flat());
  for (const [i, s] of inputs.entries()) {
    const codes = quantizeInput(program, s);
    const ref = interpret(program, codes);
    expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(ref));
    Array.from(ref).forEach((q, j) => expect(Math.abs(program.outputs[0]!.scale * (q - program.outputs[0]!.zp) - want[i]![j]!)).toBeLessThan(0.05 * range));
  }
});

/**
 * A softmax that is not the model's last op is computed (ir/softmax.ts), not dropped: each pixel's channels before a
 * Flatten of several pixels (a final softmax, dropped, would change the flattened vector's argmax), a Dense with a
 * softmax activation read by another Dense, and a Softmax layer (axis −1) between two convolutions.
 */
describe('a softmax inside the model = TF.js', () => {
  const cases: [string, () => { x: tf.SymbolicTensor; y: tf.SymbolicTensor }][] = [
    ['each pixel\'s channels, then Flatten', () => {
      const x = tfjs.input({ shape: [2, 2, 3] });
      return { x, y: L.flatten({}).apply(L.activation({ name: 'sm', activation: 'softmax' }).apply(L.conv2d({ filters: 3, kernelSize: 1, ...init(77) }).apply(x))) as tf.SymbolicTensor };
    }],
    ['a Dense of softmax read by a Dense', () => {
      const x = tfjs.input({ shape: [12] });
      return { x, y: L.dense({ units: 3, ...init(80) }).apply(L.dense({ units: 7, activation: 'softmax', ...init(78) }).apply(x)) as tf.SymbolicTensor };
    }],
    ['a Softmax layer between two convolutions', () => {
      const x = tfjs.input({ shape: [2, 2, 3] });
      const a = L.conv2d({ filters: 5, kernelSize: 1, ...init(82) }).apply(x) as tf.SymbolicTensor;
      return { x, y: L.conv2d({ filters: 2, kernelSize: 1, ...init(84) }).apply(L.softmax({ axis: -1 }).apply(a)) as tf.SymbolicTensor };
    }],
  ];
  test.each(cases)('%s', async (_, build) => {
    const { x, y } = build();
    const model = tfjs.model({ inputs: x, outputs: y });
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-tfjs-cover-'));
    await saveTfjsModel(model, dir);
    const graph = loadModel(join(dir, 'model.json'));
    const inputs = randomSamples(96, 12, 87, -2, 2);
    const want = tfjsPredict(model, inputs);
    inputs.forEach((s, i) => expectClose(evaluateOutput(graph, s), want[i]!));
    const { program } = compile(graph, { config: makeConfig({ rows: 8, cols: 8 }), calibration: { samples: inputs } });
    expect(program.notes ?? []).not.toContainEqual(expect.stringMatching(/dropped/));
    const range = Math.max(...want.flat()) - Math.min(...want.flat());
    for (const [i, s] of inputs.slice(0, 12).entries()) {
      const codes = quantizeInput(program, s);
      const ref = interpret(program, codes);
      expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(ref));
      Array.from(ref).forEach((q, j) => expect(Math.abs(program.outputs[0]!.scale * (q - program.outputs[0]!.zp) - want[i]![j]!)).toBeLessThan(0.05 * range));
    }
  });
});
