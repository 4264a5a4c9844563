// SPDX-License-Identifier: MIT
/**
 * Running a generated module from TypeScript (the `run --backend wasm` runner and the tests).
 * The WebAssembly API is typed locally: the project's lib setting (ES2022, no DOM) does not
 * declare it, and a global declaration here could clash with one added elsewhere.
 */
import { NnchipError } from '../../diagnostics/error.js';
import type { Program } from '../../isa/program.js';
import { emitWasm, type WasmOptions } from './emit.js';

export interface WasmGlobal {
  readonly value: number;
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface ModelExports {
  readonly memory: WasmMemory;
  readonly run: () => void;
  readonly [name: string]: unknown;
}
interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  instantiate(bytes: Uint8Array, imports?: object): Promise<{ instance: { exports: Record<string, unknown> }; module: unknown }>;
  Module: { new (bytes: Uint8Array): unknown; imports(module: unknown): readonly { module: string; name: string; kind: string }[] };
  Instance: new (module: unknown, imports: object) => { exports: Record<string, unknown> };
}

export function webAssembly(): WebAssemblyApi {
  return (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
}

/** A module instantiated with no imports, with typed access to its tensor globals. */
export interface ModelInstance {
  readonly exports: ModelExports;
  readonly imports: readonly { module: string; name: string; kind: string }[];
  global(name: string): number;
  /**
   * Write one input (int8 codes, row-major), run, and return the output codes: in `into` when
   * given (output-sized; a caller running many inputs allocates nothing per run), else in a new array.
   * A module of several outputs gives all of them, one after the other (as isa/program.ts readOutputs).
   */
  runRaw(codes: Int8Array, into?: Int8Array): Int8Array;
}

export async function instantiate(bytes: Uint8Array): Promise<ModelInstance> {
  const { instance, module } = await webAssembly().instantiate(bytes, {});
  return modelInstance(instance.exports, module);
}

/**
 * instantiate() without a promise, for synchronous callers (the simulator's values, src/cli/simulate-wasm.ts).
 * Compiling on the calling thread is fine in Node; browsers limit it to small modules on their main thread.
 */
export function instantiateSync(bytes: Uint8Array): ModelInstance {
  const api = webAssembly();
  const module = new api.Module(bytes);
  return modelInstance(new api.Instance(module, {}).exports, module);
}

function modelInstance(rawExports: Record<string, unknown>, module: unknown): ModelInstance {
  const api = webAssembly();
  const exports = rawExports as unknown as ModelExports;
  const global = (name: string): number => {
    const g = exports[name] as WasmGlobal | undefined;
    if (g === undefined) throw new Error(`the module exports no global "${name}"`);
    return g.value;
  };
  /** Pixel r of a tensor: `width` pixels per line, as the module's globals describe it. */
  const tensor = (p: string) => {
    const [at, rows, rowBytes, stride, width, line] = ['offset', 'rows', 'row_bytes', 'row_stride', 'width', 'line_stride'].map((f) => global(`${p}_${f}`)) as [number, number, number, number, number, number];
    // a batch with a border between samples: each sample from its own first pixel (isa/program.ts pixelAddress)
    const sampled = exports[`${p}_sample_rows`] !== undefined;
    const [per, sampleStride] = sampled ? [global(`${p}_sample_rows`), global(`${p}_sample_stride`)] : [rows, 0];
    const pixel = (r: number): number => at + Math.floor(r / per) * sampleStride + Math.floor((r % per) / width) * line + ((r % per) % width) * stride;
    // rows back to back (the common case): one copy instead of one per row
    const contiguous = rows === 1 || (!sampled && stride === rowBytes && (width >= rows || line === width * stride));
    return { rows, rowBytes, pixel, contiguous };
  };
  const input = tensor('input');
  const output = tensor('output');
  // the other outputs of a module of several (output1_*, output2_* …), read after output 0's codes
  const more: ReturnType<typeof tensor>[] = [];
  while (exports[`output${more.length + 1}_offset`] !== undefined) more.push(tensor(`output${more.length + 1}`));
  const outputLength = [output, ...more].reduce((n, t) => n + t.rows * t.rowBytes, 0);
  // one view of the memory, made again only if the buffer changes (a grow; the modules never grow)
  let mem = new Int8Array(exports.memory.buffer);
  const runRaw = (codes: Int8Array, into?: Int8Array): Int8Array => {
    if (codes.length !== input.rows * input.rowBytes) throw new NnchipError('NN303', `input has ${codes.length} codes; the model input needs ${input.rows * input.rowBytes}`);
    if (into !== undefined && into.length !== outputLength) throw new NnchipError('NN303', `the output array has ${into.length} codes; the model output has ${outputLength}`);
    if (mem.buffer !== exports.memory.buffer) mem = new Int8Array(exports.memory.buffer);
    if (input.contiguous) mem.set(codes, input.pixel(0));
    else for (let r = 0; r < input.rows; r++) mem.set(codes.subarray(r * input.rowBytes, (r + 1) * input.rowBytes), input.pixel(r));
    exports.run();
    // a new output array costs more than the copy (a 64 KiB slice: allocation, zeroing and GC, ~6 % of the 256→256 layer at batch 256)
    if (output.contiguous && more.length === 0 && into === undefined) return mem.slice(output.pixel(0), output.pixel(0) + outputLength);
    const out = into ?? new Int8Array(outputLength);
    let at = 0;
    for (const t of [output, ...more]) {
      const n = t.rows * t.rowBytes;
      if (t.contiguous) out.set(mem.subarray(t.pixel(0), t.pixel(0) + n), at);
      else for (let r = 0; r < t.rows; r++) out.set(mem.subarray(t.pixel(r), t.pixel(r) + t.rowBytes), at + r * t.rowBytes);
      at += n;
    }
    return out;
  };
  return { exports, imports: api.Module.imports(module), global, runRaw };
}

/** Compile and run a Program on each input; returns the output codes per input. */
export async function runWasm(p: Program, inputs: readonly Int8Array[], opts: WasmOptions = { simd: true }): Promise<Int8Array[]> {
  const m = await instantiate(emitWasm(p, opts));
  return inputs.map((x) => m.runRaw(x));
}
