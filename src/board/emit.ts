// SPDX-License-Identifier: MIT
/**
 * Program + board → the design folder of `nnchip verilog --board`: the core's RTL with a loadable
 * instruction RAM (backends/verilog), the board RTL (rtl-templates/board/), the protocol header, the
 * board's .pcf, a Makefile (synth, pnr at the design clock, bitstream, prog) and README, the flash
 * image (program and constants), program.nnp and board.json for `nnchip board run`, and a
 * co-simulation bench (tb/tb_board.v). The bitstream depends on the machine only (boardMachine());
 * the image carries the model. A pure function.
 */
import { FPGA_DEVICES, type PeMultipliers } from '../backends/verilog/devices.js';
import { coreParameters, designSizing, emitVerilog, type Capacity, type DesignSizing } from '../backends/verilog/emit.js';
import { fillTemplate } from '../backends/verilog/fill-template.js';
import { upperSnake } from '../backends/verilog/isa-header.js';
import { readTemplateDir } from '../backends/verilog/templates.js';
import { NnchipError } from '../diagnostics/error.js';
import { dramBeatBytes, widestDmaEntry } from '../isa/ops/dma.js';
import { serializeProgram, type Program } from '../isa/program.js';
import type { Contents } from '../util/atomic-write.js';
import { DEFAULT_BAUD, type Board } from './boards.js';
import { FLASH_READS, flashReadParameters, type FlashReadName } from './flash.js';
import { flashImage, IMAGE_FIELDS, IMAGE_HEADER_BYTES, IMAGE_MAGIC, machineIdOf, programIdOf } from './image.js';
import { pllFor, type PllSetting } from './pll.js';
import { BOARD_ERRORS, IMAGE_STATUS, INFO_PAYLOAD_BYTES, PROTOCOL_VERSION, REQ, RESP, SYNC } from './protocol.js';
import { fmtInt } from '../util/text.js';

/** Hardware a board design builds only for a program that uses it, unless asked for (`verilog --board --with`). */
export const BOARD_EXTRAS = ['tables', 'pooling', 'shifts'] as const;
export type BoardExtra = (typeof BOARD_EXTRAS)[number];

/** What a board bitstream is built to hold beyond the Program that made it, so other models' images run on it. */
export interface BoardCapacity extends Capacity {
  /**
   * instruction RAM words (default: this program's length, or PROGRAM_WINDOW_WORDS when that is over
   * the budget): a longer program runs too, streamed from flash through the RAM on every inference
   */
  readonly programWords?: number;
  /** bytes of the RAM region (input, output, activations) */
  readonly ramBytes?: number;
}

export interface BoardEmitOptions {
  readonly board: Board;
  /** design clock, MHz (the board oscillator, or 16–275 through the PLL) */
  readonly clockMhz: number;
  readonly baud?: number;
  /** how the design reads the flash (src/board/flash.ts); default the board's */
  readonly flashRead?: FlashReadName;
  readonly name?: string;
  readonly capacity?: BoardCapacity;
}

/** The hardware a board bitstream holds; images whose machine id equals `id` run on it. */
export interface BoardMachine {
  readonly sizing: DesignSizing;
  readonly ramBytes: number;
  /** nnchip_top's parameters and the RAM region's size: what the machine id hashes */
  readonly parameters: Readonly<Record<string, string | number>>;
  readonly id: number;
  /** the capacity that rebuilds exactly this machine for another Program of the same config */
  readonly capacity: Required<Omit<BoardCapacity, 'inputBytes' | 'outputBytes' | 'inputRows' | 'outputRows'>>;
}

/** What `nnchip board run` and `board flash-image` read back from board.json. */
export interface BoardManifest {
  readonly board: string;
  readonly clockMhz: number;
  readonly baud: number;
  readonly flashOffset: number;
  /** the flash read the bitstream uses (it does not change the machine or the image) */
  readonly flashRead: FlashReadName;
  readonly machineId: number;
  /** programIdOf() of program.nnp, whose image flash.bin is */
  readonly programId: number;
  readonly capacity: BoardMachine['capacity'];
}

export const BOARD_FILES = { manifest: 'board.json', program: 'program.nnp', image: 'flash.bin', flashHex: 'mem/flash.hex', readme: 'README.md' } as const;

