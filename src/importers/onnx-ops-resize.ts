// SPDX-License-Identifier: MIT
/**
 * ONNX Resize (and Upsample, read as Resize: onnx-upgrade.ts) → IR: nearest by integer factors as upsampling, linear
 * through passes/upsample-linear.ts, and the forms docs/onnx-support.md lists; a 1×1 map to any size.
 */
import { shownValue } from '../diagnostics/error.js';
import { Op, type Built } from './onnx-op.js';
import { identity } from './onnx-ops-layout.js';

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
  // linear: the coordinate rules whose weights repeat with the phase, and align_corners (PyTorch's align_corners=True: per line)
  const linear = transform === 'half_pixel' || transform === 'pytorch_half_pixel' ? 'half_pixel' : transform === 'asymmetric' ? 'asymmetric' : transform === 'align_corners' ? 'align_corners' : undefined;
  // a 1×1 map (DeepLab's ASPP pooling branch, F.interpolate(pooled, size, mode='bilinear')): every mode and coordinate rule clamps
  // to its one pixel, whose value every output takes: nearest repetition, as broadcasting a vector over the map
  const from0 = o.ctx.onnxShape(x);
  const onePixel = a.int('antialias', 0) === 0 && !a.has('axes') && o.dims(x) === 2 && from0[2] === 1 && from0[3] === 1;
  if (onePixel) return resizeOnePixel(o, x, from0);
  if (mode === 'linear' && linear === undefined) throw o.fail(`mode "linear" with coordinate_transformation_mode "${transform}" is not supported (half_pixel, pytorch_half_pixel, asymmetric or align_corners)`);
  if (mode === 'linear' && a.int('antialias', 0) !== 0) throw o.fail('antialias 1 is not supported');
  if (mode === 'nearest' && !(Object.hasOwn(REPLICATING, transform) ? REPLICATING[transform]! : []).includes(nearest)) throw o.fail(`coordinate_transformation_mode "${transform}" with nearest_mode "${nearest}" is not supported (they do not replicate pixels: ${Object.entries(REPLICATING).map(([t, m]) => `${t} with ${m.join('/')}`).join(', ')})`);
  if (a.has('axes')) throw o.fail('the axes attribute is not supported');
  const from = o.ctx.onnxShape(x);
  const [scales, sizes] = [o.optional(2), o.optional(3)];
  const given = sizes !== undefined ? o.ctx.ints(sizes, o.site, 'sizes') : scales !== undefined ? Array.from(o.ctx.floats(scales, o.site, 'scales').data) : [];
  const factors = sizes !== undefined ? given.map((d, i) => d / from[i]!) : given;
  // any size, not a whole multiple (FPN's nearest F.interpolate(size=…) of an odd map, align_corners to a size): per output line
  const to = sizes !== undefined ? given : given.map((f, i) => f * from[i]!);
  const perLine = (mode === 'nearest' && transform === 'asymmetric' && nearest === 'floor') || (mode === 'linear' && linear === 'align_corners');
  if (perLine && factors.length === from.length && factors.length >= 3 && factors[0] === 1 && factors[1] === 1 && to.every((d) => Number.isInteger(d) && d >= 1) && factors.some((f) => !(Number.isInteger(f) && f >= 1))) {
    const size: [number, number] = to.length === 3 ? [1, to[2]!] : [to[2]!, to[3]!];
    return [{ ...o.base([x]), op: 'upsample', factors: [1, 1], size, ...(mode === 'linear' ? { linear: 'align_corners' as const } : {}) }];
  }
  // linear downscaling by whole divisors k (F.interpolate(scale_factor=0.5, mode='bilinear')): half-pixel centres read source
  // k·o + (k − 1)/2, one pixel (k odd) or the mean of two (k even); asymmetric reads k·o: an average pool of stride k
  const divisors = to.slice(2).map((d, i) => from[i + 2]! / d);
  if (mode === 'linear' && (linear === 'half_pixel' || linear === 'asymmetric') && factors.length === from.length && factors.length >= 3 && factors[0] === 1 && factors[1] === 1 && to.every((d) => Number.isInteger(d) && d >= 1) && divisors.every((k) => Number.isInteger(k) && k >= 1) && divisors.some((k) => k > 1)) {
    const [ky, kx] = divisors.length === 1 ? [1, divisors[0]!] : [divisors[0]!, divisors[1]!];
    const window = (k: number): [number, number] => (linear === 'asymmetric' || k % 2 === 1 ? [1, linear === 'asymmetric' ? 0 : (k - 1) / 2] : [2, k / 2 - 1]);
    const [[wy, oy], [wx, ox]] = [window(ky), window(kx)];
    const pool = { op: 'pool2d' as const, kind: 'avg' as const, size: [wy, wx] as const, strides: [ky, kx] as const, pads: [0, 0, 0, 0] as const };
    if (oy === 0 && ox === 0) return [{ ...o.base([x]), ...pool }];
    const cut = { name: `${o.n.name}/crop`, inputs: [x], output: `${o.out}/crop`, op: 'crop' as const, crop: [oy, ox, 0, 0] as const };
    return [cut, { ...o.base([cut.output]), ...pool }];
  }
  if (factors.length !== from.length || factors[0] !== 1 || factors[1] !== 1 || factors.some((f) => !(Number.isInteger(f) && f >= 1))) {
    throw o.fail(`${sizes !== undefined ? 'sizes' : 'scales'} ${shownValue(given)} of a ${shownValue(from)} tensor are not supported (only integer upscaling of the spatial axes; linear downscaling by whole divisors; any size with nearest asymmetric floor, PyTorch's nearest, or linear align_corners)`);
  }
  const [fy, fx] = factors.length === 3 ? [1, factors[2]!] : [factors[2]!, factors[3]!];
  if (fy === 1 && fx === 1) return identity(o, x);
  return [{ ...o.base([x]), op: 'upsample', factors: [fy, fx], ...(mode === 'linear' && linear !== undefined ? { linear } : {}) }];
}

/** Resize of a [N, C, 1, 1] map to [N, C, H, W] (sizes, or whole scales): W then H nearest copies of its one pixel (W + H copies). */
function resizeOnePixel(o: Op, x: string, from: readonly number[]): Built[] {
  const [scales, sizes] = [o.optional(2), o.optional(3)];
  const given = sizes !== undefined ? o.ctx.ints(sizes, o.site, 'sizes') : scales !== undefined ? Array.from(o.ctx.floats(scales, o.site, 'scales').data) : [];
  const to = sizes !== undefined ? given : given.map((f, i) => f * from[i]!);
  if (to.length !== 4 || to[0] !== from[0] || to[1] !== from[1] || !to.slice(2).every((d) => Number.isInteger(d) && d >= 1)) {
    throw o.fail(`${sizes !== undefined ? 'sizes' : 'scales'} ${shownValue(given)} of a ${shownValue(from)} tensor are not supported (only integer upscaling of the spatial axes)`);
  }
  const [h, w] = [to[2]!, to[3]!];
  if (h === 1 && w === 1) return identity(o, x);
  const row: Built = { name: `${o.n.name}/row`, inputs: [x], output: `${o.out}/row`, op: 'upsample', factors: [1, w] };
  if (h === 1) return [{ ...row, ...o.base([x]) }];
  if (w === 1) return [{ ...o.base([x]), op: 'upsample', factors: [h, 1] }];
  return [row, { ...o.base([row.output]), op: 'upsample', factors: [h, 1] }];
}

export const RESIZE_OPS: Readonly<Record<string, (o: Op) => Built[]>> = { Resize: resize };
