// SPDX-License-Identifier: MIT
/**
 * THE nnchip instruction set's encoding and vocabulary: opcode numbers, instruction formats
 * (fields, bit positions, signedness), units, buffers and the token channels. What each opcode
 * does (semantics, execution, accesses, timing, counters, unit) is its record, isa/ops/<op>.ts.
 * The Verilog header (nnchip_isa.vh) and the `nnchip isa --markdown` table are generated from both.
 *
 * Glossary (the same words in TypeScript, Verilog, CLI output and docs):
 *   R, C     rows and columns of the weight-stationary systolic array (ArrayConfig.rows/cols)
 *   act      activation buffer: entries of R int8 lanes (one K-slice of one input row)
 *   wgt      weight buffer: entries of C int8 lanes (one row k of an R×C weight tile)
 *   acc      accumulator buffer: entries of C int32 lanes (one output row of a column tile)
 *   qnt      requantization buffer: entries of C lanes, each {mult: u16, shift: u8, reserved: u8}
 *   out      output buffer: entries of C int8 lanes, written by the threshold unit
 *   dram     external, byte-addressed memory (little-endian) holding constants and activations
 *   tile     an R×C block of a weight matrix; a fold is one matmul of one tile
 *   token    a dependency token from one unit to another (the units form a ring: load → compute → store → load)
 *
 * Units. `load` runs on the load unit (DMA read), `store` on the store unit (DMA write),
 * `matmul`, `threshold` and `sync` on the compute unit; `halt` ends instruction fetch. Units
 * run concurrently; inside a unit instructions run one at a time in program order. The only
 * ordering between units is the six token channels below, which the compiler sets so that the
 * concurrent execution computes exactly what sequential execution (isa/interpret.ts) computes.
 * There are no branches: the cost of a program does not depend on the data it processes.
 */

import { internal } from '../diagnostics/error.js';

/** Opcode numbers. Lowercase keys here; the Verilog header spells them OP_MATMUL etc. */
export const OPCODES = { load: 1, store: 2, matmul: 3, threshold: 4, sync: 5, halt: 7 } as const;
export type Opcode = keyof typeof OPCODES;
export const OPCODE_LIST = Object.keys(OPCODES) as Opcode[];

/** Execution units; each opcode's record (isa/ops/<op>.ts) names its unit (UNIT_OF is derived from them). */
export const UNITS = ['load', 'compute', 'store', 'fetch'] as const;
export type Unit = (typeof UNITS)[number];
/** The units that execute instructions (fetch only issues them); reports and counters list them in this order. */
export const WORK_UNITS = ['load', 'compute', 'store'] as const satisfies readonly Unit[];
export type WorkUnit = (typeof WORK_UNITS)[number];

/** On-chip buffers addressable by `load`. */
export const LOAD_BUFFERS = { act: 0, wgt: 1, acc: 2, qnt: 3 } as const;
export type LoadBuffer = keyof typeof LOAD_BUFFERS;
const LOAD_BUFFER_LIST = Object.keys(LOAD_BUFFERS) as LoadBuffer[];
export type Buffer = LoadBuffer | 'out';
/** Every on-chip buffer, in the order reports list them. */
export const BUFFER_LIST = ['act', 'wgt', 'acc', 'qnt', 'out'] as const satisfies readonly Buffer[];
/** Every memory space: DRAM, then the on-chip buffers in BUFFER_LIST order (trace codes and counters use this order). */
export const SPACES = ['dram', ...BUFFER_LIST] as const;
export type Space = (typeof SPACES)[number];

/** True when `buf` names a load target (a program from disk may hold any 2-bit value). */
export function isLoadBuffer(buf: number): boolean {
  return LOAD_BUFFER_LIST[buf] !== undefined;
}

/** The buffer a load's `buf` field names. Programs are checked (checkProgram) before anything runs them, so a bad number here is a bug. */
export function loadBufferOf(buf: number): LoadBuffer {
  const name = LOAD_BUFFER_LIST[buf];
  if (name === undefined) throw internal(`load names buffer ${buf}, which does not exist`);
  return name;
}

/** Bytes per buffer entry, as a function of the array shape. */
export function entryBytes(buf: Buffer, rows: number, cols: number): number {
  switch (buf) {
    case 'act':
      return rows;
    case 'wgt':
      return cols;
    case 'acc':
    case 'qnt':
      return 4 * cols;
    case 'out':
      return cols;
  }
}

/** Act entry read for streamed row m of a matmul (the two-level address generator). */
export function matmulActRow(insn: { act: number; actStride: number; actOuter: number; inner: number }, m: number): number {
  return insn.act + Math.floor(m / insn.inner) * insn.actOuter + (m % insn.inner) * insn.actStride;
}

/** Instruction words are 128 bits, little-endian when stored as bytes. */
export const INSN_BITS = 128;
export const INSN_BYTES = INSN_BITS / 8;

