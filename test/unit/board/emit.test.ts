// SPDX-License-Identifier: MIT
/** The board design folder: every board template used and filled, deterministic, the protocol header from protocol.ts, fit checks. */
import { describe, expect, test } from 'vitest';
import { readTemplateDir } from '../../../src/backends/verilog/templates.js';
import { BOARD_NAMES, BOARDS } from '../../../src/board/boards.js';
import { boardMachine, emitBoard, PROGRAM_WINDOW_WORDS, protocolHeader } from '../../../src/board/emit.js';
import { clocksPerByte, clocksPerNewRead, FLASH_READS } from '../../../src/board/flash.js';
import { IMAGE_FIELDS } from '../../../src/board/image.js';
import { BOARD_ERRORS, IMAGE_STATUS, REQ, RESP } from '../../../src/board/protocol.js';
import { loadModel } from '../../../src/importers/index.js';
import { calibrationSamples, compileGraph } from '../../helpers/compile.js';

const TINY = new URL('../../../examples/tiny/tiny.nnchip.json', import.meta.url).pathname;
const SAMPLES = calibrationSamples(new URL('../../../examples/tiny/calibration.json', import.meta.url).pathname);
const program = compileGraph(loadModel(TINY), SAMPLES, { rows: 2, cols: 2 });

