/**
 * Mutations of a valid .nnp program for fuzzing: header fields (JSON leaves, keys, sizes),
 * instruction fields (by the spec.ts formats, so most mutants still decode), body bytes
 * (instructions and constants), raw file bytes, and a DRAM region grown into the memory map. One
 * mutant per (seed, index): reproducible alone.
 */
import { fieldsOf } from '../../src/isa/encode.js';
import { INSN_BYTES, OPCODES, type Opcode } from '../../src/isa/spec.js';
import { mulberry32 } from '../../src/util/prng.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface Mutant {
  readonly bytes: Uint8Array;
  /** What was done, for failure messages. */
  readonly what: string;
}

interface Parts {
  header: Json;
  code: Uint8Array;
  constants: Uint8Array;
}

const MAGIC_AND_LENGTH = 12;

function split(file: Uint8Array): Parts {
  const length = new DataView(file.buffer, file.byteOffset).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(file.subarray(MAGIC_AND_LENGTH, MAGIC_AND_LENGTH + length))) as Json;
  const count = (header as { instructionCount: number }).instructionCount;
  const codeStart = MAGIC_AND_LENGTH + length;
  // from(): copies even when file is a Buffer (whose slice() is a view)
  return { header, code: Uint8Array.from(file.subarray(codeStart, codeStart + count * INSN_BYTES)), constants: Uint8Array.from(file.subarray(codeStart + count * INSN_BYTES)) };
}

function join(file: Uint8Array, p: Parts): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify(p.header));
  const out = new Uint8Array(MAGIC_AND_LENGTH + header.length + p.code.length + p.constants.length);
  out.set(file.subarray(0, 8), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, MAGIC_AND_LENGTH);
  out.set(p.code, MAGIC_AND_LENGTH + header.length);
  out.set(p.constants, MAGIC_AND_LENGTH + header.length + p.code.length);
  return out;
}

