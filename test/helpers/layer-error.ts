/**
 * Per-layer int8 error: run a compiled program in the reference interpreter on one sample, read each
 * stored tensor back from DRAM right after the last instruction of its layer (a later layer may reuse
 * its bytes), dequantize it with its own (scale, zp), and compare with the float value of the same
 * tensor in the *compiled* graph (`Compiled.graph`: after folding and fusion, so a fused activation's
 * output carries the layer's name). Errors are in steps of the tensor's own scale: a layer whose
 * error jumps well above its inputs' is where precision is lost. Gate and spread tensors (stored in
 * another layout) are skipped.
 *
 * `local` separates a layer's own error from what it inherits: the layer's float node evaluated on
 * its dequantized int8 input (single-input nodes only), against its int8 output. A sound layer is
 * within about half a step (its output's rounding, plus its weights'); a large `local` is a defect or
 * a layer int8 cannot represent, a large `meanSteps` with a small `local` is accumulated error.
 */
import { evaluateGraph } from '../../src/ir/evaluate.js';
import { createState, execute } from '../../src/isa/interpret.js';
import { initialDram, quantizeInput } from '../../src/isa/program.js';
import type { Graph } from '../../src/ir/graph.js';
import type { Compiled } from '../../src/passes/pipeline.js';

export interface LayerError {
  readonly name: string;
  /** mean |dequantized int8 − float| in steps of the tensor's scale */
  readonly meanSteps: number;
  /** the same over the float tensor's largest magnitude */
  readonly relative: number;
  /** mean |int8 output − float node on the dequantized int8 input| in steps; undefined when the input is not read back */
  readonly local?: number;
  /** the dequantized int8 values, HWC */
  readonly dequantized: Float64Array;
}

/**
 * A map's bytes between pixels, from its DRAM region (lower-dram.ts placeTensors): `pixels` of a
 * stride that is a whole number of R- and C-lane entries, or, packed (c bytes or a few more), those
 * and the last pixel's spill, max(R, C) − stride bytes after them.
 */
function pixelStride(size: number, pixels: number, c: number, R: number, C: number): number {
  const roundUp = (x: number, m: number): number => Math.ceil(x / m) * m;
  if (size % pixels === 0 && size / pixels >= Math.max(roundUp(c, R), roundUp(c, C))) return size / pixels;
  return pixels > 1 ? (size - Math.max(R, C)) / (pixels - 1) : c;
}

export function layerErrors(c: Compiled, sample: ArrayLike<number>): LayerError[] {
  const p = c.program;
  const float = evaluateGraph(c.graph, sample);
  const state = createState(p.config, initialDram(p, quantizeInput(p, sample)));
  const ends = new Map<number, string[]>();
  for (const l of p.layers) {
    const last = l.firstInsn + l.insnCount - 1;
    ends.set(last, [...(ends.get(last) ?? []), l.name]);
  }
  const snapshots = new Map<string, Uint8Array>();
  p.instructions.forEach((insn, k) => {
    execute(state, insn, p.config);
    for (const name of ends.get(k) ?? []) snapshots.set(name, state.dram.slice());
  });
  const regions = new Map(p.memoryMap.filter((r) => r.space === 'dram').map((r) => [r.name, r]));
  const out: LayerError[] = [];
  for (const [name, t] of c.gemm.tensors) {
    const v = float.get(name);
    const r = regions.get(`act:${name}`);
    if (v === undefined || r === undefined || t.role !== undefined || t.samples !== undefined) continue;
    const dram = snapshots.get(name) ?? state.dram;
    const [pt, pl, pb, pr] = t.pads;
    const W = t.w + pl + pr;
    const stride = pixelStride(r.size, (t.h + pt + pb) * W, t.c, p.config.rows, p.config.cols);
    const dq = new Float64Array(t.h * t.w * t.c);
    let err = 0;
    let max = 0;
    for (let y = 0; y < t.h; y++) {
      for (let x = 0; x < t.w; x++) {
        for (let ch = 0; ch < t.c; ch++) {
          const code = (dram[r.start + ((y + pt) * W + x + pl) * stride + ch]! << 24) >> 24;
          const i = (y * t.w + x) * t.c + ch;
          dq[i] = (code - t.params.zp) * t.params.scale;
          err += Math.abs(dq[i]! - v[i]!);
          max = Math.max(max, Math.abs(v[i]!));
        }
      }
    }
    const n = dq.length;
    out.push({ name, meanSteps: err / n / t.params.scale, relative: err / n / (max || 1), dequantized: dq });
  }
  const byName = new Map(out.map((e) => [e.name, e]));
  return out.map((e) => {
    const node = c.graph.nodes.find((n) => n.name === e.name);
    const input = node?.inputs.length === 1 ? byName.get(node.inputs[0]!) : undefined;
    const ti = node === undefined ? undefined : c.gemm.tensors.get(node.inputs[0]!);
    if (node === undefined || input === undefined || ti === undefined) return e;
    const mini: Graph = { name: e.name, inputs: [{ name: ti.name, shape: ti.h === 1 && ti.w === 1 ? [ti.c] : [ti.h, ti.w, ti.c] }], nodes: [node], outputs: [node.name], notes: [] };
    const v = evaluateGraph(mini, input.dequantized).get(node.name)!;
    let err = 0;
    for (let k = 0; k < v.length; k++) err += Math.abs(v[k]! - e.dequantized[k]!);
    return { ...e, local: err / v.length / c.gemm.tensors.get(e.name)!.params.scale };
  });
}
