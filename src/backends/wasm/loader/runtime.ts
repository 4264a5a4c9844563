// SPDX-License-Identifier: MIT
/**
 * The generated loader's code, type-checked here: emitLoader (loader.ts) writes `createLoad`'s text
 * into model.mjs next to isa/numerics.ts's own quantizeToInt8, so the loader quantizes with the
 * very function the compiler uses. `createLoad` must stay self-contained: it may use only its
 * parameters and globals, never another binding of this module (only its text is copied).
 */

/** What model.mjs knows about its module: the program's shapes, and where to find the .wasm. */
export interface LoaderSetup {
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly inputLayout: 'hwc' | 'chw';
  /** 'chw': a feature-map output is given channel-major (as the source model did), as `nnchip run` prints it. */
  readonly outputLayout: 'hwc' | 'chw';
  readonly batch: number;
  /** The .wasm beside model.mjs, and model.mjs's own URL (relative sources resolve against it outside a browser). */
  readonly defaultSource: URL;
  readonly moduleUrl: string;
}

export type Quantize = (x: number, scale: number, zp: number) => number;

/** The part of the WebAssembly API the loader uses, typed here (the project's ES2022 lib has no WebAssembly declarations). */
interface WasmModule {
  readonly __module: never;
}
type WasmExports = Readonly<Record<string, unknown>>;
interface WasmApi {
  readonly Module: abstract new (...args: never[]) => WasmModule;
  instantiate(module: WasmModule, imports: object): Promise<{ exports: WasmExports }>;
  instantiate(bytes: ArrayBuffer | ArrayBufferView, imports: object): Promise<{ instance: { exports: WasmExports } }>;
}

type Values = ArrayLike<number> & { readonly length: number };
type Flat = Int8Array | Float32Array | Float64Array | Exclude<ArrayLike<number>, string>;

