/**
 * The module's quantization and dequantization (kernels/float.ts, edges.ts) against
 * isa/numerics.ts: every kernel alone in a small module, over special values (±0, NaN, ±∞,
 * halfway points and their neighbours, out of range, subnormals), a sweep over float32 bit
 * patterns and fast-check, for several scales and zero points (the division-free float32 kernel
 * wherever fastReciprocal proves it exact, and the f32x4 kernel with each fallback); then run_f32/run_f64 of whole
 * programs (flat SIMD, scalar build, channel-major input and output) against quantizeInput.
 */
import fc from 'fast-check';
import wabtInit from 'wabt';
import { describe, expect, test } from 'vitest';
import { assembleModule, type FuncType } from '../../../../src/wasm-encoding/binary.js';
import { buildWasm } from '../../../../src/backends/wasm/emit.js';
import { webAssembly } from '../../../../src/backends/wasm/instance.js';
import { dequantizePixelsKernel, dequantizeVecKernel, quantizePixelsKernel, quantizeVecKernel, type EdgeLayout, type FloatElem } from '../../../../src/backends/wasm/kernels/float.js';
import { f32x4Applies, fastCode, fastQuantizer, provenExact, quantizeF32x4Kernel, type FastRounding } from '../../../../src/backends/wasm/kernels/float-fast.js';
import { FuncTable } from '../../../../src/backends/wasm/kernels/shared.js';
import { interpret } from '../../../../src/isa/interpret.js';
import { dequantize, quantizeToInt8 } from '../../../../src/isa/numerics.js';
import { dequantizeOutput, quantizeInput, type Program } from '../../../../src/isa/program.js';
import { compileDigitsMlp, compileGraph } from '../../../helpers/compile.js';
import { randomCnn } from '../../../helpers/random-cnn.js';
import { randomSamples } from '../../../helpers/random-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20251203);
const wabt = await wabtInit();
type Fn = (...args: number[]) => void;

/** A module of the given kernels, each exported as k0, k1, …, with `pages` of memory. */
async function kernelModule(build: (t: FuncTable) => number[], pages = 8): Promise<{ fns: Fn[]; memory: ArrayBuffer }> {
  const table = new FuncTable();
  const roots = build(table);
  const types: FuncType[] = [];
  const funcs = table.funcs.map((f) => {
    let type = types.findIndex((t) => JSON.stringify([t.params, t.results]) === JSON.stringify([f.params, f.results]));
    if (type < 0) type = types.push({ params: f.params, results: f.results }) - 1;
    return { type, locals: f.locals, body: f.code.bytes };
  });
  const bytes = assembleModule({ types, funcs, memoryPages: pages, globals: [], data: [], exports: [{ name: 'memory', kind: 'Memory', index: 0 }, ...roots.map((index, i) => ({ name: `k${i}`, kind: 'Func' as const, index }))] });
  wabt.readWasm(bytes, { simd: true, bulk_memory: true }).validate();
  const { instance } = await webAssembly().instantiate(bytes, {});
  const x = instance.exports as Record<string, unknown>;
  return { fns: roots.map((_, i) => x[`k${i}`] as Fn), memory: (x['memory'] as { buffer: ArrayBuffer }).buffer };
}

const f32 = (x: number): number => Math.fround(x);
/** The neighbouring float32 values of x (and x itself). */
function f32Neighbours(x: number): number[] {
  const a = new Float32Array([x]);
  const bits = new Int32Array(a.buffer);
  const out = [a[0]!];
  for (const d of [-2, -1, 1, 2]) {
    const b = new Int32Array([bits[0]! + d]);
    out.push(new Float32Array(b.buffer)[0]!);
  }
  return out;
}

/** The float32 `d` steps (in units of the last place) from the float32 x. */
function stepF32(x: number, d: number): number {
  const bits = new Int32Array(new Float32Array([x]).buffer);
  bits[0] = bits[0]! + (x < 0 ? -d : d);
  return new Float32Array(bits.buffer)[0]!;
}

