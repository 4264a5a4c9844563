// SPDX-License-Identifier: MIT
/**
 * WebAssembly binary container: LEB128 and the module's sections. @webassemblyjs/wasm-gen encodes
 * what it encodes correctly (section headers, function types, exports, globals, function indices);
 * the memory, data-count, code and data sections are written here (wasm-gen gets those wrong).
 */
import { encodeNode, type Instr } from '@webassemblyjs/wasm-gen';

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

const VALTYPE_BYTE = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const satisfies Record<ValType, number>;

/** Unsigned LEB128 of a u32. */
export function u32(v: number): number[] {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`u32 out of range: ${v}`);
  const out: number[] = [];
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of any integer that fits 64 bits (i32.const takes int32 values, i64.const int64). */
export function sleb(value: number | bigint): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

export function f64Bytes(v: number): number[] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v, true);
  return Array.from(new Uint8Array(view.buffer));
}

const num = (value: number) => ({ type: 'NumberLiteral', value }) as const;

export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

export interface FuncBody {
  readonly type: number;
  /** Declared locals after the parameters, in index order. */
  readonly locals: readonly ValType[];
  /** Instructions without the final `end`. */
  readonly body: readonly number[];
}

export interface GlobalConst {
  readonly name: string;
  readonly type: 'i32' | 'f64';
  readonly value: number;
}

export interface ModuleSpec {
  readonly types: readonly FuncType[];
  readonly funcs: readonly FuncBody[];
  /** Initial memory pages; the maximum is the same unless maxPages says more (then memory.grow can add pages). */
  readonly memoryPages: number;
  readonly maxPages?: number;
  readonly globals: readonly GlobalConst[];
  readonly exports: readonly { readonly name: string; readonly kind: 'Func' | 'Memory' | 'Global'; readonly index: number }[];
  /** Active segments are copied in at instantiation; passive ones by memory.init in code. */
  readonly data: readonly { readonly offset: number; readonly bytes: Uint8Array; readonly passive: boolean }[];
}

const SECTION_ID = { datacount: 12 } as const;

type Chunk = readonly number[] | Uint8Array;

function concat(chunks: readonly Chunk[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A section: wasm-gen's header (id, byte size, element count), then the elements. */
function section(name: string, items: readonly Chunk[]): Uint8Array {
  const content = concat(items);
  const count = u32(items.length);
  const header = encodeNode({ type: 'SectionMetadata', section: name, size: num(count.length + content.length), vectorOfSize: num(items.length) });
  return concat([header, content]);
}

/** A section wasm-gen has no id for, or whose content is not a vector. */
function rawSection(id: number, content: readonly number[]): number[] {
  return [id, ...u32(content.length), ...content];
}

function constInit(g: GlobalConst): Instr[] {
  const value = g.type === 'i32' ? num(g.value) : ({ type: 'FloatLiteral', value: g.value } as const);
  return [
    { type: 'Instr', object: g.type, id: 'const', args: [value] },
    { type: 'Instr', id: 'end' },
  ];
}

function localsVector(locals: readonly ValType[]): number[] {
  const runs: [number, ValType][] = [];
  for (const t of locals) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last[1] === t) last[0]++;
    else runs.push([1, t]);
  }
  return [...u32(runs.length), ...runs.flatMap(([n, t]) => [...u32(n), VALTYPE_BYTE[t]])];
}

function codeEntry(f: FuncBody): Uint8Array {
  const body = concat([localsVector(f.locals), f.body, [0x0b]]);
  return concat([u32(body.length), body]);
}

function dataEntry(d: ModuleSpec['data'][number]): Uint8Array {
  // mode 1: passive; mode 0: active in memory 0 at an i32.const offset
  const head = d.passive ? [0x01] : [0x00, 0x41, ...sleb(d.offset | 0), 0x0b];
  return concat([head, u32(d.bytes.length), d.bytes]);
}

export function assembleModule(m: ModuleSpec): Uint8Array {
  const types = m.types.map((t) => encodeNode({ type: 'TypeInstruction', functype: { params: t.params.map((valtype) => ({ valtype })), results: [...t.results] } }));
  const globals = m.globals.map((g) => encodeNode({ type: 'Global', globalType: { valtype: g.type, mutability: 'const' }, init: constInit(g) }));
  const exports = m.exports.map((e) => encodeNode({ type: 'ModuleExport', name: e.name, descr: { exportType: e.kind, id: num(e.index) } }));
  return concat([
    [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    section('type', types),
    section('func', m.funcs.map((f) => encodeNode({ type: 'IndexInFuncSection', index: num(f.type) }))),
    section('memory', [[0x01, ...u32(m.memoryPages), ...u32(m.maxPages ?? m.memoryPages)]]),
    globals.length > 0 ? section('global', globals) : [],
    section('export', exports),
    m.data.some((d) => d.passive) ? rawSection(SECTION_ID.datacount, u32(m.data.length)) : [],
    section('code', m.funcs.map(codeEntry)),
    m.data.length > 0 ? section('data', m.data.map(dataEntry)) : [],
  ]);
}
