/**
 * A program of several outputs through the WebAssembly back end: the module's run() leaves every
 * output where interpret reads it (instance runRaw = interpret, all outputs one after the other),
 * run_f32/run_f64 stage every output's values after the previous one's, each dequantized by its
 * own scale and zero point and in its own layout (a 'chw' map channel-major), with output${k}_*
 * globals for k ≥ 1; the generated loader's run(), runRaw() and dequantize() give each sample's
 * values of every output, `outputs` saying where each starts. The programs are compiled from
 * graphs of two and three outputs (dense heads of different sizes and scales, a hidden layer that
 * also feeds the others, feature maps stored with padded rows and lines).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { buildWasm, emitWasm } from '../../../../src/backends/wasm/emit.js';
import { instantiate, webAssembly } from '../../../../src/backends/wasm/instance.js';
import { emitLoader } from '../../../../src/backends/wasm/loader/loader.js';
import type { Graph } from '../../../../src/ir/graph.js';
import { interpret } from '../../../../src/isa/interpret.js';
import { toModelLayout } from '../../../../src/isa/layout.js';
import { dequantizeOutput, outputParts, outputSize, quantizeInput, tensorSize, type DramTensor, type Program } from '../../../../src/isa/program.js';
import { compileDigitsMlp, compileGraph } from '../../../helpers/compile.js';
import { builder } from '../../../helpers/random-cnn.js';
import { randomSamples } from '../../../helpers/random-graph.js';

/** input [8] → dense 8→6 relu `h` → heads `a` (3 values) and `b` (5, a wider weight range: another scale). */
function denseHeads(outputs: string[]): Graph {
  const b = builder(1);
  b.add({ name: 'h', op: 'dense', inputs: ['input'], output: 'h', kernel: b.tensor([8, 6]), bias: b.tensor([6]), activation: 'relu' });
  b.add({ name: 'a', op: 'dense', inputs: ['h'], output: 'a', kernel: b.tensor([6, 3]), bias: b.tensor([3]), activation: 'linear' });
  b.add({ name: 'b', op: 'dense', inputs: ['h'], output: 'b', kernel: b.tensor([6, 5], 2), bias: b.tensor([5]), activation: 'linear' });
  return { name: 'heads', inputs: [{ name: 'input', shape: [8] }], nodes: b.nodes, outputs, notes: [] };
}

/** input [6, 5, 2] → conv `c1` (a 6×5×3 map) → strided conv `c2` (3×3×5) and global pool → dense `d` (4): the outputs c2, d, c1. */
function maps(layout: 'hwc' | 'chw'): Graph {
  const c = builder(2);
  c.add({ name: 'c1', op: 'conv2d', inputs: ['input'], output: 'c1', kernel: c.tensor([3, 3, 2, 3], 0.6), bias: c.tensor([3], 0.2), strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'relu' });
  c.add({ name: 'c2', op: 'conv2d', inputs: ['c1'], output: 'c2', kernel: c.tensor([3, 3, 3, 5], 0.6), bias: c.tensor([5], 0.2), strides: [2, 2], pads: [1, 1, 1, 1], depthwise: false, activation: 'linear' });
  c.add({ name: 'gap', op: 'globalAvgPool', inputs: ['c1'], output: 'gap' });
  c.add({ name: 'd', op: 'dense', inputs: ['gap'], output: 'd', kernel: c.tensor([3, 4]), bias: c.tensor([4]), activation: 'linear' });
  return { name: `maps-${layout}`, inputs: [{ name: 'input', shape: [6, 5, 2], layout }], nodes: c.nodes, outputs: ['c2', 'd', 'c1'], notes: [] };
}

const CONFIG = { rows: 4, cols: 4 };
const PROGRAMS: [string, Program][] = [
  ['two dense heads', compileGraph(denseHeads(['a', 'b']), randomSamples(16, 8, 1, -1, 1), CONFIG)],
  ['three outputs, one a hidden layer', compileGraph(denseHeads(['b', 'h', 'a']), randomSamples(16, 8, 1, -1, 1), CONFIG)],
  ['two channel-major maps and a vector', compileGraph(maps('chw'), randomSamples(16, 60, 3, -1, 1), CONFIG)],
  ['two pixel-major maps and a vector', compileGraph(maps('hwc'), randomSamples(16, 60, 3, -1, 1), CONFIG)],
];
const BUILDS = [true, false].map((simd) => ({ simd }));