export function createLoad(setup: LoaderSetup, quantizeToInt8: Quantize) {
  const { inputShape, outputShape, inputLayout, outputLayout, batch } = setup;
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

  async function moduleBytes(source: unknown): Promise<WasmModule | ArrayBuffer | ArrayBufferView> {
    if (source instanceof wasm.Module || source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return source;
    if (typeof Response !== 'undefined' && source instanceof Response) return source.arrayBuffer();
    const page = (globalThis as { location?: { href: string } }).location;
    const url = source instanceof URL ? source : new URL(String(source), page === undefined ? setup.moduleUrl : page.href);
    if (url.protocol === 'file:') {
      const fs = await import('node:fs/promises');
      return fs.readFile(url);
    }
    const response = await fetch(url);
    if (!response.ok) throw new Error(`cannot fetch ${url.href}: HTTP ${response.status}`);
    return response.arrayBuffer();
  }

  /** A tensor's place in memory, from the module's input_* and output_* globals (the TensorInfo of model.d.ts). */
  function tensorOf(exports: WasmExports, name: string, shape: readonly number[]) {
    const g = (field: string): number => (exports[`${name}_${field}`] as { value: number }).value;
    return Object.freeze({
      shape, offset: g('offset'), rows: g('rows'), rowBytes: g('row_bytes'), rowStride: g('row_stride'),
      width: g('width'), lineStride: g('line_stride'), length: g('length'), scale: g('scale'), zeroPoint: g('zero_point'),
    });
  }

  /** Address of row (pixel) r: `width` pixels per line, lines `lineStride` bytes apart. */
  function pixel(t: ReturnType<typeof tensorOf>, r: number): number {
    return t.offset + Math.floor(r / t.width) * t.lineStride + (r % t.width) * t.rowStride;
  }

  /** Index into a sample of code i: codes are pixel-major; a 'chw' sample is channel-major. */
  const sampleIndex = inputLayout === 'chw' && inputShape.length === 3
    ? (i: number): number => (i % inputShape[2]!) * inputShape[0]! * inputShape[1]! + Math.floor(i / inputShape[2]!)
    : (i: number): number => i;

  return async function load(source: unknown = setup.defaultSource) {
    const bytes = await moduleBytes(source);
    const instance = bytes instanceof wasm.Module ? await wasm.instantiate(bytes, {}) : (await wasm.instantiate(bytes, {})).instance;
    const x = instance.exports;
    const input = tensorOf(x, 'input', inputShape);
    const output = tensorOf(x, 'output', outputShape);
    const memory = new Int8Array((x['memory'] as { buffer: ArrayBuffer }).buffer); // fixed size: the module cannot grow its memory
    const runModule = x['run'] as () => void;
    const count = (n: number, per: number, what: string): number => {
      if (n === 0 || n % per !== 0) throw new RangeError(`${what} has ${n} values; expected a multiple of ${per}`);
      return n / per;
    };
    const writeInput = (codes: Int8Array, at: number): void => {
      for (let r = 0; r < input.rows; r++) memory.set(codes.subarray(at + r * input.rowBytes, at + (r + 1) * input.rowBytes), pixel(input, r));
    };
    const { scale: inScale, zeroPoint: inZp, rowBytes: inRowBytes } = input;
    // rows back to back in memory and samples in code order: one flat loop (the common case)
    let flat = sampleIndex(1) === 1 || input.length === 1;
    for (let r = 0; r < input.rows && flat; r++) flat = pixel(input, r) === input.offset + r * inRowBytes;
    /** Sample s of values, quantized straight into the input rows. */
    const quantizeInput = (values: Flat, s: number): void => {
      const base = s * input.length;
      if (flat) {
        for (let i = 0, at = input.offset; i < input.length; i++) memory[at + i] = quantizeToInt8(Number(values[base + i]), inScale, inZp);
        return;
      }
      for (let r = 0, i = 0; r < input.rows; r++) {
        const at = pixel(input, r) - i;
        for (const end = i + inRowBytes; i < end; i++) memory[at + i] = quantizeToInt8(Number(values[base + sampleIndex(i)]), inScale, inZp);
      }
    };
    /** The output rows, as codes or dequantized, to out[to..]. */
    /** Where channel j of output pixel r goes: pixel-major, or channel-major for a 'chw' map. */
    const outputIndex = outputLayout === 'chw' && outputShape.length === 3 ? (r: number, j: number) => j * output.rows + r : (r: number, j: number) => r * output.rowBytes + j;
    const readOutput = (out: Int8Array | Float32Array, to: number, real: boolean): void => {
      for (let r = 0; r < output.rows; r++) {
        const at = pixel(output, r);
        for (let j = 0; j < output.rowBytes; j++) out[to + outputIndex(r, j)] = real ? (memory[at + j]! - output.zeroPoint) * output.scale : memory[at + j]!;
      }
    };
    /**
     * Run the samples of `data` (`per` values each) through a module taking `batch` samples per
     * run(): each run gets the next group, the last one padded with zeros (as isa/program.ts
     * quantizeBatches pads), whose outputs are dropped; `fill(src, at)` places one whole group.
     */
    function inGroups<D extends Int8Array | Float32Array | Float64Array, O extends Int8Array | Float32Array>(data: D, per: number, make: (n: number) => O, fill: (src: D, at: number) => void, real: boolean): O {
      const n = count(data.length, per, 'input');
      const outPer = output.length / batch;
      const out = make(n * outPer);
      const whole = make(output.length);
      for (let s = 0; s < n; s += batch) {
        const left = n - s;
        if (left >= batch) fill(data, s * per);
        else {
          const padded = new (data.constructor as new (n: number) => D)(input.length);
          padded.set(data.subarray(s * per, n * per));
          fill(padded, 0);
        }
        runModule();
        if (left >= batch) readOutput(out, s * outPer, real);
        else {
          readOutput(whole, 0, real);
          out.set(whole.subarray(0, left * outPer), s * outPer);
        }
      }
      return out;
    }
    function runRaw(codes: Int8Array): Int8Array {
      return inGroups(codes, input.length / batch, (n) => new Int8Array(n), writeInput, false);
    }
    function run(values: Values): Float32Array {
      const data = values instanceof Float32Array || values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>, Number);
      return inGroups(data as Float32Array | Float64Array, input.length / batch, (n) => new Float32Array(n), (src, at) => quantizeInput(src, at / input.length), true);
    }
    function quantize(values: Values): Int8Array {
      count(values.length, input.length / batch, 'input');
      const codes = new Int8Array(values.length);
      for (let i = 0; i < codes.length; i++) codes[i] = quantizeToInt8(Number(values[i - (i % input.length) + sampleIndex(i % input.length)]), input.scale, input.zeroPoint);
      return codes;
    }
    function dequantize(codes: Int8Array): Float32Array {
      const out = new Float32Array(codes.length);
      for (let i = 0; i < codes.length; i++) out[i] = (codes[i]! - output.zeroPoint) * output.scale;
      return out;
    }
    return Object.freeze({ input, output, batch, run, runRaw, quantize, dequantize, exports: x });
  };
}
