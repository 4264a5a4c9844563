// SPDX-License-Identifier: MIT
/**
 * Between nnchip's pixel-major storage ([H, W, C]) and the model's own layout: ONNX models
 * ('chw') take and give feature maps channel-major. Every host-side reader of outputs uses this.
 */
import { outputParts, type DramTensor, type Program } from './program.js';

/** The shape users see: [C, H, W] for a channel-major map, else the shape as stored. */
export function modelDims(shape: readonly number[], layout: DramTensor['layout']): readonly number[] {
  const [h, w, c] = shape;
  return layout === 'chw' && shape.length === 3 ? [c!, h!, w!] : shape;
}

/** One sample's output values, stored pixel-major, in the model's layout (a copy; as is unless 'chw'). */
export function toModelLayout<T extends Int8Array | Float64Array>(t: DramTensor, values: T): T {
  if (t.layout !== 'chw' || t.shape.length !== 3) return values;
  const [h, w, c] = t.shape as [number, number, number];
  const out = new (values.constructor as new (n: number) => T)(values.length);
  for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) out[ch * h * w + p] = values[p * c + ch]!;
  return out;
}

/** One sample's output codes or values (every output's, isa/program.ts readOutputs), each output in the model's layout. */
export function outputsToModelLayout<T extends Int8Array | Float64Array>(p: Program, values: T): T {
  if (p.outputs.length === 1) return toModelLayout(p.outputs[0]!, values);
  const out = values.slice() as T;
  for (const { t, offset, size } of outputParts(p)) out.set(toModelLayout(t, values.subarray(offset, offset + size) as T), offset);
  return out;
}