/** One sample's output codes or values, each output's part in its model layout (toModelLayout): what run() and runRaw() give. */
function inModelLayout<T extends Int8Array | Float64Array>(p: Program, values: T): T {
  const out = values.slice() as T;
  for (const { t, offset, size } of outputParts(p)) out.set(toModelLayout(t, values.slice(offset, offset + size) as T), offset);
  return out;
}

/** A sample's codes and values as the reference gives them: interpret's codes, dequantizeOutput's values rounded to f32, both in the model layout. */
function reference(p: Program, x: ArrayLike<number>): { codes: Int8Array; values: Float32Array } {
  const stored = interpret(p, quantizeInput(p, x));
  return { codes: inModelLayout(p, stored), values: Float32Array.from(inModelLayout(p, dequantizeOutput(p, stored))) };
}

const concat = <T extends Int8Array | Float32Array>(parts: readonly T[], make: (n: number) => T): T => {
  const out = make(parts.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of parts) out.set(a, at), (at += a.length);
  return out;
};

test('the programs have several outputs, of different scales; the maps are stored with padded rows, and channel-major where the model is', () => {
  for (const [name, p] of PROGRAMS) {
    expect(p.outputs.length, name).toBeGreaterThan(1);
    expect(new Set(p.outputs.map((t) => t.scale)).size, name).toBe(p.outputs.length);
  }
  const [chw, hwc] = [PROGRAMS[2]![1], PROGRAMS[3]![1]];
  expect(chw.outputs.map((t) => t.layout ?? 'hwc')).toEqual(['chw', 'hwc', 'chw']);
  expect(hwc.outputs.map((t) => t.layout ?? 'hwc')).toEqual(['hwc', 'hwc', 'hwc']);
  for (const p of [chw, hwc]) expect(p.outputs.filter((t) => t.rowStride > t.rowBytes).map((t) => t.name)).toEqual(['c2', 'c1']);
});

describe.each(PROGRAMS)('%s', (_, p) => {
  const n = tensorSize(p.input);
  const xs = randomSamples(4, n, 11, -1.5, 1.5);

  test.each(BUILDS)('the module: runRaw = interpret (every output, one after the other), and the output${k}_* globals (simd: $simd)', async (opts) => {
    const m = await instantiate(emitWasm(p, opts));
    for (const x of xs) {
      const codes = quantizeInput(p, x);
      expect(Array.from(m.runRaw(codes))).toEqual(Array.from(interpret(p, codes)));
      // into an array of its own too
      const into = new Int8Array(outputSize(p));
      expect(m.runRaw(codes, into)).toBe(into);
      expect(Array.from(into)).toEqual(Array.from(interpret(p, codes)));
    }
    const floats = m.global('output_floats');
    for (const { t, offset } of outputParts(p)) {
      const k = offset === 0 ? '' : String(p.outputs.indexOf(t));
      expect(m.global(`output${k}_offset`)).toBe(t.dram);
      expect([m.global(`output${k}_rows`), m.global(`output${k}_row_bytes`), m.global(`output${k}_row_stride`), m.global(`output${k}_width`)]).toEqual([t.rows, t.rowBytes, t.rowStride, t.width ?? t.rows]);
      expect(m.global(`output${k}_length`)).toBe(t.rows * t.rowBytes);
      expect(m.global(`output${k}_scale`)).toBe(t.scale);
      expect(m.global(`output${k}_zero_point`)).toBe(t.zp);
      if (k !== '') expect(m.global(`output${k}_floats`)).toBe(floats + 4 * offset);
    }
    expect(m.exports[`output${p.outputs.length}_offset`]).toBeUndefined();
    expect(m.exports['output0_offset']).toBeUndefined();
  });

  test.each(BUILDS)('run_f32 and run_f64 stage every output\'s values, each by its own scale and in its own layout (simd: $simd)', async (opts) => {
    const b = buildWasm(p, opts);
    const { instance } = await webAssembly().instantiate(b.bytes, {});
    const x = instance.exports;
    const buffer = (x['memory'] as { buffer: ArrayBuffer }).buffer;
    const g = (name: string): number => (x[name] as { value: number }).value;
    // the staging area holds all of them, inside the module's memory
    expect(b.plan.staging.output + 4 * outputSize(p)).toBeLessThanOrEqual(b.plan.end);
    for (const sample of xs)
      for (const elem of ['f32', 'f64'] as const) {
        (elem === 'f32' ? new Float32Array(buffer, g('input_floats'), n) : new Float64Array(buffer, g('input_floats'), n)).set(sample);
        (x[`run_${elem}`] as () => void)();
        expect(Array.from(new Float32Array(buffer, g('output_floats'), outputSize(p))), elem).toEqual(Array.from(reference(p, sample).values));
      }
  });

  test('two builds give identical bytes', () => {
    for (const opts of BUILDS) expect(emitWasm(p, opts)).toEqual(emitWasm(p, opts));
  });
});