/** Block RAM bytes the RAM region (input, output, activations) may take: half the part's, the core needs the rest. */
export const RAM_BUDGET = { up5k: 7680, hx8k: 8192 } as const;
/** Instruction RAM: at most 512 words (16 of the parts' 4-kbit block RAMs at 128 bits a word). */
export const PROGRAM_WORDS_BUDGET = 512;
/** The window a longer program streams through: 256 words, the 8 block RAMs a 128-bit word needs at least. */
export const PROGRAM_WINDOW_WORDS = 256;

const pow2AtLeast = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(n, 2)));

/** The core's PE multipliers on a board: its part's (devices.ts: the UP5K's DSPs). */
const boardMultipliers = (b: Board): PeMultipliers => FPGA_DEVICES[b.device].peMultipliers;

/** The machine a board design for `p` builds: the Program's needs, raised to `capacity`. */
export function boardMachine(p: Program, b: Board, capacity: BoardCapacity = {}): BoardMachine {
  // a program that fits the budget stays in the instruction RAM; a longer one streams through a window
  const words = capacity.programWords ?? (p.instructions.length <= PROGRAM_WORDS_BUDGET ? p.instructions.length : PROGRAM_WINDOW_WORDS);
  const progDepth = pow2AtLeast(Math.max(words, capacity.progDepth ?? 0));
  if (progDepth > PROGRAM_WORDS_BUDGET) {
    throw new NnchipError('NN405', `an instruction RAM of ${fmtInt(progDepth)} words of 16 bytes: the board design allows ${fmtInt(PROGRAM_WORDS_BUDGET)} (16 block RAMs of the ${b.title}; set --program-words ≤ ${PROGRAM_WORDS_BUDGET}: a longer program streams through it from flash)`);
  }
  const ramBytes = Math.max(1, p.dramSize - p.constants.length, capacity.ramBytes ?? 0);
  // the DRAM addresses reach the whole RAM region, however large it was asked to be
  const sizing = designSizing(p, 1, { ...capacity, progDepth, dramBytes: Math.max(capacity.dramBytes ?? 0, p.constants.length + ramBytes) }, true);
  const parameters = { ...coreParameters(p, sizing, boardMultipliers(b), true), RAM_BYTES: ramBytes };
  return {
    sizing,
    ramBytes,
    parameters,
    id: machineIdOf(parameters),
    capacity: { programWords: progDepth, progDepth, dramBytes: sizing.dramCap, tokenBits: sizing.tokenBits, pooling: sizing.pooling, tables: sizing.tables, shifts: sizing.shifts, chains: sizing.chains, ramBytes },
  };
}

/** The protocol's and the image header's constants as Verilog localparams (from protocol.ts and image.ts: nothing is restated). */
export function protocolHeader(): string {
  const lines = [
    '// SPDX-License-Identifier: MIT',
    '// nnchip_protocol.vh: generated from src/board/protocol.ts (the host protocol) and image.ts (the flash image); do not edit.',
    '/* verilator lint_off UNUSEDPARAM */',
    `localparam [7:0] PROTOCOL_SYNC = 8'h${SYNC.toString(16)};`,
    `localparam [7:0] PROTOCOL_VERSION = 8'd${PROTOCOL_VERSION};`,
    `localparam INFO_PAYLOAD_BYTES = ${INFO_PAYLOAD_BYTES};`,
    ...Object.entries(REQ).map(([k, v]) => `localparam [7:0] REQ_${upperSnake(k)} = 8'h${v.toString(16).padStart(2, '0')};`),
    ...Object.entries(RESP).map(([k, v]) => `localparam [7:0] RESP_${upperSnake(k)} = 8'h${v.toString(16).padStart(2, '0')};`),
    ...Object.entries(BOARD_ERRORS).map(([k, v]) => `localparam [7:0] ERR_${upperSnake(k)} = 8'd${v};`),
    ...Object.entries(IMAGE_STATUS).map(([k, v]) => `localparam [2:0] IMG_STATUS_${upperSnake(k)} = 3'd${v};`),
    `localparam IMAGE_HEADER_BYTES = ${IMAGE_HEADER_BYTES};`,
    `localparam [31:0] IMAGE_MAGIC = ${hex32(IMAGE_MAGIC.reduce((v, b, i) => v + b * 2 ** (8 * i), 0))};   // byte 0 in bits 7:0`,
    ...IMAGE_FIELDS.map((f, i) => `localparam [3:0] IMG_FIELD_${upperSnake(f)} = 4'd${i};`),
    '/* verilator lint_on UNUSEDPARAM */',
  ];
  return lines.join('\n') + '\n';
}

