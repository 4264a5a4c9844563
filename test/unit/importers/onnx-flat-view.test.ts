/**
 * A map's spatial axes merged, [N, C, H, W] → [N, C, H·W] (x.view(n, c, -1), x.flatten(2)), and its
 * transpose [N, H·W, C]: views of the IR map. Reductions over the pixels are global pools, reshapes
 * go back to the map or flatten it; the float graph equals ONNX Runtime at odd sizes (a single
 * column included), the int8 program is close and the simulator bit-exact; what would read a
 * channel's pixels along the last axis is refused in one line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput } from '../../../src/isa/program.js';
import { expectSimExact } from '../../helpers/agreement.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { failure } from '../../helpers/errors.js';
import { buildOnnx, ortRun, writeOnnx, type NodeSpec } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-flat-view-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ints = (data: number[]) => ({ dims: [data.length], data, int64: true });

/** x [1, C, H, W] → Reshape [0, 0, -1] → the nodes under test (reading 'f') → y. */
function model(dims: number[], nodes: NodeSpec[], out: number[], extra: Record<string, ReturnType<typeof ints>> = {}): string {
  const bytes = buildOnnx({ input: dims, output: out, inits: { s: ints([0, 0, -1]), ...extra }, nodes: [{ op: 'Reshape', inputs: ['x', 's'], outputs: ['f'], name: 'view' }, ...nodes], opset: 13 });
  return writeOnnx(mkdtempSync(join(dir, 'm-')), bytes);
}

const CASES: [string, number[], (c: number, h: number, w: number) => { nodes: NodeSpec[]; out: number[]; extra?: Record<string, ReturnType<typeof ints>> }][] = [
  ['mean over the last axis', [1, 3, 5, 7], (c) => ({ nodes: [{ op: 'ReduceMean', inputs: ['f'], outputs: ['y'], attrs: { axes: { ints: [-1] }, keepdims: { i: 0 } } }], out: [1, c] })],
  ['sum over axis 2, keepdims', [1, 2, 3, 1], (c) => ({ nodes: [{ op: 'ReduceSum', inputs: ['f', 'a'], outputs: ['k'], attrs: { keepdims: { i: 1 } } }, { op: 'Flatten', inputs: ['k'], outputs: ['y'] }], out: [1, c], extra: { a: ints([2]) } })],
  ['amax over the last axis', [1, 4, 3, 5], (c) => ({ nodes: [{ op: 'ReduceMax', inputs: ['f'], outputs: ['y'], attrs: { axes: { ints: [2] }, keepdims: { i: 0 } } }], out: [1, c] })],
  ['sigmoid, then back to the map', [1, 3, 5, 3], (c, h, w) => ({ nodes: [{ op: 'Sigmoid', inputs: ['f'], outputs: ['g'] }, { op: 'Reshape', inputs: ['g', 'b'], outputs: ['y'] }], out: [1, c, h, w], extra: { b: ints([1, c, h, w]) } })],
  ['flattened', [1, 2, 3, 3], (c, h, w) => ({ nodes: [{ op: 'Relu', inputs: ['f'], outputs: ['g'] }, { op: 'Flatten', inputs: ['g'], outputs: ['y'] }], out: [1, c * h * w] })],
  ['the rows [1, H·W, C], mean over them', [1, 3, 3, 5], (c) => ({ nodes: [{ op: 'Transpose', inputs: ['f'], outputs: ['t'], attrs: { perm: { ints: [0, 2, 1] } } }, { op: 'ReduceMean', inputs: ['t'], outputs: ['y'], attrs: { axes: { ints: [1] }, keepdims: { i: 0 } } }], out: [1, c] })],
  ['the rows flattened (pixel-major)', [1, 2, 5, 1], (c, h, w) => ({ nodes: [{ op: 'Transpose', inputs: ['f'], outputs: ['t'], attrs: { perm: { ints: [0, 2, 1] } } }, { op: 'Elu', inputs: ['t'], outputs: ['e'] }, { op: 'Flatten', inputs: ['e'], outputs: ['y'] }], out: [1, c * h * w] })],
  ['the rows as NHWC, back to NCHW', [1, 3, 3, 5], (c, h, w) => ({ nodes: [{ op: 'Transpose', inputs: ['f'], outputs: ['t'], attrs: { perm: { ints: [0, 2, 1] } } }, { op: 'Reshape', inputs: ['t', 'b'], outputs: ['n'] }, { op: 'Tanh', inputs: ['n'], outputs: ['u'] }, { op: 'Transpose', inputs: ['u'], outputs: ['y'], attrs: { perm: { ints: [0, 3, 1, 2] } } }], out: [1, c, h, w], extra: { b: ints([1, h, w, c]) } })],
];

