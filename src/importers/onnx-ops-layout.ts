// SPDX-License-Identifier: MIT
/**
 * ONNX layout ops → IR: Flatten, Reshape, Squeeze, Unsqueeze and Transpose where the bytes do not
 * move (a flatten, a change of view, or a transpose nnchip tracks as channels-first/last), Concat on
 * the channel axis, nearest-neighbour Resize by integer factors as upsampling, Identity and Dropout as
 * no-ops. Any other data movement is refused.
 */
import { NnchipError } from '../diagnostics/error.js';
import { product } from '../ir/graph.js';
import { Op, type Built, type OnnxView } from './onnx-op.js';

const same = (a: readonly number[], b: readonly number[]): boolean => JSON.stringify(a) === JSON.stringify(b);

function identity(o: Op, x: string, view?: OnnxView): Built[] {
  return [{ ...o.base([x]), op: 'identity', ...(view === undefined ? {} : { view }) }];
}

/** x viewed as the ONNX shape `to` (batch 1, same element count) without moving data, or refused. */
function reshapeTo(o: Op, x: string, to: readonly number[]): Built[] {
  const from = o.ctx.onnxShape(x);
  const v = o.ctx.view(x);
  if (product(to) !== product(from) || to.some((d) => !Number.isInteger(d) || d < 1)) throw new NnchipError('NN203', `cannot reshape ${JSON.stringify(from)} to ${JSON.stringify(to)}`, { layer: o.n.name });
  if (to[0] !== 1) throw o.fail(`target ${JSON.stringify(to)} changes the batch dimension`);
  if (same(from, to)) return identity(o, x);
  if (to.length === 2) {
    // a flatten: channel-major over a channel-first map, as ONNX flattens NCHW
    return [{ ...o.base([x]), op: 'flatten', ...(o.ctx.isMap(x) && !v.last ? { order: 'chw' as const } : {}), view: { rank: 2, last: false } }];
  }
  const nonUnit = (s: readonly number[]): number[] => s.slice(1).filter((d) => d !== 1);
  const channelFirst = (s: readonly number[]): boolean => s.slice(2).every((d) => d === 1);
  // a vector [1, K] (or a pooled [1, C, 1, 1]) seen as [1, K, 1, 1] / [1, K, 1]: the IR keeps the vector
  if (!o.ctx.isMap(x) && channelFirst(to) && to.length <= 4) return identity(o, x, { rank: to.length, last: false });
  if (!o.ctx.isMap(x) && (to.length === 3 || to.length === 4)) {
    // [1, K] → [1, 1, H, W] or [1, 1, L]: one channel, the vector's order is the map's
    if (to[1] === 1 && !v.last) {
      const [h, w] = to.length === 4 ? [to[2]!, to[3]!] : [1, to[2]!];
      return [{ ...o.base([x]), op: 'reshape', shape: [h, w, 1], view: { rank: to.length, last: false } }];
    }
  }
  // [1, C, 1, L] ↔ [1, C, L] (Unsqueeze/Squeeze of the unit height of a 1-D map): the IR map is [1, L, C] either way
  if (o.ctx.isMap(x) && !v.last && from[1] === to[1] && same(nonUnit(from.slice(1)), nonUnit(to.slice(1))) && (from.length === 3 || from[2] === 1) && (to.length === 3 || to[2] === 1)) {
    return identity(o, x, { rank: to.length, last: false });
  }
  throw o.fail(`reshaping ${JSON.stringify(from)} to ${JSON.stringify(to)} is not supported (only flattening to [N, K], views that add or drop unit dimensions, and [N, K] to one channel)`);
}

function flatten(o: Op): Built[] {
  const x = o.activation(0);
  const rank = o.ctx.onnxShape(x).length;
  const axis = o.n.attrs.int('axis', 1);
  if (axis !== 1 && axis !== 0 && axis !== 1 - rank) throw o.fail(`axis ${axis} is not supported (only 1: keep the batch)`);
  return reshapeTo(o, x, [1, product(o.ctx.onnxShape(x))]);
}

