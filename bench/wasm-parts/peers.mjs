// Peer runtimes for bench/wasm.mjs, each optional: TF.js (wasm backend), onnxruntime-web (wasm,
// one thread), onnxruntime-node (one thread). A peer that is not installed or fails to start
// reports why instead of a figure. Every runner: async (batch) => one inference of `batch` rows.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const nodeModules = fileURLToPath(new URL('../../node_modules/', import.meta.url));

async function optional(name, load) {
  try {
    return { ok: true, value: await load() };
  } catch (e) {
    return { ok: false, why: `${name}: ${String(e?.message ?? e).split('\n')[0]}` };
  }
}

export async function loadPeers() {
  const tf = await optional('@tensorflow/tfjs + @tensorflow/tfjs-backend-wasm', async () => {
    const tf = await import('@tensorflow/tfjs');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${nodeModules}@tensorflow/tfjs-backend-wasm/dist/`);
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialize');
    await tf.ready();
    return tf;
  });
  const ortWeb = await optional('onnxruntime-web', async () => {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.wasmPaths = `${nodeModules}onnxruntime-web/dist/`;
    return ort;
  });
  const ortNode = await optional('onnxruntime-node', async () => import('onnxruntime-node'));
  const onnx = await optional('onnx-proto', async () => require('onnx-proto').onnx);
  return { tf, ortWeb, ortNode, onnx };
}

/**
 * An ONNX model: float MLP (MatMul + Add [+ Relu] per layer), one int8 MatMulInteger (u8 × s8 → i32),
 * or one QLinearMatMul (u8 × s8 → requantized u8: a whole quantized dense layer, like nnchip's).
 */
export function onnxModel(onnx, spec) {
  const T = onnx.TensorProto.DataType;
  const info = (name, elemType, dims) => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } });
  const nodes = [];
  const inits = [];
  let x = 'x';
  let graphIn;
  let graphOut;
  if (spec.kind === 'mlp') {
    spec.layers.forEach((l, i) => {
      inits.push({ name: `w${i}`, dims: [l.k, l.n], dataType: T.FLOAT, rawData: new Uint8Array(l.kernel.buffer.slice(0)) });
      inits.push({ name: `b${i}`, dims: [l.n], dataType: T.FLOAT, rawData: new Uint8Array(l.bias.buffer.slice(0)) });
      nodes.push({ opType: 'MatMul', input: [x, `w${i}`], output: [`m${i}`] }, { opType: 'Add', input: [`m${i}`, `b${i}`], output: [`a${i}`] });
      x = `a${i}`;
      if (l.relu) nodes.push({ opType: 'Relu', input: [x], output: [`r${i}`] }), (x = `r${i}`);
    });
    graphIn = info('x', T.FLOAT, ['batch', spec.layers[0].k]);
    graphOut = info(x, T.FLOAT, ['batch', spec.layers[spec.layers.length - 1].n]);
  } else if (spec.kind === 'qlinear') {
    // the same work as an nnchip dense layer: int8 in, int32 accumulation, requantized 8-bit out
    const scalar = (name, dataType, bytes) => inits.push({ name, dims: [], dataType, rawData: bytes });
    inits.push({ name: 'w', dims: [spec.k, spec.n], dataType: T.INT8, rawData: new Uint8Array(spec.weights.buffer.slice(0)) });
    scalar('xs', T.FLOAT, new Uint8Array(Float32Array.of(1 / 64).buffer));
    scalar('xz', T.UINT8, Uint8Array.of(128));
    scalar('ws', T.FLOAT, new Uint8Array(Float32Array.of(1 / 128).buffer));
    scalar('wz', T.INT8, Uint8Array.of(0));
    scalar('ys', T.FLOAT, new Uint8Array(Float32Array.of(1 / 4).buffer));
    scalar('yz', T.UINT8, Uint8Array.of(128));
    nodes.push({ opType: 'QLinearMatMul', input: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], output: ['y'] });
    graphIn = info('x', T.UINT8, ['batch', spec.k]);
    graphOut = info('y', T.UINT8, ['batch', spec.n]);
  } else {
    inits.push({ name: 'w', dims: [spec.k, spec.n], dataType: T.INT8, rawData: new Uint8Array(spec.weights.buffer.slice(0)) });
    nodes.push({ opType: 'MatMulInteger', input: ['x', 'w'], output: ['y'] });
    graphIn = info('x', T.UINT8, ['batch', spec.k]);
    graphOut = info('y', T.INT32, ['batch', spec.n]);
  }
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph: { name: 'bench', node: nodes, initializer: inits, input: [graphIn], output: [graphOut] } });
  return onnx.ModelProto.encode(model).finish();
}

/** A runner over an ORT session (web or node): feeds a fixed input of `batch` rows. */
export async function ortRunner(ort, bytes, { k, int8, options }) {
  const session = await ort.InferenceSession.create(bytes, options);
  const feeds = new Map();
  return async (batch) => {
    if (!feeds.has(batch)) {
      const data = int8 ? new Uint8Array(batch * k).map((_, i) => (i * 31) & 0xff) : new Float32Array(batch * k).map((_, i) => ((i * 31) % 97) / 97);
      feeds.set(batch, { x: new ort.Tensor(int8 ? 'uint8' : 'float32', data, [batch, k]) });
    }
    await session.run(feeds.get(batch));
  };
}

/** A runner over TF.js: a Sequential of dense layers (MLP) or one float matMul (GEMM; TF.js has no int8). */
export function tfRunner(tf, spec) {
  const inputs = new Map();
  const input = (batch, k) => {
    if (!inputs.has(batch)) inputs.set(batch, tf.keep(tf.tensor2d(new Float32Array(batch * k).map((_, i) => ((i * 31) % 97) / 97), [batch, k])));
    return inputs.get(batch);
  };
  if (spec.kind === 'mlp') {
    const model = tf.sequential();
    spec.layers.forEach((l, i) => {
      const layer = tf.layers.dense({ units: l.n, activation: l.relu ? 'relu' : 'linear', ...(i === 0 ? { inputShape: [l.k] } : {}) });
      model.add(layer);
      layer.setWeights([tf.tensor2d(l.kernel, [l.k, l.n]), tf.tensor1d(l.bias)]);
    });
    return async (batch) => tf.tidy(() => model.predict(input(batch, spec.layers[0].k)).dataSync());
  }
  const w = tf.tensor2d(Float32Array.from(spec.weights), [spec.k, spec.n]);
  return async (batch) => tf.tidy(() => tf.matMul(input(batch, spec.k), w).dataSync());
}