/** Every path to a value inside a JSON document. */
function paths(doc: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(doc)) doc.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (doc !== null && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function getAt(doc: Json, path: readonly (string | number)[]): Json {
  let v: Json = doc;
  for (const k of path) v = (v as Record<string | number, Json>)[k] ?? null;
  return v;
}

/** The parent container of path (mutable: the mutant header is a fresh parse). */
function parentOf(doc: Json, path: readonly (string | number)[]): Record<string | number, Json> {
  return getAt(doc, path.slice(0, -1)) as Record<string | number, Json>;
}

export function mutateProgram(base: Uint8Array, seed: number, index: number): Mutant {
  const r = mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const parts = split(base);
  const kind = r();
  if (kind < 0.04) {
    // a DRAM region in the memory map, and dramSize grown to its end: a small file declaring a GiB no instruction uses
    const h = parts.header as { dramSize: number; memoryMap: Json[] };
    const start = pick([0, h.dramSize, int(0, h.dramSize)]);
    const end = Math.max(start + 1, pick([2 ** 30, 2 ** 20, h.dramSize + 1, h.dramSize + int(1, 64), h.dramSize * 2]));
    h.memoryMap.push({ space: 'dram', name: 'grown', start, size: end - start });
    if (r() < 0.8) h.dramSize = end;
    return { bytes: join(base, parts), what: `memory-map region [${start}, ${end}) added, dramSize ${h.dramSize}` };
  }
  if (kind < 0.4) {
    // header: one leaf or container changed, removed, duplicated, or a key added
    const targets = paths(parts.header).filter((p) => p.length > 0);
    const path = pick(targets);
    const old = getAt(parts.header, path);
    const parent = parentOf(parts.header, path);
    const key = path[path.length - 1]!;
    const n = typeof old === 'number' ? old : 0;
    const values: Json[] = [0, 1, -1, 2, 3, 7, 255, 256, 4096, 65535, 65536, 2 ** 31, 2 ** 32, 2 ** 53, 1e300, 0.5, -0.5, n + 1, n - 1, n * 2, n + int(2, 200), Math.floor(n / 2), null, '', 'x', true, [], {}, [1], { a: 1 }];
    const op = r();
    let what: string;
    if (op < 0.75) {
      const v = pick(values);
      parent[key] = v;
      what = `header ${path.join('.')} = ${JSON.stringify(v)}`;
    } else if (op < 0.85) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      what = `header ${path.join('.')} removed`;
    } else if (op < 0.93 && Array.isArray(parent)) {
      parent.splice(key as number, 0, structuredClone(old));
      what = `header ${path.join('.')} duplicated`;
    } else {
      const container = (typeof old === 'object' && old !== null && !Array.isArray(old) ? old : parts.header) as Record<string, Json>;
      const extra = pick(['__proto__', 'toString', 'constructor', 'extra', 'batch', 'width', 'lineStride', 'layout']);
      const v = pick(values);
      Object.defineProperty(container, extra, { value: v, enumerable: true, writable: true, configurable: true });
      what = `header key ${extra} = ${JSON.stringify(v)} added to ${path.join('.')}`;
    }
    return { bytes: join(base, parts), what };
  }
  if (kind < 0.55) {
    // reorder: two instructions swap places, or one moves a few places (tokens and layers stay)
    const count = parts.code.length / INSN_BYTES;
    const i = int(0, count - 2);
    const j = Math.min(count - 1, i + (r() < 0.6 ? 1 : int(2, 6)));
    const a = parts.code.slice(i * INSN_BYTES, (i + 1) * INSN_BYTES);
    parts.code.copyWithin(i * INSN_BYTES, j * INSN_BYTES, (j + 1) * INSN_BYTES);
    parts.code.set(a, j * INSN_BYTES);
    return { bytes: join(base, parts), what: `instructions ${i} and ${j} swapped` };
  }
  if (kind < 0.75) {
    // one instruction field (or opcode, or a token flag) set to an edge value of its width
    const count = parts.code.length / INSN_BYTES;
    const i = int(0, count - 1);
    const at = i * INSN_BYTES;
    let word = 0n;
    for (let b = INSN_BYTES - 1; b >= 0; b--) word = (word << 8n) | BigInt(parts.code[at + b]!);
    const op = Object.entries(OPCODES).find(([, v]) => v === Number(word & 0xfn))![0] as Opcode;
    const fields = fieldsOf(op);
    const f = pick(fields);
    const max = 2 ** f.bits - 1;
    const oldValue = Number((word >> BigInt(f.lsb)) & BigInt(max));
    const v = f.name === 'opcode' ? pick(Object.values(OPCODES)) : pick([0, 1, 2, max, max - 1, int(0, max), oldValue + 1, Math.max(0, oldValue - 1), oldValue ^ 1, Math.min(max, oldValue * 2)]) & max;
    word = (word & ~(BigInt(max) << BigInt(f.lsb))) | (BigInt(v) << BigInt(f.lsb));
    for (let b = 0; b < INSN_BYTES; b++) parts.code[at + b] = Number((word >> BigInt(8 * b)) & 0xffn);
    return { bytes: join(base, parts), what: `instruction ${i} (${op}) ${f.name}: ${oldValue} → ${v}` };
  }
  const bytes = Uint8Array.from(base);
  if (kind < 0.92) {
    // body bytes: instructions and constants
    const body = MAGIC_AND_LENGTH + new DataView(base.buffer, base.byteOffset).getUint32(8, true);
    const edits: string[] = [];
    for (let e = int(1, 4); e > 0; e--) {
      const at = int(body, bytes.length - 1);
      const v = r() < 0.5 ? bytes[at]! ^ (1 << int(0, 7)) : int(0, 255);
      bytes[at] = v;
      edits.push(`${at}=${v}`);
    }
    return { bytes, what: `body bytes ${edits.join(' ')}` };
  }
  // raw file: anywhere, including the magic and the header length; or cut short
  if (r() < 0.3) {
    const end = int(0, bytes.length - 1);
    return { bytes: bytes.subarray(0, end), what: `truncated to ${end} bytes` };
  }
  const at = int(0, bytes.length - 1);
  const v = int(0, 255);
  bytes[at] = v;
  return { bytes, what: `raw byte ${at} = ${v}` };
}
