// SPDX-License-Identifier: MIT
/**
 * Output sets appear together or not at all (src/util/atomic-write.ts): a writer process killed
 * with SIGKILL at random moments, and at every step of a commit, leaves the complete old set or
 * (after the journal's roll-forward) the complete new one, and the next run removes what it left;
 * two processes writing one output end with one complete output, never exit 70 or a stray folder.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { mulberry32 } from '../../src/util/prng.js';
import { BIN, REPO } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-atomic-sets-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * A writer: `dir <folder> <n>` writes a 20-file folder n times, `files <folder> <n>` a set of three
 * sibling files; every file of generation g starts with the line "<pid>:<g>". With a 4th argument
 * k it SIGKILLs itself at the k-th commit step of its first write. `recover <folder>` only recovers.
 */
const WRITER = join(work, 'writer.mjs');
writeFileSync(
  WRITER,
  `import { join } from 'node:path';
import { commitSteps, recoverOutputs, writeDirAtomic, writeFilesAtomic } from ${JSON.stringify(join(REPO, 'dist/src/util/atomic-write.js'))};
const [mode, target, count, crashAt] = process.argv.slice(2);
if (crashAt !== undefined) {
  let step = 0;
  commitSteps.onStep = (what) => { if (step++ === Number(crashAt)) { process.stdout.write('killed after ' + what + '\\n'); process.kill(process.pid, 'SIGKILL'); } };
}
const filler = 'x'.repeat(50000);
try {
  if (mode === 'recover') recoverOutputs(target);
  for (let g = 1; mode !== 'recover' && g <= Number(count); g++) {
    const tag = process.pid + ':' + g + '\\n';
    if (mode === 'dir') writeDirAtomic(join(target, 'out'), new Map(Array.from({ length: 20 }, (_, i) => ['f' + i + '.txt', tag + filler])));
    else writeFilesAtomic(new Map(['model.wasm', 'model.mjs', 'model.d.ts'].map((n) => [join(target, n), tag + filler])));
  }
} catch (e) {
  process.stderr.write((e.code ?? 'no code') + ' ' + e.message + '\\n');
  process.exit(e.code !== undefined && /^NN5/.test(e.code) ? 6 : 70);
}
`,
);

