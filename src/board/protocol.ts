// SPDX-License-Identifier: MIT
/**
 * The board's UART host protocol, defined once: frame layout, request and response types, error
 * codes, the checksum, an encoder and an incremental decoder. The host program (`nnchip board run`),
 * the RTL generator (its localparams) and the co-simulation tests all use this file.
 */

/** Frame = SYNC · type · length (u16 LE) · payload · checksum, where checksum makes (type + len + payload + checksum) ≡ 0 mod 256. */
export const SYNC = 0xa5;
export const HEADER_BYTES = 4;
export const MAX_PAYLOAD = 0xffff;
export const PROTOCOL_VERSION = 2;

/** Requests (host → board). */
export const REQ = {
  /** no payload → INFO */
  info: 0x01,
  /** u32 address · bytes → ACK; only the board's RAM region (input, output, activations) is writable */
  write: 0x02,
  /** u32 address · u16 count → DATA (count bytes of the RAM region) */
  read: 0x03,
  /** no payload → DONE (u32 compute cycles) or ERROR */
  run: 0x04,
} as const;

/** Responses (board → host). */
export const RESP = {
  info: 0x81,
  ack: 0x82,
  data: 0x83,
  done: 0x84,
  error: 0xee,
} as const;

/** Codes of an ERROR frame's one-byte payload. */
export const BOARD_ERRORS = {
  checksum: 1,
  unknownType: 2,
  badLength: 3,
  badAddress: 4,
  flashImage: 5,
  coreError: 6,
  timeout: 7,
} as const;
export type BoardErrorName = keyof typeof BOARD_ERRORS;

export const BOARD_ERROR_TEXT: Record<BoardErrorName, string> = {
  checksum: 'the board received a frame with a bad checksum',
  unknownType: 'the board does not know the request type',
  badLength: 'the request has the wrong payload length',
  badAddress: 'the address range is outside the board RAM region',
  flashImage: 'the SPI flash does not hold a good image for this bitstream (INFO says why; see docs/board.md)',
  coreError: 'the accelerator stopped on an illegal instruction',
  timeout: 'the accelerator did not finish within its cycle limit',
};

export interface Frame {
  readonly type: number;
  readonly payload: Uint8Array;
}

export function checksumOf(type: number, payload: ArrayLike<number>): number {
  let sum = type + (payload.length & 0xff) + (payload.length >> 8);
  for (let i = 0; i < payload.length; i++) sum += payload[i]!;
  return (256 - (sum & 0xff)) & 0xff;
}

export function encodeFrame(type: number, payload: ArrayLike<number> = []): Uint8Array {
  if (payload.length > MAX_PAYLOAD) throw new RangeError(`frame payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const out = new Uint8Array(HEADER_BYTES + payload.length + 1);
  out[0] = SYNC;
  out[1] = type;
  out[2] = payload.length & 0xff;
  out[3] = payload.length >> 8;
  out.set(Array.from(payload), HEADER_BYTES);
  out[out.length - 1] = checksumOf(type, payload);
  return out;
}

/** A u32 as 4 little-endian bytes (the protocol's and the flash image's byte order). */
export const u32le = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
export const readU32 = (b: ArrayLike<number>, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

export const infoRequest = (): Uint8Array => encodeFrame(REQ.info);
export const runRequest = (): Uint8Array => encodeFrame(REQ.run);
export const writeRequest = (address: number, bytes: ArrayLike<number>): Uint8Array => encodeFrame(REQ.write, [...u32le(address), ...Array.from(bytes, (b) => b & 0xff)]);
export const readRequest = (address: number, count: number): Uint8Array => encodeFrame(REQ.read, [...u32le(address), count & 0xff, count >> 8]);

/** What the board found in its flash at power-up (INFO's second byte). */
export const IMAGE_STATUS = {
  /** still reading the image (INFO waits for the boot, so a host never sees it) */
  booting: 0,
  ok: 1,
  /** no nnchip image at the image offset (wrong magic) */
  noImage: 2,
  /** the header or payload sum does not match: a damaged or half-written image */
  corrupt: 3,
  /** an image for another machine (array, buffers, instruction RAM, …): this bitstream cannot run it */
  otherMachine: 4,
} as const;
export type ImageStatusName = keyof typeof IMAGE_STATUS;

export const IMAGE_STATUS_TEXT: Record<ImageStatusName, string> = {
  booting: 'the board is still reading its flash image',
  ok: 'the flash image is good',
  noImage: 'the SPI flash holds no nnchip image at the image offset (write it: make prog, or iceprog -o <offset> flash.bin)',
  corrupt: 'the flash image is corrupt (its checksum does not match): write it again',
  otherMachine: 'the flash image was built for another machine configuration than this bitstream (nnchip board flash-image <dir> --model … makes one for it)',
};

/** The name a code table gives a one-byte code (undefined for a code the board should not send). */
function nameOfCode<K extends string>(codes: Readonly<Record<K, number>>, code: number): K | undefined {
  return (Object.keys(codes) as K[]).find((k) => codes[k] === code);
}

export const imageStatusName = (code: number): ImageStatusName | undefined => nameOfCode(IMAGE_STATUS, code);

/** What an INFO frame says about the FPGA's bitstream and the image in its flash (checked by the host). */
export interface BoardInfo {
  readonly version: number;
  /** IMAGE_STATUS code */
  readonly imageStatus: number;
  /** machineIdOf() of the bitstream's hardware */
  readonly machineId: number;
  /** programIdOf() of the program in the flash image (0 unless the image is good) */
  readonly programId: number;
  readonly ramBase: number;
  readonly dramSize: number;
}

export const INFO_PAYLOAD_BYTES = 18;

export function infoPayload(i: BoardInfo): number[] {
  return [i.version, i.imageStatus, ...u32le(i.machineId), ...u32le(i.programId), ...u32le(i.ramBase), ...u32le(i.dramSize)];
}

export function parseInfo(payload: Uint8Array): BoardInfo {
  return { version: payload[0]!, imageStatus: payload[1]!, machineId: readU32(payload, 2), programId: readU32(payload, 6), ramBase: readU32(payload, 10), dramSize: readU32(payload, 14) };
}

/** Incremental decoder: feed bytes as they arrive; complete frames come out, garbage before a SYNC is skipped. */
export class FrameDecoder {
  private buf: number[] = [];
  /** Frames whose checksum did not match (counted, then dropped). */
  badFrames = 0;

  push(bytes: ArrayLike<number>): Frame[] {
    for (let i = 0; i < bytes.length; i++) this.buf.push(bytes[i]! & 0xff);
    const frames: Frame[] = [];
    for (;;) {
      const start = this.buf.indexOf(SYNC);
      if (start < 0) {
        this.buf = [];
        return frames;
      }
      if (start > 0) this.buf = this.buf.slice(start);
      if (this.buf.length < HEADER_BYTES) return frames;
      const len = this.buf[2]! | (this.buf[3]! << 8);
      if (this.buf.length < HEADER_BYTES + len + 1) return frames;
      const type = this.buf[1]!;
      const payload = Uint8Array.from(this.buf.slice(HEADER_BYTES, HEADER_BYTES + len));
      if (checksumOf(type, payload) === this.buf[HEADER_BYTES + len]) {
        frames.push({ type, payload });
        this.buf = this.buf.slice(HEADER_BYTES + len + 1);
      } else {
        // not a frame after all (or a damaged one): resynchronise on the next SYNC byte
        this.badFrames++;
        this.buf = this.buf.slice(1);
      }
    }
  }
}

export const boardErrorName = (code: number): BoardErrorName | undefined => nameOfCode(BOARD_ERRORS, code);
