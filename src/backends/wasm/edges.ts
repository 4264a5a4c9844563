// SPDX-License-Identifier: MIT
/**
 * The module's float entry points: run_f32() and run_f64() quantize the staged input values
 * (input_floats), call run() and dequantize the output codes to f32 (output_floats), so that the
 * generated loader only copies typed arrays in and out. A program of several outputs has them
 * all dequantized there, one after the other: output k's values from float k's part offset on
 * (isa/program.ts outputParts), at `output${k}_floats` for k ≥ 1.
 */
import { batchOf, outputParts, pixelAddress, type DramTensor, type Program } from '../../isa/program.js';
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
function outputLayout(t: DramTensor): EdgeLayout {
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
  const { staging } = plan;
  // each output's codes and where its f32 values go: its part of the staging area (outputParts)
  const outputs = outputParts(p).map(({ t, offset }) => {
    const layout = outputLayout(t);
    return { layout, floats: staging.output + 4 * offset, vec: simd && isFlat(layout) };
  });
  const inVec = simd && isFlat(input);
  const dequantizeVec = outputs.some((o) => o.vec) ? dequantizeVecKernel(table) : -1;
  const dequantizePixels = outputs.map((o) => (o.vec ? -1 : dequantizePixelsKernel(table, o.layout, o.floats)));
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
    outputs.forEach(({ layout: o, floats, vec: flat }, k) => {
      if (flat) f.code.i32(o.offset).i32(floats).i32(o.rows * o.rowBytes).f64(o.scale).f64(o.zp).call(dequantizeVec);
      else f.code.call(dequantizePixels[k]!);
    });
    return table.add(f);
  };
  const runF32 = entry('f32');
  const runF64 = entry('f64');
  const globals: GlobalConst[] = [
    { name: 'input_floats', type: 'i32', value: staging.input },
    { name: 'output_floats', type: 'i32', value: staging.output },
    // the other outputs' values, after output 0's (a program of one output has none of these)
    ...outputs.slice(1).map((o, i) => ({ name: `output${i + 1}_floats`, type: 'i32' as const, value: o.floats })),
  ];
  return { runF32, runF64, globals };
}
