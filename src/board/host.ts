// SPDX-License-Identifier: MIT
/**
 * The host side of the board link: a request/answer session over any byte stream (a serial port,
 * or the co-simulation's pipes), and one inference through it — place the input rows in the board
 * RAM, run, read the output rows back — with the compute cycle count the board measured.
 */
import { CODES } from '../diagnostics/codes.js';
import { NnchipError } from '../diagnostics/error.js';
import { outputParts, outputSize, pixelAddress, storedCodes, storedLayout, type DramTensor, type Program } from '../isa/program.js';
import { programIdOf } from './image.js';
import {
  BOARD_ERROR_TEXT, boardErrorName, FrameDecoder, IMAGE_STATUS, IMAGE_STATUS_TEXT, imageStatusName, infoRequest, parseInfo, readRequest, readU32, RESP, runRequest, writeRequest,
  type BoardInfo, type Frame,
} from './protocol.js';

/** A byte stream to the board. */
export interface ByteLink {
  write(bytes: Uint8Array): Promise<void>;
  /** Registers the one listener for received bytes. */
  onData(listener: (bytes: Uint8Array) => void): void;
}

/** Bytes per WRITE / READ frame: small enough for any UART buffer, large enough to keep framing cheap. */
const CHUNK = 1024;

/**
 * The longest answer timeout, in seconds (a week): anything longer is a mistyped value, refused with
 * NN801. It also keeps the timer below 2³¹ − 1 ms, past which setTimeout fires at once.
 */
export const MAX_TIMEOUT_S = 7 * 24 * 3600;

export class BoardSession {
  private readonly decoder = new FrameDecoder();
  private readonly frames: Frame[] = [];
  private wake: (() => void) | undefined;

  /** timeoutMs: how long to wait for each answer (0: forever; at most MAX_TIMEOUT_S seconds). */
  constructor(private readonly link: ByteLink, private readonly timeoutMs: number) {
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_TIMEOUT_S * 1000) {
      throw new NnchipError('NN801', `answer timeout ${timeoutMs / 1000} s: expected 0 (wait forever) up to ${MAX_TIMEOUT_S} s`);
    }
    link.onData((bytes) => {
      this.frames.push(...this.decoder.push(bytes));
      this.wake?.();
    });
  }

  private async next(what: string): Promise<Frame> {
    const started = Date.now();
    while (this.frames.length === 0) {
      const left = this.timeoutMs === 0 ? 0 : this.timeoutMs - (Date.now() - started);
      if (this.timeoutMs !== 0 && left <= 0) {
        throw new NnchipError('NN513', `the board did not answer ${what} within ${this.timeoutMs / 1000} s`, { hint: `${CODES.NN513.hint}; a slow model may need a longer --timeout` });
      }
      await new Promise<void>((resolve) => {
        const timer = left > 0 ? setTimeout(resolve, left) : undefined;
        this.wake = () => {
          if (timer !== undefined) clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.frames.shift()!;
  }

  /** Send one request frame and return the answer, which must be of type `want` (an ERROR frame throws NN511). */
  async request(frame: Uint8Array, want: number, what: string): Promise<Frame> {
    await this.link.write(frame);
    const answer = await this.next(what);
    if (answer.type === RESP.error) {
      const name = boardErrorName(answer.payload[0] ?? 0);
      throw new NnchipError('NN511', `${what}: ${name === undefined ? `the board reported error ${answer.payload[0]}` : BOARD_ERROR_TEXT[name]}`);
    }
    if (answer.type !== want) throw new NnchipError('NN513', `${what}: the board answered with frame type 0x${answer.type.toString(16)}, not 0x${want.toString(16)}`);
    return answer;
  }

  async info(): Promise<BoardInfo> {
    return parseInfo((await this.request(infoRequest(), RESP.info, 'INFO')).payload);
  }

  async write(address: number, bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length; at += CHUNK) await this.request(writeRequest(address + at, bytes.subarray(at, at + CHUNK)), RESP.ack, `WRITE at ${address + at}`);
  }

  async read(address: number, count: number): Promise<Uint8Array> {
    const out = new Uint8Array(count);
    for (let at = 0; at < count; at += CHUNK) {
      const n = Math.min(CHUNK, count - at);
      const answer = await this.request(readRequest(address + at, n), RESP.data, `READ at ${address + at}`);
      if (answer.payload.length !== n) throw new NnchipError('NN513', `READ at ${address + at}: the board sent ${answer.payload.length} bytes, not ${n}`);
      out.set(answer.payload, at);
    }
    return out;
  }

  /** Run the program once: compute cycles (reset release to done) and board clock cycles of the whole run. */
  async run(): Promise<{ cycles: number; clocks: number }> {
    const p = (await this.request(runRequest(), RESP.done, 'RUN')).payload;
    return { cycles: readU32(p, 0), clocks: readU32(p, 4) };
  }
}

/** Rows of a tensor as (address, first code, count) runs: adjacent rows merge into one transfer. */
function rowRuns(t: DramTensor): { address: number; first: number; count: number }[] {
  const runs: { address: number; first: number; count: number }[] = [];
  for (let r = 0; r < t.rows; r++) {
    const address = pixelAddress(t, r);
    const last = runs[runs.length - 1];
    if (last !== undefined && last.address + last.count === address) last.count += t.rowBytes;
    else runs.push({ address, first: r * t.rowBytes, count: t.rowBytes });
  }
  return runs;
}

const hex8 = (v: number): string => v.toString(16).padStart(8, '0');

/**
 * Check that the board's bitstream is `machineId` and that its flash image is good and holds `p`:
 * another bitstream is NN514, a missing, damaged or other machine's image NN511, another program NN514.
 */
export async function checkBoard(s: BoardSession, p: Program, machineId: number): Promise<BoardInfo> {
  const info = await s.info();
  if (info.machineId !== machineId) {
    throw new NnchipError('NN514', `the FPGA runs machine ${hex8(info.machineId)}, this folder's bitstream is machine ${hex8(machineId)} (program the FPGA with this folder's bitstream: make prog)`);
  }
  if (info.imageStatus !== IMAGE_STATUS.ok) {
    const name = imageStatusName(info.imageStatus);
    throw new NnchipError('NN511', name === undefined ? `the board reported flash image status ${info.imageStatus}` : IMAGE_STATUS_TEXT[name]);
  }
  const want = programIdOf(p);
  if (info.programId !== want) {
    throw new NnchipError('NN514', `the board's flash image holds program ${hex8(info.programId)}, not ${hex8(want)}, the one given (write its image: make prog-image, or run with --program <the image's .nnp>)`);
  }
  return info;
}

export interface BoardRun {
  readonly raw: Int8Array;
  readonly cycles: number;
  readonly clocks: number;
}

/** One inference on the board: input codes in, output codes and cycle counts out. */
export async function inferOnBoard(s: BoardSession, p: Program, codes: Int8Array): Promise<BoardRun> {
  // the input's stored rows: its pixels, or the first layer's windows (isa/input-windows.ts)
  const stored = storedCodes(p.input, codes);
  for (const run of rowRuns(storedLayout(p.input))) await s.write(run.address, new Uint8Array(stored.buffer, stored.byteOffset + run.first, run.count));
  const { cycles, clocks } = await s.run();
  // every output's rows, one output after the other (isa/program.ts readOutputs)
  const raw = new Int8Array(outputSize(p));
  for (const { t, offset } of outputParts(p)) for (const run of rowRuns(t)) raw.set(new Int8Array((await s.read(run.address, run.count)).buffer), offset + run.first);
  return { raw, cycles, clocks };
}
