// Regenerates the hostile-model fixtures in this folder (node test/bad-inputs/generate.mjs).
// Each case folder holds the files, args.json (the nnchip arguments; $DIR = the case folder,
// $OUT = a fresh output path) and expected.txt (the exact error line and exit code).
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';

const root = fileURLToPath(new URL('.', import.meta.url));
const dense = (name, units, extra = {}) => ({ class_name: 'Dense', config: { name, units, activation: 'relu', use_bias: true, ...extra } });
const topology = (layers) => ({ class_name: 'Sequential', config: { name: 'tiny', layers }, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' });
const LAYERS = [dense('dense_1', 3, { batch_input_shape: [null, 4] }), dense('dense_2', 2, { activation: 'linear' })];
const SPECS = [
  { name: 'dense_1/kernel', shape: [4, 3], dtype: 'float32' },
  { name: 'dense_1/bias', shape: [3], dtype: 'float32' },
  { name: 'dense_2/kernel', shape: [3, 2], dtype: 'float32' },
  { name: 'dense_2/bias', shape: [2], dtype: 'float32' },
];
const weights = (n = 23, patch = {}) => {
  const f = Float32Array.from({ length: n }, (_, i) => ((i * 37) % 11) / 10 - 0.5);
  for (const [i, v] of Object.entries(patch)) f[Number(i)] = v;
  return new Uint8Array(f.buffer);
};
const model = (over = {}) => ({
  format: 'layers-model',
  generatedBy: 'TensorFlow.js tfjs-layers v4.22.0',
  convertedBy: null,
  modelTopology: topology(LAYERS),
  weightsManifest: [{ paths: ['weights.bin'], weights: SPECS }],
  ...over,
});
const LOWER = ['lower', '$DIR/model.json', '-o', '$OUT', '--input-range', '0,1'];

// functional topologies: each layer names the layers it reads (inbound_nodes), as tfjs writes them
const functional = (layers) => ({
  class_name: 'Model',
  config: {
    name: 'fn',
    layers: [{ class_name: 'InputLayer', name: 'input_1', config: { name: 'input_1', batch_input_shape: [null, 4] }, inbound_nodes: [] }, ...layers.map(([l, from]) => ({ ...l, name: l.config.name, inbound_nodes: [[[from, 0, 0, {}]]] }))],
    input_layers: [['input_1', 0, 0]],
    output_layers: [['dense_2', 0, 0]],
  },
});

// ONNX: x [1, 4] → Gemm(4→3) → Relu → Gemm(3→2), built with the ONNX protobuf schema.
const { onnx } = onnxProto;
const f32 = (name, dims, n) => ({ name, dims, dataType: 1, rawData: weights(n).subarray(0, n * 4) });
const valueInfo = (name, dims) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } });
const ONNX_NODES = [
  { name: 'fc1', opType: 'Gemm', input: ['x', 'W1', 'b1'], output: ['h'] },
  { name: 'relu', opType: 'Relu', input: ['h'], output: ['r'] },
  { name: 'fc2', opType: 'Gemm', input: ['r', 'W2', 'b2'], output: ['y'] },
];
const onnxModel = ({ nodes = ONNX_NODES, opset = 13, inits = {}, input = [1, 4], ir = 7, outputs = [valueInfo('y', [1, 2])] } = {}) =>
  onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: ir,
    producerName: 'nnchip-bad-inputs',
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'tiny',
      node: nodes,
      initializer: Object.values({ W1: f32('W1', [4, 3], 12), b1: f32('b1', [3], 3), W2: f32('W2', [3, 2], 6), b2: f32('b2', [2], 2), ...inits }),
      input: [valueInfo('x', input)],
      output: outputs,
    },
  })).finish();
// two outputs, the logits and the hidden layer before them: nnchip compiles one (--output-name)
const TWO_HEADS = onnxModel({
  nodes: [{ ...ONNX_NODES[0], output: ['hidden'] }, { ...ONNX_NODES[1], input: ['hidden'] }, { ...ONNX_NODES[2], output: ['logits'] }],
  outputs: [valueInfo('logits', [1, 2]), valueInfo('hidden', [1, 3])],
});
// TF.js graph model (tfjs-converter's GraphDef JSON): x [-1, 4] → MatMul → BiasAdd → act → MatMul → BiasAdd → act2 → act2
const tfNode = (name, op, input = [], attr = {}) => ({ name, op, input, attr });
const graphModel = (act, act2) => ({
  format: 'graph-model',
  generatedBy: '2.15.0',
  convertedBy: 'TensorFlow.js Converter v4.22.0',
  modelTopology: {
    node: [
      tfNode('x', 'Placeholder', [], { shape: { shape: { dim: [{ size: '-1' }, { size: '4' }] } }, dtype: { type: 'DT_FLOAT' } }),
      ...['W1', 'b1', 'W2', 'b2'].map((n) => tfNode(n, 'Const', [], { dtype: { type: 'DT_FLOAT' } })),
      tfNode('mm1', 'MatMul', ['x', 'W1'], { transpose_a: { b: false }, transpose_b: { b: false } }),
      tfNode('h', 'BiasAdd', ['mm1', 'b1']),
      tfNode('a', act, ['h']),
      tfNode('mm2', 'MatMul', ['a', 'W2'], { transpose_a: { b: false }, transpose_b: { b: false } }),
      tfNode('y', 'BiasAdd', ['mm2', 'b2']),
      tfNode('z', act2, ['y']),
      tfNode('out', act2, ['z']),
    ],
  },
  weightsManifest: [{ paths: ['weights.bin'], weights: [['W1', [4, 3]], ['b1', [3]], ['W2', [3, 2]], ['b2', [2]]].map(([name, shape]) => ({ name, shape, dtype: 'float32' })) }],
});

/** x [1, 4] → MatMul + BiasAdd → y [1, 3] → StridedSlice y[0, 0] (a valid model: TF drops the batch axis too; nnchip only a vector's features, y[:, 0]). */
const sliceDropsBatch = () => {
  const g = graphModel('Relu', 'Relu');
  g.modelTopology.node = [
    ...g.modelTopology.node.filter((n) => ['x', 'W1', 'b1', 'mm1', 'h'].includes(n.name)),
    ...['begin', 'end', 'strides'].map((n) => tfNode(n, 'Const', [], { dtype: { type: 'DT_INT32' } })),
    tfNode('first', 'StridedSlice', ['h', 'begin', 'end', 'strides'], { begin_mask: { i: '1' }, end_mask: { i: '1' }, ellipsis_mask: { i: '0' }, new_axis_mask: { i: '0' }, shrink_axis_mask: { i: '3' } }),
  ];
  g.weightsManifest[0].weights = [...g.weightsManifest[0].weights.slice(0, 2), ...['begin', 'end', 'strides'].map((name) => ({ name, shape: [2], dtype: 'int32' }))];
  const ints = new Uint8Array(Int32Array.from([0, 0, 0, 1, 1, 1]).buffer);
  return { 'model.json': g, 'weights.bin': Buffer.concat([Buffer.from(weights(15)), Buffer.from(ints)]) };
};

/**
 * x [1, 4] → MatMul + BiasAdd → h, then a TF1 while loop over h (Enter → Merge ⇄ NextIteration,
 * Switch, LoopCond, Exit → out): the graph's one output reads the loop; `--output-name h` cuts before it.
 */
const whileLoop = () => {
  const g = graphModel('Relu', 'Relu');
  g.modelTopology.node = [
    ...g.modelTopology.node.filter((n) => ['x', 'W1', 'b1', 'mm1', 'h'].includes(n.name)),
    tfNode('limit', 'Const', [], { dtype: { type: 'DT_FLOAT' } }),
    tfNode('loop/enter', 'Enter', ['h'], { frame_name: { s: 'bG9vcA==' } }),
    tfNode('loop/merge', 'Merge', ['loop/enter', 'loop/next']),
    tfNode('loop/less', 'Less', ['loop/merge', 'limit']),
    tfNode('loop/cond', 'LoopCond', ['loop/less']),
    tfNode('loop/switch', 'Switch', ['loop/merge', 'loop/cond']),
    tfNode('loop/body', 'Relu', ['loop/switch:1']),
    tfNode('loop/next', 'NextIteration', ['loop/body']),
    tfNode('out', 'Exit', ['loop/switch']),
  ];
  g.weightsManifest[0].weights = [...g.weightsManifest[0].weights.slice(0, 2), { name: 'limit', shape: [], dtype: 'float32' }];
  return { 'model.json': g, 'weights.bin': weights(16) };
};

