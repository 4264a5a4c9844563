// SPDX-License-Identifier: MIT
/**
 * Ctrl-C in the middle of a long external-tool run: `nnchip synth` interrupted while yosys works
 * exits with 130, removes its temporary design folder, and stops yosys (its process group) —
 * nothing is left running in, or written to, a folder that no longer exists. SIGKILL, which nnchip
 * cannot handle, still stops yosys (the tools' watchdog sees nnchip's end of its pipe close), and
 * the next run removes the temporary folder the killed one left.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BIN, REPO } from '../helpers/cli.js';
import { haveTools } from './tools.js';

const scratch = mkdtempSync(join(tmpdir(), 'nnchip-interrupt-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Processes whose working directory lies under `dir` (Linux /proc). */
function processesIn(dir: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`).startsWith(dir)) found.push(Number(pid));
    } catch {
      // gone, or not ours
    }
  }
  return found;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!haveTools('yosys', 'make', 'iverilog', 'vvp') || !existsSync('/proc/self/cwd'))('Ctrl-C during synthesis', () => {
  test('exit 130, the temporary folder removed, yosys stopped', async () => {
    const child = spawn(process.execPath, [BIN, 'synth', 'examples/digits-mlp/model.json', '--array', '8x8', '--target', 'ice40', '--no-pnr'], {
      cwd: REPO,
      env: { ...process.env, TMPDIR: scratch },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // wait until yosys is at work inside the design folder nnchip created
    let working: number[] = [];
    for (let i = 0; i < 600 && working.length === 0; i++) {
      await sleep(100);
      working = processesIn(scratch);
    }
    expect(working.length, 'yosys never started').toBeGreaterThan(0);
    await sleep(500);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    for (let i = 0; i < 50 && processesIn(scratch).length > 0; i++) await sleep(100);
    expect(processesIn(scratch)).toEqual([]);
    expect(readdirSync(scratch)).toEqual([]);
  }, 120_000);

  test('SIGKILL: yosys stopped within seconds, the next run removes the stranded temporary folder', async () => {
    const killScratch = mkdtempSync(join(scratch, 'kill-'));
    const env = { ...process.env, TMPDIR: killScratch };
    const child = spawn(process.execPath, [BIN, 'synth', 'examples/digits-mlp/model.json', '--array', '8x8', '--target', 'ice40', '--no-pnr'], { cwd: REPO, env, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    let working: number[] = [];
    for (let i = 0; i < 600 && working.length === 0; i++) {
      await sleep(100);
      working = processesIn(killScratch);
    }
    expect(working.length, 'yosys never started').toBeGreaterThan(0);
    await sleep(500);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    for (let i = 0; i < 50 && processesIn(killScratch).length > 0; i++) await sleep(100);
    expect(processesIn(killScratch)).toEqual([]);
    const stranded = readdirSync(killScratch);
    expect(stranded.length, 'the killed run left its design folder').toBeGreaterThan(0);
    // any later run that makes a temporary folder sweeps the dead run's ones
    const input = join(scratch, 'tiny-input.json');
    writeFileSync(input, '[[0.5, -0.5, 0.25, 1]]');
    const next = spawn(process.execPath, [BIN, 'run', 'examples/tiny/tiny.nnchip.json', '--input-range', '-1,1', '--input', input, '--backend', 'rtl'], { cwd: REPO, env, stdio: 'ignore' });
    expect(await new Promise<number | null>((resolve) => next.on('exit', (code) => resolve(code)))).toBe(0);
    expect(readdirSync(killScratch).filter((e) => stranded.includes(e))).toEqual([]);
  }, 180_000);
});