describe('emitBoard', () => {
  test.each(BOARD_NAMES)('%s: every board template used, every placeholder filled, the same bytes twice', (name) => {
    const files = emitBoard(program, { board: BOARDS[name], clockMhz: 12 });
    for (const t of readTemplateDir('rtl-templates/board').keys()) expect(files.has(t.startsWith('tb_') ? `tb/${t}` : `board/${t}`), t).toBe(true);
    for (const [path, text] of files) if (typeof text === 'string') expect(text, path).not.toMatch(/\{\{[A-Z][A-Z0-9_]*\}\}/);
    expect(files.get('board/board.pcf')).toBe(readTemplateDir('targets/board').get(`${name}.pcf`));
    expect([...emitBoard(program, { board: BOARDS[name], clockMhz: 12 }).entries()]).toEqual([...files.entries()]);
  });

  test('the flash read: the board\'s (dual: 0x3B, 8 dummy clocks, 2 bits a clock) unless asked otherwise; it changes the bitstream, not the machine or the image', () => {
    for (const name of BOARD_NAMES) expect(BOARDS[name].flashRead).toBe('dual');
    const dual = emitBoard(program, { board: BOARDS.icebreaker, clockMhz: 12 });
    const single = emitBoard(program, { board: BOARDS.icebreaker, clockMhz: 12, flashRead: 'single' });
    expect(dual.get('board/nnchip_board_top.v')).toMatch(/FLASH_READ_CMD = 8'h3b,[^\n]*\n\s*parameter FLASH_DUMMY_CLKS = 8,[^\n]*\n\s*parameter FLASH_BITS_PER_CLK = 2,/);
    expect(single.get('board/nnchip_board_top.v')).toMatch(/FLASH_READ_CMD = 8'h03,[^\n]*\n\s*parameter FLASH_DUMMY_CLKS = 0,[^\n]*\n\s*parameter FLASH_BITS_PER_CLK = 1,/);
    expect(single.get('flash.bin')).toEqual(dual.get('flash.bin'));
    expect(JSON.parse(String(single.get('board.json'))).machineId).toBe(JSON.parse(String(dual.get('board.json'))).machineId);
    // SCK is the board clock halved: 16 board clocks a byte single, 8 dual; a new address costs the command, address and dummy clocks
    expect([clocksPerByte(FLASH_READS.single), clocksPerByte(FLASH_READS.dual)]).toEqual([16, 8]);
    expect(clocksPerNewRead(FLASH_READS.dual) - clocksPerNewRead(FLASH_READS.single)).toBe(2 * 8 - 8);
  });

  test('the Verilog protocol constants are protocol.ts values', () => {
    const vh = protocolHeader();
    for (const [k, v] of Object.entries(REQ)) expect(vh).toContain(`REQ_${k.toUpperCase()} = 8'h${v.toString(16).padStart(2, '0')};`);
    for (const [k, v] of Object.entries(RESP)) expect(vh).toContain(`RESP_${k.toUpperCase()} = 8'h${v.toString(16).padStart(2, '0')};`);
    expect(vh).toContain(`ERR_BAD_ADDRESS = 8'd${BOARD_ERRORS.badAddress};`);
    expect(vh).toContain(`IMG_STATUS_OTHER_MACHINE = 3'd${IMAGE_STATUS.otherMachine};`);
    expect(vh).toContain(`IMG_FIELD_HEADER_SUM = 4'd${IMAGE_FIELDS.indexOf('headerSum')};`);
    expect(vh).toContain(`IMAGE_MAGIC = 32'h46434e4e;`); // "NNCF", byte 0 in bits 7:0
  });

  test('the bitstream depends on the machine only: another model of the same machine has the same RTL, another image', () => {
    const other = compileGraph(loadModel(TINY), SAMPLES.slice(3, 5), { rows: 2, cols: 2 });
    expect(other.constants).not.toEqual(program.constants);
    const a = emitBoard(program, { board: BOARDS.icebreaker, clockMhz: 12 });
    const b = emitBoard(other, { board: BOARDS.icebreaker, clockMhz: 12 });
    const rtl = [...a.keys()].filter((f) => f.endsWith('.v') || f.endsWith('.vh') || f === 'Makefile' || f.endsWith('.pcf'));
    expect(rtl.length).toBeGreaterThan(10);
    for (const f of rtl) expect(b.get(f), f).toBe(a.get(f));
    expect(a.has('mem/program.hex')).toBe(false);
    expect(b.get('flash.bin')).not.toEqual(a.get('flash.bin'));
    expect(boardMachine(other, BOARDS.icebreaker).id).toBe(boardMachine(program, BOARDS.icebreaker).id);
  });

  test('--program-words sizes the instruction RAM: a longer program streams through it (the same machine), at most 512 words (NN405)', () => {
    const n = program.instructions.length;
    const base = boardMachine(program, BOARDS.icebreaker);
    expect(base.parameters['PROG_DEPTH']).toBe(2 ** Math.ceil(Math.log2(n)));
    const window = boardMachine(program, BOARDS.icebreaker, { programWords: 8 });
    expect(window.parameters['PROG_DEPTH']).toBe(8);
    expect(emitBoard(program, { board: BOARDS.icebreaker, clockMhz: 12, capacity: { programWords: 8 } }).get('board/nnchip_board_top.v')).toMatch(/parameter PROG_AW = 3,/);
    const roomy = boardMachine(program, BOARDS.icebreaker, { programWords: 4 * n });
    expect(roomy.parameters['PROG_DEPTH']).toBeGreaterThanOrEqual(4 * n);
    expect(roomy.id).not.toBe(base.id);
    expect(() => boardMachine(program, BOARDS.icebreaker, { programWords: 513 })).toThrow(/allows 512/);
    // a program longer than 512 words gets a 256-word window; with this bitstream's capacity, its instruction RAM
    const long = { ...program, instructions: Array.from({ length: 600 }, (_, i) => program.instructions[i % n]!) };
    expect(boardMachine(long, BOARDS.icebreaker).parameters['PROG_DEPTH']).toBe(PROGRAM_WINDOW_WORDS);
    expect(boardMachine(long, BOARDS.icebreaker, base.capacity).parameters['PROG_DEPTH']).toBe(base.parameters['PROG_DEPTH']);
  });

  test('--ram-bytes sizes the RAM region, and the DRAM addresses reach all of it', () => {
    const roomy = boardMachine(program, BOARDS.icebreaker, { ramBytes: 4096 });
    expect(roomy.parameters['RAM_BYTES']).toBe(4096);
    expect(2 ** Number(roomy.parameters['DRAM_AW'])).toBeGreaterThan(program.constants.length + 4096);
    expect(() => emitBoard(program, { board: BOARDS.icebreaker, clockMhz: 12, capacity: { ramBytes: 100_000 } })).toThrow(/RAM region/);
  });

  test('the DRAM beat is min(dramBytesPerCycle, widest row): "ideal DRAM" (4,096 B/cycle) on 2x2 builds an 8-byte adapter; a beat over 64 bytes is refused (NN405)', () => {
    const ideal = compileGraph(loadModel(TINY), SAMPLES, { rows: 2, cols: 2, dramBytesPerCycle: 4096, dramLatency: 0 });
    const files = emitBoard(ideal, { board: BOARDS.icebreaker, clockMhz: 12 });
    expect(files.get('board/nnchip_board_top.v')).toMatch(/parameter DRAM_BW = 8,/);
    expect(files.get('rtl/nnchip_top.v')).toMatch(/parameter DRAM_BW = 8,/);
    expect(boardMachine(ideal, BOARDS.icebreaker).id).toBe(boardMachine(compileGraph(loadModel(TINY), SAMPLES, { rows: 2, cols: 2, dramBytesPerCycle: 8, dramLatency: 0 }), BOARDS.icebreaker).id);
    const wide = compileGraph(loadModel(TINY), SAMPLES, { rows: 32, cols: 32, dramBytesPerCycle: 4096 });
    expect(() => emitBoard(wide, { board: BOARDS.icebreaker, clockMhz: 12 })).toThrow(expect.objectContaining({ code: 'NN405', detail: expect.stringMatching(/at most 64 DRAM bytes per beat; this machine's beat is 128 \(min of dramBytesPerCycle 4096 and its widest row, 128 bytes\)/) }));
  });

  test('weights beyond the board flash, and a RAM region beyond its block RAM, are refused (NN405)', () => {
    const big = { ...program, constants: new Uint8Array(20 << 20), dramSize: (20 << 20) + 64 };
    expect(() => emitBoard(big, { board: BOARDS['hx8k-breakout'], clockMhz: 12 })).toThrow(/flash image needs/);
    const wide = { ...program, dramSize: program.constants.length + 100_000 };
    expect(() => emitBoard(wide, { board: BOARDS.icebreaker, clockMhz: 12 })).toThrow(/RAM region/);
  });
});
