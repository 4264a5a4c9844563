// SPDX-License-Identifier: MIT
/**
 * Shape arithmetic folded to constants at import. PyTorch exports `x.view(x.size(0), -1)` with a
 * dynamic batch axis as Shape → Gather → Unsqueeze → Concat → Reshape: the Reshape's target is
 * computed at run time from the activation's shape. Every shape is static here (the batch is one
 * sample), so Shape of an activation is a constant, and Gather, Unsqueeze, Squeeze, Concat, Slice,
 * Cast and integer Add/Sub/Mul/Div of constant integer tensors are constants too: the Reshape gets
 * [1, -1] as when exported with a fixed batch.
 */
import { NnchipError, type ErrorSite } from '../diagnostics/error.js';
import type { OnnxNode } from './onnx-op.js';
import { onnxSchema, type TensorProto } from './onnx-tensors.js';

const DT = (): ReturnType<typeof onnxSchema>['TensorProto']['DataType'] => onnxSchema().TensorProto.DataType;

/** Ops that may be folded (when their inputs are constant integers; Shape: of any activation). */
export const FOLDED_OPS: readonly string[] = ['Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Slice', 'Cast', 'Add', 'Sub', 'Mul', 'Div'];

/** What folding needs from the walker. */
export interface FoldContext {
  readonly opset: number;
  /** A constant integer tensor (INT64/INT32), or undefined for a float constant or a computed tensor. */
  intConst(name: string, site: ErrorSite): { dims: number[]; data: number[] } | undefined;
  /** The ONNX shape of a computed tensor (batch 1), or undefined when the name is no activation. */
  activationShape(name: string): readonly number[] | undefined;
}

/** Most elements a folded shape tensor may have (shapes are short lists). */
const MAX_FOLDED = 4096;

const int64 = (dims: number[], data: number[]): TensorProto => ({ dataType: DT().INT64, dims, int64Data: data });

/** The node's output as a constant INT64 tensor, or null when it is not shape arithmetic on constants. */
export function foldConstant(n: OnnxNode, ctx: FoldContext): TensorProto | null {
  const site = { layer: n.name };
  // a form this folder does not take is refused like any op's (NN110, collected with the others); a broken one is NN107
  const fail = (detail: string): NnchipError => new NnchipError('NN110', `${n.opType}: ${detail}`, site);
  const broken = (detail: string): NnchipError => new NnchipError('NN107', `${n.opType}: ${detail}`, site);
  const axisOf = (a: number, rank: number): number => {
    const r = a < 0 ? a + rank : a;
    if (!(r >= 0 && r < rank)) throw broken(`axis ${a} is outside a rank-${rank} tensor`);
    return r;
  };
  if (n.opType === 'Shape') {
    const shape = ctx.activationShape(n.inputs[0] ?? '');
    if (shape === undefined) return null;
    const rank = shape.length;
    // opset 15: start/end select a slice of the shape, clamped as Slice clamps
    const clamp = (v: number): number => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
    const start = clamp(n.attrs.int('start', 0));
    const end = clamp(n.attrs.int('end', rank));
    const dims = shape.slice(start, Math.max(start, end));
    return int64([dims.length], [...dims]);
  }
  if (n.inputs.length === 0 || n.inputs.some((t) => t === '')) return null;
  const ins = n.inputs.map((t) => ctx.intConst(t, site));
  if (ins.some((t) => t === undefined)) return null;
  const [a, b] = ins as { dims: number[]; data: number[] }[];
  const size = (dims: number[]): number => dims.reduce((x, y) => x * y, 1);
  const out = ((): TensorProto => {
    switch (n.opType) {
      case 'Gather': {
        if (a!.dims.length !== 1) throw fail(`of a rank-${a!.dims.length} constant is not supported (only a 1-D shape)`);
        axisOf(n.attrs.int('axis', 0), 1);
        const len = a!.data.length;
        const picked = b!.data.map((i) => {
          if (!(i >= -len && i < len)) throw broken(`index ${i} is outside ${JSON.stringify(a!.data)}`);
          return a!.data[i < 0 ? i + len : i]!;
        });
        return int64([...b!.dims], picked);
      }
      case 'Unsqueeze':
      case 'Squeeze': {
        const axes = n.inputs.length > 1 ? b!.data : (n.attrs.ints('axes') ?? []);
        const dims = [...a!.dims];
        if (n.opType === 'Unsqueeze') {
          const rank = dims.length + axes.length;
          for (const ax of axes.map((x) => axisOf(x, rank)).sort((x, y) => x - y)) dims.splice(ax, 0, 1);
        } else {
          const drop = axes.length === 0 ? dims.flatMap((d, i) => (d === 1 ? [i] : [])) : axes.map((x) => axisOf(x, dims.length));
          if (drop.some((i) => dims[i] !== 1)) throw broken(`axes ${JSON.stringify(axes)} of a ${JSON.stringify(a!.dims)} constant are not all 1`);
          for (const i of [...drop].sort((x, y) => y - x)) dims.splice(i, 1);
        }
        return int64(dims, a!.data);
      }
      case 'Concat': {
        if (ins.some((t) => t!.dims.length !== 1)) throw fail('of constants other than 1-D lists is not supported');
        axisOf(n.attrs.int('axis', 0), 1);
        const data = ins.flatMap((t) => t!.data);
        return int64([data.length], data);
      }
      case 'Slice': {
        if (a!.dims.length !== 1) throw fail(`of a rank-${a!.dims.length} constant is not supported (only a 1-D shape)`);
        const len = a!.data.length;
        const step = ins[4]?.data[0] ?? 1;
        if (step !== 1) throw fail(`step ${step} is not supported (only 1)`);
        const clamp = (v: number): number => Math.min(len, Math.max(0, v < 0 ? v + len : v));
        const data = a!.data.slice(clamp(b!.data[0] ?? 0), clamp(ins[2]?.data[0] ?? len));
        return int64([data.length], data);
      }
      case 'Cast': {
        const to = n.attrs.int('to', DT().INT64);
        if (to !== DT().INT64 && to !== DT().INT32) throw fail(`to ${to} of an integer constant is not supported (only to INT64 or INT32)`);
        return int64([...a!.dims], a!.data);
      }
      default: {
        // Add/Sub/Mul/Div: equal shapes or a scalar, integer arithmetic (Div truncates, as ONNX's integer Div)
        if (ins.length !== 2) throw fail(`needs two inputs`);
        const [x, y] = size(a!.dims) >= size(b!.dims) ? [a!, b!] : [b!, a!];
        if (size(y.dims) !== 1 && JSON.stringify(x.dims) !== JSON.stringify(y.dims)) throw fail(`of constants of shapes ${JSON.stringify(a!.dims)} and ${JSON.stringify(b!.dims)} is not supported`);
        const op = (p: number, q: number): number => {
          if (n.opType === 'Add') return p + q;
          if (n.opType === 'Sub') return p - q;
          if (n.opType === 'Mul') return p * q;
          if (q === 0) throw broken('division by zero');
          return Math.trunc(p / q);
        };
        const data = x.data.map((_, i) => op(a!.data[a!.data.length === 1 ? 0 : i]!, b!.data[b!.data.length === 1 ? 0 : i]!));
        if (data.some((v) => !Number.isSafeInteger(v))) throw fail('the result is not an integer nnchip can represent');
        return int64([...x.dims], data);
      }
    }
  })();
  if ((out.int64Data ?? []).length > MAX_FOLDED) throw fail(`a folded constant of ${(out.int64Data ?? []).length} values; shape arithmetic holds at most ${MAX_FOLDED}`);
  return out;
}