export interface FieldSpec<N extends string = string> {
  readonly name: N;
  readonly lsb: number;
  readonly bits: number;
  readonly signed: boolean;
  readonly doc: string;
  /** A mode bit added after listings existed: the text assembly writes it only when set, and reads it as 0 when absent. */
  readonly listedWhenSet?: true;
}

function layout<const N extends string>(fields: readonly Omit<FieldSpec<N>, 'lsb'>[]): readonly FieldSpec<N>[] {
  let lsb = COMMON_BITS;
  return fields.map((f) => {
    const spec = { ...f, lsb };
    lsb += f.bits;
    return spec;
  });
}

/**
 * Common header of every instruction: bits [3:0] opcode, [7:4] token flags. The units form a ring,
 * load → compute → store → load: each has a previous and a next unit.
 *   popPrev  — wait for and take a token from the previous unit (load: from store; compute: from load; store: from compute)
 *   popNext  — wait for and take a token from the next unit (load: from compute; compute: from store; store: from load)
 *   pushPrev — when done, give a token to the previous unit
 *   pushNext — when done, give a token to the next unit
 * Pops happen before the instruction starts; pushes when it has finished (all its writes visible).
 * The store ⇄ load channels order a DMA after another that touches the same DRAM bytes (a load of
 * what a store wrote) without a compute-unit `sync`, which would wait for every earlier compute
 * instruction (docs/hardware.md).
 */
export const COMMON_FIELDS: readonly FieldSpec[] = [
  { name: 'opcode', lsb: 0, bits: 4, signed: false, doc: 'OPCODES value' },
  { name: 'popPrev', lsb: 4, bits: 1, signed: false, doc: 'take a token from the previous unit before starting' },
  { name: 'popNext', lsb: 5, bits: 1, signed: false, doc: 'take a token from the next unit before starting' },
  { name: 'pushPrev', lsb: 6, bits: 1, signed: false, doc: 'give a token to the previous unit when done' },
  { name: 'pushNext', lsb: 7, bits: 1, signed: false, doc: 'give a token to the next unit when done' },
];
const COMMON_BITS = 8;

/**
 * Per-opcode fields after the common header: the encoding of each instruction. What each one
 * does (semantics, execution, accesses, timing, counters) is its record in isa/ops/<op>.ts.
 */
export const FORMATS = {
  load: layout([
  { name: 'buf', bits: 2, signed: false, doc: 'target buffer (LOAD_BUFFERS)' },
  { name: 'sram', bits: 16, signed: false, doc: 'first buffer entry' },
  { name: 'rows', bits: 16, signed: false, doc: 'entries to transfer (≥ 1)' },
  { name: 'dram', bits: 32, signed: false, doc: 'dram byte address of the first row' },
  { name: 'stride', bits: 32, signed: false, doc: 'dram bytes between rows (0 replicates)' },
]),
  store: layout([
  { name: 'sram', bits: 16, signed: false, doc: 'first out-buffer entry' },
  { name: 'rows', bits: 16, signed: false, doc: 'entries to transfer (≥ 1)' },
  { name: 'dram', bits: 32, signed: false, doc: 'dram byte address of the first row' },
  { name: 'stride', bits: 32, signed: false, doc: 'dram bytes between rows' },
]),
  matmul: layout([
  { name: 'wgt', bits: 16, signed: false, doc: 'first of R wgt entries (the tile)' },
  { name: 'act', bits: 16, signed: false, doc: 'act entry of input row 0' },
  { name: 'actStride', bits: 16, signed: false, doc: 'act entries between consecutive rows of one inner run' },
  { name: 'acc', bits: 16, signed: false, doc: 'acc entry of output row 0 (rows are consecutive)' },
  { name: 'rows', bits: 16, signed: false, doc: 'input rows streamed through the array (≥ 1)' },
  { name: 'accumulate', bits: 1, signed: false, doc: '1: add to acc; 0: overwrite acc' },
  { name: 'inner', bits: 16, signed: false, doc: 'rows per inner run (≥ 1; = rows for a plain matrix)' },
  { name: 'actOuter', bits: 16, signed: false, doc: 'act entries between the starts of inner runs' },
  { name: 'bias', bits: 1, signed: false, doc: '1 (accumulate 0): every row starts from acc entry `acc` as the matmul found it (a column tile\'s bias) instead of 0', listedWhenSet: true },
  { name: 'shift', bits: 4, signed: false, doc: 'each row\'s sums shifted left by this many bits before they are added (a term weighted w·2^shift: a residual add folded into its convolution)', listedWhenSet: true },
  { name: 'chain', bits: 1, signed: false, doc: '1: popPrev takes the load unit\'s token once that load has written its first row, not once it has ended: the stream follows the DMA (chaining; the race check proves every entry it touches is written first)', listedWhenSet: true },
]),
  threshold: layout([
  { name: 'acc', bits: 16, signed: false, doc: 'first acc entry' },
  { name: 'out', bits: 16, signed: false, doc: 'first out entry' },
  { name: 'qnt', bits: 16, signed: false, doc: 'qnt entry with the per-column {mult, shift}' },
  { name: 'rows', bits: 16, signed: false, doc: 'entries to requantize (≥ 1)' },
  { name: 'zp', bits: 8, signed: true, doc: 'output zero point' },
  { name: 'lo', bits: 8, signed: true, doc: 'clamp low (zp for ReLU, -128 for identity)' },
  { name: 'hi', bits: 8, signed: true, doc: 'clamp high (127, or q(6) for ReLU6)' },
  { name: 'table', bits: 16, signed: false, doc: 'table mode: first acc entry of the step table (2·steps entries: threshold, code); pooling: acc entries per line L' },
  { name: 'steps', bits: 10, signed: false, doc: '0: requantize mode; n ≥ 1: table mode with n steps (qnt, zp, lo, hi unused); pooling: the window geometry (POOL_GEOMETRY)' },
  { name: 'poolH', bits: 3, signed: false, doc: 'max-pooling window height − 1 (0 with poolW = 0: no pooling; else requantize mode)' },
  { name: 'poolW', bits: 3, signed: false, doc: 'max-pooling window width − 1' },
]),
  sync: layout<never>([]),
  halt: layout<never>([]),
} as const satisfies Record<Opcode, readonly FieldSpec[]>;

