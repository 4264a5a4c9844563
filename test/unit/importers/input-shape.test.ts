// SPDX-License-Identifier: MIT
/**
 * --input-shape (src/importers/input-shape.ts): a model that leaves sizes of its input to run time — an ONNX export with
 * dynamic H and W, a TF.js Layers model of input shape [null, null, 3] or a sequence of any length, a TF graph model
 * whose Placeholder holds −1 — compiles for the sizes named. Each computes what its own runtime computes at those sizes
 * (onnxruntime, TF.js). Without the flag: NN116 naming it (a Layers model's unknown sizes were NN107 "malformed", and
 * an ONNX export's "re-export the model"); a wrong count of sizes, or a size the model fixes given otherwise: NN116;
 * a malformed list: the usage error NN801; beside a lowered program: NN801. And an ONNX input of an integer type that only
 * Casts to float read (an image input as exporters write it) = onnxruntime fed the same bytes; of a model of two inputs,
 * an output reading one of them.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { captureIo } from '../../../src/cli/context.js';
import { main } from '../../../src/cli/main.js';
import { DEFAULT_LIMITS, loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput } from '../../../src/isa/program.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { failure } from '../../helpers/errors.js';
import { buildOnnx, ortRun, weights, writeOnnx, type ModelSpec } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { attr, GraphBuilder } from '../../helpers/tfjs-graph-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-input-shape-'));

/** A fully convolutional ONNX model of dynamic H and W: Conv 3×3 (pads 1), Relu, MaxPool 2, Conv 1×1 to 2 channels. */
const fcn: ModelSpec = {
  input: ['n', 3, 'h', 'w'], output: ['n', 2, 'h2', 'w2'],
  inits: { k: { dims: [4, 3, 3, 3], data: weights(108, 3) }, k2: { dims: [2, 4, 1, 1], data: weights(8, 4) } },
  nodes: [
    { op: 'Conv', inputs: ['x', 'k'], attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } } },
    { op: 'Relu', inputs: ['t0'] },
    { op: 'MaxPool', inputs: ['t1'], attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } } },
    { op: 'Conv', inputs: ['t2', 'k2'], attrs: { kernel_shape: { ints: [1, 1] } } },
  ],
};

/** A TF.js Layers model saved as model.json + weights.bin in a folder of its own; returns the model.json path. */
async function saveLayers(model: tf.LayersModel, name: string): Promise<string> {
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (a) => {
    writeFileSync(join(out, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] }));
    writeFileSync(join(out, 'weights.bin'), Buffer.from(a.weightData as ArrayBuffer));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return join(out, 'model.json');
}

/** The graph's float values = `want` on random samples of `size` values (in [0, 1), or `bytes`: whole numbers 0–255), and its int8 program runs. */
function agreesAt(graph: ReturnType<typeof loadModel>, size: number, want: (x: Float32Array) => Float32Array | Promise<Float32Array>, bytes = false): Promise<void> {
  const samples = randomSamples(6, size, 9, 0, 1).map((x) => (bytes ? x.map((v) => Math.floor(v * 256)) : x));
  return (async () => {
    for (const x of samples) expectClose(evaluateOutput(graph, x), await want(x), 1e-4);
    const program = compileGraph(graph, samples, { rows: 4, cols: 4 });
    expect(interpret(program, quantizeInput(program, samples[0]!)).length).toBe(program.outputs[0]!.shape.reduce((a: number, b: number) => a * b, 1));
  })();
}