describe('[N, C, H·W] views of a map', () => {
  test.each(CASES)('%s, %j: float = onnxruntime; int8 close, sim exact', async (_, dims, make) => {
    const [, c, h, w] = dims as [number, number, number, number];
    const { nodes, out, extra } = make(c, h, w);
    const path = model(dims, nodes, out, extra);
    const graph = loadModel(path);
    const samples = randomSamples(12, c * h * w, 5, -1, 2);
    const want = await ortRun(path, dims, samples);
    // a map out (or a map flattened channel-major) is stored pixel-major: read back channel-major, as the CLI does
    const reorder = (mapOut: boolean) => (v: ArrayLike<number>): number[] => (mapOut ? Array.from({ length: v.length }, (_, j) => v[(j % (h * w)) * c + Math.floor(j / (h * w))]!) : Array.from(v));
    const program = compileGraph(graph, samples);
    const chw = reorder(out.length === 4);
    samples.forEach((x, i) => expectClose(Float64Array.from(chw(evaluateOutput(graph, x))), want[i]!));
    const chwInt8 = reorder(program.outputs[0]!.layout === 'chw' && program.outputs[0]!.shape.length === 3);
    const all = want.flatMap((v) => Array.from(v));
    const spread = Math.max(...all) - Math.min(...all);
    samples.forEach((x, i) => chwInt8(dequantizeOutput(program, interpret(program, quantizeInput(program, x)))).forEach((v, j) => expect(Math.abs(v - want[i]![j]!)).toBeLessThan(0.05 * spread)));
    expectSimExact(program, quantizeInput(program, samples[0]!));
  });

  const refusals: [string, { nodes: NodeSpec[]; out: number[] }, RegExp][] = [
    ['a MatMul over the pixels', { nodes: [{ op: 'MatMul', inputs: ['f', 'W'], outputs: ['y'], name: 'mm' }], out: [1, 2, 4] }, /layer "mm": MatMul: input "f" is a map of \[3,5\] pixels viewed as \[1,2,15\]/],
    ['a softmax over the pixels', { nodes: [{ op: 'Softmax', inputs: ['f'], outputs: ['y'], name: 'sm', attrs: { axis: { i: -1 } } }], out: [1, 2, 15] }, /layer "sm": Softmax: input "f" is a map of \[3,5\] pixels/],
    ['a Conv1d', { nodes: [{ op: 'Conv', inputs: ['f', 'K'], outputs: ['y'], name: 'c1' }], out: [1, 2, 15] }, /layer "c1": Conv: input "f" is a map of \[3,5\] pixels/],
    ['a reshape that moves data', { nodes: [{ op: 'Reshape', inputs: ['f', 'b'], outputs: ['y'], name: 'rs' }], out: [1, 2, 5, 3] }, /layer "rs": Reshape: reshaping \[1,2,15\] \(a map of \[3,5\] pixels\) to \[1,2,5,3\] is not supported/],
  ];
  test.each(refusals)('%s is refused in one line', (_, spec, message) => {
    const bytes = buildOnnx({ input: [1, 2, 3, 5], output: spec.out, inits: { s: ints([0, 0, -1]), b: ints([1, 2, 5, 3]), W: { dims: [15, 4], data: new Float32Array(60).fill(0.1) }, K: { dims: [2, 2, 1], data: [1, 0, 0, 1] } }, nodes: [{ op: 'Reshape', inputs: ['x', 's'], outputs: ['f'] }, ...spec.nodes], opset: 13 });
    const e = failure(() => loadModel(writeOnnx(mkdtempSync(join(dir, 'r-')), bytes)));
    expect(e.format()).toMatch(message);
    expect(e.format()).toMatch(/^error NN110: [^\n]*— replace the layer with a supported one, or open an issue$/);
  });

  test('an NHWC map out, or a channels-last map flattened, is given back pixel-major as ONNX lays it out (it was read back channel-major)', async () => {
    for (const tail of [[] as NodeSpec[], [{ op: 'Flatten', inputs: ['n'], outputs: ['y'] }]]) {
      const nodes: NodeSpec[] = [{ op: 'Relu', inputs: ['x'], outputs: ['r'] }, { op: 'Transpose', inputs: ['r'], outputs: tail.length === 0 ? ['y'] : ['n'], attrs: { perm: { ints: [0, 2, 3, 1] } } }, ...tail];
      const bytes = buildOnnx({ input: [1, 2, 3, 5], output: tail.length === 0 ? [1, 3, 5, 2] : [1, 30], nodes, opset: 13 });
      const path = writeOnnx(mkdtempSync(join(dir, 'o-')), bytes);
      const samples = randomSamples(4, 30, 8, -1, 1);
      const want = await ortRun(path, [1, 2, 3, 5], samples);
      const program = compileGraph(loadModel(path), samples);
      expect(program.outputs[0]!.layout).toBeUndefined();
      samples.forEach((x, i) => dequantizeOutput(program, interpret(program, quantizeInput(program, x))).forEach((v, j) => expect(Math.abs(v - want[i]![j]!)).toBeLessThan(0.02)));
    }
  });
});