/** The values every quantizer test covers for one scale: specials, halfway points ± 2 ulps, out of range, subnormals. */
function specialValues(scale: number): number[] {
  const v = [0, -0, NaN, -NaN, Infinity, -Infinity, 1e300, -1e300, 3.4e38, -3.4e38, 5e-324, -5e-324, 1.4e-45, -1.4e-45, 1e-40, -1e-40, 2 ** -126, scale, -scale];
  for (let k = -300; k <= 300; k++) {
    const half = (k + 0.5) * scale;
    v.push(half, k * scale, ...f32Neighbours(half));
    const b = new Float64Array([half]);
    const bits = new BigInt64Array(b.buffer);
    for (const d of [-1n, 1n]) v.push(new Float64Array(new BigInt64Array([bits[0]! + d]).buffer)[0]!);
  }
  return v;
}

/** A sweep over float32 bit patterns (both signs, every exponent), every 32771st pattern. */
function f32Sweep(): Float32Array {
  const bits = new Uint32Array(Math.floor(2 ** 32 / 32771));
  for (let i = 0; i < bits.length; i++) bits[i] = (i * 32771 + 17) >>> 0;
  return new Float32Array(bits.buffer);
}

const SCALES: [number, number][] = [[0.0078125, 0], [1 / 3, -5], [0.1, 17], [0.02, -128], [1e-30, 3], [1e30, 127], [2.5, -1], [0.0117647, -42]];