describe('--input-shape', () => {
  test('an ONNX export of dynamic H and W: NN116 naming the flag; with --input-shape 3,6,10 it compiles = onnxruntime at that size', async () => {
    const path = writeOnnx(join(dir, 'fcn'), buildOnnx(fcn));
    expect(failure(() => loadModel(path)).format()).toBe('error NN116: model.onnx: input "x" [3,?,?] (without the batch) leaves sizes to run time; nnchip compiles a model for one input size — name them: --input-shape 3,N,N, each N the size to compile for (or re-export the model with them fixed)');
    const graph = loadModel(path, DEFAULT_LIMITS, { inputShape: [3, 6, 10] });
    expect(graph.inputs[0]).toMatchObject({ shape: [6, 10, 3], layout: 'chw' });
    await agreesAt(graph, 180, async (x) => (await ortRun(path, [1, 3, 6, 10], [x]))[0]!.map((v, i, a) => a[(i % 2) * 15 + Math.floor(i / 2)]!));
  });

  test('sizes the model fixes must be given as they are; a count of sizes other than the input\'s is refused; sizes too small for a layer say so', () => {
    const path = writeOnnx(join(dir, 'fcn2'), buildOnnx(fcn));
    expect(failure(() => loadModel(path, DEFAULT_LIMITS, { inputShape: [4, 6, 10] })).format()).toBe('error NN116: model.onnx: --input-shape 4,6,10 gives 4 for size 1 of input "x" [3,?,?], which the model fixes at 3 — give one size for each of [3,?,?], those the model fixes as they are (e.g. --input-shape 3,N,N)');
    expect(failure(() => loadModel(path, DEFAULT_LIMITS, { inputShape: [6, 10] })).format()).toMatch(/^error NN116: model\.onnx: --input-shape 6,10 has 2 sizes; input "x" \[3,\?,\?\] has 3 \(without the batch\)/);
    // sizes a layer cannot take: the hint names them, not "the model"
    expect(failure(() => loadModel(path, DEFAULT_LIMITS, { inputShape: [3, 1, 1] })).format()).toMatch(/^error NN203: model\.onnx: layer "maxpool_2": .* — --input-shape 3,1,1 may be too small for this layer, or not divisible by its strides: try other sizes$/);
  });

  test('a TF.js Layers model of input [null, null, 3] (was NN107 "malformed") and an LSTM of any sequence length compile for the sizes given = TF.js predict', async () => {
    const conv = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [null, null, 3], filters: 4, kernelSize: 3, activation: 'relu' }), tf.layers.globalAveragePooling2d({}), tf.layers.dense({ units: 3 })] });
    const convPath = await saveLayers(conv, 'fcn-layers');
    expect(failure(() => loadModel(convPath)).format()).toMatch(/^error NN116: model\.json: layer "[^"]+": the input \[\?,\?,3\] \(without the batch\) leaves sizes to run time; .* — name them: --input-shape N,N,3/);
    const graph = loadModel(convPath, DEFAULT_LIMITS, { inputShape: [7, 9, 3] });
    await agreesAt(graph, 189, (x) => (conv.predict(tf.tensor(x, [1, 7, 9, 3])) as tf.Tensor).dataSync() as Float32Array);
    const lstm = tf.sequential({ layers: [tf.layers.lstm({ inputShape: [null, 3], units: 4 }), tf.layers.dense({ units: 2 })] });
    const lstmPath = await saveLayers(lstm, 'lstm-any');
    expect(failure(() => loadModel(lstmPath)).format()).toMatch(/the input is a sequence of unknown length \[null,3\]: a recurrent layer is unrolled over a fixed number of steps — name the length: --input-shape T,3/);
    await agreesAt(loadModel(lstmPath, DEFAULT_LIMITS, { inputShape: [5, 3] }), 15, (x) => (lstm.predict(tf.tensor(x, [1, 5, 3])) as tf.Tensor).dataSync() as Float32Array);
  });

  test('a TF graph model whose Placeholder holds −1 sizes compiles for the sizes given = TF.js loadGraphModel', async () => {
    const g = new GraphBuilder([-1, -1, 3], 5);
    g.op('Relu', [g.op('Conv2D', ['x', g.constant([3, 3, 3, 4])], { strides: attr.ints([1, 1, 1, 1]), padding: attr.str('SAME'), data_format: attr.str('NHWC'), dilations: attr.ints([1, 1, 1, 1]) })]);
    const path = g.save();
    expect(failure(() => loadModel(path)).format()).toMatch(/^error NN116: model\.json: layer "x": the input \[\?,\?,3\] \(without the batch\) leaves sizes to run time; .* — name them: --input-shape N,N,3/);
    const graph = loadModel(path, DEFAULT_LIMITS, { inputShape: [5, 4, 3] });
    const run = await g.tfjsRunner(undefined, [5, 4, 3]);
    await agreesAt(graph, 60, run);
  });

  test('a uint8 image input read only by a Cast to FLOAT (an exporter\'s preprocessing) = onnxruntime fed the same bytes; read by anything else, NN116', async () => {
    const spec: ModelSpec = {
      input: [1, 3, 5, 4], output: [1, 2, 5, 4], inputType: 2, // UINT8
      inits: { k: { dims: [2, 3, 3, 3], data: weights(54, 6, -0.01, 0.01) }, mean: { dims: [1, 3, 1, 1], data: [120, 110, 100] } },
      nodes: [{ op: 'Cast', inputs: ['x'], attrs: { to: { i: 1 } } }, { op: 'Sub', inputs: ['t0', 'mean'] }, { op: 'Conv', inputs: ['t1', 'k'], attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } } }],
    };
    const bytes = buildOnnx(spec);
    const path = writeOnnx(join(dir, 'uint8'), bytes);
    const graph = loadModel(path);
    const ort = (await import('onnxruntime-node')).default;
    const session = await ort.InferenceSession.create(bytes);
    await agreesAt(graph, 60, async (x) => {
      const out = (await session.run({ x: new ort.Tensor('uint8', Uint8Array.from(x), [1, 3, 5, 4]) }))[session.outputNames[0]!]!.data as Float32Array;
      // the runtime's output channel-major, nnchip's pixel-major
      return Float32Array.from({ length: 40 }, (_, i) => out[(i % 2) * 20 + Math.floor(i / 2)]!);
    }, true);
    const direct = writeOnnx(join(dir, 'uint8-relu'), buildOnnx({ ...spec, nodes: [{ op: 'Relu', inputs: ['x'] }] }));
    expect(failure(() => loadModel(direct)).format()).toMatch(/^error NN116: model\.onnx: input "x" has element type UINT8; nnchip needs FLOAT \(or FLOAT16, BFLOAT16, DOUBLE\), or an integer type read only by Casts to a float type/);
  });

  test('a model of two inputs: an output that reads one of them compiles (the other is left out) = onnxruntime; one reading both is refused', async () => {
    const spec: ModelSpec = {
      input: [1, 3, 4, 4], output: [1, 2, 4, 4], moreInputs: [{ name: 'meta', dims: [1, 2, 4, 4] }],
      inits: { k: { dims: [2, 3, 1, 1], data: weights(6, 7) } },
      nodes: [{ op: 'Conv', inputs: ['x', 'k'], outputs: ['image'], attrs: { kernel_shape: { ints: [1, 1] } } }, { op: 'Add', inputs: ['image', 'meta'], outputs: ['both'] }],
      outputName: 'image', moreOutputs: [{ name: 'both', dims: [1, 2, 4, 4] }],
    };
    const bytes = buildOnnx(spec);
    const path = writeOnnx(join(dir, 'two-inputs'), bytes);
    const graph = loadModel(path, DEFAULT_LIMITS, { output: 'image' });
    expect(graph.inputs.map((i) => i.name)).toEqual(['x']);
    const ort = (await import('onnxruntime-node')).default;
    const session = await ort.InferenceSession.create(bytes);
    await agreesAt(graph, 48, async (x) => {
      const out = (await session.run({ x: new ort.Tensor('float32', x, [1, 3, 4, 4]), meta: new ort.Tensor('float32', new Float32Array(32), [1, 2, 4, 4]) }))['image']!.data as Float32Array;
      return Float32Array.from({ length: 32 }, (_, i) => out[(i % 2) * 16 + Math.floor(i / 2)]!);
    });
    expect(failure(() => loadModel(path, DEFAULT_LIMITS, { output: 'both' })).format()).toMatch(/^error NN116: model\.onnx: the model has 2 inputs \("x", "meta"\); nnchip supports exactly one/);
  });

  test('the CLI: a malformed list is the usage error NN801; beside a lowered program NN801; lower then sim of the sizes given', async () => {
    const path = writeOnnx(join(dir, 'fcn3'), buildOnnx(fcn));
    const cli = async (args: string[]): Promise<{ code: number; err: string }> => {
      const io = captureIo();
      const code = await main(args, io);
      return { code, err: io.err.join('') };
    };
    expect(await cli(['lower', path, '--input-range', '0,1', '--input-shape', '3,6,x', '-o', join(dir, 'bad')])).toMatchObject({ code: 2, err: expect.stringMatching(/^error NN801: --input-shape "3,6,x": "x" is not a positive integer size/) });
    const out = join(dir, 'fcn3.nnchip');
    expect((await cli(['lower', path, '--input-range', '0,1', '--input-shape', '3,6,10', '-o', out])).code).toBe(0);
    expect((await cli(['sim', out])).code).toBe(0);
    expect(await cli(['sim', out, '--input-shape', '3,6,10'])).toMatchObject({ code: 2, err: expect.stringMatching(/--input-shape cannot apply to a lowered program/) });
  });
});
