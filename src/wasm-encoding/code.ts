// SPDX-License-Identifier: MIT
/**
 * A small instruction builder for function bodies. MVP opcode bytes come from wasm-gen's table;
 * immediates (LEB128, memargs, lanes), control flow and the 0xFC (bulk memory, saturating
 * truncation) and 0xFD (SIMD) opcodes, which wasm-gen lacks, are encoded here.
 */
import { encodeNode } from '@webassemblyjs/wasm-gen';
import { f64Bytes, sleb, u32, type ValType } from './binary.js';

/** wasm-gen's opcode table predates the standard names: `u32.load`, `get_local`, `i64.extend_s/i32`. */
function wasmGenName(name: string): string {
  const local = /^local\.(get|set|tee)$/.exec(name);
  if (local) return `${local[1]}_local`;
  const mem = /^i(32|64)\.(load|store)(.*)$/.exec(name);
  if (mem) return `u${mem[1]}.${mem[2]}${mem[3]}`;
  const conv = /^(\w+)\.(\w+)_([if](?:32|64))(_[su])?$/.exec(name);
  if (conv && /^(wrap|extend|trunc|convert|demote|promote|reinterpret)$/.test(conv[2]!)) return `${conv[1]}.${conv[2]}${conv[4] ?? ''}/${conv[3]}`;
  return name;
}

const mvpCache = new Map<string, number>();

/** The one-byte MVP opcode of a standard instruction name. */
export function mvpOpcode(name: string): number {
  let b = mvpCache.get(name);
  if (b === undefined) {
    const bytes = encodeNode({ type: 'Instr', id: wasmGenName(name) });
    if (bytes.length !== 1 || bytes[0]! >= 0xfc) throw new Error(`not a one-byte MVP instruction: ${name}`);
    b = bytes[0]!;
    mvpCache.set(name, b);
  }
  return b;
}

/** Natural alignment (log2 bytes) of each MVP memory instruction this back end uses. */
const MVP_MEM_ALIGN: Readonly<Record<string, number>> = {
  'i32.load': 2, 'i64.load': 3, 'f64.load': 3, 'i32.load8_s': 0, 'i32.load8_u': 0, 'i32.load16_u': 1, 'i64.load16_u': 1,
  'i32.store': 2, 'i64.store': 3, 'i32.store8': 0, 'i32.store16': 1,
  'f32.load': 2, 'f32.store': 2, 'f64.store': 3,
};

/** SIMD opcodes (0xFD prefix) and, for memory forms, their natural alignment. */
export const SIMD = {
  'v128.load': [0x00, 4], 'v128.load8x8_s': [0x01, 3], 'v128.load16_splat': [0x08, 1], 'v128.load32_splat': [0x09, 2], 'v128.load64_splat': [0x0a, 3],
  'v128.store': [0x0b, 4], 'v128.load32_zero': [0x5c, 2], 'v128.load64_zero': [0x5d, 3],
  'v128.store8_lane': [0x58, 0], 'v128.store16_lane': [0x59, 1], 'v128.store32_lane': [0x5a, 2], 'v128.store64_lane': [0x5b, 3],
  'v128.load32_lane': [0x56, 2], 'v128.load64_lane': [0x57, 3],
  'i8x16.shuffle': [0x0d, -1], 'v128.const': [0x0c, -1], 'v128.bitselect': [0x52, -1],
  'i32x4.splat': [0x11, -1], 'f64x2.splat': [0x14, -1],
  'i32x4.extract_lane': [0x1b, -1], 'i32x4.replace_lane': [0x1c, -1], 'f64x2.replace_lane': [0x22, -1],
  'i8x16.narrow_i16x8_s': [0x65, -1], 'i16x8.narrow_i32x4_s': [0x85, -1],
  'i16x8.extend_low_i8x16_s': [0x87, -1], 'i16x8.extend_high_i8x16_s': [0x88, -1],
  'i16x8.extadd_pairwise_i8x16_s': [0x7c, -1], 'i32x4.extadd_pairwise_i16x8_s': [0x7e, -1],
  'i16x8.shr_s': [0x8c, -1], 'i16x8.add': [0x8e, -1], 'i32x4.shl': [0xab, -1], 'i32x4.sub': [0xb1, -1],
  'i32x4.add': [0xae, -1], 'i32x4.dot_i16x8_s': [0xba, -1],
  'i32x4.extmul_low_i16x8_s': [0xbc, -1], 'i32x4.extmul_high_i16x8_s': [0xbd, -1],
  'f64x2.lt': [0x49, -1], 'f64x2.gt': [0x4a, -1], 'f64x2.floor': [0x75, -1], 'f64x2.add': [0xf0, -1], 'f64x2.mul': [0xf2, -1],
  'f64x2.min': [0xf4, -1], 'f64x2.max': [0xf5, -1], 'f64x2.pmin': [0xf6, -1], 'f64x2.pmax': [0xf7, -1],
  'i32x4.trunc_sat_f64x2_s_zero': [0xfc, -1], 'f64x2.convert_low_i32x4_s': [0xfe, -1],
  'v128.and': [0x4e, -1], 'v128.or': [0x50, -1], 'f64x2.ge': [0x4c, -1], 'f64x2.trunc': [0x7a, -1], 'f64x2.nearest': [0x94, -1],
  'f64x2.abs': [0xec, -1], 'f64x2.sub': [0xf1, -1], 'f64x2.div': [0xf3, -1],
  'f32x4.splat': [0x13, -1], 'f32x4.trunc': [0x69, -1], 'f32x4.add': [0xe4, -1], 'f32x4.mul': [0xe6, -1], 'i32x4.trunc_sat_f32x4_s': [0xf8, -1],
  'f32x4.sub': [0xe5, -1], 'f32x4.pmin': [0xea, -1], 'f32x4.pmax': [0xeb, -1], 'i32x4.max_s': [0xb8, -1], 'i32x4.gt_s': [0x3b, -1],
  'v128.any_true': [0x53, -1], 'f32x4.demote_f64x2_zero': [0x5e, -1], 'f64x2.promote_low_f32x4': [0x5f, -1], 'i32x4.extend_low_i16x8_s': [0xa7, -1],
  'i8x16.splat': [0x0f, -1], 'i8x16.min_s': [0x76, -1], 'i8x16.max_s': [0x78, -1],
} as const satisfies Record<string, readonly [number, number]>;
export type SimdOp = keyof typeof SIMD;

