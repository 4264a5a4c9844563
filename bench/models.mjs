// Seeded random-weight graphs of issue 17's workloads (the shapes matter, not the weights):
// ResNet-18, AlexNet conv1 (and its features, for bench/conv-efficiency.mjs), a 1M-parameter dense MLP. Imported by bench/issue17.mjs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../dist/src/util/prng.js';

function weights(rnd, n, fanIn) {
  const scale = Math.sqrt(2 / fanIn);
  return Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);
}

/** A graph builder keeping track of the current tensor and its [H, W, C] shape. */
function builder(name, inputShape, seed) {
  const rnd = mulberry32(seed);
  const nodes = [];
  let count = 0;
  const add = (node) => (nodes.push({ name: `${node.op}${++count}`, output: `${node.op}${count}`, ...node }), `${node.op}${count}`);
  return {
    rnd,
    conv(x, cin, cout, k, stride, pad, activation = 'relu') {
      return add({ op: 'conv2d', inputs: [x], kernel: { shape: [k, k, cin, cout], data: weights(rnd, k * k * cin * cout, k * k * cin) }, bias: { shape: [cout], data: weights(rnd, cout, 100) }, strides: [stride, stride], pads: [pad, pad, pad, pad], depthwise: false, activation });
    },
    maxPool(x, size, stride, pad) {
      return add({ op: 'pool2d', inputs: [x], kind: 'max', size: [size, size], strides: [stride, stride], pads: [pad, pad, pad, pad] });
    },
    add: (a, b) => add({ op: 'add', inputs: [a, b] }),
    relu: (x) => add({ op: 'activation', inputs: [x], fn: 'relu' }),
    gap: (x) => add({ op: 'globalAvgPool', inputs: [x] }),
    dense(x, k, n, activation) {
      return add({ op: 'dense', inputs: [x], kernel: { shape: [k, n], data: weights(rnd, k * n, k) }, bias: null, activation });
    },
    graph: (out) => ({ name, inputs: [{ name: 'input', shape: inputShape }], nodes, outputs: [out], notes: [] }),
  };
}

/** ResNet-18 (torchvision layout, BN folded into the convs), side×side×3 input, 1000 classes. */
export function resnet18(side = 224, seed = 18) {
  const b = builder('resnet18', [side, side, 3], seed);
  let x = b.maxPool(b.conv('input', 3, 64, 7, 2, 3), 3, 2, 1);
  let c = 64;
  for (const [width, stride] of [[64, 1], [128, 2], [256, 2], [512, 2]]) {
    for (let block = 0; block < 2; block++) {
      const s = block === 0 ? stride : 1;
      const y = b.conv(b.conv(x, c, width, 3, s, 1), width, width, 3, 1, 1, 'linear');
      const shortcut = s !== 1 || c !== width ? b.conv(x, c, width, 1, s, 0, 'linear') : x;
      x = b.relu(b.add(y, shortcut));
      c = width;
    }
  }
  return b.graph(b.dense(b.gap(x), 512, 1000, 'linear'));
}

/**
 * AlexNet's features (torchvision layout: five convolutions with ReLU, a 3×3 stride-2 max pool after
 * the first, second and fifth), side×side×3 input; the classifier is left out (its 58M weights
 * would dominate the compile time, not the pooling share's question).
 */
export function alexnetFeatures(side = 224, seed = 3) {
  const b = builder('alexnet-features', [side, side, 3], seed);
  let x = b.maxPool(b.conv('input', 3, 64, 11, 4, 2), 3, 2, 0);
  x = b.maxPool(b.conv(x, 64, 192, 5, 1, 2), 3, 2, 0);
  x = b.conv(b.conv(b.conv(x, 192, 384, 3, 1, 1), 384, 256, 3, 1, 1), 256, 256, 3, 1, 1);
  return b.graph(b.maxPool(x, 3, 2, 0));
}

/** AlexNet's first layer: 224×224×3, 11×11 stride 4, 64 filters (ReLU). */
export function alexnetConv1(seed = 1) {
  const b = builder('alexnet-conv1', [224, 224, 3], seed);
  return b.graph(b.conv('input', 3, 64, 11, 4, 2));
}

/** A dense MLP 1024→768→256→10 (≈ 985k weights). */
export function dense1M(seed = 2) {
  const b = builder('dense-1m', [1024], seed);
  return b.graph(b.dense(b.dense(b.dense('input', 1024, 768, 'relu'), 768, 256, 'relu'), 256, 10, 'linear'));
}

/** `count` seeded calibration samples in [0, 1) for a graph's input. */
export function samplesFor(graph, count = 8, seed = 7) {
  const rnd = mulberry32(seed);
  const size = graph.inputs[0].shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, () => Float32Array.from({ length: size }, () => rnd()));
}

/**
 * A graph of dense layers (dense1M) as a TF.js Layers model in `dir` — model.json, weights.bin and
 * calibration.json with samplesFor's samples — for rows that time `nnchip lower` itself, whole
 * process (reading the model, the calibration, every output file). Returns `dir`.
 */
export function writeDenseTfjs(graph, dir) {
  mkdirSync(dir, { recursive: true });
  const layers = [];
  const weights = [];
  const bytes = [];
  graph.nodes.forEach((n, i) => {
    if (n.op !== 'dense') throw new Error(`writeDenseTfjs: ${n.name} is a ${n.op}`);
    const [k, units] = n.kernel.shape;
    const name = `dense_${i + 1}`;
    layers.push({ class_name: 'Dense', config: { name, units, activation: n.activation, use_bias: true, dtype: 'float32', ...(i === 0 ? { batch_input_shape: [null, k] } : {}) } });
    weights.push({ name: `${name}/kernel`, shape: [k, units], dtype: 'float32' }, { name: `${name}/bias`, shape: [units], dtype: 'float32' });
    bytes.push(Buffer.from(Float32Array.from(n.kernel.data).buffer), Buffer.from(new Float32Array(n.bias?.data ?? units).buffer));
  });
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { name: graph.name, layers } }, weightsManifest: [{ paths: ['weights.bin'], weights }] }));
  writeFileSync(join(dir, 'weights.bin'), Buffer.concat(bytes));
  writeFileSync(join(dir, 'calibration.json'), JSON.stringify({ inputs: samplesFor(graph).map((s) => Array.from(s)) }));
  return dir;
}
