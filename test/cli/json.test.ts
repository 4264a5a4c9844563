/**
 * --json on every command that prints a result: stdout is one JSON document and nothing else (no
 * colour, no progress, no notes), and its keys are the ones the command's --help lists for --json —
 * `{"a", "b"?, "c"[, "d"]}`, a `?` or `[…]` marking a key that may be absent — no more, no fewer.
 * The same concept has the same key everywhere: "out" the output written, "config" the machine.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { nnchip, REPO } from '../helpers/cli.js';

const TINY = join(REPO, 'examples/tiny/tiny.nnchip.json');
const SAMPLES = join(REPO, 'examples/tiny/calibration.json');
const work = mkdtempSync(join(tmpdir(), 'nnchip-json-'));

/** The --json option's description in a command's --help, unwrapped. */
function jsonHelp(command: string): string {
  const help = nnchip([...command.split(' '), '--help']).stdout;
  const m = /\n {2}--json {2,}([\s\S]*?)(?=\n {2}-|\n\n)/.exec(help);
  expect(m, `${command} --help has --json`).not.toBeNull();
  return m![1]!.replace(/\s+/g, ' ');
}

/** The keys of the `{…}` that follows `after` in text ('' for the first one): all of them, and those that must be present. */
function documentedKeys(text: string, after: string): { all: Set<string>; required: Set<string> } {
  const at = after === '' ? text.indexOf('{') : text.indexOf(`${after} {`) + after.length + 1;
  expect(at, `"${after} {" in: ${text}`).toBeGreaterThanOrEqual(0);
  const group = text.slice(at + 1, text.indexOf('}', at));
  const optional = new Set([...group.matchAll(/\[[^\]]*\]/g)].flatMap((m) => [...m[0].matchAll(/"(\w+)"/g)].map((k) => k[1]!)));
  for (const m of group.matchAll(/"(\w+)"\?/g)) optional.add(m[1]!);
  const all = new Set([...group.matchAll(/"(\w+)"/g)].map((m) => m[1]!));
  return { all, required: new Set([...all].filter((k) => !optional.has(k))) };
}

/** Runs the command; its stdout must be exactly one plain JSON document. */
function jsonOf(args: readonly string[], expectedCode = 0): unknown {
  const r = nnchip(args, { cwd: work, env: { FORCE_COLOR: '0' } });
  expect(r.code, r.stderr).toBe(expectedCode);
  expect(r.stdout).not.toContain('\x1b');
  expect(r.stdout.endsWith('\n')).toBe(true);
  return JSON.parse(r.stdout);
}

beforeAll(() => {
  writeFileSync(join(work, 'labeled.json'), JSON.stringify({ inputs: [[0, 0, 0, 0], [1, 1, 1, 1], [-1, 1, -1, 1]], labels: [0, 1, 0] }));
  expect(nnchip(['lower', TINY, '-o', join(work, 'tiny.nnchip')]).code).toBe(0);
  expect(nnchip(['verilog', TINY, '--board', 'icebreaker', '-o', join(work, 'hw')]).code).toBe(0);
  expect(nnchip(['explore', TINY, '--arrays', '2x2,4x4', '--sram-kib', '16', '--bandwidth', '8', '--shard', '0/2', '-o', join(work, 'shards')]).code).toBe(0);
  expect(nnchip(['explore', TINY, '--arrays', '2x2,4x4', '--sram-kib', '16', '--bandwidth', '8', '--shard', '1/2', '-o', join(work, 'shards')]).code).toBe(0);
});

