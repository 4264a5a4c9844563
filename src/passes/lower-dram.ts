// SPDX-License-Identifier: MIT
/**
 * DRAM placement for the lowering: the image (constants first, deduplicated), one region per
 * tensor with its padded border, and the DramTensor records the host reads and writes through.
 */
import { createHash } from 'node:crypto';
import { NnchipError } from '../diagnostics/error.js';
import type { ArrayConfig } from '../isa/config.js';
import type { DramTensor, Region } from '../isa/program.js';
import { MAX_DRAM_BYTES } from '../isa/validate.js';
import type { GemmProgram, PhysicalTensor } from './gemm-types.js';

export const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
export const roundUp = (a: number, b: number): number => ceilDiv(a, b) * b;
const ALIGN = 16;

/**
 * A weight tile's alignment: the largest power of two dividing both 16 and its R·C bytes, so a layer's
 * tiles follow each other with no gap and one load brings several (lower-emit-slots.ts wgtSlotOf).
 * Aligned to 16, a 2×2 array's 4-byte tiles lay 16 bytes apart: every tile took its own load, half
 * of the program's instructions, and weights took four times their bytes of DRAM.
 */
export const tileAlign = (R: number, C: number): number => {
  let a = ALIGN;
  while ((R * C) % a !== 0) a >>= 1;
  return a;
};

export interface Placed {
  readonly t: PhysicalTensor;
  readonly start: number;
  /** bytes between pixels, padded lines, and the address of interior pixel (0, 0) */
  readonly stride: number;
  readonly wp: number;
  readonly origin: number;
}

/** Blobs up to this many bytes are keyed by a 32-bit hash of their bytes, compared byte by byte when two hash the same (a small array's tiles: cheaper than a SHA-1 or a string). */
const HASHED_KEY_BYTES = 256;

/** Blobs up to this many bytes are keyed by a number (a 2×2 array's 4-byte tiles: no string per tile). */
const NUMBER_KEY_BYTES = 6;

/**
 * How Dram tells constants apart: a number ≥ 1 or a string names the bytes (equal keys ⇔ equal
 * bytes); a negative number is a hash of them (equal bytes ⇒ equal keys; Dram compares the bytes).
 */
export type ContentKey = string | number;

/**
 * The key by which Dram deduplicates constants: up to 6 bytes, the number Σ bytes[i]·256^i +
 * 256^length (exact in a double; the top term keeps lengths apart); up to 256, −1 − their FNV-1a
 * hash (32 bits); else their SHA-1.
 */
export function contentKey(bytes: Uint8Array): ContentKey {
  const n = bytes.length;
  if (n <= NUMBER_KEY_BYTES) {
    let key = 1;
    for (let i = n - 1; i >= 0; i--) key = key * 256 + bytes[i]!;
    return key;
  }
  if (n <= HASHED_KEY_BYTES) {
    let h = 0x811c9dc5;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
    return -1 - (h >>> 0);
  }
  return `#${createHash('sha1').update(bytes).digest('hex')}`;
}