test('an output over weights keeps them unpacked, as output 0 does: its codes are the weights as given', async () => {
  const digits = compileDigitsMlp().program;
  const packed = buildWasm(digits).packed[0]!;
  const C = digits.config.cols;
  const over: DramTensor = { name: 'w', shape: [2, 1, C], layout: 'chw', dram: packed.start, rows: 2, rowBytes: C, rowStride: C, scale: 0.5, zp: 3 };
  const p: Program = { ...digits, outputs: [...digits.outputs, over] };
  for (const opts of BUILDS) {
    const b = buildWasm(p, opts);
    expect(b.packed.some((r) => r.start < over.dram + 2 * C && over.dram < r.start + r.rows * C)).toBe(false);
    const m = await instantiate(b.bytes);
    const codes = quantizeInput(p, randomSamples(1, 784, 13)[0]!);
    expect(Array.from(m.runRaw(codes))).toEqual(Array.from(interpret(p, codes)));
  }
});

test('outputs whose shapes do not match their rows are refused (their values would not follow each other)', () => {
  const p = PROGRAMS[0]![1];
  const bad: Program = { ...p, outputs: [p.outputs[0]!, { ...p.outputs[1]!, shape: [tensorSize(p.outputs[1]!) + 1] }] };
  expect(() => emitWasm(bad)).toThrow(/output "b": 1 rows of 5 bytes do not hold its shape \[6\]/);
});

