// SPDX-License-Identifier: MIT
/**
 * The module's float entry points: run_f32() and run_f64() quantize the staged input values
 * (input_floats), call run() and dequantize the output codes to f32 (output_floats), so that the
 * generated loader only copies typed arrays in and out.
 */
import { batchOf, pixelAddress, type DramTensor, type Program } from '../../isa/program.js';
import type { GlobalConst } from '../../wasm-encoding/binary.js';
import { Func } from '../../wasm-encoding/code.js';
import { dequantizePixelsKernel, dequantizeVecKernel, quantizePixelsKernel, quantizeVecKernel, type EdgeLayout, type FloatElem } from './kernels/float.js';
import { f32x4Applies, fastQuantizer, quantizeF32x4Kernel } from './kernels/float-fast.js';
import type { FuncTable } from './kernels/shared.js';
import type { MemoryPlan } from './plan/memory.js';

/** A tensor's codes in memory and the order of its values outside (channel-major for 'chw' maps, as quantizeInput and the loader order them). */
function edgeLayout(t: DramTensor, channelMajor: EdgeLayout['channelMajor']): EdgeLayout {
  return {
    offset: t.dram, rows: t.rows, rowBytes: t.rowBytes, rowStride: t.rowStride, width: t.width ?? t.rows,
    lineStride: pixelAddress(t, t.width ?? t.rows) - pixelAddress(t, 0), sampleRows: t.sampleRows ?? t.rows, sampleStride: t.sampleStride ?? 0, scale: t.scale, zp: t.zp, channelMajor,
  };
}

/** Input values are channel-major exactly when quantizeInput (isa/program.ts) reorders them. */
function inputLayout(p: Program): EdgeLayout {
  const t = p.input;
  const chw = t.layout === 'chw' && t.shape.length === 3 && batchOf(p) === 1;
  return edgeLayout(t, chw ? { channels: t.shape[2]!, pixels: t.shape[0]! * t.shape[1]! } : null);
}

/** Output values are channel-major for a 'chw' feature map, as the loader's run() gives them. */
function outputLayout(p: Program): EdgeLayout {
  const t = p.output;
  return edgeLayout(t, t.layout === 'chw' && t.shape.length === 3 ? { channels: t.rowBytes, pixels: t.rows } : null);
}

/** Codes back to back from the tensor's offset, in the order of the values: one vector kernel call covers it. */
function isFlat(t: EdgeLayout): boolean {
  if (t.channelMajor !== null || t.sampleRows < t.rows) return false;
  for (let r = 0; r < t.rows; r++) if (Math.floor(r / t.width) * t.lineStride + (r % t.width) * t.rowStride !== r * t.rowBytes) return false;
  return true;
}

export interface EdgeFunctions {
  /** Function indices of run_f32 and run_f64. */
  readonly runF32: number;
  readonly runF64: number;
  readonly globals: readonly GlobalConst[];
}

/** Add the quantize/dequantize kernels and the run_f32/run_f64 entry points around `run`. */
export function addEdges(table: FuncTable, p: Program, plan: MemoryPlan, run: number, simd: boolean): EdgeFunctions {
  const input = inputLayout(p);
  const output = outputLayout(p);
  const { staging } = plan;
  const inVec = simd && isFlat(input);
  const outVec = simd && isFlat(output);
  const dequantizeVec = outVec ? dequantizeVecKernel(table) : -1;
  const dequantizePixels = outVec ? -1 : dequantizePixelsKernel(table, output, staging.output);
  // float32 inputs without a division when that is proven exact for this scale (kernels/float-fast.ts)
  const fast = inVec ? fastQuantizer(input.scale, input.zp) : null;
  const entry = (elem: FloatElem): number => {
    const f = new Func(`run_${elem}`, []);
    const rounding = elem === 'f32' ? fast?.rounding : undefined;
    // float32 four per vector where that is proven exact (kernels/float-fast.ts), the f64 step as its fallback
    const vec = (): number => (elem === 'f32' && f32x4Applies(input.scale, input.zp) ? quantizeF32x4Kernel(table, rounding) : quantizeVecKernel(table, elem, rounding));
    if (inVec) f.code.i32(staging.input).i32(input.offset).i32(input.rows * input.rowBytes).f64(input.scale).f64(input.zp).f64(fast?.inv ?? 0).call(vec());
    else f.code.call(quantizePixelsKernel(table, elem, input, staging.input));
    f.code.call(run);
    if (outVec) f.code.i32(output.offset).i32(staging.output).i32(output.rows * output.rowBytes).f64(output.scale).f64(output.zp).call(dequantizeVec);
    else f.code.call(dequantizePixels);
    return table.add(f);
  };
  const runF32 = entry('f32');
  const runF64 = entry('f64');
  const globals: GlobalConst[] = [
    { name: 'input_floats', type: 'i32', value: staging.input },
    { name: 'output_floats', type: 'i32', value: staging.output },
  ];
  return { runF32, runF64, globals };
}
