// SPDX-License-Identifier: MIT
/**
 * The SPI-flash image of a board design: a 16-byte header (magic "NNCF", payload length, payload
 * sum, design id; little-endian u32s) and the Program's constants (DRAM [0, constants.length)). It
 * goes into flash above the bitstream (iceprog -o); the board checks it at power-up.
 */
import { serializeProgram, type Program } from '../isa/program.js';
import { u32le } from './protocol.js';

export const IMAGE_MAGIC = [0x4e, 0x4e, 0x43, 0x46] as const; // "NNCF"
export const IMAGE_HEADER_BYTES = 16;

/** FNV-1a over the serialized Program: the board reports it, the host refuses a design folder that differs. */
export function designIdOf(p: Program): number {
  let h = 0x811c9dc5;
  for (const b of serializeProgram(p)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function payloadSum(bytes: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i++) s = (s + bytes[i]!) >>> 0;
  return s;
}

export function imageHeader(p: Program): Uint8Array {
  return Uint8Array.from([...IMAGE_MAGIC, ...u32le(p.constants.length), ...u32le(payloadSum(p.constants)), ...u32le(designIdOf(p))]);
}

export function flashImage(p: Program): Uint8Array {
  const out = new Uint8Array(IMAGE_HEADER_BYTES + p.constants.length);
  out.set(imageHeader(p), 0);
  out.set(p.constants as Uint8Array, IMAGE_HEADER_BYTES);
  return out;
}
