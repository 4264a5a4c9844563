// SPDX-License-Identifier: MIT
/**
 * Batching: B samples per inference, stacked along the lines of every tensor. Each sample keeps its
 * own padding: tensor t holds its samples `pitch` padded lines apart (pitch ≥ its padded height),
 * and the lines between two samples' interiors hold its border code. An op then computes the
 * stacked map as one taller map — its computed lines `pitch` apart per sample, the first `oh` of
 * each real — so one weight preload serves the lines of every sample the buffers hold: the
 * matmuls stream B × output pixels instead of one sample's. The source of a term with stride sy
 * must hold its samples sy × (the op's pitch) lines apart; the pitches are the least fixpoint of
 * these constraints. The lines past `oh` of a sample are computed from the border and the next
 * sample, and never stored (lower-emit.ts). An op with one output line (a dense layer after a
 * flatten, a global pool) computes one line per sample: its terms step by the source's pitch.
 * A network of vectors is the case pitch = 1: B lines of one pixel, nothing in between.
 * The host places each sample of the input, and reads each of the output, at its own place in
 * the stacked tensor (isa/program.ts DramTensor sampleRows, sampleStride).
 */
import { NnchipError } from '../diagnostics/error.js';
import { MAX_DRAM_BYTES } from '../isa/validate.js';
import type { GemmOp, GemmProgram, PhysicalTensor } from './gemm-types.js';

export const MAX_BATCH = 65536;

/** Rounds of the pitch fixpoint before giving up (each round raises some pitch; strides are small). */
const MAX_ROUNDS = 64;

export function batchGemm(gp: GemmProgram, batch: number): GemmProgram {
  if (!Number.isSafeInteger(batch) || batch < 1 || batch > MAX_BATCH) throw new NnchipError('NN801', `--batch ${batch} must be an integer from 1 to ${MAX_BATCH}`);
  if (batch === 1) return gp;
  const broadcast = gp.ops.find((op) => op.oh > 1 && op.terms.some((t) => t.sy < 1));
  if (broadcast !== undefined) throw new NnchipError('NN306', `a batch of ${batch} stacks the samples' lines, but this layer reads every output line from the same input line`, { layer: broadcast.layer });
  const product = gp.ops.find((op) => op.scaleBy !== undefined);
  if (product !== undefined) throw new NnchipError('NN306', `a batch of ${batch} stacks the samples' lines, but a per-channel product (squeeze-excite) takes its weights from one sample's gate`, { layer: product.layer, hint: 'lower it without --batch' });
  const pitch = pitches(gp, batch);
  // at least a byte per channel of every stacked pixel: refused before any pass allocates them
  const bytes = [...gp.tensors.values()].reduce((a, t) => a + batch * pitch.get(t.name)! * (t.w + t.pads[1] + t.pads[3]) * t.c, 0);
  if (bytes > MAX_DRAM_BYTES) throw new NnchipError('NN306', `a batch of ${batch} needs over ${MAX_DRAM_BYTES} bytes of DRAM for its stacked tensors, more than a program addresses`);
  return stack(gp, batch, pitch);
}

const padded = (t: PhysicalTensor): number => t.h + t.pads[0] + t.pads[2];

/**
 * Computed lines per sample of an op: at least its own, a whole number of pool windows, and its
 * sources' pitches over its strides. A batch's pools are disjoint (stride = window, no padding:
 * PoolFusion 'disjoint', passes/gemm.ts), so a window never spans two samples.
 */
function opPitch(op: GemmOp, pitch: ReadonlyMap<string, number>): number {
  if (op.oh === 1) return 1;
  const kh = op.pool?.size[0] ?? 1;
  const least = Math.max(op.oh, ...op.terms.map((t) => Math.ceil(pitch.get(t.src)! / t.sy)));
  return Math.ceil(least / kh) * kh;
}

/** Each tensor's lines per sample: the least pitches with source pitch = op pitch × stride for every term of an op with several lines. */
function pitches(gp: GemmProgram, batch: number): Map<string, number> {
  const pitch = new Map([...gp.tensors.values()].map((t) => [t.name, padded(t)]));
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let changed = false;
    for (const op of gp.ops) {
      if (op.oh === 1) continue;
      const lines = opPitch(op, pitch);
      for (const t of op.terms) {
        if (pitch.get(t.src)! === lines * t.sy) continue;
        pitch.set(t.src, lines * t.sy);
        changed = true;
      }
    }
    if (!changed) return pitch;
  }
  const op = gp.ops.find((o) => o.oh > 1 && o.terms.some((t) => pitch.get(t.src) !== opPitch(o, pitch) * t.sy))!;
  throw new NnchipError('NN306', `a batch of ${batch} needs one line pitch per tensor, but the strides this layer reads its inputs with admit none`, { layer: op.layer });
}

function stack(gp: GemmProgram, batch: number, pitch: ReadonlyMap<string, number>): GemmProgram {
  const tensors = new Map<string, PhysicalTensor>();
  for (const [name, t] of gp.tensors) {
    const p = pitch.get(name)!;
    tensors.set(name, { ...t, h: batch * p - t.pads[0] - t.pads[2], pads: [...t.pads], samples: { pitch: p, lines: t.h } });
  }
  const ops = gp.ops.map((op): GemmOp => {
    const lines = opPitch(op, pitch);
    // one output line per sample: each term reads its sample's map, the source's pitch further on
    const terms = op.oh === 1 ? op.terms.map((t) => ({ ...t, sy: pitch.get(t.src)! })) : op.terms;
    return { ...op, terms, oh: (batch - 1) * lines + op.oh, macs: op.macs * batch, samples: { pitch: lines, lines: op.oh, outPitch: pitch.get(op.out)! } };
  });
  return { ...gp, batch, tensors, input: tensors.get(gp.input.name)!, outputs: gp.outputs.map((o) => tensors.get(o.name)!), ops };
}