const hex32 = (v: number): string => `32'h${(v >>> 0).toString(16).padStart(8, '0')}`;
const clog2 = (n: number): number => Math.max(1, Math.ceil(Math.log2(Math.max(n, 2))));

/** NN405 unless the board holds the RAM region and the flash image of `p` (verilog --board and board flash-image). */
export function checkImageFits(p: Program, b: Board, ramBytes: number, imageBytes: number): void {
  if (ramBytes > RAM_BUDGET[b.device]) {
    throw new NnchipError('NN405', `the board RAM region (input, output, activations) needs ${fmtInt(ramBytes)} bytes; the ${b.title} has room for ${fmtInt(RAM_BUDGET[b.device])} beside the core`, { hint: 'use a model with smaller inputs, outputs and activations (or a smaller --batch), or a board with more block RAM' });
  }
  if (b.imageOffset + imageBytes > b.flashBytes) {
    throw new NnchipError('NN405', `the flash image needs ${fmtInt(imageBytes)} bytes above offset ${fmtInt(b.imageOffset)}; the ${b.title} flash holds ${fmtInt(b.flashBytes)} bytes`, { hint: 'use a model with fewer weights (or a shorter program), or a board with a larger flash' });
  }
  // the beat is min(dramBytesPerCycle, widest row): an "ideal DRAM" config on a small array fits
  const beat = dramBeatBytes(p.config);
  if (beat > 64) throw new NnchipError('NN405', `the board memory adapter serves at most 64 DRAM bytes per beat; this machine's beat is ${beat} (min of dramBytesPerCycle ${p.config.dramBytesPerCycle} and its widest row, ${widestDmaEntry(p.config)} bytes) (set dramBytesPerCycle ≤ 64)`);
}

/** UART speeds the boards' FTDI FT2232H carries (up to 12 Mbaud; 300 baud is the lowest standard rate). */
export const BAUD_RANGE = { min: 300, max: 12_000_000 } as const;

export function uartDivider(clockMhz: number, baud: number): number {
  if (!Number.isInteger(baud) || baud < BAUD_RANGE.min || baud > BAUD_RANGE.max) {
    throw new NnchipError('NN801', `--baud ${baud}: expected a whole number of bits per second from ${BAUD_RANGE.min} to ${BAUD_RANGE.max} (the boards' FT2232H UART)`);
  }
  const div = Math.round((clockMhz * 1e6) / baud);
  const error = Math.abs((clockMhz * 1e6) / div - baud) / baud;
  if (div < 4 || error > 0.02) throw new NnchipError('NN801', `--baud ${baud}: it cannot be made from a ${clockMhz} MHz clock within 2%`);
  return div;
}

/** Values of nnchip_board_top.v's parameters: the machine and the board, nothing of the model. */
function topValues(p: Program, m: BoardMachine, o: BoardEmitOptions, pll: PllSetting, baud: number, flashRead: FlashReadName): Record<string, string | number> {
  return {
    CLKS_PER_BIT: uartDivider(pll.mhz, baud),
    WAKE_CLKS: Math.ceil(pll.mhz * 20), // 20 µs after RELEASE POWER-DOWN (data sheets: tRES1 ≤ 3 µs … 30 µs)
    USE_PLL: pll.use ? 1 : 0,
    PLL_PAD: o.board.pllPad ? 1 : 0,
    PLL_DIVR: `4'd${pll.divr}`,
    PLL_DIVF: `7'd${pll.divf}`,
    PLL_DIVQ: `3'd${pll.divq}`,
    PLL_FILTER: `3'd${pll.filterRange}`,
    LED_ACTIVE_LOW: o.board.ledActiveLow ? 1 : 0,
    DRAM_BW: dramBeatBytes(p.config),
    DRAM_LATENCY: p.config.dramLatency,
    DRAM_AW: m.sizing.dramAw,
    RAM_BYTES: m.ramBytes,
    RAM_AW: clog2(m.ramBytes),
    PROG_AW: clog2(m.sizing.progDepth),
    FLASH_IMAGE: o.board.imageOffset,
    ...flashReadParameters(FLASH_READS[flashRead]),
    MACHINE_ID: hex32(m.id),
  };
}