/** Whether two blobs hold the same bytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Dram {
  size = 0;
  readonly regions: Region[] = [];
  /** put's blobs: chunkAt[i] is where chunkBytes[i] goes (two arrays: no record per 4-byte tile) */
  private readonly chunkAt: number[] = [];
  private readonly chunkBytes: Uint8Array[] = [];
  private readonly dedupe = new Map<ContentKey, number>();
  alloc(name: string, bytes: number, align = ALIGN): number {
    const last = this.regions[this.regions.length - 1] as { -readonly [K in keyof Region]: Region[K] } | undefined;
    const at = roundUp(this.size, align);
    this.size = at + bytes;
    // consecutive blobs of one layer (its weight tiles) form one region of the memory map (grown
    // in place: its record is this Dram's own, and a 2×2 array places a quarter million tiles)
    if (last?.name === name) last.size = at + bytes - last.start;
    else this.regions.push({ space: 'dram', name, start: at, size: bytes });
    return at;
  }
  put(at: number, bytes: Uint8Array): void {
    this.chunkAt.push(at);
    this.chunkBytes.push(bytes);
  }
  /**
   * A constant blob stored once however often it is used (weight tying, shared diagonal tiles); `key`
   * is its contentKey, `align` what its address is a multiple of (tileAlign for weight tiles).
   */
  constant(name: string, bytes: Uint8Array, key: ContentKey = contentKey(bytes), align = ALIGN): number {
    if (typeof key === 'number' && key < 0) return this.hashedConstant(name, bytes, key, align);
    let map = this.dedupe;
    let k = key;
    if (typeof key === 'number') {
      // blobs of up to 6 bytes: one map per length, keyed by Σ bytes[i]·256^i alone (contentKey
      // without its length term), an int32 when that fits 32 bits — the same key for the same
      // bytes —, so a 2×2 array's quarter million 4-byte tiles are small integers, not heap numbers
      const n = bytes.length;
      map = this.small[n] ??= new Map();
      k = key - 256 ** n;
      if (n <= 4) k |= 0;
    }
    const seen = map.get(k);
    if (seen !== undefined) return seen;
    const at = this.alloc(name, bytes.length, align);
    this.put(at, bytes);
    map.set(k, at);
    return at;
  }
  /** Blobs of up to 6 bytes, one map per length (constant). */
  private readonly small: Map<ContentKey, number>[] = [];
  /**
   * Blobs of 7 to 256 bytes, one map per length: hash (as an int32) → the put index of the first
   * blob with that hash; sameHash[i] is the next one after blob i (-1: none). A hit is compared
   * byte by byte, so equal bytes share one address exactly as a key of the bytes themselves did.
   */
  private readonly hashed: Map<number, number>[] = [];
  private readonly sameHash: number[] = [];
  private hashedConstant(name: string, bytes: Uint8Array, key: number, align: number): number {
    const map = (this.hashed[bytes.length] ??= new Map());
    const h = (-1 - key) | 0;
    const head = map.get(h);
    let last = -1;
    for (let i = head ?? -1; i >= 0; i = this.sameHash[i] ?? -1) {
      if (sameBytes(this.chunkBytes[i]!, bytes)) return this.chunkAt[i]!;
      last = i;
    }
    const at = this.alloc(name, bytes.length, align);
    this.put(at, bytes);
    const index = this.chunkAt.length - 1;
    if (last < 0) map.set(h, index);
    else this.sameHash[last] = index;
    return at;
  }
  image(): Uint8Array {
    let end = 0;
    for (let i = 0; i < this.chunkAt.length; i++) end = Math.max(end, this.chunkAt[i]! + this.chunkBytes[i]!.length);
    const out = new Uint8Array(end);
    for (let i = 0; i < this.chunkAt.length; i++) {
      const bytes = this.chunkBytes[i]!;
      const at = this.chunkAt[i]!;
      // a short blob byte by byte (a small array's tiles: set() costs more than the copy)
      if (bytes.length <= 16) for (let j = 0; j < bytes.length; j++) out[at + j] = bytes[j]!;
      else out.set(bytes, at);
    }
    return out;
  }
}

/**
 * Bytes between the pixels of a spread gate (pixel k holds channel k in its first byte, zeros after):
 * weight tile (ct, nt) of diag(gate) is the R rows from byte ct·R·(P − 1) + nt·C on, P − 1 apart —
 * row i, column c reads byte k·P + (c − c_k) for channel k = ct·R + i and its column c_k = k − nt·C,
 * so the gate's byte (c = c_k) and otherwise a byte |c − c_k| < P from it, a zero, while no other
 * channel's byte is within P. For a tile that meets the diagonal |c − c_k| ≤ R + C − 2, and when R
 * divides C or C divides R the tiles align so that it is below max(R, C).
 */
export function spreadPitch(R: number, C: number): number {
  return R % C === 0 || C % R === 0 ? Math.max(R, C) : R + C - 1;
}

/** The zero bytes after a spread gate of `k` pixels that its weight tiles read: up to (CT·R − 1)·(P − 1) + NT·C from its start. */
export function spreadTail(k: number, P: number, R: number, C: number): number {
  return Math.max(0, (ceilDiv(k, R) * R - 1) * (P - 1) + ceilDiv(k, C) * C - k * P);
}