describe('quantize kernels = quantizeToInt8', async () => {
  const { fns, memory } = await kernelModule((t) => [
    quantizeVecKernel(t, 'f32'), quantizeVecKernel(t, 'f64'), quantizeVecKernel(t, 'f32', 'even'), quantizeVecKernel(t, 'f32', 'away'),
    quantizeF32x4Kernel(t), quantizeF32x4Kernel(t, 'even'), quantizeF32x4Kernel(t, 'away'),
  ]);
  const [vec32, vec64, even32, away32, x4, x4even, x4away] = fns as [Fn, Fn, Fn, Fn, Fn, Fn, Fn];
  const fastKernel = (r: FastRounding): Fn => (r === 'even' ? even32 : away32);
  const SRC = 64;
  type Kind = FloatElem | FastRounding | 'f32x4' | 'f32x4-even' | 'f32x4-away';
  /**
   * The kinds of kernel to test at this scale: both exact ones, each fast rounding proven exact here,
   * and the f32x4 kernel (where it applies) with the division and with each proven rounding as its fallback.
   */
  const kinds = (scale: number, zp: number): Kind[] => {
    const proven = (['even', 'away'] as const).filter((r) => provenExact(scale, zp, 1 / scale, r));
    return ['f32', 'f64', ...proven, ...(f32x4Applies(scale, zp) ? (['f32x4', ...proven.map((r) => `f32x4-${r}` as const)] as const) : [])];
  };
  /**
   * Quantize `xs` (as f32 or f64) with the kernel into fresh bytes at dst; the byte past n must stay
   * untouched. 'even'/'away': the float32 kernel without division, with that rounding; 'f32x4…':
   * float32 arithmetic four values per vector, falling back to the division or to that rounding.
   */
  function viaKernel(xs: readonly number[], elem: Kind, scale: number, zp: number): number[] {
    if (elem !== 'f32' && elem !== 'f64') {
      new Float32Array(memory, SRC, xs.length).set(xs);
      const kernel = elem === 'f32x4' ? x4 : elem === 'f32x4-even' ? x4even : elem === 'f32x4-away' ? x4away : fastKernel(elem);
      return run(kernel, xs.length, scale, zp, 1 / scale);
    }
    const view = elem === 'f32' ? new Float32Array(memory, SRC, xs.length) : new Float64Array(memory, SRC, xs.length);
    view.set(xs);
    return run(elem === 'f32' ? vec32 : vec64, xs.length, scale, zp, 0);
  }
  function run(kernel: Fn, n: number, scale: number, zp: number, inv: number): number[] {
    const dst = SRC + 8 * n + 16;
    const codes = new Int8Array(memory, dst, n + 1);
    codes.fill(0x55);
    kernel(SRC, dst, n, scale, zp, inv);
    expect(codes[n]).toBe(0x55);
    return Array.from(codes.subarray(0, n));
  }
  const reference = (xs: readonly number[], elem: Kind, scale: number, zp: number): number[] => Array.from(Int8Array.from(xs, (x) => quantizeToInt8(elem === 'f64' ? x : f32(x), scale, zp)));

  test.each(SCALES)('special values, halfway points and neighbours: scale %d, zero point %d', (scale, zp) => {
    const xs = specialValues(scale);
    expect(fastQuantizer(scale, zp), 'a fast rounding is proven for this ordinary scale').not.toBeNull();
    for (const elem of kinds(scale, zp)) expect(viaKernel(xs, elem, scale, zp), elem).toEqual(reference(xs, elem, scale, zp));
  });

  test('every length 0..40 (the SIMD steps and the scalar tail)', () => {
    const xs = specialValues(0.1).slice(0, 40);
    for (let n = 0; n <= 40; n++) for (const elem of kinds(0.1, 3)) expect(viaKernel(xs.slice(0, n), elem, 0.1, 3)).toEqual(reference(xs.slice(0, n), elem, 0.1, 3));
  });

  test('a sweep over 131 000 float32 bit patterns, at three scales', () => {
    const all = f32Sweep();
    for (const [scale, zp] of [SCALES[0]!, SCALES[1]!, SCALES[4]!]) {
      for (let at = 0; at < all.length; at += 16384) {
        const xs = Array.from(all.subarray(at, at + 16384));
        const want = reference(xs, 'f32', scale, zp);
        for (const elem of kinds(scale, zp)) if (elem !== 'f64') expect(viaKernel(xs, elem, scale, zp), elem).toEqual(want);
      }
    }
  });

  test('fast-check: any float32 or double, any scale and zero point', () => {
    const scale = fc.double({ min: 1e-12, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double(), fc.float().map(Number), fc.double({ min: -300, max: 300 })), { maxLength: 70 }), scale, fc.integer({ min: -128, max: 127 }), (xs, s, zp) => {
        expect(viaKernel(xs, 'f64', s, zp)).toEqual(reference(xs, 'f64', s, zp));
        expect(viaKernel(xs, 'f32', s, zp)).toEqual(reference(xs, 'f32', s, zp));
        const fast = fastQuantizer(s, zp);
        if (fast !== null) expect(viaKernel(xs, fast.rounding, s, zp)).toEqual(reference(xs, 'f32', s, zp));
      }),
      { numRuns: 150, seed: SEED },
    );
  });

  test('fast-check: the f32x4 kernel on values at and next to decision points, clamp edges and specials', () => {
    const scale = fc.oneof(
      // unbiased: the float32 product's rounding errors, which the fallback must catch, need ordinary scales
      { arbitrary: fc.noBias(fc.integer({ min: -(2 ** 30), max: 2 ** 30 })).map((i) => Math.exp(i * 2 ** -25)), weight: 4 },
      fc.double({ min: 1e-30, max: 1e30, noNaN: true }), fc.integer({ min: -60, max: 60 }).map((e) => 2 ** e), fc.float({ min: f32(1e-6), max: 1e6, noNaN: true }).map(Number),
    );
    /** A float32 `ulps` steps from (k + ½)·scale (k = 127 − zp − 1, … : the clamp edges too), or a special value. */
    const value = (s: number): fc.Arbitrary<number> => fc.oneof(
      { arbitrary: fc.noBias(fc.tuple(fc.integer({ min: -300, max: 300 }), fc.integer({ min: -2, max: 2 }))).map(([k, d]) => stepF32(f32((k + 0.5) * s), d)), weight: 8 },
      fc.integer({ min: -300, max: 300 }).map((k) => k * s),
      fc.constantFrom(NaN, -NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 1e-40, 3.4e38, -3.4e38, 1e300, -1e300),
      fc.float().map(Number),
      fc.double({ min: -300, max: 300 }).map((y) => y * s),
    );
    fc.assert(
      fc.property(scale.chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: -128, max: 127 }), fc.array(value(s), { minLength: 16, maxLength: 80 }))), ([s, zp, xs]) => {
        fc.pre(f32x4Applies(s, zp));
        const want = reference(xs, 'f32', s, zp);
        expect(viaKernel(xs, 'f32x4', s, zp)).toEqual(want);
        const fast = fastQuantizer(s, zp);
        if (fast !== null) expect(viaKernel(xs, `f32x4-${fast.rounding}`, s, zp)).toEqual(want);
      }),
      { numRuns: 600, seed: SEED },
    );
  });

  test('the f32x4 kernel: its float32 arithmetic alone would be wrong near ties, the fallback makes it exact', () => {
    // what the f32x4 step computes before its check (float-fast.ts), in the same float32 operations
    const step = (x: number, scale: number, zp: number): number => {
      const pc = Math.min(Math.max(f32(f32(x) * f32(1 / scale)), -128 - zp), 127 - zp);
      return f32(pc + f32(zp + 1.5 * 2 ** 23)) - 1.5 * 2 ** 23;
    };
    let wrong = 0;
    for (const [scale, zp] of SCALES.filter(([s, z]) => f32x4Applies(s, z))) {
      const xs = specialValues(scale).filter((x) => !Number.isNaN(x));
      const want = reference(xs, 'f32', scale, zp);
      wrong += xs.filter((x, i) => Int8Array.of(step(x, scale, zp))[0] !== want[i]).length;
      expect(viaKernel(xs, 'f32x4', scale, zp)).toEqual(want);
    }
    expect(wrong, 'values the float32 step alone gets wrong, which the kernel must recompute').toBeGreaterThan(100);
    // where 1/scale is not a normal float32 (or zp not an int8) the kernel is not used
    for (const [scale, zp] of [[1e-39, 0], [1e39, 0], [0.1, 128], [0.1, 0.5], [0, 0], [-1, 0]] as const) expect(f32x4Applies(scale, zp), `${scale} ${zp}`).toBe(false);
    for (const [scale, zp] of SCALES) expect(f32x4Applies(scale, zp)).toBe(true);
  });

  test('the fast kernels = fastCode, and fastQuantizer refuses a scale where neither rounding is exact', () => {
    // x/scale = 2.5 rounds to 3; x·(1/scale) = 2.4999999999999996 rounds to 2 either way
    const [x, scale] = [f32(0.045), f32(0.045) / 2.5];
    for (const r of ['even', 'away'] as const) expect(fastCode(x, 1 / scale, 0, r)).not.toBe(quantizeToInt8(x, scale, 0));
    expect(fastQuantizer(scale, 0)).toBeNull();
    // a power-of-two scale makes exact ties: 'even' rounds them the wrong way, 'away' is proven
    expect(provenExact(2 ** -7, 0, 2 ** 7, 'even')).toBe(false);
    expect(fastQuantizer(2 ** -7, 0)).toEqual({ inv: 2 ** 7, rounding: 'away' });
    for (const r of ['even', 'away'] as const) {
      new Float32Array(memory, SRC, 1).set([x]);
      expect(run(fastKernel(r), 1, scale, 0, 1 / scale)).toEqual([quantizeToInt8(x, scale, 0)]); // the scalar tail divides
      const xs = Array.from({ length: 32 }, (_, i) => x * (1 + (i - 16) / 64));
      new Float32Array(memory, SRC, 32).set(xs);
      expect(run(fastKernel(r), 32, scale, 0, 1 / scale)).toEqual(xs.map((v) => fastCode(f32(v), 1 / scale, 0, r)));
    }
  });
});