/** 512 bytes from a fixed linear congruential sequence: not protobuf, not JSON. */
const junk = () => Uint8Array.from({ length: 512 }, (_, i) => (i * 1103515245 + 12345) >>> 16 & 0xff);
// Protobuf written by hand for nestings protobufjs's own (recursive) encoder cannot write.
const varint = (n) => { const o = []; for (; n > 127; n >>>= 7) o.push((n & 127) | 128); o.push(n); return o; };
const pbField = (no, bytes) => Buffer.concat([Buffer.from(varint((no << 3) | 2)), Buffer.from(varint(bytes.length)), Buffer.from(bytes)]);
const pbString = (no, s) => pbField(no, Buffer.from(s));
/** The tiny ONNX model with one more message appended to its graph (GraphProto field `no`). */
const withGraphField = (no, bytes) => {
  const m = onnx.ModelProto.decode(onnxModel());
  const graph = Buffer.concat([Buffer.from(onnx.GraphProto.encode(m.graph).finish()), pbField(no, bytes)]);
  return Buffer.concat([Buffer.from(onnx.ModelProto.encode({ ...m, graph: undefined }).finish()), pbField(7, graph)]);
};
/** An If node whose then_branch holds an If node … `depth` deep (NodeProto 5 attribute → AttributeProto 6 g → GraphProto 1 node). */
const nestedIf = (depth) => {
  let node = Buffer.concat([pbString(1, 'x'), pbString(2, 'x'), pbString(4, 'Identity')]);
  for (let i = 0; i < depth; i++) node = Buffer.concat([pbString(1, 'c'), pbString(2, 'y'), pbString(3, `if${i}`), pbString(4, 'If'), pbField(5, Buffer.concat([pbString(1, 'then_branch'), pbField(6, pbField(1, node)), Buffer.from([160, 1, 5])]))]);
  return node;
};
/** A value_info whose type is a sequence of sequences of … `depth` deep (TypeProto 4 sequence_type → Sequence 1 elem_type). */
const nestedType = (depth) => {
  let type = pbField(1, Buffer.from([8, 1]));
  for (let i = 0; i < depth; i++) type = pbField(4, pbField(1, type));
  return Buffer.concat([pbString(1, 'seq'), pbField(2, type)]);
};
const LOWER_ONNX = ['lower', '$DIR/model.onnx', '-o', '$OUT', '--input-range', '0,1'];
const onnxCase = (model) => ({ files: { 'model.onnx': model }, args: LOWER_ONNX });

