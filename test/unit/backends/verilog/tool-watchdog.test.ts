// SPDX-License-Identifier: MIT
/**
 * Tools end with nnchip: a process that runs a tool through runTool and is then SIGKILLed (no
 * handler can run) takes the tool with it — the watchdog beside the tool sees the pipe close.
 * Needs only sh and sleep, so it runs everywhere the suite does.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { REPO } from '../../../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-watchdog-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Pids whose command line holds `word` (Linux /proc). */
function processesWith(word: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(word);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!existsSync('/proc/self/cmdline'))('the tool watchdog', () => {
  test.each(['SIGKILL', 'SIGTERM'] as const)('%s of the runner: the tool is gone within seconds', async (signal) => {
    // a distinctive duration names the tool process
    const marker = signal === 'SIGKILL' ? '313.1' : '313.2';
    const script = join(work, `runner-${signal}.mjs`);
    writeFileSync(script, `import { runTool } from ${JSON.stringify(join(REPO, 'dist/src/backends/verilog/tools.js'))};\nawait runTool('sleep', [${JSON.stringify(marker)}], ${JSON.stringify(work)}, 'sleeping');\n`);
    const runner = spawn(process.execPath, [script], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => runner.on('exit', () => resolve()));
    let tool: number[] = [];
    for (let i = 0; i < 100 && tool.length === 0; i++) {
      await sleep(50);
      tool = processesWith(marker);
    }
    expect(tool.length, 'the tool never started').toBeGreaterThan(0);
    runner.kill(signal);
    await exited;
    for (let i = 0; i < 100 && processesWith(marker).length > 0; i++) await sleep(50);
    expect(processesWith(marker)).toEqual([]);
  }, 30_000);
});