const CASES: readonly (readonly [string, string, readonly string[]])[] = [
  ['lower', '', ['lower', TINY, '-o', 'l1', '--json']],
  ['lower', '', ['lower', TINY, '-o', 'l2', '--input-range', '-1,1', '--json']], // with "warnings"
  ['run', '', ['run', TINY, '--input', SAMPLES, '--json']],
  ['run', '', ['run', 'tiny.nnchip', '--input', SAMPLES, '--backend', 'sim', '--json']],
  ['eval', '', ['eval', TINY, '--data', 'labeled.json', '--json']],
  ['sim', '', ['sim', TINY, '--json']],
  ['sim', '', ['sim', 'tiny.nnchip', '--prove', '--samples', '2', '-o', 'proof', '--input', SAMPLES, '--json']],
  ['sim', 'with --topology', ['sim', '--topology', join(REPO, 'examples/topologies/tiny-gemm.csv'), '--json']],
  ['wasm', '', ['wasm', TINY, '-o', 'w/tiny.wasm', '--json']],
  ['verilog', '', ['verilog', TINY, '-o', 'v', '--json']],
  ['verilog', 'with --board', ['verilog', TINY, '--board', 'hx8k-breakout', '-o', 'b', '--json']],
  ['report', '', ['report', 'tiny.nnchip', '-o', 'r.html', '--json']],
  ['disasm', '', ['disasm', 'tiny.nnchip', '--json']],
  ['explore', '', ['explore', TINY, '--arrays', '2x2,4x4', '--sram-kib', '16', '--bandwidth', '8', '-o', 'e', '--json']],
  ['explore', 'with --shard', ['explore', TINY, '--arrays', '2x2', '--sram-kib', '16', '--bandwidth', '8', '--shard', '0/3', '-o', 's3', '--json']],
  ['explore merge', '', ['explore', 'merge', 'shards/explore-shard-0000-of-0002.jsonl', 'shards/explore-shard-0001-of-0002.jsonl', '-o', 'm', '--json']],
  ['board flash-image', '', ['board', 'flash-image', 'hw', '-o', 'image.bin', '--json']],
];

describe('--json prints the keys its --help lists', () => {
  test.each(CASES)('%s %s: %j', (command, variant, args) => {
    const doc = jsonOf(args);
    expect(typeof doc === 'object' && doc !== null && !Array.isArray(doc)).toBe(true);
    const { all, required } = documentedKeys(jsonHelp(command), variant);
    const keys = Object.keys(doc as object);
    for (const k of required) expect(keys, `${command}: "${k}" is listed as always present`).toContain(k);
    for (const k of keys) expect([...all], `${command} prints "${k}": --help must list it`).toContain(k);
  });

  test('the same concept has the same key: "out" the output written, "config" the machine', () => {
    const machine = (doc: unknown): unknown => (doc as { config: unknown }).config;
    const lowered = jsonOf(['lower', TINY, '-o', 'c1', '--array', '4x4', '--json']) as { out: string };
    expect(lowered.out).toBe('c1');
    for (const [args, out] of [
      [['wasm', TINY, '--array', '4x4', '-o', 'c2.wasm', '--json'], 'c2.wasm'],
      [['verilog', TINY, '--array', '4x4', '-o', 'c3', '--json'], 'c3'],
    ] as const) {
      const doc = jsonOf(args) as { out: string };
      expect(doc.out).toBe(out);
      if (args[0] === 'verilog') expect(machine(doc)).toEqual(machine(lowered));
    }
    expect(machine(jsonOf(['sim', 'c1', '--json']))).toEqual(machine(lowered));
  });

  test('disasm --json: every instruction of the listing, in its order, with the field names isa --json gives', () => {
    const lowered = jsonOf(['lower', join(REPO, 'examples/digits-cnn'), '-o', 'cnn', '--json']) as { totals: { instructions: number } };
    const doc = jsonOf(['disasm', 'cnn', '--json']) as { instructions: ({ op: string } & Record<string, unknown>)[] };
    expect(doc.instructions).toHaveLength(lowered.totals.instructions);
    const listing = nnchip(['disasm', 'cnn'], { cwd: work }).stdout.split('\n').filter((l) => /^[a-z]/.test(l));
    expect(doc.instructions.map((x) => x.op)).toEqual(listing.map((l) => l.split(' ')[0]));
    const fields = new Map((jsonOf(['isa', '--json']) as { op: string; fields: { name: string }[] }[]).map((o) => [o.op, o.fields.map((f) => f.name).filter((n) => n !== 'opcode')]));
    for (const x of doc.instructions) expect(Object.keys(x).filter((k) => k !== 'op').sort(), x.op).toEqual([...fields.get(x.op)!].sort());
  });

  test('a refusal in --json mode is one JSON line on stderr, with the exit code it returns', () => {
    for (const [args, code] of [
      [['lower', 'nope.json', '--json'], 1],
      [['sim', TINY, '--array', '0x0', '--json'], 2],
      [['lowr', TINY, '--json'], 2],
    ] as const) {
      const r = nnchip(args, { cwd: work });
      expect(r.code).toBe(code);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      const { error } = JSON.parse(lines[0]!) as { error: { code: string; exitCode: number; message: string; hint: string } };
      expect(error.code).toMatch(/^NN\d{3}$/);
      expect(error.exitCode).toBe(code);
    }
  });
});