describe('dequantize kernel = Float32Array of numerics.dequantize', async () => {
  const { fns, memory } = await kernelModule((t) => [dequantizeVecKernel(t)]);
  test.each(SCALES)('all 256 codes, every length 0..19: scale %d, zero point %d', (scale, zp) => {
    const codes = new Int8Array(256).map((_, i) => i - 128);
    new Int8Array(memory, 16, 256).set(codes);
    for (const n of [...Array.from({ length: 20 }, (_, i) => i), 256]) {
      const out = new Float32Array(memory, 1024, n + 1).fill(7);
      fns[0]!(16, 1024, n, scale, zp);
      expect(out[n]).toBe(7);
      expect(Array.from(out.subarray(0, n))).toEqual(Array.from(Float32Array.from(codes.subarray(0, n), (q) => dequantize(q, scale, zp))));
    }
  });
});

describe('pixel kernels: a batch with a border between samples', async () => {
  // 2 samples of 2×2 pixels of 3 channels, rows 4 bytes apart, lines 16 apart, samples 100 apart
  const layout: EdgeLayout = { offset: 2048, rows: 8, rowBytes: 3, rowStride: 4, width: 2, lineStride: 16, sampleRows: 4, sampleStride: 100, scale: 0.1, zp: 3, channelMajor: null };
  const addr = (r: number, j: number): number => layout.offset + Math.floor(r / 4) * 100 + Math.floor((r % 4) / 2) * 16 + (r % 2) * 4 + j;
  const STAGING = 8192;
  const { fns, memory } = await kernelModule((t) => [quantizePixelsKernel(t, 'f64', layout, STAGING), dequantizePixelsKernel(t, layout, STAGING)]);
  test('quantize places each sample from its own first pixel; dequantize reads them back in order', () => {
    const xs = specialValues(layout.scale).slice(0, 24);
    new Float64Array(memory, STAGING, 24).set(xs);
    fns[0]!();
    const mem = new Int8Array(memory);
    for (let r = 0; r < 8; r++) for (let j = 0; j < 3; j++) expect(mem[addr(r, j)], `${r},${j}`).toBe(Int8Array.of(quantizeToInt8(xs[r * 3 + j]!, layout.scale, layout.zp))[0]);
    fns[1]!();
    const back = new Float32Array(memory, STAGING, 24);
    for (let i = 0; i < 24; i++) expect(back[i]).toBe(Math.fround((mem[addr(Math.floor(i / 3), i % 3)]! - layout.zp) * layout.scale));
  });
});

