// SPDX-License-Identifier: MIT
/**
 * The generated test bench fails when it fails: in a tree from `nnchip verilog`, one corrupted byte
 * of mem/expected.hex makes `make sim` (Icarus) and `make verilate` (Verilator) exit non-zero,
 * while the untouched tree passes with exit 0 — the bench ends a failing run with a non-zero status.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nnchip } from '../helpers/cli.js';
import { haveTools } from './tools.js';

const scratch = mkdtempSync(join(tmpdir(), 'nnchip-bench-fails-'));
const tree = join(scratch, 'tiny.rtl');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function make(target: string): { code: number | null; out: string } {
  const r = spawnSync('make', ['-s', target], { cwd: tree, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Flip the low bit of the first byte the bench compares (a hex line of mem/expected.hex). */
function corruptExpected(): void {
  const path = join(tree, 'mem/expected.hex');
  const lines = readFileSync(path, 'utf8').split('\n');
  const i = lines.findIndex((l) => /^[0-9a-fA-F]{2}$/.test(l.trim()));
  expect(i).toBeGreaterThanOrEqual(0);
  lines[i] = (parseInt(lines[i]!.trim(), 16) ^ 1).toString(16).padStart(2, '0');
  writeFileSync(path, lines.join('\n'));
}

describe.skipIf(!haveTools('iverilog', 'vvp', 'verilator', 'make'))('a failing generated test bench fails its make target', () => {
  beforeAll(() => {
    const r = nnchip(['verilog', 'examples/tiny/tiny.nnchip.json', '--input-range', '-1,1', '--array', '2x2', '-o', tree]);
    expect(r.code, r.stderr).toBe(0);
  });

  test('the untouched tree passes: make sim and make verilate exit 0', () => {
    for (const target of ['sim', 'verilate']) {
      const r = make(target);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/^NNCHIP_PASS$/m);
    }
  }, 600_000);

  test('one corrupted byte of mem/expected.hex: make sim and make verilate exit non-zero', () => {
    corruptExpected();
    for (const target of ['sim', 'verilate']) {
      const r = make(target);
      expect(r.out).toMatch(/^NNCHIP_FAIL$/m);
      expect(r.code, r.out).not.toBe(0);
    }
  }, 600_000);
});