/** The largest `shift` a matmul's field holds. */
export const MAX_MATMUL_SHIFT = 2 ** FORMATS.matmul.find((f) => f.name === 'shift')!.bits - 1;

type FieldNames<F extends readonly { name: string }[]> = F[number]['name'];
type Fields<O extends Opcode> = { readonly [K in FieldNames<(typeof FORMATS)[O]>]: number };

export interface TokenFlags {
  readonly popPrev: boolean;
  readonly popNext: boolean;
  readonly pushPrev: boolean;
  readonly pushNext: boolean;
}

/** A decoded instruction: the opcode, its token flags and its fields (all plain numbers). */
export type Instruction = { [O in Opcode]: { readonly op: O } & TokenFlags & Fields<O> }[Opcode];
export type InstructionOf<O extends Opcode> = Extract<Instruction, { op: O }>;

/** The four token flags, in encoding order. */
export const TOKEN_FLAGS = ['popPrev', 'popNext', 'pushPrev', 'pushNext'] as const satisfies readonly (keyof TokenFlags)[];
export const TOKEN_FLAG_NAMES: ReadonlySet<string> = new Set(TOKEN_FLAGS);
export const NO_TOKENS: TokenFlags = { popPrev: false, popNext: false, pushPrev: false, pushNext: false };

/** Which units have a neighbour on each side of the load → compute → store → load ring (token flags need one). */
export const HAS_PREV = { load: true, compute: true, store: true, fetch: false } as const satisfies Record<Unit, boolean>;
export const HAS_NEXT = { load: true, compute: true, store: true, fetch: false } as const satisfies Record<Unit, boolean>;

/** Token channels, named producer→consumer. Queues count tokens (no data). */
export const CHANNELS = ['loadToCompute', 'computeToLoad', 'computeToStore', 'storeToCompute', 'storeToLoad', 'loadToStore'] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * Cycles after the pushing instruction's end before a token is there to pop: a store's last beat
 * is committed to DRAM at the end of its last cycle (rtl-templates/nnchip_dma_store.v sends it a
 * cycle after its last out read, landing DRAM_LATENCY later), so a load that reads those bytes
 * may start one cycle later. Every other token is there at the end (no other unit reads DRAM).
 */
export const CHANNEL_DELAY: Readonly<Record<Channel, number>> = { loadToCompute: 0, computeToLoad: 0, computeToStore: 0, storeToCompute: 0, storeToLoad: 1, loadToStore: 0 };

/** Each unit's channel per token flag, built once (the checks, the schedule and the plan ask channelOf per token flag of every instruction); a unit without a neighbour on a side has none there. */
const CHANNEL_OF: Readonly<Record<Unit, Partial<Record<keyof TokenFlags, Channel>>>> = {
  load: { popPrev: 'storeToLoad', popNext: 'computeToLoad', pushPrev: 'loadToStore', pushNext: 'loadToCompute' },
  compute: { popPrev: 'loadToCompute', popNext: 'storeToCompute', pushPrev: 'computeToLoad', pushNext: 'computeToStore' },
  store: { popPrev: 'computeToStore', popNext: 'loadToStore', pushPrev: 'storeToCompute', pushNext: 'storeToLoad' },
  fetch: {},
};

/** The channel an instruction of `unit` pops from when it sets popPrev / popNext, and pushes to. */
export function channelOf(unit: Unit, flag: keyof TokenFlags): Channel {
  const ch = CHANNEL_OF[unit][flag];
  if (ch === undefined) throw internal(`unit ${unit} has no ${flag} channel`);
  return ch;
}