const cases = {
  'malformed-json': { files: { 'model.json': '{"modelTopology": {"class_name": "Sequential",' } },
  'not-a-model': { files: { 'model.json': '{"hello": 1}' } },
  'missing-shard': { files: { 'model.json': model() } },
  'short-shard': { files: { 'model.json': model(), 'weights.bin': weights(20) } },
  'long-shard': { files: { 'model.json': model(), 'weights.bin': weights(30) } },
  'path-traversal': { files: { 'model.json': model({ weightsManifest: [{ paths: ['../sentinel.bin'], weights: SPECS }] }) } },
  // Windows separators: "..\\sentinel.bin" leaves the folder on Windows (it was a "missing" file here)
  'path-traversal-windows': { files: { 'model.json': model({ weightsManifest: [{ paths: ['..\\sentinel.bin'], weights: SPECS }] }) } },
  // URL-encoded: TF.js fetches shards as URLs, and a URL reads "%2e%2e/" as "../" (it was a "missing" file here)
  'path-traversal-url-encoded': { files: { 'model.json': model({ weightsManifest: [{ paths: ['%2e%2e/sentinel.bin'], weights: SPECS }] }) } },
  'absolute-path': { files: { 'model.json': model({ weightsManifest: [{ paths: ['/etc/passwd'], weights: SPECS }] }) } },
  'symlink-escape': { files: { 'model.json': model() }, symlink: ['weights.bin', '../sentinel.bin'] },
  'shape-mismatch': {
    files: { 'model.json': model({ weightsManifest: [{ paths: ['weights.bin'], weights: [{ ...SPECS[0], shape: [5, 3] }, SPECS[1], SPECS[2], SPECS[3]] }] }), 'weights.bin': weights(26) },
  },
  'units-mismatch': { files: { 'model.json': model({ modelTopology: topology([LAYERS[0], dense('dense_2', 7)]) }), 'weights.bin': weights() } },
  'nan-weight': { files: { 'model.json': model(), 'weights.bin': weights(23, { 14: NaN }) } },
  'inf-weight': { files: { 'model.json': model(), 'weights.bin': weights(23, { 2: Infinity }) } },
  'unsupported-layer': { files: { 'model.json': model({ modelTopology: topology([...LAYERS, { class_name: 'ConvLSTM2D', config: { name: 'lstm_1', filters: 4 } }]) }), 'weights.bin': weights() } },
  'unsupported-activation': { files: { 'model.json': model({ modelTopology: topology([dense('dense_1', 3, { batch_input_shape: [null, 4], activation: 'exponential' }), LAYERS[1]]) }), 'weights.bin': weights() } },
  'huge-tensor': { files: { 'model.json': model({ weightsManifest: [{ paths: ['weights.bin'], weights: [{ ...SPECS[0], shape: [1048576, 1048576] }, SPECS[1], SPECS[2], SPECS[3]] }] }), 'weights.bin': weights() } },
  'zero-dimension': { files: { 'model.json': model({ weightsManifest: [{ paths: ['weights.bin'], weights: [{ ...SPECS[0], shape: [0, 3] }, SPECS[1], SPECS[2], SPECS[3]] }] }), 'weights.bin': weights() } },
  'unknown-weight-dtype': { files: { 'model.json': model({ weightsManifest: [{ paths: ['weights.bin'], weights: [{ ...SPECS[0], dtype: 'complex64' }, SPECS[1], SPECS[2], SPECS[3]] }] }), 'weights.bin': weights() } },
  'unknown-quantization': { files: { 'model.json': model({ weightsManifest: [{ paths: ['weights.bin'], weights: [{ ...SPECS[0], quantization: { dtype: 'int4', scale: 0.1, min: -1 } }, SPECS[1], SPECS[2], SPECS[3]] }] }), 'weights.bin': weights() } },
  'no-calibration': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['lower', '$DIR/model.json', '-o', '$OUT'] },
  'calibration-wrong-size': { files: { 'model.json': model(), 'weights.bin': weights(), 'calibration.json': { inputs: [[0.1, 0.2, 0.3]] } }, args: ['lower', '$DIR/model.json', '-o', '$OUT'] },
  'calibration-not-numbers': { files: { 'model.json': model(), 'weights.bin': weights(), 'calibration.json': { inputs: [[0.1, 'x', 0.3, 0.4]] } }, args: ['lower', '$DIR/model.json', '-o', '$OUT'] },
  'array-zero': { files: { 'model.json': model(), 'weights.bin': weights() }, args: [...LOWER, '--array', '0x8'] },
  'array-huge': { files: { 'model.json': model(), 'weights.bin': weights() }, args: [...LOWER, '--array', '99999x99999'] },
  'synth-device-of-other-family': {
    files: { 'model.json': model(), 'weights.bin': weights() },
    args: ['synth', '$DIR/model.json', '-o', '$OUT', '--input-range', '0,1', '--target', 'ecp5', '--device', 'up5k'],
  },
  'verilog-device-of-other-family': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['verilog', '$DIR/model.json', '-o', '$OUT', '--input-range', '0,1', '--target', 'ecp5', '--device', 'up5k'] },
  'verilog-board-unknown': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['verilog', '$DIR/model.json', '-o', '$OUT', '--input-range', '0,1', '--board', 'de0-nano'] },
  'verilog-board-other-target': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['verilog', '$DIR/model.json', '-o', '$OUT', '--input-range', '0,1', '--board', 'icebreaker', '--target', 'ecp5'] },
  // capacities past the board's block RAM: usage errors before compiling (a 1e15-byte RAM was sized first)
  'verilog-board-program-words-huge': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['verilog', '$DIR/model.json', '-o', '$OUT', '--input-range', '0,1', '--board', 'icebreaker', '--program-words', '513'] },
  'verilog-board-ram-bytes-huge': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['verilog', '$DIR/model.json', '-o', '$OUT', '--input-range', '0,1', '--board', 'hx8k-breakout', '--ram-bytes', '1000000000000000'] },
  // hardware asked for by a name --with does not know: a usage error listing the names
  'verilog-board-with-unknown': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['verilog', '$DIR/model.json', '-o', '$OUT', '--input-range', '0,1', '--board', 'icebreaker', '--with', 'tables,dsp'] },
  'verilog-clock-without-board': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['verilog', '$DIR/model.json', '-o', '$OUT', '--input-range', '0,1', '--target', 'ice40', '--clock', '24'] },
  'verilog-board-clock-unreachable': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['verilog', '$DIR/model.json', '-o', '$OUT', '--input-range', '0,1', '--board', 'hx8k-breakout', '--clock', '5'] },
  'board-run-not-a-board-folder': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['board', 'run', '$DIR', '--port', '/dev/null', '--input', '$DIR/model.json'] },
  'board-run-empty-port': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['board', 'run', '$DIR', '--port', '', '--input', '$DIR/model.json'] },
  'board-run-timeout-huge': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['board', 'run', '$DIR', '--port', '/dev/ttyUSB1', '--timeout', '1e9', '--input', '$DIR/model.json'] },
  // files beside a model that are not one: a weight shard was "invalid JSON" quoting its bytes, a weights manifest alone
  // (face-api.js ships models so) "the top level is not a JSON object"
  'weight-shard-as-model': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['lower', '$DIR/weights.bin', '-o', '$OUT', '--input-range', '0,1'] },
  'weights-manifest-alone': { files: { 'model-weights_manifest.json': [{ paths: ['weights.bin'], weights: SPECS }], 'weights.bin': weights() }, args: ['lower', '$DIR/model-weights_manifest.json', '-o', '$OUT', '--input-range', '0,1'] },
  // models used as layers are inlined; a nesting 40 deep is refused before any recursion could run out of stack
  'nested-too-deep': {
    files: {
      'model.json': model({ modelTopology: Array.from({ length: 40 }).reduce((inner, _, i) => ({ class_name: 'Sequential', config: { name: `seq_${i}`, layers: [inner] } }), LAYERS[0]) }),
      'weights.bin': weights(),
    },
  },
  // a nested model of two inputs inside a Sequential: both were taken to be the one tensor before it
  'nested-two-inputs': {
    files: {
      'model.json': model({
        modelTopology: topology([
          dense('dense_1', 3, { batch_input_shape: [null, 4] }),
          {
            class_name: 'Model',
            config: {
              name: 'inner',
              layers: [
                { class_name: 'InputLayer', name: 'a', config: { name: 'a', batch_input_shape: [null, 3] }, inbound_nodes: [] },
                { class_name: 'InputLayer', name: 'b', config: { name: 'b', batch_input_shape: [null, 3] }, inbound_nodes: [] },
                { class_name: 'Add', name: 'sum', config: { name: 'sum' }, inbound_nodes: [[['a', 0, 0, {}], ['b', 0, 0, {}]]] },
              ],
              input_layers: [['a', 0, 0], ['b', 0, 0]],
              output_layers: [['sum', 0, 0]],
            },
          },
          dense('dense_2', 2, { activation: 'linear' }),
        ]),
      }),
      'weights.bin': weights(),
    },
  },
  // a board folder's board.json that is a device (or a FIFO) was read whole: /dev/zero never ended
  'board-manifest-dev-zero': { files: { 'model.json': model(), 'weights.bin': weights() }, symlink: ['board.json', '/dev/zero'], args: ['board', 'flash-image', '$DIR', '-o', '$OUT'] },
  'board-flash-image-bad-manifest': { files: { 'model.json': model(), 'weights.bin': weights(), 'board.json': '{"board": "icebreaker", "clockMhz": 12' }, args: ['board', 'flash-image', '$DIR', '-o', '$OUT'] },
  'input-wrong-size': {
    files: { 'model.json': model(), 'weights.bin': weights(), 'calibration.json': { inputs: [[0.1, 0.2, 0.3, 0.4]] }, 'input.json': [[1, 2, 3]] },
    args: ['run', '$DIR/model.json', '--input', '$DIR/input.json'],
  },

  'graph-cycle': { files: { 'model.json': model({ modelTopology: functional([[LAYERS[0], 'dense_2'], [LAYERS[1], 'dense_1']]) }), 'weights.bin': weights() } },
  'missing-tensor': { files: { 'model.json': model({ modelTopology: functional([[LAYERS[0], 'input_1'], [LAYERS[1], 'dense_9']]) }), 'weights.bin': weights() } },
  'duplicate-name': { files: { 'model.json': model({ modelTopology: functional([[LAYERS[0], 'input_1'], [dense('dense_1', 2, { activation: 'linear' }), 'dense_1']]) }), 'weights.bin': weights() } },
  'wrong-types': { files: { 'model.json': model({ modelTopology: topology([dense('dense_1', 'three', { batch_input_shape: [null, 4] }), LAYERS[1]]) }), 'weights.bin': weights() } },
  'layers-not-a-list': { files: { 'model.json': model({ modelTopology: { class_name: 'Sequential', config: { name: 'x', layers: 'dense' } } }), 'weights.bin': weights() } },
  'tfjs-graph-unsupported-ops': { files: { 'model.json': graphModel('Erf', 'Cosh'), 'weights.bin': weights() } },
  // a StridedSlice of a vector was refused as a wrong shape (NN203, "check the layer sizes"): the model is valid
  'tfjs-graph-slice-drops-batch': { files: sliceDropsBatch() },
  // a TF1 while loop (an NMS after a detector's backbone) was refused as a cycle (NN202), whatever --output-name named
  'tfjs-graph-while-loop': { files: whileLoop() },
  'onnx-random-bytes': onnxCase(junk()),
  // a model of two outputs compiles both (session 29); a batch of them cannot be one program: the outputs named, and what to do
  'onnx-two-outputs-batched': { files: { 'model.onnx': TWO_HEADS }, args: [...LOWER_ONNX, '--batch', '4'] },
  'onnx-output-names-one-unknown': { files: { 'model.onnx': TWO_HEADS }, args: [...LOWER_ONNX, '--output-name', 'hidden,logit'] },
  'onnx-output-name-unknown': { files: { 'model.onnx': TWO_HEADS }, args: [...LOWER_ONNX, '--output-name', 'logit'] },
  'onnx-huge-dimension': onnxCase(onnxModel({ inits: { W1: { ...f32('W1', [4, 3], 12), dims: [1048576, 1048576] } } })),
  // If bodies nested 3,000 deep (and a type nested so): protobufjs's recursive decoder overflowed the stack ("not a valid
  // ONNX protobuf (Maximum call stack size exceeded)"); the nesting is measured from the bytes first
  'onnx-subgraphs-nested-deep': onnxCase(withGraphField(1, nestedIf(3000))),
  'onnx-type-nested-deep': onnxCase(withGraphField(13, nestedType(5000))),
  'onnx-unknown-opset': onnxCase(onnxModel({ opset: 99 })),
  // an IR version no ONNX release wrote was read in hope (onnxruntime: "Unsupported model IR version: 999999")
  'onnx-ir-version-unknown': onnxCase(onnxModel({ ir: 999999 })),
  // a softmax inside a network is computed (ir/softmax.ts); over a map's rows it is refused in one line
  'onnx-softmax-over-rows': onnxCase(onnxModel({ input: [1, 2, 3, 3], nodes: [{ name: 'soft', opType: 'Softmax', input: ['x'], output: ['y'], attribute: [{ name: 'axis', type: 2, i: 2 }] }], outputs: [valueInfo('y', [1, 2, 3, 3])] })),
  'onnx-external-escape': onnxCase(onnxModel({ inits: { W1: { name: 'W1', dims: [4, 3], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: '../sentinel.bin' }] } } })),
  // a negative external offset was reported as a size mismatch ("48 bytes at offset -4 but its shape needs 48")
  'onnx-external-offset-negative': { files: { 'model.onnx': onnxModel({ inits: { W1: { name: 'W1', dims: [4, 3], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }, { key: 'offset', value: '-4' }] } } }), 'w.bin': weights(12) }, args: LOWER_ONNX },
  // an attribute given twice (the ONNX checker refuses it): one of the two applied, silently
  'onnx-attribute-twice': onnxCase(onnxModel({
    input: [1, 1, 4, 4],
    nodes: [{ name: 'pool', opType: 'MaxPool', input: ['x'], output: ['y'], attribute: [{ name: 'kernel_shape', type: 7, ints: [2, 2] }, { name: 'strides', type: 7, ints: [1, 1] }, { name: 'strides', type: 7, ints: [2, 2] }] }],
  })),
  // a per-channel input given as one value (Conv's B, BatchNormalization's scale): broadcast to every channel, which ONNX Runtime refuses
  'onnx-conv-bias-one-value': onnxCase(onnxModel({
    input: [1, 2, 3, 3],
    inits: { K: f32('K', [2, 2, 1, 1], 4), B: f32('B', [1], 1) },
    nodes: [{ name: 'conv', opType: 'Conv', input: ['x', 'K', 'B'], output: ['y'] }],
  })),
  // a negative variance: "scale element 0 is NaN", the derived value, not the cause
  'onnx-batchnorm-negative-variance': onnxCase(onnxModel({
    input: [1, 2, 3, 3],
    inits: { g: f32('g', [2], 2), b: f32('b', [2], 2), m: f32('m', [2], 2), v: { name: 'v', dims: [2], dataType: 1, floatData: [1, -1] } },
    nodes: [{ name: 'bn', opType: 'BatchNormalization', input: ['x', 'g', 'b', 'm', 'v'], output: ['y'] }],
  })),
  // a node with no op type: "unsupported ops  ×1" (an op named "")
  // a node no output reads is dropped (as ONNX Runtime drops it), but one naming an input nothing defines is a damaged
  // file, refused as ONNX Runtime refuses it ("Node input 'nowhere' is not a graph input, initializer, or output")
  // a ReLU on a 100,000-wide vector: its 100,000 × 100,000 copy matrix (10 GB) was an internal error with a stack trace
  'onnx-relu-vector-huge': onnxCase(onnxModel({ input: [1, 100_000], nodes: [{ name: 'relu', opType: 'Relu', input: ['x'], output: ['y'] }], outputs: [valueInfo('y', [1, 100_000])] })),
  'onnx-dead-node-dangling-input': onnxCase(onnxModel({ nodes: [...ONNX_NODES, { name: 'stray', opType: 'Sin', input: ['nowhere'], output: ['s'] }] })),
  'onnx-node-no-op-type': onnxCase(onnxModel({ nodes: [ONNX_NODES[0], { name: 'what', opType: '', input: ['h'], output: ['r'] }, ONNX_NODES[2]] })),
  // (Erf was the example until it became part of the element-wise functions of one tensor that nnchip fuses into a table)
  'onnx-unsupported-op': onnxCase(onnxModel({ nodes: [ONNX_NODES[0], { name: 'sin', opType: 'Sin', input: ['h'], output: ['r'] }, ONNX_NODES[2]] })),
  'onnx-dynamic-shape': onnxCase(onnxModel({ input: ['batch', 'features'] })),
  ...readingCases(),
  ...session13Cases(),
  ...session14Cases(),
  'onnx-many-unsupported': onnxCase(onnxModel({
    nodes: [
      ONNX_NODES[0],
      { name: 'sin1', opType: 'Sin', input: ['h'], output: ['s1'] },
      { name: 'square', opType: 'Mul', input: ['s1', 's1'], output: ['s2'] },
      { name: 'sin2', opType: 'Sin', input: ['h'], output: ['s3'] },
      { name: 'einsum', opType: 'Einsum', input: ['s3'], output: ['s4'] },
      { name: 'fc1b', opType: 'Gemm', input: ['x', 'W1', 'b1'], output: ['h2'] },
      { name: 'both', opType: 'Div', input: ['h', 'h2'], output: ['q'] },
      // the output reads every unsupported node (one nothing reads is dropped, as ONNX Runtime drops it)
      { name: 'join', opType: 'Add', input: ['q', 's2'], output: ['j'] },
      { name: 'join2', opType: 'Add', input: ['j', 's4'], output: ['r'] },
      ONNX_NODES[2],
    ],
  })),
  // int8 QDQ weights (src/importers/onnx-quant.ts): a scale of 0, and ONNX Runtime's QOperator ops other than QLinearConv/QLinearMatMul
  'onnx-qdq-scale-zero': onnxCase(onnxModel({
    nodes: [{ name: 'dq', opType: 'DequantizeLinear', input: ['Wq', 'Ws', 'Wz'], output: ['W1'] }, ...ONNX_NODES],
    inits: { W1: { name: 'Wq', dims: [4, 3], dataType: 3, rawData: Uint8Array.from({ length: 12 }, (_, i) => i) }, Ws: { name: 'Ws', dims: [], dataType: 1, rawData: new Uint8Array(4) }, Wz: { name: 'Wz', dims: [], dataType: 3, rawData: new Uint8Array(1) } },
  })),
  'onnx-matmulinteger': onnxCase(onnxModel({ nodes: [ONNX_NODES[0], ONNX_NODES[1], { name: 'mmi', opType: 'MatMulInteger', input: ['r', 'W2'], output: ['y'] }] })),
  // reflect pads are copies of input pixels (passes/pad-mirror.ts); one as wide as the map has no pixel to mirror
  'onnx-reflect-pad': onnxCase(onnxModel({
    input: [1, 1, 2, 2],
    inits: { p: { name: 'p', dims: [8], dataType: 7, int64Data: [0, 0, 2, 2, 0, 0, 2, 2] } },
    nodes: [{ name: 'mirror', opType: 'Pad', input: ['x', 'p'], output: ['y'], attribute: [{ name: 'mode', type: 3, s: Buffer.from('reflect') }] }],
  })),
  // a pool window of padding only has no maximum (NN203, not -Infinity into the quantizer)
  'onnx-pool-padding-only': onnxCase(onnxModel({
    input: [1, 1, 4, 4],
    nodes: [{ name: 'pool', opType: 'MaxPool', input: ['x'], output: ['y'], attribute: [{ name: 'kernel_shape', type: 7, ints: [2, 2] }, { name: 'strides', type: 7, ints: [2, 2] }, { name: 'pads', type: 7, ints: [2, 0, 0, 0] }] }],
  })),
  // a float attribute that is NaN made every table code NaN, silently (accepted, exit 0); one of the wrong type read as 0
  // a graph with an input and an output but no node was "not an ONNX model"; a Concat of no input named tensor "undefined"
  'onnx-empty-graph': onnxCase(onnxModel({ nodes: [] })),
  'onnx-concat-no-input': onnxCase(onnxModel({ nodes: [ONNX_NODES[0], { name: 'cc', opType: 'Concat', input: [], output: ['r'], attribute: [{ name: 'axis', type: 2, i: 1 }] }, ONNX_NODES[2]] })),
  // a NaN Clip bound given as an input tensor was NN110 "min NaN is above max 6"
  'onnx-clip-nan': onnxCase(onnxModel({
    nodes: [ONNX_NODES[0], { name: 'clip', opType: 'Clip', input: ['h', 'lo', 'hi'], output: ['r'] }, ONNX_NODES[2]],
    inits: { lo: { name: 'lo', dims: [], dataType: 1, rawData: new Uint8Array(Float32Array.of(NaN).buffer) }, hi: { name: 'hi', dims: [], dataType: 1, rawData: new Uint8Array(Float32Array.of(6).buffer) } },
  })),
  'onnx-attribute-nan': onnxCase(onnxModel({ nodes: [ONNX_NODES[0], { name: 'leaky', opType: 'LeakyRelu', input: ['h'], output: ['r'], attribute: [{ name: 'alpha', type: 1, f: NaN }] }, ONNX_NODES[2]] })),
  'onnx-attribute-wrong-type': onnxCase(onnxModel({
    input: [1, 1, 4, 4],
    nodes: [{ name: 'pool', opType: 'MaxPool', input: ['x'], output: ['y'], attribute: [{ name: 'kernel_shape', type: 7, ints: [2, 2] }, { name: 'strides', type: 3, s: Buffer.from('2,2') }] }],
  })),
  // sizes that follow from attributes, not weights: a 10^6-fold resize (NN901 at the first Float64Array), a stride of 2^40
  'onnx-resize-huge': onnxCase(onnxModel({
    input: [1, 1, 4, 4],
    inits: { s: { name: 's', dims: [4], dataType: 1, floatData: [1, 1, 1e6, 1e6] } },
    nodes: [{ name: 'up', opType: 'Resize', input: ['x', '', 's'], output: ['y'], attribute: [{ name: 'mode', type: 3, s: Buffer.from('nearest') }] }],
  })),
  // a resize by 250,000 along H: 250,000 phase copies overflowed the call stack while lowering (RangeError), 32 MB of output
  'onnx-resize-many-phases': onnxCase(onnxModel({
    input: [1, 1, 4, 4],
    inits: { s: { name: 's', dims: [4], dataType: 1, floatData: [1, 1, 250000, 1] } },
    nodes: [{ name: 'up', opType: 'Resize', input: ['x', '', 's'], output: ['y'], attribute: [{ name: 'mode', type: 3, s: Buffer.from('nearest') }] }],
  })),
  // the 0/1 kernels of a block move or a channel slice hold (r²·C)² and C·K weights: DepthToSpace r = 1000 of 10^6 channels and a Slice of
  // half of 10^6 channels were NN901 'Invalid typed array length: 10^12' (the --max-params check came after allocating)
  'onnx-depth-to-space-kernel-huge': onnxCase(onnxModel({
    input: [1, 1e6, 4, 4],
    nodes: [{ name: 'd2s', opType: 'DepthToSpace', input: ['x'], output: ['y'], attribute: [{ name: 'blocksize', type: 2, i: 1000 }] }],
  })),
  'onnx-slice-channels-huge': onnxCase(onnxModel({
    input: [1, 1e6, 1, 1],
    inits: { s: { name: 's', dims: [1], dataType: 7, int64Data: [0] }, e: { name: 'e', dims: [1], dataType: 7, int64Data: [500000] }, a: { name: 'a', dims: [1], dataType: 7, int64Data: [1] } },
    nodes: [{ name: 'half', opType: 'Slice', input: ['x', 's', 'e', 'a'], output: ['y'] }],
  })),
  // required attributes left out: a Cast without 'to' was read as INT64 ('to INT64 of a float constant is not supported'), a DepthToSpace
  // without 'blocksize' as 0 ('blocksize 0 does not divide the 4 channels')
  'onnx-cast-no-to': onnxCase(onnxModel({
    inits: { k: { name: 'k', dims: [1], dataType: 1, floatData: [2] } },
    nodes: [ONNX_NODES[0], { name: 'cast', opType: 'Cast', input: ['k'], output: ['kc'] }, { name: 'add', opType: 'Add', input: ['h', 'kc'], output: ['r'] }, ONNX_NODES[2]],
  })),
  'onnx-depth-to-space-no-blocksize': onnxCase(onnxModel({ input: [1, 4, 2, 2], nodes: [{ name: 'd2s', opType: 'DepthToSpace', input: ['x'], output: ['y'] }] })),
  // a FLOAT16 weight whose values sit in float_data (FLOAT's field) was 'holds 0 values but its shape needs 3' (NN105, 'a shard is missing')
  'onnx-float16-in-float-data': onnxCase(onnxModel({ inits: { b1: { name: 'b1', dims: [3], dataType: 10, floatData: [0.5, 0.25, 1] } } })),
  // SpaceToDepth of a sequence [N, C, L] said 'does not divide the 4×undefined pixels'
  'onnx-space-to-depth-sequence': onnxCase(onnxModel({
    input: [1, 4, 4],
    nodes: [{ name: 's2d', opType: 'SpaceToDepth', input: ['x'], output: ['y'], attribute: [{ name: 'blocksize', type: 2, i: 2 }] }],
  })),
  'onnx-stride-huge': onnxCase(onnxModel({
    input: [1, 1, 4, 4],
    nodes: [{ name: 'pool', opType: 'MaxPool', input: ['x'], output: ['y'], attribute: [{ name: 'kernel_shape', type: 7, ints: [2, 2] }, { name: 'strides', type: 7, ints: [2 ** 40, 2 ** 40] }] }],
  })),
  // bilinear with half-pixel centres by a fractional factor: its weights change along the map (no phase pattern; align_corners,
  // which has none either, is lowered per output line since session 13)
  'onnx-resize-linear-fractional': onnxCase(onnxModel({
    input: [1, 1, 4, 4],
    inits: { s: { name: 's', dims: [4], dataType: 1, floatData: [1, 1, 1.5, 1.5] } },
    nodes: [{ name: 'up', opType: 'Resize', input: ['x', '', 's'], output: ['y'], attribute: [{ name: 'mode', type: 3, s: Buffer.from('linear') }, { name: 'coordinate_transformation_mode', type: 3, s: Buffer.from('half_pixel') }] }],
  })),
  // a stride no instruction field holds (NN901 when the program was encoded)
  'onnx-stride-over-field': onnxCase(onnxModel({
    input: [1, 1, 4, 4],
    nodes: [{ name: 'pool', opType: 'MaxPool', input: ['x'], output: ['y'], attribute: [{ name: 'kernel_shape', type: 7, ints: [2, 2] }, { name: 'strides', type: 7, ints: [2 ** 20, 2 ** 20] }] }],
  })),
  // ConvTranspose: an attribute nnchip does not take (dilations), one no model may have (output_padding
  // not under the stride), and an output size that follows from a huge stride
  ...Object.fromEntries(([['dilations', [['dilations', [2, 2]]]], ['output-padding', [['strides', [2, 2]], ['output_padding', [2, 1]]]], ['huge', [['strides', [2 ** 24, 2 ** 24]]]]]).map(([what, attrs]) => [`onnx-convtranspose-${what}`, onnxCase(onnxModel({
    input: [1, 1, 4, 4],
    inits: { K: f32('K', [1, 1, 3, 3], 9) },
    nodes: [{ name: 'deconv', opType: 'ConvTranspose', input: ['x', 'K'], output: ['y'], attribute: attrs.map(([name, ints]) => ({ name, type: 7, ints })) }],
  }))])),
  // TF.js Layers: a class or activation name that is an Object.prototype key crashed (NN901); a non-number
  // alpha became the default; a weight listed twice was taken from one of its two places; `groups` was ignored
  'activation-proto-key': { files: { 'model.json': model({ modelTopology: topology([dense('dense_1', 3, { batch_input_shape: [null, 4], activation: 'constructor' }), LAYERS[1]]) }), 'weights.bin': weights() } },
  'alpha-not-a-number': {
    files: { 'model.json': model({ modelTopology: topology([dense('dense_1', 3, { batch_input_shape: [null, 4], activation: 'linear' }), { class_name: 'LeakyReLU', config: { name: 'leaky', alpha: 'NaN' } }, LAYERS[1]]) }), 'weights.bin': weights() },
  },
  // 1,500 distinct weights, then one again: each name was searched for among those before it (a million took minutes)
  // no weights at all, each tensor under --max-memory, together 144 million values (about 4.6 GB to compile): a pad to 6,004x6,004, then three layers of that size
  'tensors-huge-together': { files: { 'model.json': model({ modelTopology: topology([{ class_name: 'ZeroPadding2D', config: { name: 'pad', padding: [[3000, 3000], [3000, 3000]], batch_input_shape: [null, 4, 4, 1] } }, ...['relu_a', 'relu_b', 'relu_c'].map((name) => ({ class_name: 'ReLU', config: { name } }))]), weightsManifest: [] }) } },
  'weight-listed-twice-late': { files: { 'model.json': JSON.stringify(model({ weightsManifest: [{ paths: ['weights.bin'], weights: [...SPECS, ...Array.from({ length: 1500 }, (_, i) => ({ name: `w${i}`, shape: [1], dtype: 'float32' })), SPECS[0]] }] })), 'weights.bin': weights(1535) } },
  // one shard named 5,000 times: every name was resolved on disk before the first repeat was looked for (200,000: 15 s)
  'shard-listed-many-times': { files: { 'model.json': JSON.stringify(model({ weightsManifest: [{ paths: Array(5000).fill('weights.bin'), weights: SPECS }] })), 'weights.bin': weights() } },
  'weight-listed-twice': { files: { 'model.json': model({ weightsManifest: [{ paths: ['weights.bin'], weights: [SPECS[0], ...SPECS] }] }), 'weights.bin': weights(35) } },
  'conv-groups-mismatch': {
    files: {
      'model.json': model({
        modelTopology: topology([{ class_name: 'Conv2D', config: { name: 'conv', filters: 3, kernel_size: [1, 1], groups: 3, activation: 'relu', use_bias: false, batch_input_shape: [null, 2, 2, 2] } }, { class_name: 'Flatten', config: { name: 'flat' } }]),
        weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'conv/kernel', shape: [1, 1, 2, 3], dtype: 'float32' }] }],
      }),
      'weights.bin': weights(6),
    },
  },
  // shard names echoed in one error line: 100,000 made it over a megabyte; the first three and a count
  'many-shards-listed': { files: { 'model.json': model({ weightsManifest: [{ paths: Array.from({ length: 10 }, (_, i) => `w${i}.bin`), weights: SPECS }] }), ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`w${i}.bin`, weights()])) } },
  // a shard listed twice had its bytes read twice (two halves of one file made a whole manifest: NN304 on the weights it gave)
  'shard-listed-twice': { files: { 'model.json': model({ weightsManifest: [{ paths: ['half.bin', 'half.bin'], weights: SPECS }] }), 'half.bin': weights(23).subarray(0, 46) } },
  // an external-data location naming the model itself: its protobuf bytes were read as weights (exit 0)
  'onnx-external-data-is-model': onnxCase(onnxModel({ inits: { W1: { name: 'W1', dims: [4, 3], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'model.onnx' }] } } })),
  // bidirectional marks (RLM, ALM, LRM) in a layer name were echoed raw, reordering the error line on the terminal
  'layer-name-bidi-marks': { files: { 'model.json': model({ modelTopology: topology([...LAYERS, { class_name: 'ConvLSTM2D', config: { name: 'lstm\u200f\u061c_1\u200e', filters: 4 } }]) }), 'weights.bin': weights() } },
  // files that are not a model by their first bytes: "not an ONNX model (decoding found no graph with nodes)" or "binary data that is neither ONNX nor JSON"
  'model-empty': { files: { 'model.onnx': '' }, args: LOWER_ONNX },
  'model-gzip': { files: { 'model.onnx': gzipSync(onnxModel(), { mtime: 0 }) }, args: LOWER_ONNX },
  'model-zip': { files: { 'model.onnx': Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...junk().subarray(0, 60)]) }, args: LOWER_ONNX },
  'model-keras-h5': { files: { 'model.json': Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, ...junk().subarray(0, 60)]) } },
  // board.json fields of the wrong type or missing: one message for all ("lacks a field of board, clockMhz, … or names an unknown board")
  'board-manifest-board-wrong-type': { files: { 'board.json': { board: 5, clockMhz: 12, baud: 115200, flashOffset: 1048576, machineId: 1, programId: 1, capacity: {} } }, args: ['board', 'flash-image', '$DIR', '-o', '$OUT'] },
  // --input-range past float32 was taken (then NN304 "check the calibration data"); one too narrow for int8 scales named no flag
  'input-range-past-float32': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['lower', '$DIR/model.json', '-o', '$OUT', '--input-range', '-1e39,1e39'] },
  'input-range-too-narrow': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['lower', '$DIR/model.json', '-o', '$OUT', '--input-range', '0,1e-30'] },
  'model-tflite': { files: { 'model.onnx': Uint8Array.from([0x1c, 0, 0, 0, 0x54, 0x46, 0x4c, 0x33, ...junk().subarray(0, 56)]) }, args: LOWER_ONNX },
  // ambiguous tensor data the ONNX checker refuses: one of the two was read, silently (exit 0)
  'onnx-raw-and-float-data': onnxCase(onnxModel({ inits: { W1: { ...f32('W1', [4, 3], 12), floatData: Array(12).fill(9) } } })),
  'onnx-external-and-raw-data': { files: { 'model.onnx': onnxModel({ inits: { W1: { ...f32('W1', [4, 3], 12), dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] } } }), 'w.bin': weights(12) }, args: LOWER_ONNX },
  'onnx-external-location-twice': { files: { 'model.onnx': onnxModel({ inits: { W1: { name: 'W1', dims: [4, 3], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }, { key: 'location', value: 'v.bin' }] } } }), 'w.bin': weights(12), 'v.bin': weights(12) }, args: LOWER_ONNX },
  // a chain of 2,000 Identity nodes to the output (the graph's producer was searched for at each step: 40,000 took 14 s), a NaN weight found after it
  'onnx-identity-chain-long': onnxCase(onnxModel({
    nodes: [...ONNX_NODES.slice(0, 2), { ...ONNX_NODES[2], output: ['c0'] }, ...Array.from({ length: 2000 }, (_, i) => ({ name: `copy${i}`, opType: 'Identity', input: [`c${i}`], output: [i === 1999 ? 'y' : `c${i + 1}`] }))],
    inits: { W2: { ...f32('W2', [3, 2], 6), rawData: new Uint8Array(Float32Array.from([0.1, 0.2, NaN, 0.3, 0.4, 0.5]).buffer) } },
  })),
  'onnx-initializer-twice': onnxCase(withGraphField(5, onnx.TensorProto.encode({ ...f32('W1', [4, 3], 12), rawData: new Uint8Array(48) }).finish())),
  'onnx-opset-twice': onnxCase(Buffer.concat([Buffer.from(onnxModel()), pbField(8, Buffer.from([16, 7]))])),
  // nnchip JSON fields the format does not have were ignored: a misspelt "activaton" lowered a linear layer (exit 0), a relu's kernel was dropped
  'nnchip-json-field-misspelt': { files: { 'tiny.nnchip.json': { format: 'nnchip-model', version: 1, name: 't', input: { shape: [4] }, layers: [{ name: 'fc1', op: 'dense', activaton: 'relu', kernel: [[1], [0], [0], [1]] }] } }, args: ['lower', '$DIR/tiny.nnchip.json', '-o', '$OUT', '--input-range', '0,1'] },
  'nnchip-json-kernel-on-relu': { files: { 'tiny.nnchip.json': { format: 'nnchip-model', version: 1, name: 't', input: { shape: [4] }, layers: [{ name: 'r', op: 'relu', kernel: [[1], [0], [0], [1]] }] } }, args: ['lower', '$DIR/tiny.nnchip.json', '-o', '$OUT', '--input-range', '0,1'] },
  // a field given twice: JSON keeps the last (the board named first was not the one used)
  'board-manifest-key-twice': { files: { 'board.json': '{"board": "icebreaker", "board": "hx8k-breakout", "clockMhz": 12, "baud": 115200, "flashOffset": 1048576, "machineId": 1, "programId": 1, "capacity": {}}' }, args: ['board', 'flash-image', '$DIR', '-o', '$OUT'] },
  'board-manifest-field-missing': { files: { 'board.json': { board: 'icebreaker', clockMhz: 12, baud: 115200, flashOffset: 1048576, programId: 1, capacity: {} } }, args: ['board', 'flash-image', '$DIR', '-o', '$OUT'] },
  // TF.js graph: a float attribute "NaN" became the default alpha; a cycle was reported as "0 outputs"
  // Keras' output_padding on Conv2DTranspose (tfjs ignores it, so its output would differ from Keras')
  'conv-transpose-output-padding': {
    files: {
      'model.json': model({
        modelTopology: topology([{ class_name: 'Conv2DTranspose', config: { name: 'up', filters: 1, kernel_size: [3, 3], strides: [2, 2], output_padding: [1, 1], use_bias: false, batch_input_shape: [null, 2, 2, 1] } }, { class_name: 'Flatten', config: { name: 'flat' } }]),
        weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'up/kernel', shape: [3, 3, 1, 1], dtype: 'float32' }] }],
      }),
      'weights.bin': weights(9),
    },
  },
  'tfjs-graph-alpha-nan': { files: { 'model.json': graphModel('Relu', 'Identity'), 'weights.bin': weights() }, patch: (m) => { m.modelTopology.node[7] = tfNode('a', 'LeakyRelu', ['h'], { alpha: { f: 'NaN' } }); } },
  // a Conv2D without its strides said 'attribute strides is not a list of integers', as for a malformed one
  'tfjs-graph-conv-no-strides': {
    files: {
      'model.json': {
        format: 'graph-model',
        generatedBy: '2.15.0',
        convertedBy: 'TensorFlow.js Converter v4.22.0',
        modelTopology: {
          node: [
            tfNode('x', 'Placeholder', [], { shape: { shape: { dim: [{ size: '-1' }, { size: '4' }, { size: '4' }, { size: '1' }] } }, dtype: { type: 'DT_FLOAT' } }),
            tfNode('k', 'Const', [], { dtype: { type: 'DT_FLOAT' } }),
            tfNode('conv', 'Conv2D', ['x', 'k'], { padding: { s: 'VkFMSUQ=' } }),
          ],
        },
        weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'k', shape: [1, 1, 1, 1], dtype: 'float32' }] }],
      },
      'weights.bin': weights(1),
    },
  },
  'tfjs-graph-cycle': { files: { 'model.json': graphModel('Relu', 'Identity'), 'weights.bin': weights() }, patch: (m) => { m.modelTopology.node[5] = tfNode('mm1', 'MatMul', ['out', 'W1'], {}); } },
  // a node reading its own output left its real input unread: reported as "the model has 2 outputs"
  // a boolean attribute that is no boolean ({"b": "yes"}) was read as false; a dimension "0x4" as 4
  'tfjs-graph-bool-not-bool': { files: { 'model.json': graphModel('Relu', 'Identity'), 'weights.bin': weights() }, patch: (m) => { m.modelTopology.node[5].attr.transpose_b = { b: 'yes' }; } },
  'tfjs-graph-dim-hex': { files: { 'model.json': graphModel('Relu', 'Identity'), 'weights.bin': weights() }, patch: (m) => { m.modelTopology.node[0].attr.shape.shape.dim[1].size = '0x4'; } },
  'tfjs-graph-self-input': { files: { 'model.json': graphModel('Relu', 'Identity'), 'weights.bin': weights() }, patch: (m) => { m.modelTopology.node[7] = tfNode('a', 'Relu', ['a']); } },
  // a shape of 20,000 dimensions was echoed whole in the error line
  'nnchip-json-deep-shape': { files: { 'tiny.nnchip.json': '{"format":"nnchip-model","version":1,"name":"t","input":{"shape":[4]},"layers":[{"name":"fc1","op":"dense","kernel":' + '['.repeat(20_000) + ']'.repeat(20_000) + ',"bias":[0]}]}' }, args: ['lower', '$DIR/tiny.nnchip.json', '-o', '$OUT', '--input-range', '0,1'] },
  // a PReLU's slopes were read modulo their count: 7 slopes on 3 channels lowered with the first 3
  'prelu-slopes-mismatch': {
    files: { 'tiny.nnchip.json': { format: 'nnchip-model', version: 1, name: 't', input: { shape: [4] }, layers: [{ name: 'fc1', op: 'dense', kernel: [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]] }, { name: 'p', op: 'prelu', slopes: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7] }] } },
    args: ['lower', '$DIR/tiny.nnchip.json', '-o', '$OUT', '--input-range', '0,1'],
  },
  // shape arithmetic is folded at import; an index outside the shape is a broken model, not a crash
  'onnx-shape-index-outside': onnxCase(onnxModel({
    inits: { i: { name: 'i', dims: [1], dataType: 7, int64Data: [5] } },
    nodes: [
      { name: 'shape', opType: 'Shape', input: ['x'], output: ['s'] },
      { name: 'pick', opType: 'Gather', input: ['s', 'i'], output: ['n'] },
      { name: 'view', opType: 'Reshape', input: ['x', 'n'], output: ['y'] },
    ],
  })),
  // a node output re-defining an initializer: its readers took the initializer (an NN110 about a "constant" input)
  'onnx-output-shadows-initializer': onnxCase(onnxModel({ nodes: [{ name: 'relu', opType: 'Relu', input: ['x'], output: ['W2'] }, ONNX_NODES[0], ONNX_NODES[1], ONNX_NODES[2]] })),
  // an error quoting a 10,000-entry attribute list whole (a million entries made a 2 MB line): cut in the middle
  'onnx-attribute-huge-list': onnxCase(onnxModel({
    input: [1, 1, 4, 4],
    nodes: [{ name: 'pool', opType: 'MaxPool', input: ['x'], output: ['y'], attribute: [{ name: 'kernel_shape', type: 7, ints: [2, 2] }, { name: 'pads', type: 7, ints: Array.from({ length: 10_000 }, () => 0) }] }],
  })),
  // a 1-D layer on a map of several rows: Keras refuses it; it pooled each row alone
  'pool1d-on-a-map': {
    files: { 'model.json': model({ modelTopology: topology([{ class_name: 'MaxPooling1D', config: { name: 'pool', pool_size: 2, batch_input_shape: [null, 4, 4, 2] } }, { class_name: 'Flatten', config: { name: 'flat' } }]), weightsManifest: [] }) },
  },
  // the output side: -o never replaces an input's folder (not even with --force), is never empty,
  // is not a file where a folder goes, and fails fast where files cannot be made (/proc)
  'output-is-model-folder': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['lower', '$DIR/model.json', '-o', '$DIR', '--input-range', '0,1', '--force'] },
  'output-empty-path': { files: { 'model.json': model(), 'weights.bin': weights() }, args: ['lower', '$DIR/model.json', '-o', '', '--input-range', '0,1'] },
  'output-is-a-file': { files: { 'model.json': model(), 'weights.bin': weights(), 'notes.txt': 'mine' }, args: ['lower', '$DIR/model.json', '-o', '$DIR/notes.txt', '--input-range', '0,1', '--force'] },
  'output-in-proc': { files: { 'model.json': model(), 'weights.bin': weights(), 'calibration.json': { inputs: [[0.1, 0.2, 0.3, 0.4]] } }, args: ['lower', '$DIR/model.json', '-o', '/proc/nnchip-bad-output'] },
};

