// SPDX-License-Identifier: MIT
/**
 * Shape arithmetic folded to constants at import. PyTorch exports `x.view(x.size(0), -1)` with a
 * dynamic batch axis as Shape → Gather → Unsqueeze → Concat → Reshape: the Reshape's target is
 * computed at run time from the activation's shape. Every shape is static here (the batch is one
 * sample), so Shape of an activation is a constant, and Gather, Unsqueeze, Squeeze, Concat, Slice,
 * Cast and integer Add/Sub/Mul/Div of constant integer tensors are constants too: the Reshape gets
 * [1, -1] as when exported with a fixed batch. `F.pad` writes its pads as ConstantOfShape → Concat →
 * Reshape [-1, 2] → Slice (step −1, end −2^63 + 1) → Transpose → Reshape [-1] → Cast: folded alike, so
 * the Pad reads constant pads.
 */
import { NnchipError, type ErrorSite, shownValue } from '../diagnostics/error.js';
import { product } from '../ir/graph.js';
import type { OnnxNode } from './onnx-op.js';
import { dtypeName, isFloatType, onnxSchema, roundToFloat, type TensorProto } from './onnx-tensors.js';

const DT = (): ReturnType<typeof onnxSchema>['TensorProto']['DataType'] => onnxSchema().TensorProto.DataType;

/** Ops that may be folded (when their inputs are constant integers; Shape: of any activation). */
export const FOLDED_OPS: readonly string[] = ['Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Slice', 'Cast', 'Add', 'Sub', 'Mul', 'Div', 'ConstantOfShape', 'Reshape', 'Transpose', 'Expand', 'Clip', 'ReduceProd', 'Reciprocal'];

/**
 * Expand's shape, broadcast as numpy: `from` padded to the rank of `target` with leading 1s, and the result;
 * null when they do not broadcast (or a target size is below 1: an empty tensor). The folder's Expand of
 * constants and the importer's Expand of a computed tensor (onnx-ops-layout.ts) both read it.
 */
export function expandShape(from: readonly number[], target: readonly number[]): { from: number[]; to: number[] } | null {
  const rank = Math.max(from.length, target.length);
  const pad = (d: readonly number[]): number[] => [...Array<number>(rank - d.length).fill(1), ...d];
  const [src, want] = [pad(from), pad(target)];
  if (want.some((d) => d < 1) || src.some((d, i) => d !== 1 && want[i] !== 1 && d !== want[i])) return null;
  return { from: src, to: src.map((d, i) => Math.max(d, want[i]!)) };
}

/** What folding needs from the walker. */
export interface FoldContext {
  readonly opset: number;
  /** A constant integer tensor (INT64/INT32), or undefined for a float constant or a computed tensor. */
  intConst(name: string, site: ErrorSite, saturate?: boolean): { dims: number[]; data: number[] } | undefined;
  /** The ONNX shape of a computed tensor (batch 1), or undefined when the name is no activation. */
  activationShape(name: string): readonly number[] | undefined;
  /** A FLOAT constant, or undefined (an integer constant, a computed tensor). */
  floatConst(name: string, site: ErrorSite): { dims: number[]; data: Float32Array } | undefined;
  /** Most elements a folded float constant may have (--max-params). */
  readonly maxFloats: number;
  /** The dims of a constant (initializer or Constant), or undefined. */
  constShape(name: string): readonly number[] | undefined;
}

/** Most elements a folded shape tensor may have (shapes are short lists). */
const MAX_FOLDED = 4096;

const int64Of = (dims: number[], data: number[]): TensorProto => ({ dataType: DT().INT64, dims, int64Data: data });