/** 0xFC-prefixed instructions. */
const MISC = { 'i32.trunc_sat_f64_s': 2, 'memory.init': 8, 'memory.copy': 10, 'memory.fill': 11 } as const;

const BLOCK_EMPTY = 0x40;

/** A function body under construction: typed helpers that append encoded instructions. */
export class Code {
  readonly bytes: number[] = [];

  private emit(bytes: readonly number[]): this {
    for (const b of bytes) this.bytes.push(b);
    return this;
  }

  /** Instructions without immediates: `i32.add`, `i64.extend_i32_s`, `select`, `drop`, … */
  op(...names: string[]): this {
    for (const n of names) this.bytes.push(mvpOpcode(n));
    return this;
  }
  get(local: number): this {
    return this.emit([mvpOpcode('local.get'), ...u32(local)]);
  }
  set(local: number): this {
    return this.emit([mvpOpcode('local.set'), ...u32(local)]);
  }
  tee(local: number): this {
    return this.emit([mvpOpcode('local.tee'), ...u32(local)]);
  }
  i32(v: number): this {
    return this.emit([mvpOpcode('i32.const'), ...sleb(v | 0)]);
  }
  i64(v: number | bigint): this {
    return this.emit([mvpOpcode('i64.const'), ...sleb(v)]);
  }
  f64(v: number): this {
    return this.emit([mvpOpcode('f64.const'), ...f64Bytes(v)]);
  }
  /** An MVP load or store with a constant byte offset (natural alignment hint). */
  mem(name: string, offset = 0): this {
    const align = MVP_MEM_ALIGN[name];
    if (align === undefined) throw new Error(`no alignment for ${name}`);
    return this.emit([mvpOpcode(name), ...u32(align), ...u32(offset)]);
  }
  call(func: number): this {
    return this.emit(encodeNode({ type: 'CallInstruction', index: { type: 'NumberLiteral', value: func } }));
  }

  // ---- control flow (blocks have no result values here)
  block(): this {
    return this.emit([mvpOpcode('block'), BLOCK_EMPTY]);
  }
  loop(): this {
    return this.emit([mvpOpcode('loop'), BLOCK_EMPTY]);
  }
  if(): this {
    return this.emit([mvpOpcode('if'), BLOCK_EMPTY]);
  }
  else(): this {
    return this.op('else');
  }
  end(): this {
    return this.op('end');
  }
  br(depth: number): this {
    return this.emit([mvpOpcode('br'), ...u32(depth)]);
  }
  brIf(depth: number): this {
    return this.emit([mvpOpcode('br_if'), ...u32(depth)]);
  }

  /** i32.trunc_sat_f64_s: NaN → 0, out of range → the nearest int32. */
  truncSat(): this {
    return this.emit([0xfc, ...u32(MISC['i32.trunc_sat_f64_s'])]);
  }

  // ---- bulk memory
  memoryCopy(): this {
    return this.emit([0xfc, ...u32(MISC['memory.copy']), 0x00, 0x00]);
  }
  memoryFill(): this {
    return this.emit([0xfc, ...u32(MISC['memory.fill']), 0x00]);
  }
  memoryInit(segment: number): this {
    return this.emit([0xfc, ...u32(MISC['memory.init']), ...u32(segment), 0x00]);
  }

  // ---- SIMD
  v(...names: SimdOp[]): this {
    for (const n of names) this.emit([0xfd, ...u32(SIMD[n][0])]);
    return this;
  }
  /** A SIMD load/store with a constant offset; `lane` for the *_lane forms. */
  vmem(name: SimdOp, offset = 0, lane?: number): this {
    const [code, align] = SIMD[name];
    if (align < 0) throw new Error(`${name} is not a memory instruction`);
    this.emit([0xfd, ...u32(code), ...u32(align), ...u32(offset)]);
    return lane === undefined ? this : this.emit([lane]);
  }
  lane(name: SimdOp, lane: number): this {
    return this.emit([0xfd, ...u32(SIMD[name][0]), lane]);
  }
  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16) throw new Error('i8x16.shuffle takes 16 lane indices');
    return this.emit([0xfd, ...u32(SIMD['i8x16.shuffle'][0]), ...lanes]);
  }
  v128Zero(): this {
    return this.emit([0xfd, ...u32(SIMD['v128.const'][0]), ...new Array<number>(16).fill(0)]);
  }
}

/** A function: parameters first, then locals added while its body is generated. */
export class Func {
  readonly code = new Code();
  readonly locals: ValType[] = [];
  constructor(
    readonly name: string,
    readonly params: readonly ValType[],
    readonly results: readonly ValType[] = [],
  ) {}
  local(t: ValType): number {
    this.locals.push(t);
    return this.params.length + this.locals.length - 1;
  }
}