// What nnchip reads besides models: sample files, --config, names echoed in errors (issue 12).
function readingCases() {
  const tiny = { 'model.json': model(), 'weights.bin': weights(), 'calibration.json': { inputs: [[0.1, 0.2, 0.3, 0.4], [0.9, 0.1, 0.5, 0.2]] } };
  const run = (input) => ({ files: { ...tiny, 'input.json': input }, args: ['run', '$DIR/model.json', '--input', '$DIR/input.json'] });
  // ONNX x [1, 2, 3, 4] → 1×1 Conv to 2 channels: a feature map in, a feature map out
  const conv = onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'nnchip-bad-inputs',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'conv',
      node: [{ name: 'conv', opType: 'Conv', input: ['x', 'K'], output: ['y'] }],
      initializer: [f32('K', [2, 2, 1, 1], 4)],
      input: [valueInfo('x', [1, 2, 3, 4])],
      output: [valueInfo('y', [1, 2, 3, 4])],
    },
  })).finish();
  const hwcSample = Array.from({ length: 3 }, (_, y) => Array.from({ length: 4 }, (_, x) => [y / 3, x / 4]));
  // 4 → 64 → 2: on a 1x1 array, one line per tile, 450 instructions per sample at least
  const WIDE = [dense('dense_1', 64, { batch_input_shape: [null, 4] }), dense('dense_2', 2, { activation: 'linear' })];
  const WIDE_SPECS = [
    { name: 'dense_1/kernel', shape: [4, 64], dtype: 'float32' },
    { name: 'dense_1/bias', shape: [64], dtype: 'float32' },
    { name: 'dense_2/kernel', shape: [64, 2], dtype: 'float32' },
    { name: 'dense_2/bias', shape: [2], dtype: 'float32' },
  ];
  const wide = { 'model.json': model({ modelTopology: topology(WIDE), weightsManifest: [{ paths: ['weights.bin'], weights: WIDE_SPECS }] }), 'weights.bin': weights(450), 'calibration.json': tiny['calibration.json'] };
  const config = (json) => ({ files: { ...tiny, 'config.json': json }, args: [...LOWER, '--config', '$DIR/config.json'] });
  return {
    'input-deep-nesting': run('['.repeat(100_000) + '1' + ']'.repeat(100_000)),
    // PowerShell's > writes UTF-16: it was "no samples found" (models: "binary data", configs: a JSON error)
    'input-utf16': run(new Uint8Array(Buffer.from('\ufeff[[0.1, 0.2, 0.3, 0.4]]', 'utf16le'))),
    'input-ragged': run([[[0.1, 0.2], [0.3, 0.4, 0.5]]]),
    'input-hwc-for-nchw': {
      files: { 'model.onnx': conv, 'calibration.json': { inputs: [Array.from({ length: 24 }, (_, i) => i / 24)] }, 'input.json': [hwcSample] },
      args: ['run', '$DIR/model.onnx', '--input', '$DIR/input.json'],
    },
    'onnx-batch-feature-map': {
      files: { 'model.onnx': conv, 'calibration.json': { inputs: [Array.from({ length: 24 }, (_, i) => i / 24)] } },
      args: ['lower', '$DIR/model.onnx', '-o', '$OUT', '--batch', '2'],
    },
    'input-name-controls': { files: tiny, args: ['run', '$DIR/model.json', '--input', '$DIR/no\nerror NN000: forged\u001b[31m.json'] },
    // a label no output can be counted as a miss: a file of 1-based labels gave a plausible accuracy
    'eval-label-outside': { files: { ...tiny, 'labeled.json': { inputs: [[0.1, 0.2, 0.3, 0.4], [0.9, 0.1, 0.5, 0.2]], labels: [1, 2] } }, args: ['eval', '$DIR/model.json', '--data', '$DIR/labeled.json'] },
    'config-dev-zero': { files: tiny, args: [...LOWER, '--config', '/dev/zero'] },
    // a trailing comma (JSON has none) was "sample 1 contains ?, not a number"
    'input-trailing-comma': run('[[0.1, 0.2, 0.3, 0.4],]'),
    // JSON.parse reads 1e400 as Infinity, which messages printed as null ("config field \"rows\" is null")
    'config-field-infinite': { files: { ...tiny, 'config.json': '{"rows": 1e400}' }, args: [...LOWER, '--config', '$DIR/config.json'] },
    'units-infinite': { files: { ...tiny, 'model.json': JSON.stringify(model({ modelTopology: topology([dense('dense_1', '__INF__', { batch_input_shape: [null, 4] }), LAYERS[1]]) })).replace('"__INF__"', '1e400') }, args: LOWER },
    // a field nested 20,000 deep: JSON.parse takes it, the message quoting it overflowed the stack (NN901)
    'model-json-deep-field': { files: { ...tiny, 'model.json': JSON.stringify(model()).replace('"units":3', `"units":${'['.repeat(20_000)}${']'.repeat(20_000)}`) }, args: LOWER },
    'config-deep-field': { files: { ...tiny, 'config.json': `{"rows":${'['.repeat(20_000)}${']'.repeat(20_000)}}` }, args: [...LOWER, '--config', '$DIR/config.json'] },
    // an explore.json cut short: the error said to merge the shards of a sweep, and named the file twice
    'report-explore-truncated': { files: { ...tiny, 'explore.json': '{"format": "nnchip-explore", "version": 1, "meta": {"model": "tin' }, args: ['report', '$DIR/model.json', '--input-range', '0,1', '--explore', '$DIR/explore.json', '-o', '$OUT'] },
    // explore.json (report --explore) and shards (explore merge) were read whole, whatever they were: /dev/zero never
    // ended, a FIFO waited for ever, a 600 MB shard failed as an internal error (longer than a string can be)
    'report-explore-dev-zero': { files: tiny, args: ['report', '$DIR/model.json', '-o', '$OUT', '--explore', '/dev/zero'] },
    'config-proto-key': config('{"rows": 4, "__proto__": {"cols": 4}}'),
    'config-tostring-key': config({ toString: 1 }),
    'sim-samples-huge': { files: tiny, args: ['sim', '$DIR/model.json', '--prove', '--samples', '100000000'] },
    // the waveform is refused the moment it would pass --max-memory (a long run's crashed joining gigabytes)
    'sim-vcd-over-memory': { files: tiny, args: ['sim', '$DIR/model.json', '--vcd', '$OUT', '--max-memory', '12000'] },
    // a batch's instructions, bounded from the shapes before calibration: minutes and gigabytes were spent first
    'batch-over-memory': { files: tiny, args: [...LOWER, '--batch', '65536', '--max-memory', '1000000'] },
    'sim-batch-over-memory': { files: tiny, args: ['sim', '$DIR/model.json', '--batch', '65536', '--max-memory', '1000000'] },
    // 4 arrays × 1000 SRAM sizes × 3 bandwidths × 1000 batches: 12 million points were made (and crashed) before the first compile
    'explore-grid-huge': { files: tiny, args: ['explore', '$DIR/model.json', '--out', '$OUT', '--sram-kib', Array.from({ length: 1000 }, (_, i) => i + 1).join(','), '--batch', Array.from({ length: 1000 }, (_, i) => i + 1).join(',')] },
    'batch-over-program': {
      files: { ...wide, 'config.json': { accDepth: 2, outDepth: 2 } },
      args: [...LOWER, '--array', '1x1', '--config', '$DIR/config.json', '--batch', '65536', '--max-memory', '100000000000', '--max-instructions', '100000000'],
    },
    // every lowering's instructions, predicted from the shapes before any is emitted: a 4M-weight dense layer on a 1x1 array took 3.3 GB and 45 s, a larger one V8's heap abort
    'lower-over-max-instructions': { files: tiny, args: [...LOWER, '--array', '1x1', '--max-instructions', '20'] },
    // a back end or board named after an Object.prototype key crashed (NN901: "runner is not a function")
    'run-backend-proto-key': { files: tiny, args: ['run', '$DIR/model.json', '--input', '$DIR/calibration.json', '--backend', 'constructor'] },
    'verilog-board-proto-key': { files: tiny, args: ['verilog', '$DIR/model.json', '-o', '$OUT', '--board', 'constructor'] },
    // an empty file name named no file in the error line
    'calibration-empty-path': { files: tiny, args: ['lower', '$DIR/model.json', '-o', '$OUT', '--calibration', ''] },
    'weight-path-not-string': { files: { 'model.json': model({ weightsManifest: [{ paths: [{ toString: 1 }], weights: SPECS }] }), 'weights.bin': weights() } },
  };
}