describe('pixel kernels: any layout', async () => {
  // 3×2 pixels of 5 channels, rows 8 bytes apart, lines 32 apart; channel-major values
  const layout: EdgeLayout = { offset: 4096, rows: 6, rowBytes: 5, rowStride: 8, width: 2, lineStride: 32, sampleRows: 6, sampleStride: 0, scale: 0.05, zp: -9, channelMajor: { channels: 5, pixels: 6 } };
  const addr = (r: number, j: number): number => layout.offset + Math.floor(r / 2) * 32 + (r % 2) * 8 + j;
  const STAGING = 8192;
  const { fns, memory } = await kernelModule((t) => [quantizePixelsKernel(t, 'f64', layout, STAGING), dequantizePixelsKernel(t, layout, STAGING)]);
  test('quantize reads channel-major values into strided pixels; dequantize writes them back in that order', () => {
    const xs = specialValues(layout.scale).slice(0, 30);
    new Float64Array(memory, STAGING, 30).set(xs);
    fns[0]!();
    const mem = new Int8Array(memory);
    for (let r = 0; r < 6; r++) for (let j = 0; j < 5; j++) expect(mem[addr(r, j)], `${r},${j}`).toBe(Int8Array.of(quantizeToInt8(xs[j * 6 + r]!, layout.scale, layout.zp))[0]);
    fns[1]!();
    const out = new Float32Array(memory, STAGING, 30);
    for (let r = 0; r < 6; r++) for (let j = 0; j < 5; j++) expect(out[j * 6 + r]).toBe(f32(dequantize(mem[addr(r, j)]!, layout.scale, layout.zp)));
  });
});

