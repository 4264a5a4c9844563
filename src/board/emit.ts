// SPDX-License-Identifier: MIT
/**
 * Program + board → the design folder of `nnchip verilog --board`: the core's RTL and program ROM
 * (backends/verilog), the board RTL (rtl-templates/board/), the protocol header, the board's .pcf, a
 * Makefile (synth, pnr at the design clock, bitstream, prog), the flash image, program.nnp and
 * board.json for `nnchip board run`, and a co-simulation bench (tb/tb_board.v). A pure function.
 */
import { FPGA_DEVICES, type PeMultipliers } from '../backends/verilog/devices.js';
import { emitVerilog, designSizing } from '../backends/verilog/emit.js';
import { fillTemplate } from '../backends/verilog/fill-template.js';
import { upperSnake } from '../backends/verilog/isa-header.js';
import { readTemplateDir } from '../backends/verilog/templates.js';
import { NnchipError } from '../diagnostics/error.js';
import { serializeProgram, type Program } from '../isa/program.js';
import { scheduleTimes } from '../isa/timing.js';
import type { Contents } from '../util/atomic-write.js';
import { DEFAULT_BAUD, type Board } from './boards.js';
import { designIdOf, flashImage, IMAGE_HEADER_BYTES, imageHeader, payloadSum } from './image.js';
import { pllFor, type PllSetting } from './pll.js';
import { BOARD_ERRORS, INFO_PAYLOAD_BYTES, PROTOCOL_VERSION, REQ, RESP, SYNC } from './protocol.js';

export interface BoardEmitOptions {
  readonly board: Board;
  /** design clock, MHz (the board oscillator, or 16–275 through the PLL) */
  readonly clockMhz: number;
  readonly baud?: number;
  readonly name?: string;
  /** The core's PE multipliers; default: the board part's (devices.ts: the UP5K's DSPs). */
  readonly peMultipliers?: PeMultipliers;
}

/** What `nnchip board run` reads back from board.json. */
export interface BoardManifest {
  readonly board: string;
  readonly clockMhz: number;
  readonly baud: number;
  readonly flashOffset: number;
  readonly designId: number;
}

export const BOARD_FILES = { manifest: 'board.json', program: 'program.nnp', image: 'flash.bin', flashHex: 'mem/flash.hex' } as const;

/** Block RAM bytes the RAM region (input, output, activations) may take: half the part's, the core needs the rest. */
const RAM_BUDGET = { up5k: 7680, hx8k: 8192 } as const;

/** The protocol's constants as Verilog localparams (from protocol.ts: nothing is restated). */
export function protocolHeader(): string {
  const lines = [
    '// SPDX-License-Identifier: MIT',
    '// nnchip_protocol.vh: generated from src/board/protocol.ts (the host protocol); do not edit.',
    `localparam [7:0] PROTOCOL_SYNC = 8'h${SYNC.toString(16)};`,
    `localparam [7:0] PROTOCOL_VERSION = 8'd${PROTOCOL_VERSION};`,
    `localparam INFO_PAYLOAD_BYTES = ${INFO_PAYLOAD_BYTES};`,
    ...Object.entries(REQ).map(([k, v]) => `localparam [7:0] REQ_${upperSnake(k)} = 8'h${v.toString(16).padStart(2, '0')};`),
    ...Object.entries(RESP).map(([k, v]) => `localparam [7:0] RESP_${upperSnake(k)} = 8'h${v.toString(16).padStart(2, '0')};`),
    ...Object.entries(BOARD_ERRORS).map(([k, v]) => `localparam [7:0] ERR_${upperSnake(k)} = 8'd${v};`),
  ];
  return lines.join('\n') + '\n';
}

const hex32 = (v: number): string => `32'h${(v >>> 0).toString(16).padStart(8, '0')}`;
const clog2 = (n: number): number => Math.max(1, Math.ceil(Math.log2(Math.max(n, 2))));

function checkFits(p: Program, b: Board, ramBytes: number, imageBytes: number): void {
  if (ramBytes > RAM_BUDGET[b.device]) {
    throw new NnchipError('NN405', `the board RAM region (input, output, activations) needs ${ramBytes} bytes; the ${b.title} has room for ${RAM_BUDGET[b.device]} beside the core (use a model with smaller activations)`);
  }
  if (b.imageOffset + imageBytes > b.flashBytes) {
    throw new NnchipError('NN405', `the flash image needs ${imageBytes} bytes above offset ${b.imageOffset}; the ${b.title} flash holds ${b.flashBytes} bytes`);
  }
  if (p.config.dramBytesPerCycle > 64) throw new NnchipError('NN405', `the board memory adapter serves at most 64 DRAM bytes per cycle; the config asks for ${p.config.dramBytesPerCycle} (set dramBytesPerCycle ≤ 64)`);
}

export function uartDivider(clockMhz: number, baud: number): number {
  const div = Math.round((clockMhz * 1e6) / baud);
  const error = Math.abs((clockMhz * 1e6) / div - baud) / baud;
  if (div < 4 || error > 0.02) throw new NnchipError('NN801', `--baud ${baud}: it cannot be made from a ${clockMhz} MHz clock within 2%`);
  return div;
}

