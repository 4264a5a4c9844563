// SPDX-License-Identifier: MIT
/**
 * The board commands end to end through bin/nnchip.mjs: `verilog --board` writes the design folder
 * (board top, pcf, Makefile at the chosen clock, flash image, program), `board flash-image` rewrites
 * the same image or makes one of another model for the same machine (and refuses another machine's), and `board run` fails with one clear line when the port cannot be opened.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { BOARD_NAMES } from '../../src/board/boards.js';
import { PLACED_MACHINES } from '../../src/board/fit.js';
import { IMAGE_HEADER_BYTES, imageFieldOffset, type ImageField } from '../../src/board/image.js';
import { encodeAll } from '../../src/isa/encode.js';
import { deserializeProgram } from '../../src/isa/validate.js';
import { BIN, nnchip, REPO } from '../helpers/cli.js';

const TINY = join(REPO, 'examples/tiny/tiny.nnchip.json');
const CALIBRATION = join(REPO, 'examples/tiny/calibration.json');
const work = mkdtempSync(join(tmpdir(), 'nnchip-board-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('nnchip verilog --board and nnchip board', () => {
  const hw = join(work, 'hw');
  test('verilog --board writes the design, with the PLL and the Makefile at --clock', () => {
    // the files, not the fit: the default buffers are more block RAM than the part has (the fit check is tested below)
    const r = nnchip(['verilog', TINY, '--calibration', CALIBRATION, '--array', '2x2', '--board', 'hx8k-breakout', '--clock', '24', '--no-fit-check', '-o', hw, '--json']);
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
    // the flash is read with Dual Output Fast Read unless --flash-read says otherwise
    expect((JSON.parse(r.stdout) as { flashRead: string }).flashRead).toBe('dual');
    expect(top).toMatch(/parameter \[7:0\] FLASH_READ_CMD = 8'h3b,/);
  });

  test('the iCEBreaker\'s PLL is fed by its own pad (pin 35: SB_PLL40_PAD), the HX8K breakout\'s from the fabric; a clock the PLL only comes near is named as made', () => {
    const ice = join(work, 'ice16');
    const r = nnchip(['verilog', TINY, '--calibration', CALIBRATION, '--board', 'icebreaker', '--clock', '16', '-o', ice]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('16.125 MHz (the PLL\'s nearest to 16)');
    expect(readFileSync(join(ice, 'Makefile'), 'utf8')).toMatch(/^FREQ \?= 16\.125$/m);
    const top = readFileSync(join(ice, 'board/nnchip_board_top.v'), 'utf8');
    expect(top).toMatch(/parameter USE_PLL = 1,/);
    expect(top).toMatch(/parameter PLL_PAD = 1,/);
    expect(readFileSync(join(hw, 'board/nnchip_board_top.v'), 'utf8')).toMatch(/parameter PLL_PAD = 0,/);
  });

  test('--flash-read single reads with READ (0x03); another mode, or the flag without --board, is a usage error', () => {
    const single = join(work, 'single');
    const r = nnchip(['verilog', TINY, '--calibration', CALIBRATION, '--array', '2x2', '--board', 'icebreaker', '--flash-read', 'single', '--no-fit-check', '-o', single, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(single, 'board/nnchip_board_top.v'), 'utf8')).toMatch(/FLASH_READ_CMD = 8'h03,[^\n]*\n\s*parameter FLASH_DUMMY_CLKS = 0,[^\n]*\n\s*parameter FLASH_BITS_PER_CLK = 1,/);
    expect((JSON.parse(readFileSync(join(single, 'board.json'), 'utf8')) as { flashRead: string }).flashRead).toBe('single');
    const quad = nnchip(['verilog', TINY, '--calibration', CALIBRATION, '--board', 'icebreaker', '--flash-read', 'quad', '-o', join(work, 'quad')]);
    expect(quad.code).toBe(2);
    expect(quad.stderr).toMatch(/^error NN801: unknown flash read "quad" \(available: single, dual; did you mean dual\?\)/);
    expect(quad.stderr.trim().split('\n')).toHaveLength(1);
    const plain = nnchip(['verilog', TINY, '--calibration', CALIBRATION, '--flash-read', 'dual', '-o', join(work, 'plain-flash')]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/^error NN801: --flash-read applies to board designs only/);
  });

  test('the flash image is a header (magic, machine and program ids, sizes, sums), the program, then the constants; board flash-image writes the same bytes', () => {
    const image = readFileSync(join(hw, 'flash.bin'));
    const program = deserializeProgram(readFileSync(join(hw, 'program.nnp')));
    const manifest = JSON.parse(readFileSync(join(hw, 'board.json'), 'utf8')) as { machineId: number; programId: number };
    const field = (f: ImageField): number => image.readUInt32LE(imageFieldOffset(f));
    expect(image.subarray(0, 4).toString('latin1')).toBe('NNCF');
    expect([field('machineId'), field('programId')]).toEqual([manifest.machineId, manifest.programId]);
    expect([field('instructions'), field('constants'), field('dramSize')]).toEqual([program.instructions.length, program.constants.length, program.dramSize]);
    const sum = (b: Uint8Array): number => b.reduce((s, x) => (s + x) >>> 0, 0);
    expect(field('headerSum')).toBe(sum(image.subarray(0, imageFieldOffset('headerSum'))));
    const payload = image.subarray(IMAGE_HEADER_BYTES);
    expect(field('payloadSum')).toBe(sum(payload));
    const code = payload.subarray(0, 16 * program.instructions.length);
    expect(Array.from(code)).toEqual(Array.from(encodeAll(program.instructions)));
    expect(payload.subarray(code.length).equals(Buffer.from(program.constants))).toBe(true);
    // the bitstream holds no program: no ROM image in the folder
    expect(existsSync(join(hw, 'mem/program.hex'))).toBe(false);
    const again = join(work, 'again.bin');
    const r = nnchip(['board', 'flash-image', hw, '-o', again]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('iceprog -o 1048576');
    expect(readFileSync(again).equals(image)).toBe(true);
  });

  test('flash-image --model: another model for the same machine gets an image and its program; another machine is refused (NN516)', () => {
    const { inputs } = JSON.parse(readFileSync(CALIBRATION, 'utf8')) as { inputs: unknown[] };
    const one = join(work, 'two-samples.json');
    writeFileSync(one, JSON.stringify({ inputs: inputs.slice(3, 5) }));
    const out = join(work, 'other.bin');
    const r = nnchip(['board', 'flash-image', hw, '--model', TINY, '--calibration', one, '--array', '2x2', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const other = deserializeProgram(readFileSync(join(work, 'other.nnp')));
    const image = readFileSync(out);
    const manifest = JSON.parse(readFileSync(join(hw, 'board.json'), 'utf8')) as { machineId: number; programId: number };
    expect(image.readUInt32LE(imageFieldOffset('machineId'))).toBe(manifest.machineId);
    expect(image.readUInt32LE(imageFieldOffset('programId'))).not.toBe(manifest.programId);
    expect(image.subarray(image.length - other.constants.length).equals(Buffer.from(other.constants))).toBe(true);
    // no machine named: compiled for the folder's own
    const same = nnchip(['board', 'flash-image', hw, '--model', TINY, '--calibration', one, '-o', join(work, 'same.bin')]);
    expect(same.code, same.stderr).toBe(0);
    expect(readFileSync(join(work, 'same.bin')).equals(image)).toBe(true);
    const wrong = nnchip(['board', 'flash-image', hw, '--model', TINY, '--calibration', CALIBRATION, '--array', '1x1', '-o', join(work, 'wrong.bin')]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error NN516: .*needs another machine than this folder's bitstream: .*ROWS 1 \(the bitstream has 2\)/);
    expect(existsSync(join(work, 'wrong.bin'))).toBe(false);
    const noOut = nnchip(['board', 'flash-image', hw, '--model', TINY, '--array', '2x2']);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/^error NN801: --model needs -o/);
  });

  test('the design folder after `board flash-image` (its own image rewritten, another model\'s added; --json) is still nnchip\'s to generate again; an edited one is not', () => {
    const dir = join(work, 'regen');
    const args = ['verilog', TINY, '--calibration', CALIBRATION, '--board', 'icebreaker', '-o', dir];
    expect(nnchip(args).code).toBe(0);
    const own = nnchip(['board', 'flash-image', dir, '--json']);
    expect(own.code, own.stderr).toBe(0);
    expect(JSON.parse(own.stdout)).toMatchObject({ out: join(dir, 'flash.bin'), flashOffset: 1048576 });
    const other = nnchip(['board', 'flash-image', dir, '--model', TINY, '--input-range', '0,1', '-o', join(dir, 'other.bin'), '--json']);
    expect(other.code, other.stderr).toBe(0);
    expect(JSON.parse(other.stdout)).toMatchObject({ out: join(dir, 'other.bin'), program: join(dir, 'other.nnp') });
    const again = nnchip(args);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(join(dir, 'other.bin'))).toBe(false); // nnchip's, unchanged: replaced with the folder
    expect(nnchip(['board', 'flash-image', dir, '--model', TINY, '--input-range', '0,1', '-o', join(dir, 'other.bin')]).code).toBe(0);
    writeFileSync(join(dir, 'other.bin'), 'edited');
    const refused = nnchip(args);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/^error NN551: .*other\.bin was changed after nnchip wrote it/);
  });

  test('flash-image --model of a model no bitstream of the board holds: NN405 naming the RAM it needs, nothing written', () => {
    // 4 → 8190: an 8190-byte output, more than the HX8K's 8192-byte RAM region once the input is beside it
    const wide = join(work, 'wide.nnchip.json');
    const kernel = Array.from({ length: 4 }, (_, i) => Array.from({ length: 8190 }, (_, j) => (((i * 31 + j * 7) % 13) / 13) - 0.5));
    writeFileSync(wide, JSON.stringify({ format: 'nnchip-model', version: 1, name: 'wide', input: { shape: [4] }, layers: [{ name: 'fc', op: 'dense', kernel, bias: new Array(8190).fill(0) }] }));
    const out = join(work, 'wide.bin');
    const r = nnchip(['board', 'flash-image', hw, '--model', wide, '--input-range', '0,1', '--array', '2x2', '-o', out]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error NN405: the board RAM region \(input, output, activations\) needs [\d,]+ bytes; the iCE40-HX8K breakout \(CT256\) has room for 8,192 beside the core — use a model with smaller inputs/m);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(work, 'wide.nnp'))).toBe(false);
  });

  test('--with tables builds the step-table sequencer (board.json says so), so a table model\'s image runs on the bitstream; without it NN516 names the flag; an unknown name is NN801', () => {
    // the tiny example with a step-table activation (106 entries: the acc buffer must hold it) and the
    // placed HX8K breakout machine with that acc buffer (the iCEBreaker's, 5,384 of 5,280 logic cells
    // estimated with the sequencer since the bias register, is refused); --ram-bytes leaves the DRAM room for its tables
    const table = join(work, 'thresholded.nnchip.json');
    writeFileSync(table, readFileSync(TINY, 'utf8').replace('"activation": "relu"', '"activation": "thresholdedrelu", "alpha": 0.7'));
    const config = join(work, 'acc128.json');
    writeFileSync(config, JSON.stringify({ ...PLACED_MACHINES['hx8k-breakout'].config, accDepth: 128 }));
    const design = (out: string, ...more: string[]) => nnchip(['verilog', TINY, '--calibration', CALIBRATION, '--board', 'hx8k-breakout', '--config', config, '--ram-bytes', '2048', ...more, '-o', out]);
    const withTables = join(work, 'with-tables');
    const r = design(withTables, '--with', 'tables');
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(withTables, 'board.json'), 'utf8')) as { machineId: number; capacity: { tables: boolean; pooling: boolean } };
    expect(manifest.capacity).toMatchObject({ tables: true, pooling: false });
    expect(readFileSync(join(withTables, 'rtl/nnchip_top.v'), 'utf8')).toMatch(/THRESHOLD_TABLE = 1/);
    const image = join(work, 'thresholded.bin');
    const ok = nnchip(['board', 'flash-image', withTables, '--model', table, '--calibration', CALIBRATION, '-o', image]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(image).readUInt32LE(imageFieldOffset('machineId'))).toBe(manifest.machineId);
    const plain = join(work, 'without-tables');
    expect(design(plain).code).toBe(0);
    expect((JSON.parse(readFileSync(join(plain, 'board.json'), 'utf8')) as { capacity: { tables: boolean } }).capacity.tables).toBe(false);
    const refused = nnchip(['board', 'flash-image', plain, '--model', table, '--calibration', CALIBRATION, '-o', join(work, 'refused.bin')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^error NN516: .*THRESHOLD_TABLE 1 \(the bitstream has 0\) — .*nnchip verilog <model> --board hx8k-breakout --with tables$/m);
    const unknown = design(join(work, 'with-unknown'), '--with', 'tables,pool');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/^error NN801: --with: unknown hardware "pool" \(available: tables, pooling/);
    const notBoard = nnchip(['verilog', TINY, '--calibration', CALIBRATION, '--with', 'tables', '-o', join(work, 'plain-with')]);
    expect(notBoard.code).toBe(2);
    expect(notBoard.stderr).toMatch(/^error NN801: --with applies to board designs only/);
  });

  test('board run on a port that does not exist: one line, NN512, exit 1', () => {
    const r = nnchip(['board', 'run', hw, '--port', join(work, 'no-such-tty'), '--input', CALIBRATION]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // the port is named once, serialport's "Error: …, cannot open <path>" unwrapped
    expect(r.stderr).toMatch(/^error NN512: cannot open \S*no-such-tty: No such file or directory — there is no \S*no-such-tty: plug the board in/);
  });

  test('without the optional serialport package: board run is NN703 (exit 5) in one line; the other board commands do not need it', () => {
    // resolve hooks that make serialport missing, as `npm ci --omit=optional` leaves it: for ES
    // imports (the ES modules of dist/) and for require (the CLI bundle, CommonJS: src/cli/bundle.ts)
    const hook = join(work, 'no-serialport.mjs');
    const resolver = 'export async function resolve(s, c, next) { if (s === "serialport") { const e = new Error("Cannot find package serialport"); e.code = "ERR_MODULE_NOT_FOUND"; throw e; } return next(s, c); }';
    writeFileSync(
      hook,
      [
        "import Module, { register } from 'node:module';",
        `register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(resolver)}`)});`,
        'const resolveFilename = Module._resolveFilename;',
        'Module._resolveFilename = function (request, ...rest) {',
        '  if (request === "serialport") { const e = new Error("Cannot find module serialport"); e.code = "MODULE_NOT_FOUND"; throw e; }',
        '  return resolveFilename.call(this, request, ...rest);',
        '};',
        '',
      ].join('\n'),
    );
    const run = (args: readonly string[]) => spawnSync(process.execPath, ['--import', pathToFileURL(hook).href, BIN, ...args], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
    const r = run(['board', 'run', hw, '--port', join(work, 'no-such-tty'), '--input', CALIBRATION]);
    expect(r.status, r.stderr).toBe(5);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error NN703: the serialport package is not installed; `nnchip board run` needs it — install the serial-port library: npm install serialport/);
    const image = join(work, 'without-serialport.bin');
    const f = run(['board', 'flash-image', hw, '-o', image]);
    expect(f.status, f.stderr).toBe(0);
    expect(existsSync(image)).toBe(true);
    const v = run(['verilog', TINY, '--board', 'icebreaker', '-o', join(work, 'without-serialport')]);
    expect(v.status, v.stderr).toBe(0);
  });

  /** Hostile input: one line with its code, the exit code, nothing on stdout and nothing written. */
  const refused = (args: readonly string[], code: number, line: RegExp, out?: string): void => {
    const r = nnchip(args);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(line);
    if (out !== undefined) expect(existsSync(out), `${out} written`).toBe(false);
  };

  test.each([
    [['--clock', 'abc'], /^error NN801: --clock abc: expected a positive number/],
    [['--clock', '-12'], /^error NN801: --clock -12: expected a positive number/],
    [['--clock', '13'], /^error NN801: --clock 13: the iCE40 PLL cannot make 13 MHz/],
    [['--clock', '1000'], /^error NN801: --clock 1000: the iCE40 PLL cannot make 1000 MHz/],
    [['--baud', '0'], /^error NN801: --baud 0: expected a positive number/],
    [['--baud', '1.5'], /^error NN801: --baud 1\.5: expected a whole number of bits per second from 300 to 12000000/],
    [['--baud', '1'], /^error NN801: --baud 1: expected a whole number of bits per second from 300/],
    [['--baud', '20000000'], /^error NN801: --baud 20000000: expected a whole number of bits per second from 300 to 12000000/],
    [['--clock', '12', '--baud', '2500000'], /^error NN801: --baud 2500000: it cannot be made from a 12 MHz clock within 2%/],
    [['--board', 'icestick'], /^error NN801: unknown board "icestick" \(available: icebreaker, hx8k-breakout\)/],
    [['--target', 'ecp5'], /^error NN801: --board icebreaker builds for ice40, not --target ecp5/],
    [['--device', 'hx8k'], /^error NN801: --board icebreaker has an up5k part, not --device hx8k/],
  ])('verilog --board icebreaker %j: a usage error, nothing written', (args, line) => {
    const out = join(work, `hostile-${args.join('_')}`);
    refused(['verilog', TINY, '--calibration', CALIBRATION, '--board', 'icebreaker', ...args, '-o', out], 2, line, out);
  });

  test('board commands on what is not a board design, or with inputs that do not fit it: one line, nothing written', () => {
    const image = join(work, 'not-written.bin');
    refused(['board', 'flash-image', join(REPO, 'examples/tiny'), '-o', image], 1, /^error NN515: \S+examples\/tiny has no board\.json: not a board design/, image);
    refused(['board', 'flash-image', TINY, '-o', image], 1, /^error NN515: \S+tiny\.nnchip\.json is not a folder/, image);
    refused(['board', 'run', join(work, 'nowhere'), '--port', '/dev/null', '--input', CALIBRATION], 1, /^error NN515: \S+nowhere is not a folder/);
    const wrong = join(work, 'three-numbers.json');
    writeFileSync(wrong, '[[1, 2, 3]]');
    refused(['board', 'run', hw, '--port', join(work, 'no-such-tty'), '--input', wrong], 1, /^error NN303: three-numbers\.json: sample 0 has 3 numbers; the model input needs 4/);
    refused(['board', 'run', hw, '--port', join(work, 'no-such-tty'), '--input', CALIBRATION, '--timeout', '-1'], 2, /^error NN801: --timeout -1: expected a positive number of seconds/);
    refused(['board', 'run', hw, '--port', join(work, 'no-such-tty'), '--input', CALIBRATION, '--program', TINY], 2, /^error NN801: \S+tiny\.nnchip\.json: nnchip board run needs a lowered program/);
    // a board.json whose fields were edited into nonsense
    const edited = join(work, 'edited');
    nnchip(['verilog', TINY, '--calibration', CALIBRATION, '--board', 'icebreaker', '-o', edited]);
    const manifest = JSON.parse(readFileSync(join(edited, 'board.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(edited, 'board.json'), JSON.stringify({ ...manifest, baud: 'fast' }));
    refused(['board', 'run', edited, '--port', join(work, 'no-such-tty'), '--input', CALIBRATION], 1, /^error NN515: \S+board\.json: baud is not/);
    refused(['board', 'flash-image', edited, '-o', image], 1, /^error NN515: \S+board\.json: baud is not/, image);
    // a size of the machine or the board edited (the image was made for another machine, silently), an unknown flash read mode
    const capacity = manifest['capacity'] as Record<string, unknown>;
    for (const [what, edit] of [['capacity', { capacity: { ...capacity, tokenBits: 64 } }], ['capacity', { board: 'hx8k-breakout' }], ['flashRead', { flashRead: 'octal' }]] as const) {
      writeFileSync(join(edited, 'board.json'), JSON.stringify({ ...manifest, ...edit }));
      refused(['board', 'flash-image', edited, '-o', image], 1, new RegExp(`^error NN515: \\S+board\\.json: ${what === 'capacity' ? 'capacity does not describe the machine machineId names' : 'flashRead is not one of'}`), image);
    }
  });
});

describe('verilog --board refuses a design that does not fit the board\'s part, before writing it', () => {
  test.each(BOARD_NAMES)('%s: with no machine named, the one that places on the board (its buffers as deep as the model needs)', (board) => {
    const r = nnchip(['verilog', TINY, '--calibration', CALIBRATION, '--board', board, '-o', join(work, `board-default-${board}`), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { array: string }).array).toBe(`${PLACED_MACHINES[board].config.rows}x${PLACED_MACHINES[board].config.cols}`);
  });

  test.each(BOARD_NAMES)('%s: the 8x8 machine (--array 8x8, the default config) is refused in one line (exit 4) with a machine config that fits, and that config is accepted', (board) => {
    const out = join(work, `default-${board}`);
    const r = nnchip(['verilog', TINY, '--calibration', CALIBRATION, '--array', '8x8', '--board', board, '-o', out]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^error NN405: the ${board} design does not fit iCE40-\\w+ \\(\\w+\\): logic cells \\d+ of \\d+ \\(\\d+ over\\)`));
    if (board === 'icebreaker') expect(r.stderr).toContain('DSPs 32 of 8 (24 over)');
    expect(existsSync(out), 'nothing written').toBe(false);
    const suggested = /a machine config that fits: (\{[^}]*\})/.exec(r.stderr)?.[1];
    expect(suggested, r.stderr).toBeDefined();
    const config = join(work, `suggested-${board}.json`);
    writeFileSync(config, suggested!);
    const ok = nnchip(['verilog', TINY, '--calibration', CALIBRATION, '--board', board, '--config', config, '-o', out, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(join(out, 'flash.bin'))).toBe(true);
  });

  test.each(BOARD_NAMES)('%s: the machine that places and routes (bench/board.mjs) is accepted', (board) => {
    const { clockMhz, config } = PLACED_MACHINES[board];
    const file = join(work, `placed-${board}.json`);
    writeFileSync(file, JSON.stringify(config));
    const r = nnchip(['verilog', TINY, '--calibration', CALIBRATION, '--board', board, '--clock', String(clockMhz), '--config', file, '-o', join(work, `placed-${board}`), '--json']);
    expect(r.code, r.stderr).toBe(0);
  });

  test('a lowered program (one config\'s) that does not fit is refused without a suggestion, naming why', () => {
    const lowered = join(work, 'lowered');
    expect(nnchip(['lower', TINY, '--calibration', CALIBRATION, '-o', lowered]).code).toBe(0);
    const r = nnchip(['verilog', join(lowered, 'program.nnp'), '--board', 'icebreaker', '-o', join(work, 'from-nnp')]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error NN405: the icebreaker design does not fit .*DSPs 32 of 8 \(24 over\).*give the model itself for a machine config that fits/);
  });

  test('--no-fit-check writes the design anyway; without --board it is a usage error', () => {
    const out = join(work, 'unchecked');
    const r = nnchip(['verilog', TINY, '--calibration', CALIBRATION, '--array', '8x8', '--board', 'icebreaker', '--no-fit-check', '-o', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { array: string }).array).toBe('8x8');
    const usage = nnchip(['verilog', TINY, '--no-fit-check', '-o', join(work, 'plain')]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^error NN801: --no-fit-check applies to board designs only/);
  });
});

