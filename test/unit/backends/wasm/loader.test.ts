/**
 * The generated loader (model.mjs), imported from disk as a user would: load() from the file
 * beside it, from bytes and from a path; quantize = quantizeInput exactly (fast-check, with
 * halfway points, huge, tiny and non-finite values, and channel-major samples); run = dequantized
 * interpret; batches are concatenated samples.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { emitWasm } from '../../../../src/backends/wasm/emit.js';
import { emitLoader } from '../../../../src/backends/wasm/loader/loader.js';
import { loadModel } from '../../../../src/importers/index.js';
import { interpret } from '../../../../src/isa/interpret.js';
import { batchSlice, dequantizeOutput, pixelAddress, quantizeBatches, quantizeInput, type Program } from '../../../../src/isa/program.js';
import { compileDigitsMlp, compileGraph } from '../../../helpers/compile.js';
import { randomCnn } from '../../../helpers/random-cnn.js';
import { randomSamples } from '../../../helpers/random-graph.js';

interface Net {
  run(x: ArrayLike<number>): Float32Array;
  runRaw(x: Int8Array): Int8Array;
  quantize(x: ArrayLike<number>): Int8Array;
  readonly input: { readonly length: number };
}
interface LoaderModule {
  load(source?: unknown): Promise<Net>;
  inputShape: readonly number[];
}

const SEED = Number(process.env['FC_SEED'] ?? 20251123);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Write model.wasm + model.mjs + model.d.mts to a fresh folder and import the loader. */
async function written(p: Program, name = 'model'): Promise<{ dir: string; loader: LoaderModule; bytes: Uint8Array }> {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-wasm-'));
  dirs.push(dir);
  const bytes = emitWasm(p);
  const files = emitLoader(p, `${name}.wasm`);
  writeFileSync(join(dir, `${name}.wasm`), bytes);
  writeFileSync(join(dir, `${name}.mjs`), files.mjs);
  writeFileSync(join(dir, `${name}.d.mts`), files.dts);
  const loader = (await import(pathToFileURL(join(dir, `${name}.mjs`)).href)) as LoaderModule;
  return { dir, loader, bytes };
}

const digits = compileDigitsMlp().program;
const { loader, bytes, dir } = await written(digits, 'digits');

describe('load', () => {
  test('from the default file, from bytes, from a path and from a file URL', async () => {
    const x = randomSamples(1, 784, 1)[0]!;
    const want = Array.from(interpret(digits, quantizeInput(digits, x)));
    for (const source of [undefined, bytes, join(dir, 'digits.wasm'), pathToFileURL(join(dir, 'digits.wasm'))]) {
      const net = await loader.load(source);
      expect(Array.from(net.runRaw(quantizeInput(digits, x)))).toEqual(want);
    }
    expect(loader.inputShape).toEqual(digits.input.shape);
  });
});

