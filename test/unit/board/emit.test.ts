// SPDX-License-Identifier: MIT
/** The board design folder: every board template used and filled, deterministic, the protocol header from protocol.ts, fit checks. */
import { describe, expect, test } from 'vitest';
import { readTemplateDir } from '../../../src/backends/verilog/templates.js';
import { BOARD_NAMES, BOARDS } from '../../../src/board/boards.js';
import { emitBoard, protocolHeader } from '../../../src/board/emit.js';
import { BOARD_ERRORS, REQ, RESP } from '../../../src/board/protocol.js';
import { loadModel } from '../../../src/importers/index.js';
import { calibrationSamples, compileGraph } from '../../helpers/compile.js';

const TINY = new URL('../../../examples/tiny/tiny.nnchip.json', import.meta.url).pathname;
const program = compileGraph(loadModel(TINY), calibrationSamples(new URL('../../../examples/tiny/calibration.json', import.meta.url).pathname), { rows: 2, cols: 2 });

describe('emitBoard', () => {
  test.each(BOARD_NAMES)('%s: every board template used, every placeholder filled, the same bytes twice', (name) => {
    const files = emitBoard(program, { board: BOARDS[name], clockMhz: 12 });
    for (const t of readTemplateDir('rtl-templates/board').keys()) expect(files.has(t.startsWith('tb_') ? `tb/${t}` : `board/${t}`), t).toBe(true);
    for (const [path, text] of files) if (typeof text === 'string') expect(text, path).not.toMatch(/\{\{[A-Z][A-Z0-9_]*\}\}/);
    expect(files.get('board/board.pcf')).toBe(readTemplateDir('targets/board').get(`${name}.pcf`));
    expect([...emitBoard(program, { board: BOARDS[name], clockMhz: 12 }).entries()]).toEqual([...files.entries()]);
  });

  test('the Verilog protocol constants are protocol.ts values', () => {
    const vh = protocolHeader();
    for (const [k, v] of Object.entries(REQ)) expect(vh).toContain(`REQ_${k.toUpperCase()} = 8'h${v.toString(16).padStart(2, '0')};`);
    for (const [k, v] of Object.entries(RESP)) expect(vh).toContain(`RESP_${k.toUpperCase()} = 8'h${v.toString(16).padStart(2, '0')};`);
    expect(vh).toContain(`ERR_BAD_ADDRESS = 8'd${BOARD_ERRORS.badAddress};`);
  });

  test('weights beyond the board flash, and a RAM region beyond its block RAM, are refused (NN405)', () => {
    const big = { ...program, constants: new Uint8Array(20 << 20), dramSize: (20 << 20) + 64 };
    expect(() => emitBoard(big, { board: BOARDS['hx8k-breakout'], clockMhz: 12 })).toThrow(/flash image needs/);
    const wide = { ...program, dramSize: program.constants.length + 100_000 };
    expect(() => emitBoard(wide, { board: BOARDS.icebreaker, clockMhz: 12 })).toThrow(/RAM region/);
  });
});