/** The image as the co-simulation's flash model reads it: one hex byte per line. */
export const flashHex = (image: Uint8Array): string => Array.from(image, (x) => x.toString(16).padStart(2, '0')).join('\n') + '\n';

export function emitBoard(p: Program, o: BoardEmitOptions): Map<string, Contents> {
  const baud = o.baud ?? DEFAULT_BAUD;
  const flashRead = o.flashRead ?? o.board.flashRead;
  const pll = pllFor(o.board.oscMhz, o.clockMhz);
  const machine = boardMachine(p, o.board, o.capacity);
  const image = flashImage(p, machine.id);
  checkImageFits(p, o.board, machine.ramBytes, image.length);
  const files = new Map<string, Contents>();
  // the core's instruction memory is loaded from the image: the folder holds no program ROM image
  const core = emitVerilog(p, { target: 'generic', peMultipliers: boardMultipliers(o.board), loadableProgram: true, capacity: machine.capacity, ...(o.name === undefined ? {} : { name: o.name }) });
  const rtl: string[] = [];
  for (const [path, text] of core) {
    if (path.startsWith('rtl/')) files.set(path, text);
    if (path.startsWith('rtl/') && path.endsWith('.v')) rtl.push(path);
  }
  const boardRtl: string[] = [];
  for (const [name, text] of readTemplateDir('rtl-templates/board')) {
    if (name.startsWith('tb_')) {
      // the flash model holds this image or another (+FLASH=): room for this one, rounded up to 64 KiB
      const flashBytes = Math.ceil((image.length + 1) / 65536) * 65536;
      files.set(`tb/${name}`, fillTemplate(name, text, { FLASH_FILE: BOARD_FILES.flashHex, FLASH_IMAGE: o.board.imageOffset, FLASH_BYTES: flashBytes }));
      continue;
    }
    files.set(`board/${name}`, name === 'nnchip_board_top.v' ? fillTemplate(name, text, topValues(p, machine, o, pll, baud, flashRead)) : fillTemplate(name, text, {}));
    boardRtl.push(`board/${name}`);
  }
  files.set('board/nnchip_protocol.vh', protocolHeader());
  const targets = readTemplateDir('targets/board');
  const pcf = targets.get(`${o.board.name}.pcf`);
  const makefile = targets.get('Makefile');
  const readme = targets.get('README.md');
  if (pcf === undefined || makefile === undefined || readme === undefined) throw new NnchipError('NN901', `targets/board/ lacks ${o.board.name}.pcf, its Makefile or README.md`);
  files.set('board/board.pcf', pcf);
  const flow = { BOARD: o.board.title, CLOCK_MHZ: pll.mhz, FLASH_OFFSET: o.board.imageOffset };
  files.set('Makefile', fillTemplate('targets/board/Makefile', makefile, { ...flow, RTL_FILES: [...rtl, ...boardRtl].join(' '), DEVICE: o.board.device, PACKAGE: o.board.package }));
  files.set(
    BOARD_FILES.readme,
    fillTemplate('targets/board/README.md', readme, {
      ...flow,
      MODEL: o.name ?? 'model',
      ARRAY: `${p.config.rows}x${p.config.cols}`,
      BAUD: baud,
      MACHINE_ID: machine.id.toString(16).padStart(8, '0'),
      PROGRAM_WORDS: machine.sizing.progDepth,
      INSTRUCTIONS: fmtInt(p.instructions.length),
      RAM_BYTES: fmtInt(machine.ramBytes),
      IMAGE_BYTES: fmtInt(image.length),
      FLASH_OFFSET_HEX: `0x${o.board.imageOffset.toString(16)}`,
      FLASH_READ: `${FLASH_READS[flashRead].title} (the ${o.board.flashChip} answers it)`,
    }),
  );
  files.set(BOARD_FILES.image, image);
  files.set(BOARD_FILES.flashHex, flashHex(image));
  files.set(BOARD_FILES.program, serializeProgram(p));
  const manifest: BoardManifest = { board: o.board.name, clockMhz: pll.mhz, baud, flashOffset: o.board.imageOffset, flashRead, machineId: machine.id, programId: programIdOf(p), capacity: machine.capacity };
  files.set(BOARD_FILES.manifest, JSON.stringify(manifest, null, 2) + '\n');
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
