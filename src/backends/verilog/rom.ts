// SPDX-License-Identifier: MIT
/**
 * Memory images for $readmemh: the program ROM (one 128-bit word per line), the DRAM image
 * (constants; the test bench places each input), the input samples, the expected outputs, the DRAM
 * address of every input and output row, and the meta words (sizes, expected cycles). The meta layout is defined once here;
 * the test bench's META_* localparams are generated from META_FIELDS.
 */
import { encode } from '../../isa/encode.js';
import { pixelAddress, storedLayout, type DramTensor, type Program } from '../../isa/program.js';
import { INSN_BYTES, type Instruction } from '../../isa/spec.js';

const hex2 = (b: number): string => (b & 0xff).toString(16).padStart(2, '0');

/** One instruction word per line, most significant byte first; padded with zero words to `depth`. */
export function programHex(insns: readonly Instruction[], depth: number): string {
  const lines: string[] = [];
  for (const insn of insns) {
    const bytes = encode(insn);
    let line = '';
    for (let i = INSN_BYTES - 1; i >= 0; i--) line += hex2(bytes[i]!);
    lines.push(line);
  }
  const zero = '0'.repeat(INSN_BYTES * 2);
  while (lines.length < depth) lines.push(zero);
  return lines.join('\n') + '\n';
}

/** One byte per line. */
export function bytesHex(bytes: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += hex2(bytes[i]!) + '\n';
  return out;
}

/** The DRAM image before an input is placed: constants, then zeros up to dramSize. */
export function dramHex(p: Program): string {
  const image = new Uint8Array(p.dramSize);
  image.set(p.constants, 0);
  return bytesHex(image);
}

/** Input codes of every sample as stored (isa/program.ts storedCodes), concatenated (each rows·rowBytes bytes, row-major). */
export function samplesHex(samples: readonly Int8Array[]): string {
  return samples.map((s) => bytesHex(s)).join('');
}

export const META_FIELDS = ['samples', 'dramSize', 'inRows', 'inRowBytes', 'outRows', 'outRowBytes', 'cycles'] as const;
export type MetaField = (typeof META_FIELDS)[number];

export function metaValues(p: Program, samples: number, cycles: number): Record<MetaField, number> {
  const input = storedLayout(p.input);
  const out = outputRows(p);
  return { samples, dramSize: p.dramSize, inRows: input.rows, inRowBytes: input.rowBytes, outRows: out.addresses.length, outRowBytes: out.rowBytes, cycles };
}

/**
 * The rows the bench reads the output codes from, in the order of an inference's output codes
 * (isa/program.ts readOutputs): one output's pixels; of several, every output's pixels cut into pieces
 * of the bytes all their rows divide into, so that one row width serves them all (tb_top.v reads
 * rows × rowBytes bytes).
 */
export function outputRows(p: Program): { readonly rowBytes: number; readonly addresses: readonly number[] } {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const rowBytes = p.outputs.reduce((g, t) => gcd(t.rowBytes, g), 0);
  const addresses: number[] = [];
  for (const t of p.outputs) for (let r = 0; r < t.rows; r++) for (let b = 0; b < t.rowBytes; b += rowBytes) addresses.push(pixelAddress(t, r) + b);
  return { rowBytes, addresses };
}

/** The DRAM address of every row of a tensor (isa/program.ts pixelAddress), one 32-bit word per line. */
export function rowAddressHex(t: DramTensor): string {
  return addressHex(Array.from({ length: t.rows }, (_, r) => pixelAddress(t, r)));
}

/** One 32-bit address per line. */
export function addressHex(addresses: readonly number[]): string {
  return addresses.map(word32).join('\n') + '\n';
}

const word32 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');

/** One 32-bit word per line, in META_FIELDS order. */
export function metaHex(values: Record<MetaField, number>): string {
  return META_FIELDS.map((f) => word32(values[f])).join('\n') + '\n';
}

/** `localparam META_IN_ROWS = 3;` lines for the test bench. */
export function metaLocalparams(): string {
  return META_FIELDS.map((f, i) => `  localparam META_${f.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()} = ${i};`).join('\n');
}