interface OutputInfo {
  readonly name: string;
  readonly shape: readonly number[];
  readonly layout: string;
  readonly start: number;
  readonly length: number;
  readonly scale: number;
  readonly zeroPoint: number;
  readonly offset: number;
}
interface Net {
  run(x: ArrayLike<number>): Float32Array;
  runRaw(x: Int8Array): Int8Array;
  quantize(x: ArrayLike<number>): Int8Array;
  dequantize(codes: Int8Array): Float32Array;
  readonly batch: number;
  readonly input: { readonly length: number };
  readonly output: OutputInfo;
  readonly outputs: readonly OutputInfo[];
}
interface LoaderModule {
  load(source?: unknown): Promise<Net>;
  readonly outputShape: readonly number[];
  readonly outputLayout: string;
  readonly outputs?: readonly { name: string; shape: number[]; layout: string; start: number }[];
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Write model.wasm + model.mjs + model.d.mts to a fresh folder and import the loader. */
async function written(p: Program): Promise<{ dir: string; loader: LoaderModule }> {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-outputs-'));
  dirs.push(dir);
  const files = emitLoader(p, 'model.wasm');
  writeFileSync(join(dir, 'model.wasm'), emitWasm(p));
  writeFileSync(join(dir, 'model.mjs'), files.mjs);
  writeFileSync(join(dir, 'model.d.mts'), files.dts);
  return { dir, loader: (await import(pathToFileURL(join(dir, 'model.mjs')).href)) as LoaderModule };
}

describe.each(PROGRAMS)('the loader: %s', (_, p) => {
  const n = tensorSize(p.input);
  const xs = randomSamples(3, n, 12, -1.5, 1.5);
  const want = xs.map((x) => reference(p, x));

  test('outputs: each one\'s name, shape, layout and start; output = outputs[0]; outputShape and outputLayout are output 0\'s', async () => {
    const { loader } = await written(p);
    const net = await loader.load();
    const parts = outputParts(p).map(({ t, offset }) => ({ name: t.name, shape: t.shape, layout: t.layout ?? 'hwc', start: offset }));
    expect(loader.outputs).toEqual(parts);
    expect(net.outputs.map(({ name, shape, layout, start }) => ({ name, shape, layout, start }))).toEqual(parts);
    expect(net.outputs.map((t) => [t.length, t.scale, t.zeroPoint, t.offset])).toEqual(p.outputs.map((t) => [t.rows * t.rowBytes, t.scale, t.zp, t.dram]));
    expect(net.output).toBe(net.outputs[0]);
    expect([loader.outputShape, loader.outputLayout]).toEqual([p.outputs[0]!.shape, p.outputs[0]!.layout ?? 'hwc']);
    expect(Object.isFrozen(net.outputs) && net.outputs.every(Object.isFrozen)).toBe(true);
  });

  test('runRaw and run give every output\'s codes and values, per sample and for concatenated samples', async () => {
    const net = await (await written(p)).loader.load();
    xs.forEach((x, i) => {
      expect(Array.from(net.runRaw(quantizeInput(p, x))), `sample ${i}`).toEqual(Array.from(want[i]!.codes));
      for (const given of [Float32Array.from(x), Float64Array.from(x), Array.from(x)]) expect(Array.from(net.run(given)), `sample ${i}`).toEqual(Array.from(want[i]!.values));
    });
    const codes = concat(xs.map((x) => quantizeInput(p, x)), (k) => new Int8Array(k));
    expect(Array.from(net.runRaw(codes))).toEqual(Array.from(concat(want.map((w) => w.codes), (k) => new Int8Array(k))));
    const values = concat(xs.map((x) => Float32Array.from(x)), (k) => new Float32Array(k));
    expect(Array.from(net.run(values))).toEqual(Array.from(concat(want.map((w) => w.values), (k) => new Float32Array(k))));
    expect(Array.from(net.quantize(values))).toEqual(Array.from(codes));
  });

  test('dequantize: each output\'s codes by its own scale and zero point, for one sample or several', async () => {
    const net = await (await written(p)).loader.load();
    expect(Array.from(net.dequantize(want[0]!.codes))).toEqual(Array.from(want[0]!.values));
    const codes = concat(want.map((w) => w.codes), (k) => new Int8Array(k));
    expect(Array.from(net.dequantize(codes))).toEqual(Array.from(concat(want.map((w) => w.values), (k) => new Float32Array(k))));
    expect(Array.from(net.dequantize(net.runRaw(quantizeInput(p, xs[1]!))))).toEqual(Array.from(net.run(xs[1]!)));
  });

  test('a sample of the wrong size is refused', async () => {
    const net = await (await written(p)).loader.load();
    expect(() => net.run(new Float32Array(n + 1))).toThrow(new RegExp(`multiple of ${n}`));
    expect(() => net.runRaw(new Int8Array(0))).toThrow(RangeError);
  });
});

test('the types of a loader of several outputs type-check, with OutputInfo, Net.outputs and the exported outputs', async () => {
  const { dir } = await written(PROGRAMS[2]![1]);
  const use = join(dir, 'use.mts');
  writeFileSync(use, [
    `import { load, outputs, outputShape, type OutputInfo } from './model.mjs';`,
    `const net = await load();`,
    `const first: OutputInfo = net.outputs[0]!;`,
    `const names: string[] = net.outputs.map((t) => t.name);`,
    `const starts: number[] = outputs.map((o) => o.start);`,
    `const v: Float32Array = net.run(new Float32Array(net.input.length));`,
    `export const used = [first.start, first.layout, names, starts, v, net.output.name, outputShape];`,
  ].join('\n'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022'], types: [], noUncheckedIndexedAccess: true }, files: ['use.mts'] }));
  // the project's own tsc, as test/helpers/global-setup.ts runs it
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  const run = (): string => {
    try {
      return execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    } catch (e) {
      return String((e as { stdout?: string }).stdout ?? e);
    }
  };
  expect(run()).toBe('');
});

test('a program of one output keeps its loader: no outputs list, no severalOutputs, and its types as they were', () => {
  const digits = compileDigitsMlp().program;
  const files = emitLoader(digits, 'digits.wasm');
  expect(files.mjs).not.toContain('severalOutputs');
  expect(files.mjs).not.toMatch(/export const outputs\b/);
  expect(files.dts).not.toContain('OutputInfo');
  const several = emitLoader(PROGRAMS[0]![1], 'm.wasm');
  expect(several.mjs).toContain('export const load = severalOutputs(outputs, createLoad(');
  expect(several.dts).toContain('readonly outputs: readonly OutputInfo[];');
});