/** Through a whole module: stage, run_f32 / run_f64, and read the input codes and output values. */
async function runFloats(p: Program, simd: boolean, sample: ArrayLike<number>, elem: FloatElem): Promise<{ codes: Int8Array; out: Float32Array }> {
  const b = buildWasm(p, { simd });
  const { instance } = await webAssembly().instantiate(b.bytes, {});
  const x = instance.exports as Record<string, unknown>;
  const buffer = (x['memory'] as { buffer: ArrayBuffer }).buffer;
  const g = (name: string): number => (x[name] as { value: number }).value;
  const n = p.input.rows * p.input.rowBytes;
  (elem === 'f32' ? new Float32Array(buffer, g('input_floats'), n) : new Float64Array(buffer, g('input_floats'), n)).set(sample);
  (x[`run_${elem}`] as () => void)();
  const codes = new Int8Array(n);
  for (let r = 0; r < p.input.rows; r++) {
    const at = g('input_offset') + Math.floor(r / g('input_width')) * g('input_line_stride') + (r % g('input_width')) * g('input_row_stride');
    codes.set(new Int8Array(buffer, at, p.input.rowBytes), r * p.input.rowBytes);
  }
  return { codes, out: new Float32Array(buffer, g('output_floats'), p.outputs[0]!.rows * p.outputs[0]!.rowBytes).slice() };
}

describe('run_f32 and run_f64 = quantizeInput → interpret → dequantizeOutput', () => {
  const digits = compileDigitsMlp().program;
  const cnn = compileGraph(randomCnn(5), randomSamples(4, 9 * 8 * 3, 5), { rows: 4, cols: 4 });
  const chw: Program = { ...cnn, input: { ...cnn.input, layout: 'chw' }, outputs: [cnn.outputs[0]!.shape.length === 3 ? { ...cnn.outputs[0]!, layout: 'chw' } : cnn.outputs[0]!] };
  // an input scale fastQuantizer refuses: run_f32 divides
  const unproven: Program = { ...digits, input: { ...digits.input, scale: f32(0.045) / 2.5, zp: 0 } };
  // an input scale whose reciprocal is no float32: run_f32 keeps the f64x2 kernel
  const tiny: Program = { ...digits, input: { ...digits.input, scale: 1e-39, zp: 3 } };
  test('the digits MLP\'s input scale has a fast quantizer; the unproven one has none; the f32x4 kernel applies to both, not to the tiny scale', () => {
    expect(fastQuantizer(digits.input.scale, digits.input.zp)).not.toBeNull();
    expect(fastQuantizer(unproven.input.scale, 0)).toBeNull();
    expect([f32x4Applies(digits.input.scale, digits.input.zp), f32x4Applies(unproven.input.scale, 0), f32x4Applies(1e-39, 3)]).toEqual([true, true, false]);
  });
  const cases: [string, Program, boolean][] = [
    ['digits MLP, SIMD', digits, true], ['digits MLP, scalar', digits, false], ['channel-major CNN, SIMD', chw, true],
    ['input scale without a fast reciprocal', unproven, true], ['input scale without a float32 reciprocal', tiny, true],
  ];
  test.each(cases)('%s', async (_, p, simd) => {
    const n = p.input.rows * p.input.rowBytes;
    const specials = specialValues(p.input.scale);
    const samples = [...randomSamples(2, n, 8, -1, 2), Array.from({ length: n }, (_, i) => specials[i % specials.length]!), new Array<number>(n).fill(f32(0.045))];
    for (const sample of samples) {
      for (const elem of ['f32', 'f64'] as const) {
        const values = elem === 'f32' ? Float32Array.from(sample) : Float64Array.from(sample);
        const want = quantizeInput(p, values);
        const { codes, out } = await runFloats(p, simd, values, elem);
        expect(Array.from(codes)).toEqual(Array.from(want));
        expect(Array.from(out)).toEqual(Array.from(Float32Array.from(dequantizeOutput(p, interpret(p, want)))));
      }
    }
  });
});
