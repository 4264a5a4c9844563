// SPDX-License-Identifier: MIT
/** Resource limits, checked before anything large is allocated; raised with --max-params / --max-memory. */
import { fmtInt, NnchipError, shownValue, type ErrorSite } from '../diagnostics/error.js';
import { DEFAULT_LIMITS, type Limits } from '../ir/limits.js';

// the limits themselves live in ir/limits.ts, which the lowering reads too
export { DEFAULT_LIMITS, type Limits };

/** A declared shape as an error shows it: JSON, cut after 8 dimensions (a file may declare 100,000). */
function showShape(shape: unknown): string {
  if (Array.isArray(shape) && shape.length > 8) return `[${shape.slice(0, 8).map((d) => JSON.stringify(d) ?? String(d)).join(',')},… (${shape.length} dimensions)]`;
  return (JSON.stringify(shape) ?? String(shape)).slice(0, 200);
}

/** Element count of a declared shape, refusing non-integers, negatives and anything over the limit. */
export function checkedElements(shape: unknown, limits: Limits, site: ErrorSite, what: string): number {
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0)) {
    throw new NnchipError('NN107', `${what} has shape ${showShape(shape)}; expected a list of non-negative integers`, site);
  }
  let n = 1;
  for (const d of shape as number[]) n *= d;
  if (n === 0) throw new NnchipError('NN107', `${what} has a zero-sized dimension ${showShape(shape)}`, site);
  if (n > limits.maxParams) throw new NnchipError('NN109', `${what} declares ${fmtInt(n)} elements, over the limit of ${fmtInt(limits.maxParams)} (--max-params)`, site);
  return n;
}

/**
 * The most objects and values a decoder may make of a model file before anything in it can be checked
 * (ONNX fields and packed integers, JSON objects and arrays): each takes protobufjs or JSON.parse up to
 * about 250 bytes (an empty NodeProto), so 8,388,608 at the default --max-memory of 2 GiB.
 */
export const maxDecodedValues = (limits: Limits): number => Math.floor(limits.maxMemory / 256);

/**
 * Bytes of compiler memory per value of all the tensors a graph computes, at least: the float64
 * evaluation that calibrates and runs it (8), then the quantized and lowered copies and the DRAM
 * image. Measured: a CNN of 11.9 million values in all (a 9x100,000x3 input, weights of a few KB)
 * peaked at 464 MB in `nnchip lower`, 39 bytes a value; this is under that, so the refusal errs on
 * the side of compiling (as lower-budget.ts's COMPILER_BYTES_PER_INSTRUCTION does).
 */
export const COMPILER_BYTES_PER_VALUE = 32;

/**
 * Every tensor a graph computes (each layer's output shape, after its inputs) must fit --max-memory as
 * the float64 array calibration and `run` evaluate it in: shapes follow from attributes (a pad of 10^9,
 * a resize by 10^6) that no weight count bounds, and the first allocation of such a tensor failed as an
 * internal error.
 */
export function checkTensorSizes(inputs: readonly (readonly number[])[], outputs: readonly { readonly layer: string; readonly shape: readonly number[] }[], limits: Limits, file: string): void {
  let total = inputs.reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
  let largest = { layer: '', values: -1, shape: [] as readonly number[] };
  for (const { layer, shape } of outputs) {
    const values = shape.reduce((a, b) => a * b, 1);
    if (8 * values > limits.maxMemory) throw new NnchipError('NN109', `its output ${shownValue(shape)} takes ${fmtInt(8 * values)} bytes to compute, over the limit of ${fmtInt(limits.maxMemory)} (--max-memory)`, { file, layer });
    total += values;
    if (values > largest.values) largest = { layer, values, shape };
  }
  // each tensor under the limit, but together (a 9x1,000,000x3 input through a dozen layers, weights of a few KB) 7.9 GB
  const bytes = total * COMPILER_BYTES_PER_VALUE;
  if (bytes > limits.maxMemory) {
    throw new NnchipError('NN109', `its tensors hold ${fmtInt(total)} values in all (the largest this layer's output ${shownValue(largest.shape)}); compiling takes about ${COMPILER_BYTES_PER_VALUE} bytes each, ${fmtInt(bytes)}, over the limit of ${fmtInt(limits.maxMemory)} (--max-memory)`, { file, layer: largest.layer });
  }
}

export function checkBytes(bytes: number, limits: Limits, site: ErrorSite, what: string): void {
  if (bytes > limits.maxMemory) throw new NnchipError('NN109', `${what} needs ${fmtInt(bytes)} bytes, over the limit of ${fmtInt(limits.maxMemory)} (--max-memory)`, site);
}