/** Session 13: hand-edited data files, a normalization's epsilon, an ONNX IR version, numeric flags. */
function session13Cases() {
  const tiny = { 'model.json': model(), 'weights.bin': weights(), 'calibration.json': { inputs: [[0.1, 0.2, 0.3, 0.4], [0.9, 0.1, 0.5, 0.2]] } };
  const data = (text, command = 'eval') => ({ files: { ...tiny, 'data.json': text }, args: command === 'eval' ? ['eval', '$DIR/model.json', '--data', '$DIR/data.json'] : ['run', '$DIR/model.json', '--input', '$DIR/data.json'] });
  const vals = (name, dims, v) => ({ name, dims, dataType: 1, rawData: new Uint8Array(Float32Array.from(v).buffer) });
  // x [1, 2, 4, 4] → 1×1 Conv → InstanceNormalization with an epsilon of 1e30
  const inorm = onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'nnchip-bad-inputs',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'inorm',
      node: [{ name: 'conv', opType: 'Conv', input: ['x', 'K'], output: ['c'] }, { name: 'inorm', opType: 'InstanceNormalization', input: ['c', 's', 'b'], output: ['y'], attribute: [{ name: 'epsilon', type: 1, f: 1e30 }] }],
      initializer: [vals('K', [2, 2, 1, 1], [1, 0.5, -0.3, 1]), vals('s', [2], [1, 2]), vals('b', [2], [0.1, -0.2])],
      input: [valueInfo('x', [1, 2, 4, 4])],
      output: [valueInfo('y', [1, 2, 4, 4])],
    },
  })).finish();
  return {
    // the same key twice: JSON keeps the last, so the file meant two things and one was used silently
    'data-labels-twice': data('{"inputs": [[0.1, 0.2, 0.3, 0.4]], "labels": [0], "labels": [1]}'),
    // "lables": eval said the file had no labels; "input": run said "no samples found"
    'data-key-misspelt': data('{"inputs": [[0.1, 0.2, 0.3, 0.4]], "lables": [0]}'),
    'data-inputs-misspelt': data('{"input": [[0.1, 0.2, 0.3, 0.4]]}', 'run'),
    'data-inputs-not-a-list': data('{"inputs": "samples.json"}', 'run'),
    // "must be 1 integers": a count and a fraction told apart
    'data-label-fraction': data('{"inputs": [[0.1, 0.2, 0.3, 0.4]], "labels": [0.5]}'),
    // a huge epsilon: NN304 at the rsqrt said to fix --input-range or the calibration data, which cannot help
    'onnx-norm-epsilon-huge': { files: { 'model.onnx': inorm }, args: ['lower', '$DIR/model.onnx', '-o', '$OUT', '--input-range', '-1,1'] },
    // --batch 0x10 was a batch of 16 (JavaScript's Number() reads hex, binary, exponents, spaces)
    'flag-count-hex': { files: tiny, args: [...LOWER, '--batch', '0x10'] },
    'flag-count-exponent': { files: tiny, args: [...LOWER, '--max-instructions', '1e6'] },
    // an external-data key one typo off ("ofset"): the weights were read from offset 0, silently
    'onnx-external-key-misspelt': { files: { 'model.onnx': onnxModel({ inits: { W1: { name: 'W1', dims: [4, 3], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }, { key: 'ofset', value: '4' }] } } }), 'w.bin': weights(13) }, args: LOWER_ONNX },
    // onnx reads offsets with int(): "0x4" was read as 4
    'onnx-external-offset-hex': { files: { 'model.onnx': onnxModel({ inits: { W1: { name: 'W1', dims: [4, 3], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }, { key: 'offset', value: '0x4' }] } } }), 'w.bin': weights(13) }, args: LOWER_ONNX },
    // an initializer named as the graph input (a default value): "the model has 0 inputs ()"
    'onnx-initializer-shadows-input': onnxCase(onnxModel({ inits: { x: f32('x', [1, 4], 4) } })),
    // a weight no initializer or node gives: "computed at run time"
    'onnx-weight-named-by-nothing': onnxCase(onnxModel({ nodes: [{ ...ONNX_NODES[0], input: ['x', 'W1', 'b9'] }, ONNX_NODES[1], ONNX_NODES[2]] })),
    // an op one typo off: "a "dense2" layer has "kernel", which only dense layers take"
    // an op name of 20,000 characters: "did you mean" built an edit table of its length for each of 23 ops (100,000: 4 s)
    'nnchip-json-op-name-long': { files: { 'tiny.nnchip.json': { format: 'nnchip-model', version: 1, input: { shape: [2] }, layers: [{ name: 'fc', op: 'dense'.repeat(4000), kernel: [[1], [2]] }] } }, args: ['lower', '$DIR/tiny.nnchip.json', '-o', '$OUT', '--input-range', '0,1'] },
    'nnchip-json-op-misspelt': { files: { 'tiny.nnchip.json': { format: 'nnchip-model', version: 1, input: { shape: [2] }, layers: [{ name: 'fc', op: 'dense2', kernel: [[1], [2]] }] } }, args: ['lower', '$DIR/tiny.nnchip.json', '-o', '$OUT', '--input-range', '0,1'] },
    // "paths": []: "weight shards  hold 0 bytes"; no dtype: "has dtype undefined"
    'weights-paths-empty': { files: { 'model.json': model({ weightsManifest: [{ paths: [], weights: SPECS }] }), 'weights.bin': weights() } },
    'weight-no-dtype': { files: { 'model.json': model({ weightsManifest: [{ paths: ['weights.bin'], weights: SPECS.map(({ dtype, ...w }) => w) }] }), 'weights.bin': weights() } },
    // a model file that links to another folder: its weights (beside the target) were "missing", nothing said why
    'model-linked-from-elsewhere': { files: { 'real/model.json': model(), 'real/weights.bin': weights() }, symlink: ['model.json', 'real/model.json'] },
    // a key given twice: JSON keeps the last ({"rows": 4, "rows": 8} was a machine of 8 rows, silently)
    'config-field-twice': { files: { ...tiny, 'config.json': '{"rows": 4, "cols": 4, "rows": 8}' }, args: [...LOWER, '--config', '$DIR/config.json'] },
    'model-json-key-twice': { files: { ...tiny, 'model.json': JSON.stringify(model()).replace('"units":3', '"units":3,"units":300') } },
    // a negative epsilon: "scale element 0 is NaN" (its square root), the weights blamed
    'batchnorm-epsilon-negative': {
      files: {
        'model.json': model({
          modelTopology: topology([LAYERS[0], { class_name: 'BatchNormalization', config: { name: 'bn', epsilon: -1, center: false, scale: false } }, LAYERS[1]]),
          weightsManifest: [{ paths: ['weights.bin'], weights: [...SPECS.slice(0, 2), { name: 'bn/moving_mean', shape: [3], dtype: 'float32' }, { name: 'bn/moving_variance', shape: [3], dtype: 'float32' }, ...SPECS.slice(2)] }],
        }),
        'weights.bin': weights(29),
      },
    },
    'report-explore-key-twice': { files: { ...tiny, 'explore.json': '{"format": "nnchip-explore", "version": 2, "version": 1}' }, args: ['report', '$DIR/model.json', '--input-range', '0,1', '--explore', '$DIR/explore.json', '-o', '$OUT'] },
    'flag-quantity-hex': { files: tiny, args: ['sim', '$DIR/model.json', '--max-latency-us', '0x10'] },
  };
}