function reshape(o: Op): Built[] {
  const x = o.activation(0);
  const from = o.ctx.onnxShape(x);
  if (o.n.inputs[1] === undefined || !o.ctx.isConst(o.n.inputs[1])) throw o.fail('the target shape is computed at run time (dynamic); only a constant shape (initializer) is supported');
  const target = o.ctx.ints(o.input(1), o.site, 'the target shape');
  const allowZero = o.n.attrs.int('allowzero', 0) === 1;
  const dims = target.map((d, i) => (d === 0 && !allowZero ? (from[i] ?? 0) : d));
  const known = dims.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const out = dims.map((d) => (d === -1 ? product(from) / known : d));
  if (out.some((d) => !Number.isInteger(d) || d < 1) || product(out) !== product(from)) throw new NnchipError('NN203', `cannot reshape ${JSON.stringify(from)} to ${JSON.stringify(target)}`, { layer: o.n.name });
  return reshapeTo(o, x, out);
}

/** Axes from the second input (opset ≥ 13) or the attribute, as written. */
function rawAxes(o: Op): number[] | undefined {
  const t = o.optional(1);
  return t !== undefined ? o.ctx.ints(t, o.site, 'axes') : o.n.attrs.ints('axes');
}

/** The axes made non-negative for an output of rank `rank`. */
function axesOf(o: Op, rank: number): number[] | undefined {
  return rawAxes(o)?.map((a) => (a < 0 ? a + rank : a));
}

function squeeze(o: Op): Built[] {
  const x = o.activation(0);
  const from = o.ctx.onnxShape(x);
  const axes = axesOf(o, from.length) ?? from.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
  if (axes.some((a) => from[a] !== 1)) throw o.fail(`axes ${JSON.stringify(axes)} of ${JSON.stringify(from)} are not all 1`);
  const to = from.filter((_, i) => !axes.includes(i));
  // squeezing the batch away leaves the same bytes: [1, C, 1, 1] → [C] is read as [1, C]
  if (axes.includes(0)) {
    if (to.length !== 1) throw o.fail(`squeezing the batch axis of ${JSON.stringify(from)} is supported only down to a vector`);
    return reshapeTo(o, x, [1, ...to]);
  }
  return reshapeTo(o, x, to);
}

function unsqueeze(o: Op): Built[] {
  const x = o.activation(0);
  const from = o.ctx.onnxShape(x);
  const count = rawAxes(o)?.length;
  if (count === undefined) throw o.fail('needs axes');
  const rank = from.length + count;
  const axes = axesOf(o, rank)!;
  const to: number[] = [];
  let at = 0;
  for (let i = 0; i < rank; i++) to.push(axes.includes(i) ? 1 : from[at++]!);
  if (axes.includes(0)) throw o.fail(`axes ${JSON.stringify(axes)} add a dimension before the batch`);
  return reshapeTo(o, x, to);
}

/** Transposes nnchip follows without moving data: NCHW ↔ NHWC, NCL ↔ NLC, [1, K] ↔ [K, 1]. */
function transpose(o: Op): Built[] {
  const x = o.activation(0);
  const v = o.ctx.view(x);
  const perm = o.n.attrs.ints('perm') ?? Array.from({ length: v.rank }, (_, i) => v.rank - 1 - i);
  const key = JSON.stringify(perm);
  if (same(perm, Array.from({ length: v.rank }, (_, i) => i))) return identity(o, x);
  if (v.rank === 2 && key === '[1,0]') return identity(o, x, { rank: 2, last: false, transposed: !v.transposed });
  if (v.rank === 3 && key === '[0,2,1]' && o.ctx.isMap(x)) return identity(o, x, { rank: 3, last: !v.last });
  if (v.rank === 4 && o.ctx.isMap(x) && key === (v.last ? '[0,3,1,2]' : '[0,2,3,1]')) return identity(o, x, { rank: 4, last: !v.last });
  throw o.fail(`perm ${key} of a ${JSON.stringify(o.ctx.onnxShape(x))} tensor is not supported (only NCHW ↔ NHWC, NCL ↔ NLC and [1, K] ↔ [K, 1], which move no data)`);
}

