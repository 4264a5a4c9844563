// SPDX-License-Identifier: MIT
/**
 * The generated loader's code, type-checked here: emitLoader (loader.ts) writes `createLoad`'s text
 * into model.mjs next to isa/numerics.ts's quantizeToInt8 and isa/program.ts's batchSlice. run()
 * only copies floats: the module's run_f32/run_f64 quantize and dequantize (edges.ts). `createLoad`
 * must stay self-contained: it may use only its parameters and globals (only its text is copied).
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
/** isa/program.ts batchSlice: one run's samples, the last group padded with zero samples. */
export type BatchSlice = <T extends Int8Array | Float32Array | Float64Array>(data: T, per: number, batch: number, first: number) => T;

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

export function createLoad(setup: LoaderSetup, quantizeToInt8: Quantize, batchSlice: BatchSlice) {
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
    // a batch with a border between samples exports where each sample starts (else one sample)
    const sampled = exports[`${name}_sample_rows`] !== undefined;
    return Object.freeze({
      shape, offset: g('offset'), rows: g('rows'), rowBytes: g('row_bytes'), rowStride: g('row_stride'),
      width: g('width'), lineStride: g('line_stride'), sampleRows: sampled ? g('sample_rows') : g('rows'), sampleStride: sampled ? g('sample_stride') : 0,
      length: g('length'), scale: g('scale'), zeroPoint: g('zero_point'),
    });
  }

  /** Address of row (pixel) r: samples of `sampleRows` pixels `sampleStride` bytes apart; in each, `width` pixels per line, lines `lineStride` bytes apart. */
  function pixel(t: ReturnType<typeof tensorOf>, r: number): number {
    const q = r % t.sampleRows;
    return t.offset + Math.floor(r / t.sampleRows) * t.sampleStride + Math.floor(q / t.width) * t.lineStride + (q % t.width) * t.rowStride;
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
    /** The output rows' codes to out[to..], pixel-major, or channel-major for a 'chw' map. */
    const outputIndex = outputLayout === 'chw' && outputShape.length === 3 ? (r: number, j: number) => j * output.rows + r : (r: number, j: number) => r * output.rowBytes + j;
    const readOutput = (out: Int8Array, to: number): void => {
      for (let r = 0; r < output.rows; r++) {
        const at = pixel(output, r);
        for (let j = 0; j < output.rowBytes; j++) out[to + outputIndex(r, j)] = memory[at + j]!;
      }
    };
    // the module's float staging areas (input values as f32 or f64, output values as f32) and entry points
    const floats = (name: string): number => (x[`${name}_floats`] as { value: number }).value;
    const stagedF32 = new Float32Array(memory.buffer, floats('input'), input.length);
    const stagedF64 = new Float64Array(memory.buffer, floats('input'), input.length);
    const outputValues = new Float32Array(memory.buffer, floats('output'), output.length);
    const [runF32, runF64] = [x['run_f32'], x['run_f64']] as [() => void, () => void];
    /**
     * Run the samples of `data` (`per` values each) through a module taking `batch` samples per
     * run: each run gets the next group (batchSlice pads the last one, whose extra outputs are
     * dropped); `runGroup(group, out, at, outValues)` places one group, runs it and puts its first
     * outValues output values (those of real samples) at out[at..].
     */
    function inGroups<D extends Int8Array | Float32Array | Float64Array, O extends Int8Array | Float32Array>(data: D, make: (n: number) => O, runGroup: (group: D, out: O, at: number, outValues: number) => void): O {
      const per = input.length / batch;
      const outPer = output.length / batch;
      const n = count(data.length, per, 'input');
      const out = make(n * outPer);
      for (let s = 0; s < n; s += batch) runGroup(batchSlice(data, per, batch, s), out, s * outPer, Math.min(batch, n - s) * outPer);
      return out;
    }
    const whole = new Int8Array(output.length);
    function runRaw(codes: Int8Array): Int8Array {
      return inGroups(codes, (n) => new Int8Array(n), (group, out, at, outValues) => {
        writeInput(group, 0);
        runModule();
        readOutput(whole, 0);
        out.set(whole.subarray(0, outValues), at);
      });
    }
    function run(values: Values): Float32Array {
      const data = values instanceof Float32Array || values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>, Number);
      const f32 = data instanceof Float32Array;
      return inGroups(data as Float32Array | Float64Array, (n) => new Float32Array(n), (group, out, at, outValues) => {
        (f32 ? stagedF32 : stagedF64).set(group);
        (f32 ? runF32 : runF64)();
        out.set(outValues === output.length ? outputValues : outputValues.subarray(0, outValues), at);
      });
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

/** One output of a model of several, as model.mjs's `outputs` lists it. */
export interface OutputPart {
  readonly name: string;
  /** As stored ([H, W, C] for a map), as outputShape. */
  readonly shape: readonly number[];
  /** 'chw': its values are given channel-major (a feature map of a channel-major model). */
  readonly layout: 'hwc' | 'chw';
  /** Where its values start in a sample's values (run(), runRaw() and dequantize() give every output's, one after the other). */
  readonly start: number;
}

type LoadedNet = Awaited<ReturnType<ReturnType<typeof createLoad>>>;

/**
 * The loader of a model of several outputs (a program of several is never batched): createLoad's
 * net, whose run(), runRaw() and dequantize() give each sample's values (codes) of every output,
 * one after the other in `parts` order, each in its own layout and by its own scale; `output` is
 * outputs[0]. Output k lives at the module's output${k}_* globals (output_* for k = 0), its f32
 * values at output_floats + 4·start (edges.ts). createLoad stays as it was, so that the loader of
 * a model of one output keeps its text; this function, as createLoad, must stay self-contained.
 */
export function severalOutputs(parts: readonly OutputPart[], loadNet: (source?: unknown) => Promise<LoadedNet>) {
  return async function load(source?: unknown) {
    const net = await loadNet(source);
    const x = net.exports;
    const { input } = net;
    const g = (name: string): number => (x[name] as { value: number }).value;
    const outputs = Object.freeze(parts.map((part, k) => {
      const prefix = k === 0 ? 'output' : `output${k}`;
      const f = (field: string): number => g(`${prefix}_${field}`);
      const sampled = x[`${prefix}_sample_rows`] !== undefined;
      return Object.freeze({
        name: part.name, shape: part.shape, layout: part.layout, start: part.start,
        offset: f('offset'), rows: f('rows'), rowBytes: f('row_bytes'), rowStride: f('row_stride'),
        width: f('width'), lineStride: f('line_stride'), sampleRows: sampled ? f('sample_rows') : f('rows'), sampleStride: sampled ? f('sample_stride') : 0,
        length: f('length'), scale: f('scale'), zeroPoint: f('zero_point'),
      });
    }));
    /** Values (codes) of one sample: every output's. */
    const total = outputs.reduce((n, t) => n + t.length, 0);
    const memory = new Int8Array((x['memory'] as { buffer: ArrayBuffer }).buffer); // fixed size: the module cannot grow its memory
    /** Address of row (pixel) r, as createLoad's pixel(). */
    const pixel = (t: typeof input | (typeof outputs)[number], r: number): number => {
      const q = r % t.sampleRows;
      return t.offset + Math.floor(r / t.sampleRows) * t.sampleStride + Math.floor(q / t.width) * t.lineStride + (q % t.width) * t.rowStride;
    };
    const samples = (n: number): number => {
      if (n === 0 || n % input.length !== 0) throw new RangeError(`input has ${n} values; expected a multiple of ${input.length}`);
      return n / input.length;
    };
    const stagedF32 = new Float32Array(memory.buffer, g('input_floats'), input.length);
    const stagedF64 = new Float64Array(memory.buffer, g('input_floats'), input.length);
    const outputValues = new Float32Array(memory.buffer, g('output_floats'), total);
    const [runModule, runF32, runF64] = [x['run'], x['run_f32'], x['run_f64']] as [() => void, () => void, () => void];
    function runRaw(codes: Int8Array): Int8Array {
      const out = new Int8Array(samples(codes.length) * total);
      for (let s = 0, at = 0; at < codes.length; s += total, at += input.length) {
        for (let r = 0; r < input.rows; r++) memory.set(codes.subarray(at + r * input.rowBytes, at + (r + 1) * input.rowBytes), pixel(input, r));
        runModule();
        // each output's rows, pixel-major, or channel-major for a 'chw' map
        for (const t of outputs) {
          const chw = t.layout === 'chw' && t.shape.length === 3;
          for (let r = 0; r < t.rows; r++) {
            const from = pixel(t, r);
            for (let j = 0; j < t.rowBytes; j++) out[s + t.start + (chw ? j * t.rows + r : r * t.rowBytes + j)] = memory[from + j]!;
          }
        }
      }
      return out;
    }
    function run(values: ArrayLike<number>): Float32Array {
      const data = values instanceof Float32Array || values instanceof Float64Array ? values : Float64Array.from(values, Number);
      const f32 = data instanceof Float32Array;
      const out = new Float32Array(samples(data.length) * total);
      for (let s = 0, at = 0; at < data.length; s += total, at += input.length) {
        (f32 ? stagedF32 : stagedF64).set(data.subarray(at, at + input.length));
        (f32 ? runF32 : runF64)();
        out.set(outputValues, s);
      }
      return out;
    }
    function dequantize(codes: Int8Array): Float32Array {
      const out = new Float32Array(codes.length);
      for (let s = 0; s < codes.length; s += total)
        for (const t of outputs) for (let i = s + t.start; i < Math.min(s + t.start + t.length, codes.length); i++) out[i] = (codes[i]! - t.zeroPoint) * t.scale;
      return out;
    }
    return Object.freeze({ input, output: outputs[0]!, outputs, batch: net.batch, run, runRaw, quantize: net.quantize, dequantize, exports: x });
  };
}