describe('run', () => {
  test('run = dequantize(interpret(quantizeInput(x))), per sample and for a concatenated batch', async () => {
    const net = await loader.load();
    const xs = randomSamples(5, 784, 2, -0.5, 1.5);
    const singles = xs.map((x) => {
      const want = Float32Array.from(dequantizeOutput(digits, interpret(digits, quantizeInput(digits, x))));
      const got = net.run(x);
      expect(got).toEqual(want);
      return got;
    });
    const batch = new Float32Array(xs.length * 784);
    xs.forEach((x, i) => batch.set(x, i * 784));
    expect(Array.from(net.run(batch))).toEqual(singles.flatMap((s) => Array.from(s)));
  });

  test('an input stored as the first layer\'s windows (the MNIST CNN): run and runRaw take the codes as given', async () => {
    const cnn = compileGraph(loadModel(new URL('../../../../examples/digits-cnn/model.json', import.meta.url).pathname), randomSamples(4, 784, 7, 0, 1), { rows: 8, cols: 8 });
    expect(cnn.input.windows).toBeDefined();
    const net = await (await written(cnn, 'cnn')).loader.load();
    for (const x of randomSamples(2, 784, 8, 0, 1)) {
      const codes = quantizeInput(cnn, x);
      expect(Array.from(net.runRaw(codes))).toEqual(Array.from(interpret(cnn, codes)));
      expect(Array.from(net.run(x))).toEqual(Array.from(Float32Array.from(dequantizeOutput(cnn, interpret(cnn, codes)))));
    }
  });

  test('a module compiled --batch 4 takes any number of samples: 7 = one full group + one padded', async () => {
    const { program: batched } = compileDigitsMlp({}, 4);
    const { loader: b4 } = await written(batched, 'digits-b4');
    const net = (await b4.load()) as Net & { batch: number };
    expect(net.batch).toBe(4);
    const xs = randomSamples(7, 784, 5, -0.5, 1.5);
    const flat = new Float32Array(7 * 784);
    xs.forEach((x, i) => flat.set(x, i * 784));
    const want = xs.flatMap((x) => Array.from(Float32Array.from(dequantizeOutput(digits, interpret(digits, quantizeInput(digits, x))))));
    expect(Array.from(net.run(flat))).toEqual(want);
    const codes = new Int8Array(7 * 784);
    xs.forEach((x, i) => codes.set(quantizeInput(digits, x), i * 784));
    expect(Array.from(net.runRaw(codes))).toEqual(xs.flatMap((x) => Array.from(interpret(digits, quantizeInput(digits, x)))));
    expect(Array.from(net.quantize(flat))).toEqual(Array.from(codes));
  });

  test('a convolutional network compiled --batch 2 (samples stacked with a border between them): 3 samples = one full group + one padded', async () => {
    const graph = randomCnn(9);
    const cal = randomSamples(4, 9 * 8 * 3, 9, -1, 1);
    const single = compileGraph(graph, cal, { rows: 4, cols: 4 });
    const batched = compileGraph(graph, cal, { rows: 4, cols: 4 }, 2);
    expect(batched.input.sampleStride).toBeGreaterThan(batched.input.sampleRows! * batched.input.rowStride);
    const net = await (await written(batched, 'cnn-b2')).loader.load();
    const xs = randomSamples(3, 9 * 8 * 3, 10, -2, 2);
    const flat = Float32Array.from(xs.flatMap((x) => Array.from(x)));
    const codes = xs.map((x) => interpret(single, quantizeInput(single, x)));
    const given = Int8Array.from(xs.flatMap((x) => Array.from(quantizeInput(single, x))));
    expect(Array.from(net.runRaw(given))).toEqual(codes.flatMap((c) => Array.from(c)));
    expect(Array.from(net.run(flat))).toEqual(codes.flatMap((c) => Array.from(Float32Array.from(dequantizeOutput(single, c)))));
  });

  test('batch padding has one owner: the padded last group in the module = quantizeBatches\'s last group', async () => {
    const { program: batched } = compileDigitsMlp({}, 4);
    expect(emitLoader(batched, 'm.wasm').mjs).toContain(batchSlice.toString());
    const net = (await (await written(batched, 'digits-b4-pad')).loader.load()) as Net & { exports: Record<string, unknown> };
    const xs = randomSamples(5, 784, 9, -0.5, 1.5);
    const groups = quantizeBatches(batched, xs);
    expect(groups).toHaveLength(2);
    const t = batched.input;
    const inputCodes = (): number[] => {
      const mem = new Int8Array((net.exports['memory'] as { buffer: ArrayBuffer }).buffer);
      return Array.from({ length: t.rows }, (_, r) => Array.from(mem.subarray(pixelAddress(t, r), pixelAddress(t, r) + t.rowBytes))).flat();
    };
    const all = xs.flatMap((x) => Array.from(x));
    for (const flat of [Float32Array.from(all), Float64Array.from(all)]) {
      net.run(flat);
      expect(inputCodes()).toEqual(Array.from(groups[1]!));
    }
  });

  test('a sample of the wrong size is refused', async () => {
    const net = await loader.load();
    expect(() => net.run(new Float32Array(783))).toThrow(/multiple of 784/);
    expect(() => net.runRaw(new Int8Array(0))).toThrow(RangeError);
  });
});

describe('quantize = quantizeInput, exactly', () => {
  const scale = digits.input.scale;
  const special = fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e300, -1e300, 5e-324, scale / 2, -scale / 2, 127.5 * scale, -128.5 * scale);
  const halfway = fc.integer({ min: -300, max: 300 }).map((k) => (k + 0.5) * scale);
  test('fast-check: doubles, halfway points and special values', async () => {
    const net = await loader.load();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.double(), halfway, special, fc.double({ min: -2, max: 2 })), { minLength: 784, maxLength: 784 }), async (xs) => {
        expect(Array.from(net.quantize(xs))).toEqual(Array.from(quantizeInput(digits, xs)));
      }),
      { numRuns: 60, seed: SEED },
    );
  });

  test('channel-major (chw) samples are reordered as quantizeInput reorders them', async () => {
    const cnn = compileGraph(randomCnn(5), randomSamples(4, 9 * 8 * 3, 5), { rows: 4, cols: 4 });
    const chw: Program = { ...cnn, input: { ...cnn.input, layout: 'chw' } };
    const net = await (await written(chw)).loader.load();
    for (const x of randomSamples(3, 9 * 8 * 3, 6, -1, 1)) {
      expect(Array.from(net.quantize(x))).toEqual(Array.from(quantizeInput(chw, x)));
      expect(Array.from(net.run(x))).toEqual(Array.from(Float32Array.from(dequantizeOutput(chw, interpret(chw, quantizeInput(chw, x))))));
    }
  });
});