function concat(o: Op): Built[] {
  // no input at all was 'input tensor "undefined" is not produced'
  const xs = o.n.inputs.length === 0 ? [o.activation(0)] : o.n.inputs.map((_, i) => o.activation(i));
  const v = o.ctx.view(xs[0]!);
  const axis = o.n.attrs.int('axis', 1);
  const channel = o.channelAxis(xs[0]!);
  if (xs.some((x) => JSON.stringify(o.ctx.view(x)) !== JSON.stringify(v))) throw o.fail('inputs have different layouts');
  if (axis !== channel && axis !== channel - v.rank) throw o.fail(`axis ${axis} is not supported (only the channel axis, ${channel})`);
  return [{ ...o.base(v.rank >= 3 ? xs.map((x) => o.ctx.asMap(x, o.site)) : xs), op: 'concat' }];
}

/** Nearest-neighbour coordinate rules that replicate each pixel for an integer upscale (no pixel shifts). */
const REPLICATING: Readonly<Record<string, readonly string[]>> = {
  half_pixel: ['round_prefer_floor', 'round_prefer_ceil'],
  pytorch_half_pixel: ['round_prefer_floor', 'round_prefer_ceil'],
  asymmetric: ['floor'],
  tf_half_pixel_for_nn: ['floor'],
};

/** Resize (opset ≥ 11), mode nearest, by integer factors on the spatial axes of a channel-first map: upsampling. */
function resize(o: Op): Built[] {
  const x = o.map(0);
  const a = o.n.attrs;
  const mode = a.string('mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear') throw o.fail(`mode "${mode}" is not supported (only nearest and linear)`);
  const transform = a.string('coordinate_transformation_mode', 'half_pixel');
  const nearest = a.string('nearest_mode', 'round_prefer_floor');
  // linear: the coordinate rules whose weights repeat with the phase (align_corners' vary along the map)
  const linear = transform === 'half_pixel' || transform === 'pytorch_half_pixel' ? 'half_pixel' : transform === 'asymmetric' ? 'asymmetric' : undefined;
  if (mode === 'linear' && linear === undefined) throw o.fail(`mode "linear" with coordinate_transformation_mode "${transform}" is not supported (half_pixel, pytorch_half_pixel or asymmetric)`);
  if (mode === 'linear' && a.int('antialias', 0) !== 0) throw o.fail('antialias 1 is not supported');
  if (mode === 'nearest' && !(Object.hasOwn(REPLICATING, transform) ? REPLICATING[transform]! : []).includes(nearest)) throw o.fail(`coordinate_transformation_mode "${transform}" with nearest_mode "${nearest}" is not supported (they do not replicate pixels: ${Object.entries(REPLICATING).map(([t, m]) => `${t} with ${m.join('/')}`).join(', ')})`);
  if (a.has('axes')) throw o.fail('the axes attribute is not supported');
  const from = o.ctx.onnxShape(x);
  const [scales, sizes] = [o.optional(2), o.optional(3)];
  const given = sizes !== undefined ? o.ctx.ints(sizes, o.site, 'sizes') : scales !== undefined ? Array.from(o.ctx.floats(scales, o.site, 'scales').data) : [];
  const factors = sizes !== undefined ? given.map((d, i) => d / from[i]!) : given;
  if (factors.length !== from.length || factors[0] !== 1 || factors[1] !== 1 || factors.some((f) => !(Number.isInteger(f) && f >= 1))) {
    throw o.fail(`${sizes !== undefined ? 'sizes' : 'scales'} ${JSON.stringify(given)} of a ${JSON.stringify(from)} tensor are not supported (only integer upscaling of the spatial axes)`);
  }
  const [fy, fx] = factors.length === 3 ? [1, factors[2]!] : [factors[2]!, factors[3]!];
  if (fy === 1 && fx === 1) return identity(o, x);
  return [{ ...o.base([x]), op: 'upsample', factors: [fy, fx], ...(mode === 'linear' && linear !== undefined ? { linear } : {}) }];
}

export const LAYOUT_OPS: Readonly<Record<string, (o: Op) => Built[]>> = {
  Flatten: flatten,
  Reshape: reshape,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Concat: concat,
  Resize: resize,
  Identity: (o) => identity(o, o.activation(0)),
  Dropout: (o) => (o.onlyFirstOutput(), identity(o, o.activation(0))),
};
