/**
 * Models as torch 0.3–1.x exported them (libonnx-testdata's pytorch-converted / pytorch-operator sets):
 * unnamed nodes, opset 6's broadcast attribute, opset 9's Slice attributes. The reference values are
 * onnxruntime's where it reads the opset (7 and later) and hand-computed below it (ONNX Runtime reads no opset 6).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput } from '../../../src/isa/program.js';
import { compileGraph } from '../../helpers/compile.js';
import { failure } from '../../helpers/errors.js';
import { buildOnnx, ortRun, weights, writeOnnx, type ModelSpec } from '../../helpers/onnx-models.js';

const load = (spec: ModelSpec) => loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-old-torch-')), buildOnnx(spec)));

describe('ONNX models of old torch exporters', () => {
  test('two unnamed opset-9 Slices each keep their own starts and ends (they shared one name, the last one\'s)', async () => {
    const spec: ModelSpec = {
      input: [1, 4, 3, 3], output: [1, 9], opset: 9,
      nodes: [
        { op: 'Slice', inputs: ['x'], outputs: ['a'], name: '', attrs: { axes: { ints: [1] }, starts: { ints: [0] }, ends: { ints: [3] } } },
        { op: 'Slice', inputs: ['a'], outputs: ['b'], name: '', attrs: { axes: { ints: [1] }, starts: { ints: [2] }, ends: { ints: [3] } } },
        { op: 'Flatten', inputs: ['b'], outputs: ['y'], name: '' },
      ],
    };
    const x = weights(36, 7);
    const [want] = await ortRun(buildOnnx(spec), [1, 4, 3, 3], [x]);
    expect(Array.from(want!)).toEqual(Array.from(x.slice(18, 27)));
    expect(Array.from(evaluateOutput(load(spec), x), Math.fround)).toEqual(Array.from(want!));
  });

  // below opset 7 onnxruntime reads nothing: the values are computed by hand (libonnx-testdata's PReLU/Softsign sets check them too)
  test('opset 6: PRelu\'s slope [C] is one per channel whatever the rank, one value is shared', () => {
    const x = weights(2 * 3 * 2, 5);
    const slope = [0.1, 0.2, 0.3];
    const g = load({ input: [1, 2, 3, 2], output: [1, 12], opset: 6, inits: { s: { dims: [2], data: slope.slice(0, 2) } }, nodes: [{ op: 'PRelu', inputs: ['x', 's'], outputs: ['p'], name: '' }, { op: 'Flatten', inputs: ['p'], outputs: ['y'], name: '' }] });
    // NCHW order: the first 6 values are channel 0's
    expect(Array.from(evaluateOutput(g, x), Math.fround)).toEqual(Array.from(x, (v, i) => Math.fround(v < 0 ? v * slope[Math.floor(i / 6)]! : v)));
    const shared = load({ input: [1, 3], output: [1, 3], opset: 6, inits: { s: { dims: [1], data: [0.25] } }, nodes: [{ op: 'PRelu', inputs: ['x', 's'], outputs: ['y'], name: '' }] });
    expect(Array.from(evaluateOutput(shared, [-4, 2, -1]))).toEqual([-1, 2, -0.25]);
  });

  test('opset 6: Add with broadcast 1 aligning B with A\'s last axes (no axis, or the axis that says so: torch 0.3\'s x + 1, x + y) is read; another axis is NN115 naming the unnamed node', () => {
    const spec = (axis?: number): ModelSpec => ({
      input: [1, 3], output: [1, 3], opset: 6, inits: { b: { dims: [3], data: [1, 2, 3] } },
      nodes: [{ op: 'Add', inputs: ['x', 'b'], outputs: ['y'], name: '', attrs: { broadcast: { i: 1 }, ...(axis === undefined ? {} : { axis: { i: axis } }) } }],
    });
    expect(Array.from(evaluateOutput(load(spec()), [-4, 2, 0.5]))).toEqual([-3, 4, 3.5]);
    expect(Array.from(evaluateOutput(load(spec(1)), [-4, 2, 0.5]))).toEqual([-3, 4, 3.5]);
    // axis 0 puts B's 3 values on A's batch axis of 1
    expect(failure(() => load(spec(0))).format()).toBe(
      "error NN115: model.onnx: layer \"Add_0\": op Add of an opset-6 model broadcasts B from its axis attribute — convert it with onnx: import onnx; from onnx import version_converter; onnx.save(version_converter.convert_version(onnx.load('model.onnx'), 11), 'model-11.onnx')",
    );
  });

  test('opset 6: ReduceMean over the rows, as its opset-11 form', () => {
    const x = weights(2 * 3 * 4, 9);
    const g = load({ input: [1, 2, 3, 4], output: [1, 8], opset: 6, nodes: [{ op: 'ReduceMean', inputs: ['x'], outputs: ['m'], name: '', attrs: { axes: { ints: [2] }, keepdims: { i: 1 } } }, { op: 'Flatten', inputs: ['m'], outputs: ['y'], name: '' }] });
    const want = Array.from({ length: 8 }, (_, i) => { const c = Math.floor(i / 4), w = i % 4; return (x[c * 12 + w]! + x[c * 12 + 4 + w]! + x[c * 12 + 8 + w]!) / 3; });
    evaluateOutput(g, x).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
  });

  test('torch 0.3\'s MaxPool1d: [1, C, L] unsqueezed to [1, C, L, 1], a [k, 1] pool, squeezed back to a 1-D map a Conv1d reads — as onnxruntime computes it, and compiled', async () => {
    const spec: ModelSpec = {
      input: [1, 2, 7], output: [1, 2, 2], opset: 11, inits: { K: { dims: [2, 2, 2], data: weights(8, 4) } },
      nodes: [
        { op: 'Unsqueeze', inputs: ['x'], outputs: ['u'], name: '', attrs: { axes: { ints: [3] } } },
        { op: 'MaxPool', inputs: ['u'], outputs: ['p'], name: '', attrs: { kernel_shape: { ints: [3, 1] }, strides: { ints: [2, 1] } } },
        { op: 'Squeeze', inputs: ['p'], outputs: ['s'], name: '', attrs: { axes: { ints: [3] } } },
        { op: 'Conv', inputs: ['s', 'K'], outputs: ['y'], name: '' },
      ],
    };
    const x = weights(14, 3);
    const [want] = await ortRun(buildOnnx(spec), [1, 2, 7], [x]);
    const g = load(spec);
    expect(g.nodes.map((n) => n.op)).toEqual(['reshape', 'pool2d', 'reshape', 'conv2d']);
    const float = evaluateOutput(g, x);
    // IR order (L, C) against onnxruntime's channel-major [1, 2, 2]
    float.forEach((v, i) => expect(v).toBeCloseTo(want![(i % 2) * 2 + Math.floor(i / 2)]!, 6));
    const program = compileGraph(g, [x]);
    const int8 = dequantizeOutput(program, interpret(program, quantizeInput(program, x)));
    // the IR output is [1, 2, 2] (L, C): want is channel-major
    const peak = Math.max(...Array.from(want!, Math.abs));
    int8.forEach((v, i) => expect(Math.abs(v - want![(i % 2) * 2 + Math.floor(i / 2)]!)).toBeLessThanOrEqual(2 * program.outputs[0]!.scale + 0.02 * peak));
  });

  test('torch\'s nn.Softmax or a Flatten alone: NN305 names what the model held and says to do it on the host', () => {
    const only = (op: string, input: number[]): string => {
      const g = load({ input, output: [1, 8], nodes: [{ op, inputs: ['x'], outputs: ['y'], name: '', attrs: { axis: { i: 1 } } }] });
      return failure(() => compileGraph(g, [weights(8, 1)])).format();
    };
    expect(only('Softmax', [1, 8])).toBe('error NN305: the model has no layer that computes anything (final softmax "Softmax_0" dropped: outputs are logits, argmax unchanged) — a lone softmax needs no accelerator: compute it on the host, or compile the layers before it');
    expect(only('Flatten', [1, 2, 2, 2])).toMatch(/^error NN305: the model has no layer that computes anything: "Flatten_0" \(flatten\) only view or copy its input — a model of views alone needs no accelerator/);
  });
});
