// SPDX-License-Identifier: MIT
/**
 * Batching: B samples per inference. In a network of vectors (dense layers and the element-wise
 * ops between them) every tensor is one pixel, so B samples are B lines of one pixel each: the
 * lowering then tiles over samples exactly as it tiles over output lines, and each matmul streams
 * as many samples through the array as the buffers hold (`rows` = samples) — one weight preload
 * serves them all, which is where a systolic array earns its keep. Feature maps would mix
 * neighbouring pixels across samples, so convolutional networks compile with B = 1 only.
 */
import { NnchipError } from '../diagnostics/error.js';
import type { GemmProgram, PhysicalTensor } from './gemm-types.js';

export const MAX_BATCH = 65536;

export function batchGemm(gp: GemmProgram, batch: number): GemmProgram {
  if (!Number.isSafeInteger(batch) || batch < 1 || batch > MAX_BATCH) throw new NnchipError('NN801', `--batch ${batch} must be an integer from 1 to ${MAX_BATCH}`);
  if (batch === 1) return gp;
  const spatial = gp.ops.find((op) => op.oh !== 1 || op.ow !== 1 || op.terms.some((t) => t.dy !== 0 || t.dx !== 0));
  if (spatial !== undefined) {
    throw new NnchipError('NN306', `a batch of ${batch} needs a network of vectors, but this layer works on a ${spatial.oh}×${spatial.ow} feature map`, { layer: spatial.layer });
  }
  const map = [...gp.tensors.values()].find((t) => t.h !== 1 || t.w !== 1);
  if (map !== undefined) throw new NnchipError('NN306', `a batch of ${batch} needs a network of vectors, but tensor "${map.name}" is a ${map.h}×${map.w} feature map`);
  const tensors = new Map<string, PhysicalTensor>();
  for (const [name, t] of gp.tensors) tensors.set(name, { ...t, h: batch, pads: [...t.pads] as [number, number, number, number] });
  return {
    ...gp,
    batch,
    tensors,
    input: tensors.get(gp.input.name)!,
    output: tensors.get(gp.output.name)!,
    ops: gp.ops.map((op) => ({ ...op, oh: batch, macs: op.macs * batch })),
  };
}