/**
 * Every tensor in DRAM: pixels `stride` bytes apart (a whole number of R- and C-lane entries, or
 * `packedStride`'s own channel count for a packed input, whose act entries overlap), padded lines.
 */
export function placeTensors(gp: GemmProgram, dram: Dram, cfg: ArrayConfig, packedStride: ReadonlyMap<string, number>): Map<string, Placed> {
  const slack = new Map<string, number>();
  for (const op of gp.ops) slack.set(op.out, Math.max(slack.get(op.out) ?? 0, op.channelOffset + roundUp(op.n, cfg.cols)));
  const placed = new Map<string, Placed>();
  for (const t of gp.tensors.values()) {
    const stride = packedStride.get(t.name) ?? Math.max(roundUp(t.c, cfg.rows), roundUp(t.c, cfg.cols), slack.get(t.name) ?? 0, t.role === 'spread' ? spreadPitch(cfg.rows, cfg.cols) : 0);
    const [pt, pl, pb, pr] = t.pads;
    const wp = t.w + pl + pr;
    const size = (t.h + pt + pb) * wp * stride;
    // a packed tensor's last act entry reads R bytes from its last pixel, and a store of its last pixel
    // (a computed one: pack-taps.ts) writes C: the region covers them
    const tail = t.role === undefined ? 0 : t.role === 'gate' ? cfg.rows : spreadTail(t.w, stride, cfg.rows, cfg.cols);
    const start = dram.alloc(`act:${t.name}`, size + (packedStride.has(t.name) ? Math.max(cfg.rows, cfg.cols) - stride : 0) + tail);
    // a per-channel product's gate and its spread form: the bytes read that no store writes are zeros from the image on
    if (t.role !== undefined) dram.put(start, new Uint8Array(size + tail));
    // refused before its border is filled: a large batch would otherwise allocate the bytes first
    if ((gp.batch ?? 1) > 1 && dram.size > MAX_DRAM_BYTES) throw new NnchipError('NN306', `a batch of ${gp.batch} needs over ${MAX_DRAM_BYTES} bytes of DRAM for its stacked tensors, more than a program addresses`);
    if (t.fill !== null && t.pads.some((p) => p > 0)) {
      const bytes = new Uint8Array(size).fill(t.fill & 0xff);
      // a batch's lines between two samples' interiors are border too (passes/batch.ts)
      for (let y = 0; y < t.h; y++) if (isSampleLine(t, y)) bytes.fill(0, ((y + pt) * wp + pl) * stride, ((y + pt) * wp + pl + t.w) * stride);
      dram.put(start, bytes);
    }
    placed.set(t.name, { t, start, stride, wp, origin: start + (pt * wp + pl) * stride });
  }
  return placed;
}

/** Whether interior line y of a tensor holds a sample's line (not the border between two samples of a batch). */
function isSampleLine(t: PhysicalTensor, y: number): boolean {
  if (t.samples === undefined) return true;
  const inSample = (y + t.pads[0]) % t.samples.pitch - t.pads[0];
  return inSample >= 0 && inSample < t.samples.lines;
}

export function dramTensor(p: Placed): DramTensor {
  const t = p.t;
  // a batch's tensors are described per sample (the program's shapes put the batch in front)
  const h = t.samples?.lines ?? t.h;
  const shape = h === 1 && t.w === 1 ? [t.c] : [h, t.w, t.c];
  const lineStride = p.wp * p.stride;
  const plain = { name: t.name, shape, dram: p.origin, rows: t.h * t.w, rowBytes: t.c, rowStride: p.stride, width: t.w, lineStride, scale: t.params.scale, zp: t.params.zp };
  const s = t.samples;
  if (s === undefined || s.pitch === s.lines) return plain;
  // a batch with a border between samples: the host places each sample at its own lines
  const samples = (t.h + t.pads[0] + t.pads[2]) / s.pitch;
  return { ...plain, rows: samples * s.lines * t.w, sampleRows: s.lines * t.w, sampleStride: s.pitch * lineStride };
}
