// Model files with one long list each (test/fuzz/list-scale.test.ts checks their outcome,
// bench/list-scale.mjs times them at n and 4n). Each returns { files, model }: file name → content.
import { createRequire } from 'node:module';

const { onnx } = createRequire(import.meta.url)('onnx-proto');
const DENSE = [{ class_name: 'Dense', config: { name: 'fc', units: 2, use_bias: false, batch_input_shape: [null, 4] } }];
const layersModel = (manifest) => ({ format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { name: 'm', layers: DENSE } }, weightsManifest: [manifest] });

/** A TF.js weightsManifest of n distinct weights between a weight and its second listing (NN107). */
export function weightListedTwice(n) {
  const kernel = { name: 'fc/kernel', shape: [4, 2], dtype: 'float32' };
  const specs = [kernel, ...Array.from({ length: n }, (_, i) => ({ name: `w${i}`, shape: [1], dtype: 'float32' })), kernel];
  return { files: { 'model.json': JSON.stringify(layersModel({ paths: ['w.bin'], weights: specs })), 'w.bin': new Uint8Array((16 + n) * 4) }, model: 'model.json' };
}

/** A TF.js weightsManifest naming one shard n times (NN107). */
export function shardListedMany(n) {
  const model = layersModel({ paths: Array(n).fill('w.bin'), weights: [{ name: 'fc/kernel', shape: [4, 2], dtype: 'float32' }] });
  return { files: { 'model.json': JSON.stringify(model), 'w.bin': new Uint8Array(32) }, model: 'model.json' };
}

/** An ONNX MatMul whose output is at the end of n Identity nodes (lowers). */
export function identityChain(n) {
  const w = { name: 'W', dims: [4, 2], dataType: 1, rawData: new Uint8Array(Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1]).buffer) };
  const copies = Array.from({ length: n }, (_, i) => ({ opType: 'Identity', input: [`c${i}`], output: [i === n - 1 ? 'y' : `c${i + 1}`] }));
  const vi = (name, dims) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const graph = { name: 'chain', node: [{ opType: 'MatMul', input: ['x', 'W'], output: ['c0'] }, ...copies], initializer: [w], input: [vi('x', [1, 4])], output: [vi('y', [1, 2])] };
  return { files: { 'model.onnx': onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 7, opsetImport: [{ domain: '', version: 13 }], graph })).finish() }, model: 'model.onnx' };
}
