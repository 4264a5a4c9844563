// SPDX-License-Identifier: MIT
/** Tool discovery (NN701 names the tool and its package) and parsing of the test bench's report lines. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseBenchOutput } from '../../../../src/backends/verilog/simulate.js';
import { requireBenchPass } from '../../../../src/backends/verilog/run-backend.js';
import { findTool, inParallel, requireTool } from '../../../../src/backends/verilog/tools.js';
import { NnchipError } from '../../../../src/diagnostics/error.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-tools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tools', () => {
  test('findTool looks through PATH for an executable file', () => {
    const tool = join(dir, 'fake-yosys');
    writeFileSync(tool, '#!/bin/sh\n');
    chmodSync(tool, 0o755);
    expect(findTool('fake-yosys', `/nonexistent:${dir}`)).toBe(tool);
    expect(findTool('fake-yosys', '/nonexistent')).toBeNull();
  });

  test('requireTool: NN701 with the package to install', () => {
    const saved = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    try {
      expect(() => requireTool('iverilog')).toThrow(NnchipError);
      expect(() => requireTool('nextpnr-ice40')).toThrow(/nextpnr-ice40 is not on PATH.*nextpnr-ice40/);
    } finally {
      process.env['PATH'] = saved;
    }
  });

  test('inParallel keeps input order', async () => {
    const jobs = [30, 10, 20].map((ms, i) => () => new Promise<number>((ok) => setTimeout(() => ok(i), ms)));
    expect(await inParallel(jobs, 2)).toEqual([0, 1, 2]);
  });
});

describe('parseBenchOutput', () => {
  test('reads the output bytes as int8, the cycles and the verdict', () => {
    const r = parseBenchOutput('NNCHIP_OUTPUT 7f80ff00\nNNCHIP_CYCLES 1234\nNNCHIP_PASS\n', 4);
    expect(Array.from(r.raw)).toEqual([127, -128, -1, 0]);
    expect(r.cycles).toBe(1234);
    expect(r.passed).toBe(true);
    expect(parseBenchOutput('NNCHIP_OUTPUT 01\nNNCHIP_CYCLES 9\nNNCHIP_MISMATCH 1 output bytes differ\nNNCHIP_FAIL\n', 1).passed).toBe(false);
  });

  test('run --backend rtl: a sample the bench failed is NN702 naming it and why, never printed as an answer', () => {
    const pass = 'NNCHIP_OUTPUT 01\nNNCHIP_CYCLES 9\nNNCHIP_PASS\n';
    const fail = 'NNCHIP_OUTPUT 01\nNNCHIP_CYCLES 9\nNNCHIP_MISMATCH 1 output bytes differ from the reference interpreter\nNNCHIP_MISMATCH 9 cycles, the schedule says 8\nNNCHIP_FAIL\n';
    const runs = [pass, fail].map((log) => ({ ...parseBenchOutput(log, 1), log }));
    expect(() => requireBenchPass(runs.slice(0, 1))).not.toThrow();
    let error: unknown;
    try {
      requireBenchPass(runs);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NnchipError);
    expect((error as NnchipError).code).toBe('NN702');
    expect((error as NnchipError).message).toContain('sample 1: 1 output bytes differ from the reference interpreter; 9 cycles, the schedule says 8');
    expect((error as NnchipError).hint).toMatch(/nnchip bug/);
  });

  test('a bench that did not finish is NN702 quoting its failure', () => {
    expect(() => parseBenchOutput('NNCHIP_FAIL timeout: not done after 99 cycles\n', 2)).toThrow(/timeout/);
  });
});
