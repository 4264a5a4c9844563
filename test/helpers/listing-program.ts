/**
 * A one-layer Program from a text listing, as the hand-written timing and bias tests build them:
 * `inRows` input rows of R codes at DRAM byte IN, `outRows` output rows of C codes at OUT (the DRAM
 * ends after them), the constants below IN.
 */
import { parseListing } from '../../src/isa/asm.js';
import type { ArrayConfig } from '../../src/isa/config.js';
import type { Program } from '../../src/isa/program.js';

export interface ListingIo {
  readonly IN: number;
  readonly inRows: number;
  readonly OUT: number;
  readonly outRows: number;
}

export function listingProgram(asm: string, config: ArrayConfig, constants: Uint8Array, { IN, inRows, OUT, outRows }: ListingIo): Program {
  const instructions = parseListing(asm);
  const { rows: R, cols: C } = config;
  return {
    config,
    instructions,
    dramSize: OUT + outRows * C,
    constants,
    input: { name: 'x', shape: [inRows, R], dram: IN, rows: inRows, rowBytes: R, rowStride: R, scale: 1, zp: 0 },
    outputs: [{ name: 'y', shape: [outRows, C], dram: OUT, rows: outRows, rowBytes: C, rowStride: C, scale: 1, zp: 0 }],
    layers: [],
    insnLayer: instructions.map(() => 0),
    memoryMap: [],
    notes: [],
  };
}
