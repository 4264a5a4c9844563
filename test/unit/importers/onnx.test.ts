/** The ONNX importer: layout conversion, weight sharing, external data, and one clear error per unsupported case. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { SUPPORTED_ONNX_OPS } from '../../../src/importers/onnx.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { buildOnnx, ortRun, weights, writeOnnx, type ModelSpec, type NodeSpec } from '../../helpers/onnx-models.js';
import { failure } from '../../helpers/errors.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'nnchip-onnx-unit-'));
const load = (spec: ModelSpec, file = 'model.onnx') => loadModel(writeOnnx(tmp(), buildOnnx(spec), file));
const w = (dims: number[], seed: number) => ({ dims, data: weights(dims.reduce((a, b) => a * b, 1), seed) });

/** A 1×2×4×4 image model around one node under test, flattened at the end. */
function around(node: NodeSpec, inits: ModelSpec['inits'] = {}, extra: Partial<ModelSpec> = {}): ModelSpec {
  return { input: [1, 2, 4, 4], output: [1, 32], inits, nodes: [{ ...node, outputs: ['mid'] }, { op: 'Flatten', inputs: ['mid'], outputs: ['y'] }], ...extra };
}

describe('ONNX importer', () => {
  test('NCHW input becomes an [H, W, C] input with layout chw; conv weights OIHW → [KH, KW, Cin, Cout]', () => {
    const g = load(around({ op: 'Conv', inputs: ['x', 'K'], name: 'c' }, { K: w([2, 2, 3, 1], 1) }, { input: [1, 2, 4, 4], output: [1, 16] }));
    expect(g.inputs).toEqual([{ name: 'x', shape: [4, 4, 2], layout: 'chw' }]);
    const conv = g.nodes[0]!;
    expect(conv.op === 'conv2d' && conv.kernel.shape).toEqual([3, 1, 2, 2]);
    // K[o=1, i=0, kh=2, kw=0] lands at [2, 0, 0, 1]
    const src = weights(12, 1);
    expect(conv.op === 'conv2d' && conv.kernel.data[((2 * 1 + 0) * 2 + 0) * 2 + 1]).toBe(src[((1 * 2 + 0) * 3 + 2) * 1 + 0]);
    expect(g.nodes[1]).toMatchObject({ op: 'flatten', order: 'chw' });
  });

  test('an initializer used by two nodes becomes one Tensor object (stored once)', () => {
    const g = load({
      input: [1, 4], output: [1, 4], inits: { W: w([4, 4], 2) },
      nodes: [{ op: 'Gemm', inputs: ['x', 'W'], name: 'a' }, { op: 'Relu', inputs: ['t0'] }, { op: 'Gemm', inputs: ['t1', 'W'], name: 'b' }],
    });
    const [a, b] = g.nodes.filter((n) => n.op === 'dense');
    expect(a?.op === 'dense' && b?.op === 'dense' && a.kernel === b.kernel).toBe(true);
  });

  test('weights in an external data file inside the folder are read (and agree with onnxruntime)', async () => {
    const dir = tmp();
    const data = weights(12, 3);
    writeFileSync(join(dir, 'weights.bin'), Buffer.concat([Buffer.alloc(16), Buffer.from(data.buffer)]));
    const spec: ModelSpec = {
      input: [1, 4], output: [1, 3],
      inits: { W: { dims: [4, 3], data: [], external: { location: 'weights.bin', offset: 16, length: 48 } } },
      nodes: [{ op: 'MatMul', inputs: ['x', 'W'] }],
    };
    const path = writeOnnx(dir, buildOnnx(spec));
    const x = Float32Array.from([0.5, -1, 2, 0.25]);
    const [want] = await ortRun(path, [1, 4], [x]);
    expect(Array.from(evaluateOutput(loadModel(path), x)).map((v) => v.toFixed(4))).toEqual(Array.from(want!).map((v) => v.toFixed(4)));
  });

  test('a regression\'s one output squeezed to a scalar (`.squeeze()` of [1, 1]) is that value: float = onnxruntime', async () => {
    const spec: ModelSpec = { input: [1, 6], output: [], inits: { W: w([6, 1], 3) }, nodes: [{ op: 'MatMul', inputs: ['x', 'W'] }, { op: 'Squeeze', inputs: ['t0'] }] };
    const bytes = buildOnnx(spec);
    const g = loadModel(writeOnnx(tmp(), bytes));
    const x = Float32Array.from(weights(6, 4));
    const [want] = await ortRun(bytes, [1, 6], [x]);
    expect(want!.length).toBe(1);
    expect(evaluateOutput(g, x)[0]).toBeCloseTo(want![0]!, 5);
  });

  test('external data outside the folder, or short, is refused before reading', () => {
    const ext = (location: string, length = 48) => ({ input: [1, 4], output: [1, 3], inits: { W: { dims: [4, 3], data: [], external: { location, length } } }, nodes: [{ op: 'MatMul', inputs: ['x', 'W'] }] });
    expect(failure(() => load(ext('../escape.bin'))).format()).toMatch(/NN104: model.onnx: weights path "..\/escape.bin" leaves the model's folder/);
    const dir = tmp();
    writeFileSync(join(dir, 'w.bin'), Buffer.alloc(20));
    expect(failure(() => loadModel(writeOnnx(dir, buildOnnx(ext('w.bin'))))).format()).toMatch(/NN105: .*needs bytes 0\.\.48 of "w\.bin", which holds 20 \(short\)/);
    expect(failure(() => load(ext('w.bin', 40))).code).toBe('NN105');
  });

  test('the format is sniffed without the .onnx extension', () => {
    const g = load({ input: [1, 2], output: [1, 2], nodes: [{ op: 'Relu', inputs: ['x'] }] }, 'model.bin');
    expect(g.nodes.map((n) => n.op)).toEqual(['activation']);
  });

  const unsupported: [string, ModelSpec, RegExp][] = [
    ['an unsupported op names the node, its op and the supported list', around({ op: 'Sin', inputs: ['x'], name: 'sin' }),
      new RegExp(`NN110: model.onnx: layer "sin": op Sin is not supported \\(supported: ${SUPPORTED_ONNX_OPS.join(', ')}\\)`)],
    ['a group that does not divide the channels', around({ op: 'Conv', inputs: ['x', 'K'], name: 'g', attrs: { group: { i: 3 } } }, { K: w([3, 1, 1, 1], 4) }), /layer "g": Conv: group 3 with W \[3,1,1,1\] does not fit 2 input channels/],
    ['a conv weight computed at run time', around({ op: 'Conv', inputs: ['x', 'x'] }), /input 1 "x"|weight "x" is computed at run time/],
    ['a custom domain', around({ op: 'Relu', inputs: ['x'], domain: 'com.example', name: 'r' }), /layer "r": op com.example.Relu is not supported/],
    ['Pad in reflect mode of the channels', around({ op: 'Pad', inputs: ['x', 'p'], name: 'pr', attrs: { mode: { s: 'reflect' } } }, { p: { dims: [8], data: [0, 1, 0, 0, 0, 0, 0, 0], int64: true } }), /layer "pr": Pad: pads \[0,1,0,0,0,0,0,0\] pad the batch or channel axis; only the spatial axes are supported/],
    ['Pad in wrap mode (opset 19)', around({ op: 'Pad', inputs: ['x', 'p'], name: 'pw', attrs: { mode: { s: 'wrap' } } }, { p: { dims: [8], data: [0, 0, 1, 1, 0, 0, 1, 1], int64: true } }, { opset: 19 }), /layer "pw": Pad: mode "wrap" is not supported/],
    ['Resize half_pixel_symmetric (opset 19)', around({ op: 'Resize', inputs: ['x', '', 's'], name: 'rz', attrs: { mode: { s: 'nearest' }, coordinate_transformation_mode: { s: 'half_pixel_symmetric' } } }, { s: { dims: [4], data: [1, 1, 2, 2] } }, { opset: 19 }), /layer "rz": Resize: coordinate_transformation_mode "half_pixel_symmetric" with nearest_mode "round_prefer_floor" is not supported/],
    ['Pad with a non-zero value', around({ op: 'Pad', inputs: ['x', 'p', 'v'], name: 'pv' }, { p: { dims: [8], data: [0, 0, 1, 1, 0, 0, 1, 1], int64: true }, v: { dims: [], data: [1.5] } }), /layer "pv": Pad: constant value 1.5 is not supported/],
    // (x · x is a function of x: one table activation; two maps of one shape, or a map and a one-channel map, a product: test/agreement/map-product.test.ts)
    ['the quotient of two tensors', { ...around({ op: 'Div', inputs: ['x', 'r'], name: 'sq' }), nodes: [{ op: 'Conv', inputs: ['x', 'K'], outputs: ['r'] }, { op: 'Div', inputs: ['x', 'r'], name: 'sq', outputs: ['mid'] }, { op: 'Flatten', inputs: ['mid'], outputs: ['y'] }], inits: { K: w([2, 2, 1, 1], 3) } }, /layer "sq": Div: inputs have shapes \[1,2,4,4\] and \[1,2,4,4\]; a quotient of two computed tensors is supported only by a one-channel map of the dividend's pixels/],
    // (a map and a row or column of it: lowers, test/unit/importers/onnx-broadcast.test.ts)
    ['the product of a map and a pooled, smaller map of it', { ...around({ op: 'Mul', inputs: ['x', 'r'], name: 'sq' }), nodes: [{ op: 'AveragePool', inputs: ['x'], outputs: ['r'], attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } } }, { op: 'Mul', inputs: ['x', 'r'], name: 'sq', outputs: ['mid'] }, { op: 'Flatten', inputs: ['mid'], outputs: ['y'] }] }, /layer "sq": Mul: inputs have shapes \[1,2,4,4\] and \[1,2,2,2\]; a product of two computed tensors is supported for one shape, a map and a per-channel gate \[N, C, 1, 1\], a one-channel map \[N, 1, H, W\], a row \[N, C, 1, W\] or a column \[N, C, H, 1\]/],
    // (with keepdims 1 it is a 1×1 conv to one channel)
    // (over the channels alone, keepdims 0, then a Flatten: lowers, onnx-ops-reduce.ts)
    ['a ReduceMean over the channels and H, keepdims 0', { input: [1, 2, 4, 4], output: [1, 4], inits: { a: { dims: [2], data: [1, 2], int64: true } }, nodes: [{ op: 'ReduceMean', inputs: ['x', 'a'], name: 'rm', outputs: ['m'], attrs: { keepdims: { i: 0 } } }, { op: 'Flatten', inputs: ['m'] }], opset: 18 }, /layer "rm": ReduceMean: over axes \[1,2\] of a \[1,2,4,4\] tensor is not supported/],
    ['a reshape that transposes channels', { input: [1, 2, 2, 2], output: [1, 8], inits: { s: { dims: [4], data: [1, 4, 2, 1], int64: true } }, nodes: [{ op: 'Reshape', inputs: ['x', 's'], name: 'rs' }] }, /layer "rs": Reshape: reshaping \[1,2,2,2\] to \[1,4,2,1\] is not supported/],
  ];
  test.each(unsupported)('%s → one NN110 line', (_, spec, message) => {
    const e = failure(() => load(spec));
    expect(e.format()).toMatch(message);
    expect(e.format()).toMatch(/— replace the layer with a supported one/);
    expect(e.format().split('\n')).toHaveLength(1);
  });

  // an opset or input-shape problem is not the layer's fault: its own code, and a hint that fits
  const notALayer: [string, ModelSpec, RegExp][] = [
    ['an opset-6 Add broadcasting by its attributes: onnx\'s converter named', around({ op: 'Add', inputs: ['x', 'k'], attrs: { broadcast: { i: 1 }, axis: { i: 1 } } }, { k: { dims: [2], data: [1, 2] } }, { opset: 6 }), /^error NN115: model.onnx: layer "[^"]+": op Add of an opset-6 model broadcasts B from its axis attribute — convert it with onnx: import onnx; from onnx import version_converter; onnx.save\(version_converter.convert_version\(onnx.load\('model.onnx'\), 11\), 'model-11.onnx'\)$/],
    ['an opset-4 Reshape with its shape attribute', { input: [1, 2, 4, 4], output: [1, 32], nodes: [{ op: 'Reshape', inputs: ['x'], attrs: { shape: { ints: [1, 32] } } }], opset: 4 }, /^error NN115: model.onnx: layer "[^"]+": op Reshape of an opset-4 model is in its form before opset 6 — convert it with onnx/],
    ['opset 0', around({ op: 'Relu', inputs: ['x'] }, {}, { opset: 0 }), /^error NN115: model.onnx: opset 0 is not supported \(supported: 1 to 20\)/],
    ['opset 21', around({ op: 'Relu', inputs: ['x'] }, {}, { opset: 21 }), /NN115: model.onnx: opset 21 is not supported/],
    ['a dynamic spatial dimension', around({ op: 'Relu', inputs: ['x'] }, {}, { input: [1, 2, 'height', 4] }), /^error NN116: model.onnx: input "x" \[2,\?,4\] \(without the batch\) leaves sizes to run time; .* — name them: --input-shape 2,N,4/],
    ['a batch of 3', around({ op: 'Relu', inputs: ['x'] }, {}, { input: [3, 2, 4, 4] }), /NN116: model.onnx: input "x" has shape \[3,2,4,4\]; the batch dimension must be 1 or symbolic/],
    ['a rank-5 input', around({ op: 'Relu', inputs: ['x'] }, {}, { input: [1, 2, 4, 4, 1] }), /NN116: .*nnchip reads \[N, C, H, W\] images/],
  ];
  test.each(notALayer)('%s → its own code, no "replace the layer" hint', (_, spec, message) => {
    const e = failure(() => load(spec));
    expect(e.format()).toMatch(message);
    expect(e.format()).not.toMatch(/replace the layer/);
  });

  test('every unsupported op of the model is named at once, with counts, and every refused node', () => {
    const spec: ModelSpec = {
      input: [1, 4], output: [1, 4],
      nodes: [
        { op: 'Sin', inputs: ['x'], name: 's1' }, { op: 'Relu', inputs: ['t0'] }, { op: 'Sin', inputs: ['t1'], name: 's2' },
        { op: 'Einsum', inputs: ['t2'], name: 'l' }, { op: 'Gemm', inputs: ['x', 'W'], outputs: ['g'] }, { op: 'Div', inputs: ['x', 'g'], name: 'sq', outputs: ['q'] }, { op: 'Add', inputs: ['t3', 'q'] },
      ],
      inits: { W: w([4, 4], 5) },
    };
    const e = failure(() => load(spec));
    expect(e.code).toBe('NN110');
    expect(e.format()).toMatch(/the model cannot be compiled, 4 problems: unsupported ops Sin ×2, Einsum ×1 \(supported: .*\); 1 node refused: layer "sq": Div: inputs have shapes \[1,4\] and \[1,4\]; a quotient of two computed tensors is supported only by/);
    expect(e.format().split('\n')).toHaveLength(1);
  });

  test('hostile bytes and sizes: random bytes, a huge dimension, missing raw data', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'junk.onnx'), Buffer.from(weights(64, 6).buffer));
    expect(failure(() => loadModel(join(dir, 'junk.onnx'))).code).toBe('NN107');
    const huge = { input: [1, 4], output: [1, 3], inits: { W: { dims: [1 << 20, 1 << 20], data: [1] } }, nodes: [{ op: 'MatMul', inputs: ['x', 'W'] }] };
    expect(failure(() => load(huge)).format()).toMatch(/NN109: model.onnx: the initializers declare 1,099,511,627,[0-9]{3} weights in all \(the largest, "W", 1,099,511,627,776\)/);
    const short = { input: [1, 4], output: [1, 3], inits: { W: { dims: [4, 3], data: [1, 2, 3] } }, nodes: [{ op: 'MatMul', inputs: ['x', 'W'] }] };
    expect(failure(() => load(short)).format()).toMatch(/NN105: .*tensor "W" holds 12 bytes of raw data but its shape needs 48 \(short\)/);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('a file named .onnx that holds JSON', () => {
  test('is read as the JSON model it is (it was "not a valid ONNX protobuf (invalid wire type 4 …)")', () => {
    const dir = tmp();
    const json = new URL('../../../examples/tiny/tiny.nnchip.json', import.meta.url).pathname;
    writeFileSync(join(dir, 'model.onnx'), readFileSync(json));
    expect(loadModel(join(dir, 'model.onnx'))).toEqual(loadModel(json));
    rmSync(dir, { recursive: true, force: true });
  });
});