/** Session 14: what an output folder holds besides outputs, sample values past float32, activations that overflow it. */
function session14Cases() {
  // the model in its own folder, so the output folder beside it is not inside an input's folder
  const apart = { 'model/model.json': model(), 'model/weights.bin': weights() };
  const tiny = { 'model.json': model(), 'weights.bin': weights() };
  return {
    // a sample past float32 (Infinity there): in calibration "an overflowing exp" blamed on layer dense_1, in run saturated silently
    'calibration-past-float32': { files: { ...tiny, 'calibration.json': '{"inputs": [[1e39, 0.2, 0.3, 0.4], [0.9, 0.1, 0.5, 0.2]]}' }, args: ['lower', '$DIR/model.json', '-o', '$OUT'] },
    // weights of 3e38: the float model overflows float32 in its first layer; the int8 program printed 5.4e77 (exit 0)
    'activation-past-float32': { files: { 'model.json': model(), 'weights.bin': weights(23, Object.fromEntries(Array.from({ length: 23 }, (_, i) => [i, 3e38]))) } },
    // 20 million empty nodes (a 40 MB file) took protobufjs two minutes and 5 GB, then V8's heap abort; 30 million {}
    // in a model.json 5 GB and 100 s: both counted from the bytes first (here 5,000 against a --max-memory of 1 MB)
    'onnx-many-empty-nodes': (() => {
      const m = onnx.ModelProto.decode(onnxModel());
      const graph = Buffer.concat([Buffer.from(onnx.GraphProto.encode(m.graph).finish()), ...Array.from({ length: 5000 }, () => pbField(1, Buffer.alloc(0)))]);
      return { files: { 'model.onnx': Buffer.concat([Buffer.from(onnx.ModelProto.encode({ ...m, graph: undefined }).finish()), pbField(7, graph)]) }, args: [...LOWER_ONNX, '--max-memory', '1000000'] };
    })(),
    'model-json-many-objects': { files: { ...tiny, 'model.json': JSON.stringify(model()).replace('"layers":[', `"layers":[${Array(5000).fill('{}').join(',')},`) }, args: [...LOWER, '--max-memory', '1000000'] },
    // a model path whose links loop: "cannot be read (no such file?)", as if it were missing
    'model-link-loop': { files: {}, symlink: ['model.json', 'model.json'] },
    // output_layers naming no layer: every layer was dropped as unread, then "the model has 0 inputs"
    'output-layer-unknown': (() => {
      const fn = functional([[LAYERS[0], 'input_1'], [LAYERS[1], 'dense_1']]);
      return { files: { 'model.json': model({ modelTopology: { ...fn, config: { ...fn.config, output_layers: [['dense_3', 0, 0]] } } }), 'weights.bin': weights() } };
    })(),
    // an output folder whose marker links to /dev/zero: reading it never ended (a FIFO: blocked for ever)
    'output-marker-dev-zero': { files: { ...apart, 'outdir/program.nnp': 'not nnchip\'s' }, symlink: ['outdir/.nnchip-output', '/dev/zero'], args: ['lower', '$DIR/model/model.json', '-o', '$DIR/outdir', '--input-range', '0,1'] },
    // a journal naming a file outside its folder: the next write there renamed journal-victim.txt's neighbour over it
    'output-journal-escape': {
      files: {
        ...apart,
        'journal-victim.txt': 'precious',
        'outdir/.nnchip-new-elsewhere.1-1': 'planted',
        'outdir/.nnchip-journal': { owner: 'elsewhere.1', entries: [{ staged: '.nnchip-new-elsewhere.1-1', final: '../journal-victim.txt', backup: '.nnchip-old-elsewhere.1-1' }] },
      },
      args: ['wasm', '$DIR/model/model.json', '-o', '$DIR/outdir/m.wasm', '--input-range', '0,1'],
    },
  };
}

writeFileSync(join(root, 'sentinel.bin'), weights());
for (const [name, c] of Object.entries(cases)) {
  const dir = join(root, name);
  // the reviewed expected line survives a regeneration (it was deleted, and lost for cases not yet committed)
  const expected = existsSync(join(dir, 'expected.txt')) ? readFileSync(join(dir, 'expected.txt')) : undefined;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (expected !== undefined) writeFileSync(join(dir, 'expected.txt'), expected);
  if (c.patch) c.patch(c.files['model.json']);
  for (const [file, content] of Object.entries(c.files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), typeof content === 'string' || content instanceof Uint8Array ? content : JSON.stringify(content, null, 1));
  }
  if (c.symlink) symlinkSync(c.symlink[1], join(dir, c.symlink[0]));
  writeFileSync(join(dir, 'args.json'), JSON.stringify(c.args ?? LOWER) + '\n');
}
console.log(`${Object.keys(cases).length} cases written; now run the test with UPDATE_EXPECTED=1 once and review expected.txt`);
