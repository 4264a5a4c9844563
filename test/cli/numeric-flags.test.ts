/**
 * Every numeric flag of every command is read by one rule (src/cli/flag-numbers.ts): counts in decimal
 * digits (thousands may be grouped with commas, as the messages print them), quantities as decimal
 * numbers. `--batch 0x10` was a batch of 16, `--max-memory 1e9` a gigabyte, `--samples " 4"` four.
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../../src/cli/context.js';
import { flagCount, flagQuantity } from '../../src/cli/flag-numbers.js';
import { failure } from '../helpers/errors.js';

const TINY = join(import.meta.dirname, '../../examples/tiny/tiny.nnchip.json');
const BOARD = join(import.meta.dirname, '../../examples/tiny/no-such-board-folder');

describe('the one rule', () => {
  test.each([
    ['16', 16],
    ['0016', 16],
    ['4,000,000', 4_000_000],
    ['x', NaN],
    ['Infinity', NaN],
    ['', NaN],
    ['2.5', NaN],
    ['-3', NaN],
    ['1,00', NaN],
  ])('count %j is %d', (text, n) => expect(flagCount(text, '--n')).toBe(n));

  test.each([
    ['0x10', '--n 16'],
    ['0b11', '--n 3'],
    ['0o7', '--n 7'],
    ['1e3', '--n 1000'],
    [' 12', '--n 12'],
    ['12\n', '--n 12'],
    ['+3', '--n 3'],
    ['2.0', '--n 2'],
  ])('count %j is refused, with its decimal spelling', (text, spelt) => {
    expect(failure(() => flagCount(text, '--n')).format()).toBe(`error NN801: --n ${JSON.stringify(text)} must be written in decimal digits: ${spelt} — see \`nnchip --help\``);
  });

  test.each([
    ['12.5', 12.5],
    ['-0.5', -0.5],
    ['.5', 0.5],
    ['1e-3', 0.001],
    ['Infinity', NaN],
    ['1_000', NaN],
  ])('quantity %j is %d', (text, n) => expect(flagQuantity(text, '--x')).toBe(n));

  test.each(['0x10', ' 12', '0b11', ''])('quantity %j is refused unless no number at all', (text) => {
    if (text === '') expect(flagQuantity(text, '--x')).toBeNaN();
    else expect(failure(() => flagQuantity(text, '--x')).message).toMatch(/^--x ".*" must be written as a decimal number: --x \d+$/);
  });
});

const COMPILE = ['--max-params', '--max-memory', '--max-instructions', '--batch'];
const CASES: [string, string[], string][] = [
  ...['lower', 'sim', 'verilog', 'report', 'synth'].flatMap((c) => COMPILE.map((f): [string, string[], string] => [c, [c, TINY], f])),
  ...COMPILE.map((f): [string, string[], string] => ['run', ['run', TINY, '--input', TINY], f]),
  ...COMPILE.map((f): [string, string[], string] => ['eval', ['eval', TINY, '--data', TINY], f]),
  ...['--samples', '--max-cycles', '--max-sram', '--max-dram-bytes', '--max-latency-us', '--vcd-cycles'].map((f): [string, string[], string] => ['sim', ['sim', TINY], f]),
  ...['--clock', '--baud', '--ram-bytes', '--program-words'].map((f): [string, string[], string] => ['verilog', ['verilog', TINY, '--board', 'icebreaker'], f]),
  ...['--sram-kib', '--bandwidth', '--threshold-passes', '--batch', '--max-instructions', '--max-memory', '--max-params'].map((f): [string, string[], string] => ['explore', ['explore', TINY], f]),
  ['board run', ['board', 'run', BOARD, '--port', '/dev/null', '--input', TINY], '--timeout'],
];

describe('every numeric flag of every command', () => {
  test.each(CASES.map(([c, args, flag]) => [c, flag, args] as const))('%s %s 0x10 is a usage error naming 16, nothing written', async (_, flag, args) => {
    const work = mkdtempSync(join(tmpdir(), 'nnchip-flags-'));
    const io = captureIo();
    const out = join(work, args[0] === 'wasm' ? 'm.wasm' : 'out');
    const board = args[0] === 'board';
    const code = await main([...args, ...(board ? [] : ['--input-range', '0,1']), flag, '0x10', ...(args[0] === 'run' || args[0] === 'eval' || board ? [] : ['-o', out])], io);
    const stderr = io.err.join('');
    expect(code, stderr).toBe(2);
    expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
    expect(stderr).toMatch(new RegExp(`^error NN801: ${flag}( item)? "0x10" must be written (in decimal digits|as a decimal number): ${flag} 16 — `));
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(work)).toEqual([]);
  });

  test('--input-range bounds too', async () => {
    const io = captureIo();
    expect(await main(['lower', TINY, '--input-range', '0x0,1', '--json'], io)).toBe(2);
    expect(io.out.join('') + io.err.join('')).toContain('"message":"--input-range \\"0x0\\" must be written as a decimal number: --input-range 0"');
  });

  test('a count may be grouped in thousands as the messages print it', async () => {
    const io = captureIo();
    const work = mkdtempSync(join(tmpdir(), 'nnchip-flags-'));
    expect(await main(['lower', TINY, '--input-range', '0,1', '--max-instructions', '2,000,000', '-o', join(work, 'tiny.nnchip')], io), io.err.join('')).toBe(0);
  });
});