function runWriter(args: readonly string[], killAfterMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WRITER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The generation tags of the set's files, or null when the set is absent. */
function tagsOf(mode: 'dir' | 'files', folder: string): string[] | null {
  const names = mode === 'dir' ? Array.from({ length: 20 }, (_, i) => join(folder, 'out', `f${i}.txt`)) : ['model.wasm', 'model.mjs', 'model.d.ts'].map((n) => join(folder, n));
  if (!names.some((n) => existsSync(n))) return null;
  return names.map((n) => (existsSync(n) ? readFileSync(n, 'utf8').split('\n')[0]! : 'missing'));
}

/** One generation throughout (a complete set), or no set at all. */
function expectOneGeneration(mode: 'dir' | 'files', folder: string, what: string): void {
  const tags = tagsOf(mode, folder);
  if (tags !== null) expect(new Set(tags).size, `${what}: ${tags.join(' ')}`).toBe(1);
}

/** Hidden entries besides the manifest: staging, backups, lock, journal (or any other temporary). */
const leftovers = (folder: string): string[] => readdirSync(folder).filter((n) => n.startsWith('.') && n !== '.nnchip-outputs');

describe.each(['dir', 'files'] as const)('a %s set', (mode) => {
  test('SIGKILL at random moments: the complete old set or the complete new set; the next run cleans up', async () => {
    const folder = mkdtempSync(join(work, `${mode}-random-`));
    const rand = mulberry32(12);
    let windowHits = 0;
    for (let round = 0; round < 12; round++) {
      await runWriter([mode, folder, '100000'], 40 + Math.floor(rand() * 300));
      // between the renames of one commit (microseconds) the journal holds the new set complete
      if (existsSync(join(folder, '.nnchip-journal'))) windowHits++;
      else expectOneGeneration(mode, folder, `after kill ${round}`);
    }
    const next = await runWriter([mode, folder, '1']);
    expect(next.code, next.stderr).toBe(0);
    expectOneGeneration(mode, folder, 'after the next run');
    expect(leftovers(folder)).toEqual([]);
    process.stdout.write(`${mode}: 12 kills, ${windowHits} inside a commit's renames\n`);
  }, 120_000);

  test('SIGKILL at every step of a commit: the journal rolls the new set forward', async () => {
    const folder = mkdtempSync(join(work, `${mode}-steps-`));
    const first = await runWriter([mode, folder, '1']);
    expect(first.code, first.stderr).toBe(0);
    const old = tagsOf(mode, folder)![0];
    // steps: journal written, then per entry (moved aside,) renamed in
    const steps = mode === 'dir' ? 3 : 5;
    for (let k = 0; k < steps; k++) {
      const killed = await runWriter([mode, folder, '1', String(k)]);
      expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
      const recovered = await runWriter(['recover', folder]);
      expect(recovered.code, recovered.stderr).toBe(0);
      const tags = tagsOf(mode, folder)!;
      expect(new Set(tags).size, `${killed.stdout}: ${tags.join(' ')}`).toBe(1);
      expect(tags[0], `${killed.stdout}: the killed run's set is complete, so it is the one kept`).not.toBe(old);
      expect(leftovers(folder)).toEqual([]);
    }
  }, 120_000);

  test('two processes writing the same output: one complete output, no exit 70, nothing left over', async () => {
    const folder = mkdtempSync(join(work, `${mode}-race-`));
    const runs = await Promise.all([runWriter([mode, folder, '25']), runWriter([mode, folder, '25'])]);
    for (const r of runs) {
      expect([0, 6], r.stderr).toContain(r.code);
      if (r.code === 6) expect(r.stderr).toMatch(/^NN557 /);
    }
    expect(runs.some((r) => r.code === 0)).toBe(true);
    expectOneGeneration(mode, folder, 'after the race');
    expect(tagsOf(mode, folder)).not.toBeNull();
    expect(leftovers(folder)).toEqual([]);
  }, 120_000);
});

test('two `nnchip lower` runs to one -o: both finish (or the loser says NN557), the folder is complete', async () => {
  const out = join(work, 'race.nnchip');
  const lower = (): Promise<{ code: number | null; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, 'lower', 'examples/digits-mlp/model.json', '-o', out], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
  const runs = await Promise.all([lower(), lower(), lower()]);
  for (const r of runs) {
    expect([0, 6], r.stderr).toContain(r.code);
    if (r.code === 6) expect(r.stderr).toMatch(/error NN557: /);
  }
  expect(readdirSync(out).sort()).toEqual(['.nnchip-output', 'memory-map.json', 'program.asm', 'program.nnp', 'summary.json']);
  expect(leftovers(work)).toEqual([]);
}, 120_000);

test('`nnchip verilog` killed at several moments: the tree is absent, the old one or the new one, complete', async () => {
  const tree = (dir: string): Record<string, string> =>
    Object.fromEntries(readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().map((f) => [f, (() => { try { return readFileSync(join(dir, f), 'utf8'); } catch { return '<dir>'; } })()]));
  const verilog = (out: string, array: string, killAfterMs?: number): Promise<number | null> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, 'verilog', 'examples/tiny/tiny.nnchip.json', '--input-range', '-1,1', '--array', array, '-o', out], { cwd: REPO, stdio: 'ignore' });
      const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      child.on('exit', (code) => (clearTimeout(timer), resolve(code)));
    });
  const arrays = ['2x2', '4x4'] as const;
  const want: Record<string, string>[] = [];
  for (const a of arrays) {
    const ref = join(work, `ref-${a}`);
    expect(await verilog(ref, a)).toBe(0);
    want.push(tree(ref));
  }
  const out = join(work, 'killed.rtl');
  const rand = mulberry32(7);
  for (let round = 0; round < 10; round++) {
    await verilog(out, arrays[round % 2]!, 150 + Math.floor(rand() * 1200));
    if (existsSync(join(work, '.nnchip-journal'))) continue; // inside the renames: the next run finishes them
    if (existsSync(out)) expect(want.some((w) => JSON.stringify(w) === JSON.stringify(tree(out))), `round ${round}: a mixed or partial tree`).toBe(true);
  }
  expect(await verilog(out, '2x2')).toBe(0);
  expect(tree(out)).toEqual(want[0]);
  expect(leftovers(work)).toEqual([]);
}, 180_000);
