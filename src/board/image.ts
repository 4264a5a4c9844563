// SPDX-License-Identifier: MIT
/**
 * The SPI-flash image of a board design: a header of u32 fields (IMAGE_FIELDS, little-endian), the
 * program (each instruction's 16 encoded bytes) and the Program's constants (DRAM
 * [0, constants.length)). It goes into flash above the bitstream (iceprog -o). At power-up the board
 * checks the magic, the header sum and the machine id, sums the payload, and only then loads the
 * program into its instruction RAM (or streams it through, when longer) and runs: the bitstream
 * holds the machine, the image the model.
 */
import { encodeAll } from '../isa/encode.js';
import { serializeProgram, type Program } from '../isa/program.js';
import { scheduleTimes } from '../isa/timing.js';
import { u32le } from './protocol.js';

export const IMAGE_MAGIC = [0x4e, 0x4e, 0x43, 0x46] as const; // "NNCF"

/** The header's u32 fields in flash order; the RTL's IMG_* offsets are generated from this list. */
export const IMAGE_FIELDS = [
  'magic',
  /** machineIdOf() of the hardware the image was built for: the board refuses any other */
  'machineId',
  /** programIdOf(): INFO reports it, the host checks it is the program it holds */
  'programId',
  'instructions',
  /** constants bytes: the RAM region starts here (DRAM [0, constants) is read from flash) */
  'constants',
  'dramSize',
  /** RUN gives up after this many compute cycles */
  'cycleLimit',
  /** sum of the payload bytes (program and constants) mod 2^32 */
  'payloadSum',
  /** sum of the header bytes before this field mod 2^32 */
  'headerSum',
] as const;
export type ImageField = (typeof IMAGE_FIELDS)[number];
export const IMAGE_HEADER_BYTES = 4 * IMAGE_FIELDS.length;
export const imageFieldOffset = (f: ImageField): number => 4 * IMAGE_FIELDS.indexOf(f);

function fnv1a(bytes: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** FNV-1a over the serialized Program: the image carries it, the host refuses an image of another program. */
export const programIdOf = (p: Program): number => fnv1a(serializeProgram(p));

/** FNV-1a over the hardware's parameters (name = value, sorted): equal ids, equal bitstreams' cores and memories. */
export function machineIdOf(parameters: Readonly<Record<string, string | number>>): number {
  const text = Object.keys(parameters).sort().map((k) => `${k}=${parameters[k]}`).join(';');
  return fnv1a(new TextEncoder().encode(text));
}

/** The board's watchdog: twice the program's cycles plus 1,000. */
export const cycleLimitOf = (p: Program): number => 2 * scheduleTimes(p.instructions, p.config).cycles + 1000;

export function payloadSum(bytes: ArrayLike<number>, start = 0): number {
  let s = start;
  for (let i = 0; i < bytes.length; i++) s = (s + bytes[i]!) >>> 0;
  return s;
}

export function flashImage(p: Program, machineId: number): Uint8Array {
  const program = encodeAll(p.instructions); // 16 bytes per instruction, byte b = the word's bits 8b+7..8b
  const fields: Record<Exclude<ImageField, 'magic' | 'headerSum'>, number> = {
    machineId,
    programId: programIdOf(p),
    instructions: p.instructions.length,
    constants: p.constants.length,
    dramSize: p.dramSize,
    cycleLimit: cycleLimitOf(p),
    payloadSum: payloadSum(p.constants, payloadSum(program)),
  };
  const head = [...IMAGE_MAGIC, ...IMAGE_FIELDS.slice(1, -1).flatMap((f) => u32le(fields[f as keyof typeof fields]))];
  const out = new Uint8Array(IMAGE_HEADER_BYTES + program.length + p.constants.length);
  out.set([...head, ...u32le(payloadSum(head))], 0);
  out.set(program, IMAGE_HEADER_BYTES);
  out.set(p.constants as Uint8Array, IMAGE_HEADER_BYTES + program.length);
  return out;
}