/** Values of nnchip_board_top.v's parameters. */
function topValues(p: Program, o: BoardEmitOptions, pll: PllSetting, baud: number): Record<string, string | number> {
  const sizing = designSizing(p, 1);
  const ramBytes = Math.max(1, p.dramSize - p.constants.length);
  const header = imageHeader(p);
  const cycles = scheduleTimes(p.instructions, p.config).cycles;
  return {
    CLKS_PER_BIT: uartDivider(pll.mhz, baud),
    WAKE_CLKS: Math.ceil(pll.mhz * 20), // 20 µs after RELEASE POWER-DOWN (data sheets: tRES1 ≤ 3 µs … 30 µs)
    USE_PLL: pll.use ? 1 : 0,
    PLL_DIVR: `4'd${pll.divr}`,
    PLL_DIVF: `7'd${pll.divf}`,
    PLL_DIVQ: `3'd${pll.divq}`,
    PLL_FILTER: `3'd${pll.filterRange}`,
    LED_ACTIVE_LOW: o.board.ledActiveLow ? 1 : 0,
    DRAM_BW: p.config.dramBytesPerCycle,
    DRAM_LATENCY: p.config.dramLatency,
    DRAM_AW: sizing.dramAw,
    RAM_BASE: p.constants.length,
    DRAM_SIZE: p.constants.length + ramBytes,
    RAM_AW: clog2(ramBytes),
    FLASH_IMAGE: o.board.imageOffset,
    IMAGE_HEADER_BYTES,
    IMAGE_HEADER: `${IMAGE_HEADER_BYTES * 8}'h${Array.from(header).reverse().map((x) => x.toString(16).padStart(2, '0')).join('')}`,
    IMAGE_SUM: hex32(payloadSum(p.constants)),
    CHECK_PAYLOAD: 1,
    DESIGN_ID: hex32(designIdOf(p)),
    CYCLE_LIMIT: 2 * cycles + 1000,
  };
}

export function emitBoard(p: Program, o: BoardEmitOptions): Map<string, Contents> {
  const baud = o.baud ?? DEFAULT_BAUD;
  const pll = pllFor(o.board.oscMhz, o.clockMhz);
  const image = flashImage(p);
  checkFits(p, o.board, Math.max(1, p.dramSize - p.constants.length), image.length);
  const files = new Map<string, Contents>();
  const peMultipliers = o.peMultipliers ?? FPGA_DEVICES[o.board.device].peMultipliers;
  const core = emitVerilog(p, { target: 'generic', peMultipliers, ...(o.name === undefined ? {} : { name: o.name }) });
  const rtl: string[] = [];
  for (const [path, text] of core) {
    if (path.startsWith('rtl/') || path === 'mem/program.hex') files.set(path, text);
    if (path.startsWith('rtl/') && path.endsWith('.v')) rtl.push(path);
  }
  const boardRtl: string[] = [];
  for (const [name, text] of readTemplateDir('rtl-templates/board')) {
    if (name.startsWith('tb_')) {
      files.set(`tb/${name}`, fillTemplate(name, text, { FLASH_FILE: BOARD_FILES.flashHex, FLASH_IMAGE: o.board.imageOffset, FLASH_BYTES: image.length }));
      continue;
    }
    files.set(`board/${name}`, name === 'nnchip_board_top.v' ? fillTemplate(name, text, topValues(p, o, pll, baud)) : fillTemplate(name, text, {}));
    boardRtl.push(`board/${name}`);
  }
  files.set('board/nnchip_protocol.vh', protocolHeader());
  const targets = readTemplateDir('targets/board');
  const pcf = targets.get(`${o.board.name}.pcf`);
  const makefile = targets.get('Makefile');
  if (pcf === undefined || makefile === undefined) throw new NnchipError('NN901', `targets/board/ lacks ${o.board.name}.pcf or its Makefile`);
  files.set('board/board.pcf', pcf);
  files.set(
    'Makefile',
    fillTemplate('targets/board/Makefile', makefile, {
      BOARD: o.board.title,
      RTL_FILES: [...rtl, ...boardRtl].join(' '),
      DEVICE: o.board.device,
      PACKAGE: o.board.package,
      CLOCK_MHZ: pll.mhz,
      FLASH_OFFSET: o.board.imageOffset,
    }),
  );
  files.set(BOARD_FILES.image, image);
  files.set(BOARD_FILES.flashHex, Array.from(image, (x) => x.toString(16).padStart(2, '0')).join('\n') + '\n');
  files.set(BOARD_FILES.program, serializeProgram(p));
  const manifest: BoardManifest = { board: o.board.name, clockMhz: pll.mhz, baud, flashOffset: o.board.imageOffset, designId: designIdOf(p) };
  files.set(BOARD_FILES.manifest, JSON.stringify(manifest, null, 2) + '\n');
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
