// SPDX-License-Identifier: MIT
/**
 * The board commands end to end through bin/nnchip.mjs: `verilog --board` writes the design folder
 * (board top, pcf, Makefile at the chosen clock, flash image, program), `board flash-image` rewrites
 * the same image, and `board run` fails with one clear line when the port cannot be opened.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readContainer } from '../../src/isa/program.js';
import { nnchip, REPO } from '../helpers/cli.js';

const TINY = join(REPO, 'examples/tiny/tiny.nnchip.json');
const CALIBRATION = join(REPO, 'examples/tiny/calibration.json');
const work = mkdtempSync(join(tmpdir(), 'nnchip-board-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('nnchip verilog --board and nnchip board', () => {
  const hw = join(work, 'hw');
  test('verilog --board writes the design, with the PLL and the Makefile at --clock', () => {
    const r = nnchip(['verilog', TINY, '--calibration', CALIBRATION, '--array', '2x2', '--board', 'hx8k-breakout', '--clock', '24', '-o', hw, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { files: string[]; clockMhz: number };
    expect(summary.clockMhz).toBe(24);
    for (const f of ['board/nnchip_board_top.v', 'board/board.pcf', 'board/nnchip_protocol.vh', 'Makefile', 'flash.bin', 'program.nnp', 'board.json', 'tb/tb_board.v']) expect(summary.files).toContain(f);
    expect(readFileSync(join(hw, 'Makefile'), 'utf8')).toMatch(/^FREQ \?= 24$/m);
    // 24 MHz = 12 MHz · (DIVF + 1) / ((DIVR + 1) · 2^DIVQ)
    const top = readFileSync(join(hw, 'board/nnchip_board_top.v'), 'utf8');
    const field = (n: string): number => Number(new RegExp(`parameter \\[\\d:0\\] ${n} = \\d+'d(\\d+)`).exec(top)?.[1]);
    expect(top).toMatch(/parameter USE_PLL = 1,/);
    expect((12 * (field('PLL_DIVF') + 1)) / ((field('PLL_DIVR') + 1) * 2 ** field('PLL_DIVQ'))).toBe(24);
    expect(readFileSync(join(hw, 'board/board.pcf'), 'utf8')).toMatch(/^set_io clk_pin J3$/m);
  });

  test('the flash image is magic, length, sum and design id, then the constants; board flash-image writes the same bytes', () => {
    const image = readFileSync(join(hw, 'flash.bin'));
    const program = readContainer(readFileSync(join(hw, 'program.nnp')));
    const constants = image.subarray(16);
    expect(image.subarray(0, 4).toString('latin1')).toBe('NNCF');
    expect(image.readUInt32LE(4)).toBe(constants.length);
    expect(image.readUInt32LE(8)).toBe(constants.reduce((s, b) => (s + b) >>> 0, 0));
    expect(image.readUInt32LE(12)).toBe((JSON.parse(readFileSync(join(hw, 'board.json'), 'utf8')) as { designId: number }).designId);
    expect(constants.length).toBeGreaterThan(0);
    expect(constants.equals(Buffer.from(program.constants))).toBe(true);
    const again = join(work, 'again.bin');
    const r = nnchip(['board', 'flash-image', hw, '-o', again]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('iceprog -o 1048576');
    expect(readFileSync(again).equals(image)).toBe(true);
  });

  test('board run on a port that does not exist: one line, NN512, exit 1', () => {
    const r = nnchip(['board', 'run', hw, '--port', join(work, 'no-such-tty'), '--input', CALIBRATION]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error NN512: cannot open .*no-such-tty/);
  });
});