/** The first value of a one-value INT64/INT32 tensor stored as raw bytes (ConstantOfShape's value). */
function rawInt(t: TensorProto): number | bigint {
  const raw = t.rawData;
  if (raw === undefined || raw === null || raw.length < (t.dataType === DT().INT64 ? 8 : 4)) return 0;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return t.dataType === DT().INT64 ? view.getBigInt64(0, true) : view.getInt32(0, true);
}
/** Row-major strides of a shape. */
const stridesOf = (dims: readonly number[]): number[] => dims.map((_, i) => product(dims.slice(i + 1)));

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
    // of an activation, or of a constant (F.pad without constant folding takes the Shape of its pads)
    const shape = ctx.activationShape(n.inputs[0] ?? '') ?? ctx.constShape(n.inputs[0] ?? '');
    if (shape === undefined) return null;
    const rank = shape.length;
    // opset 15: start/end select a slice of the shape, clamped as Slice clamps
    const clamp = (v: number): number => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
    const start = clamp(n.attrs.int('start', 0));
    const end = clamp(n.attrs.int('end', rank));
    const dims = shape.slice(start, Math.max(start, end));
    return int64Of([dims.length], [...dims]);
  }
  if (n.opType === 'ConstantOfShape') {
    const shape = n.inputs[0] === undefined || n.inputs[0] === '' ? undefined : ctx.intConst(n.inputs[0], site);
    const value = n.attrs.tensor('value');
    // a float fill (the default) is no shape arithmetic: the op is refused by name
    if (shape === undefined || value === undefined || (value.dataType !== DT().INT64 && value.dataType !== DT().INT32)) return null;
    // a scalar shape is read as a list of one size, as ONNX Runtime reads it (PyTorch writes one for F.pad without constant folding)
    if (shape.dims.length > 1 || shape.data.some((d) => d < 0)) throw broken(`shape ${shownValue(shape.data)} is not a list of sizes`);
    const count = product(shape.data);
    if (count > MAX_FOLDED) throw fail(`a folded constant of ${count} values; shape arithmetic holds at most ${MAX_FOLDED}`);
    const fill = Number(String((value.dataType === DT().INT64 ? value.int64Data : value.int32Data)?.[0] ?? rawInt(value)));
    if (!Number.isSafeInteger(fill)) throw broken('the fill value is not an integer nnchip can represent');
    return int64Of([...shape.data], Array<number>(count).fill(fill));
  }
  if (n.inputs.length === 0 || n.inputs.some((t, i) => t === '' && !((n.opType === 'Slice' && i >= 3) || (n.opType === 'Clip' && i >= 1)))) return null;
  // Slice's starts and ends may hold ±(2^63 − 1) ("to the end"): saturated, they clamp alike
  // float constants too: without constant folding PyTorch leaves weights' Transposes, Casts and Concats of scales in the graph
  const asFloat = (t: string): { dims: number[]; data: number[]; float: true } | undefined => {
    const f = ctx.floatConst(t, site);
    return f === undefined ? undefined : { dims: f.dims, data: Array.from(f.data), float: true };
  };
  const ins = n.inputs.map((t, i) => (t === '' ? { dims: [0], data: [] } : (ctx.intConst(t, site, n.opType === 'Slice' && (i === 1 || i === 2)) ?? asFloat(t))));
  if (ins.some((t) => t === undefined)) return null;
  const typed = ins as { dims: number[]; data: number[]; float?: true }[];
  const [a, b] = typed;
  // the data inputs' type is the output's (Concat and arithmetic: all of them; the others: the first)
  const all = ['Concat', 'Add', 'Sub', 'Mul', 'Div'].includes(n.opType);
  const floatOut = all ? typed.some((t) => t.float === true) : a!.float === true;
  if (floatOut && all && !typed.every((t) => t.float === true)) throw fail('of float and integer constants is not supported');
  const int64 = (dims: number[], data: number[]): TensorProto => (floatOut ? { dataType: DT().FLOAT, dims, floatData: data.map(Math.fround) } : int64Of(dims, data));
  const out = ((): TensorProto => {
    switch (n.opType) {
      case 'Gather': {
        if (a!.dims.length !== 1) throw fail(`of a rank-${a!.dims.length} constant is not supported (only a 1-D shape)`);
        axisOf(n.attrs.int('axis', 0), 1);
        const len = a!.data.length;
        const picked = b!.data.map((i) => {
          if (!(i >= -len && i < len)) throw broken(`index ${i} is outside ${shownValue(a!.data)}`);
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
          if (drop.some((i) => dims[i] !== 1)) throw broken(`axes ${shownValue(axes)} of a ${shownValue(a!.dims)} constant are not all 1`);
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
        // starts, ends, axes (default: the first ones), steps (default 1; negative walks backwards), clamped as ONNX clamps
        const rank = a!.dims.length;
        const [starts, ends] = [b!.data, ins[2]?.data ?? []];
        const axes = ins[3] !== undefined && ins[3].data.length > 0 ? ins[3].data.map((x) => axisOf(x, rank)) : starts.map((_, i) => i);
        const steps = ins[4] !== undefined && ins[4].data.length > 0 ? ins[4].data : starts.map(() => 1);
        if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length || new Set(axes).size !== axes.length) throw broken('starts, ends, axes and steps differ in length or repeat an axis');
        const picks = a!.dims.map((d) => Array.from({ length: d }, (_, i) => i));
        axes.forEach((ax, i) => {
          const d = a!.dims[ax]!;
          const step = steps[i]!;
          if (step === 0) throw broken('a step of 0');
          const norm = (v: number): number => (v < 0 ? v + d : v);
          const [lo, hi] = step > 0 ? [0, d] : [-1, d - 1];
          const start = Math.min(step > 0 ? d : d - 1, Math.max(step > 0 ? 0 : -1, norm(starts[i]!)));
          const end = Math.min(hi, Math.max(lo, norm(ends[i]!)));
          const kept: number[] = [];
          for (let k = start; step > 0 ? k < end : k > end; k += step) kept.push(k);
          picks[ax] = kept;
        });
        const g = gathered(a!, picks);
        return int64(g.dims, g.data);
      }
      case 'Reshape': {
        // 0 copies the input's size (unless allowzero), -1 takes what is left
        const allowzero = n.attrs.int('allowzero', 0) === 1;
        const dims = b!.data.map((d, i) => (d === 0 && !allowzero ? (a!.dims[i] ?? NaN) : d));
        const known = product(dims.filter((d) => d !== -1));
        const free = dims.filter((d) => d === -1).length;
        const total = product(a!.dims);
        const out = dims.map((d) => (d === -1 ? total / known : d));
        if (free > 1 || out.some((d) => !Number.isInteger(d) || d < 0) || product(out) !== total) throw broken(`shape ${shownValue(b!.data)} does not fit a ${shownValue(a!.dims)} constant`);
        return int64(out, a!.data);
      }
      case 'Transpose': {
        const rank = a!.dims.length;
        const perm = n.attrs.ints('perm') ?? a!.dims.map((_, i) => rank - 1 - i);
        if (perm.length !== rank || [...perm].sort((x, y) => x - y).some((p, i) => p !== i)) throw broken(`perm ${shownValue(perm)} is not a permutation of ${rank} axes`);
        const dims = perm.map((p) => a!.dims[p]!);
        const from = stridesOf(a!.dims);
        const to = stridesOf(dims);
        const data = Array.from({ length: a!.data.length }, (_, o) => a!.data[perm.reduce((at, p, i) => at + (Math.floor(o / to[i]!) % dims[i]!) * from[p]!, 0)]!);
        return int64(dims, data);
      }
      case 'ReduceProd': {
        // torch.std / torch.var (unbiased): the element count, ReduceProd of the reduced axes' sizes from Shape
        if (floatOut || a!.dims.length > 1) throw fail('of float constants or of a constant of rank over 1 is not supported (only of a list of sizes)');
        const axes = ins[1] !== undefined && ins[1]!.data.length > 0 ? ins[1]!.data : (n.attrs.ints('axes') ?? []);
        axes.forEach((x) => axisOf(x, Math.max(1, a!.dims.length)));
        const value = a!.data.reduce((p, q) => p * q, 1);
        if (!Number.isSafeInteger(value)) throw fail('the result is not an integer nnchip can represent');
        return int64(n.attrs.int('keepdims', 1) !== 0 ? a!.dims.map(() => 1) : [], [value]);
      }
      case 'Reciprocal': {
        // GeM pooling's 1 / p of its learned exponent (a parameter: torch.onnx leaves the Reciprocal)
        if (!floatOut) throw fail('of integer constants is not supported (only float)');
        return int64([...a!.dims], a!.data.map((v) => 1 / v));
      }
      case 'Clip': {
        // F.normalize of a weight (ArcFace's cosine head): torch folds the norm but leaves its clamp, Expand and Div on constants
        if (!floatOut) throw fail('of integer constants is not supported (only float)');
        const bound = (i: number, attr: string, fallback: number): number => (ins[i] !== undefined && ins[i]!.data.length > 0 ? ins[i]!.data[0]! : n.attrs.float(attr, fallback));
        const [lo, hi] = [bound(1, 'min', -Infinity), bound(2, 'max', Infinity)];
        return int64([...a!.dims], a!.data.map((v) => Math.min(hi, Math.max(lo, v))));
      }
      case 'Expand': {
        // torch's zero initial state of a recurrent op: Expand(0, [D, batch, U]), broadcast as numpy (counted before it is built)
        const shapes = expandShape(a!.dims, b!.data);
        if (shapes === null) throw broken(`shape ${shownValue(b!.data)} does not broadcast a ${shownValue(a!.dims)} constant`);
        const { from: src, to: dims } = shapes;
        const count = product(dims);
        if (count > (floatOut ? ctx.maxFloats : MAX_FOLDED)) throw fail(`a folded constant of ${count} values; at most ${floatOut ? ctx.maxFloats : MAX_FOLDED}`);
        const [from, to] = [stridesOf(src), stridesOf(dims)];
        const data = Array.from({ length: count }, (_, o) => a!.data[dims.reduce((at, d, i) => at + (src[i] === 1 ? 0 : (Math.floor(o / to[i]!) % d) * from[i]!), 0)]!);
        return int64(dims, data);
      }
      case 'Cast': {
        // required: a missing one was read as INT64 ('to INT64 of a float constant is not supported')
        if (!n.attrs.has('to')) throw broken('attribute to (the type to cast to) is missing');
        const to = n.attrs.int('to', DT().INT64);
        // to a float type: rounded to it as ONNX Runtime rounds (to nearest, ties to even), held as float32
        if (isFloatType(to)) return { dataType: DT().FLOAT, dims: [...a!.dims], floatData: a!.data.map((v) => roundToFloat(v, to)) };
        if (a!.float) throw fail(`to ${dtypeName(to)} of a float constant is not supported (only to a float type)`);
        if (to !== DT().INT64 && to !== DT().INT32) throw fail(`to ${dtypeName(to)} of an integer constant is not supported (only to INT64, INT32 or a float type)`);
        return int64([...a!.dims], a!.data);
      }
      default: {
        // Add/Sub/Mul/Div: equal shapes or a scalar, integer arithmetic (Div truncates, as ONNX's integer Div)
        if (ins.length !== 2) throw fail(`needs two inputs`);
        const [x, y] = product(a!.dims) >= product(b!.dims) ? [a!, b!] : [b!, a!];
        if (product(y.dims) !== 1 && JSON.stringify(x.dims) !== JSON.stringify(y.dims)) throw fail(`of constants of shapes ${shownValue(a!.dims)} and ${shownValue(b!.dims)} is not supported`);
        const op = (p: number, q: number): number => {
          if (n.opType === 'Add') return p + q;
          if (n.opType === 'Sub') return p - q;
          if (n.opType === 'Mul') return p * q;
          if (floatOut) return p / q;
          if (q === 0) throw broken('division by zero');
          return Math.trunc(p / q);
        };
        const data = x.data.map((_, i) => op(a!.data[a!.data.length === 1 ? 0 : i]!, b!.data[b!.data.length === 1 ? 0 : i]!));
        if (floatOut) return int64([...x.dims], data);
        if (data.some((v) => !Number.isSafeInteger(v))) throw fail('the result is not an integer nnchip can represent');
        return int64([...x.dims], data);
      }
    }
  })();
  if (floatOut && (out.floatData ?? []).length > ctx.maxFloats) throw fail(`a folded constant of ${(out.floatData ?? []).length} values; at most ${ctx.maxFloats} (--max-params)`);
  if (!floatOut && (out.int64Data ?? []).length > MAX_FOLDED) throw fail(`a folded constant of ${(out.int64Data ?? []).length} values; shape arithmetic holds at most ${MAX_FOLDED}`);
  return out;
}

/** The elements of an N-D constant at the kept indices of each axis, row-major. */
function gathered(a: { dims: number[]; data: number[] }, picks: number[][]): { dims: number[]; data: number[] } {
  const from = stridesOf(a.dims);
  let offsets = [0];
  picks.forEach((kept, ax) => (offsets = offsets.flatMap((o) => kept.map((k) => o + k * from[ax]!))));
  return { dims: picks.map((k) => k.length), data: offsets.map((o) => a.data[o]!) };
}
