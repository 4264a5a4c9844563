/**
 * The README's sharded-sweep recipes on real schedulers: GNU parallel, and a single-node Slurm
 * cluster (slurm-start.sh: munged, slurmctld, slurmd as root) running an `sbatch --array` of
 * `explore --shard` tasks, then `explore merge`: both byte-identical to one unsharded run.
 * Outside CI a missing tool (or no root for Slurm) skips with a note; in CI it fails.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { IN_CI } from '../helpers/ci.js';
import { BIN, nnchip, REPO } from '../helpers/cli.js';
import { DIGITS_MLP } from '../helpers/compile.js';

/** A folder's files, without nnchip's own records of what it wrote (.nnchip-output, .nnchip-outputs). */
const listing = (dir: string): string[] => readdirSync(dir).filter((f) => !f.startsWith('.'));

const work = mkdtempSync(join(tmpdir(), 'nnchip-scheduler-'));
// a small grid (13 points with the base machine); the README's has 100
const GRID = '--arrays 4x4,8x8,16x16 --sram-kib 16,64 --bandwidth 4,8';
const SHARDS = 3;

const onPath = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
function available(tools: string[], why = ''): boolean {
  const missing = tools.filter((t) => !onPath(t));
  if (missing.length === 0 && why === '') return true;
  if (IN_CI) return true; // run, and fail loudly below
  process.stderr.write(`scheduler: skipping: ${missing.length > 0 ? `${missing.join(', ')} not on PATH (apt-get install -y parallel slurm-wlm munge)` : why}\n`);
  return false;
}

/** A folder with an `nnchip` command (this checkout's bin/nnchip.mjs), so recipes run as written. */
const shim = join(work, 'bin');
mkdirSync(shim);
writeFileSync(join(shim, 'nnchip'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
chmodSync(join(shim, 'nnchip'), 0o755);
const env = { ...process.env, PATH: `${shim}:${process.env['PATH'] ?? ''}` };

function sh(script: string, extraEnv: Record<string, string> = {}): { code: number; out: string } {
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: work, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** The README's recipe for `engine`: the code block after the line that names it. */
function readmeRecipe(marker: string): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const at = readme.indexOf(marker);
  expect(at, `README names ${marker}`).toBeGreaterThan(0);
  return /```(?:sh)?\n([\s\S]*?)```/.exec(readme.slice(at))![1]!;
}

/** The recipe on this test's model and grid: the same commands, flags and structure. */
function adapt(recipe: string, out: string): string {
  return recipe
    .replace(/\\\n\s*/g, '')
    .replaceAll('model.json', DIGITS_MLP)
    .replace(/--arrays \S+ --sram-kib \S+\s+--bandwidth \S+/g, GRID)
    .replace(/\/(8|32)\b/g, `/${SHARDS}`)
    .replace(/=0-31/, `=0-${SHARDS - 1}`)
    .replace(/-j 8/, '-j 2')
    .replace(/::: \$\(seq 0 7\)/, `::: $(seq 0 ${SHARDS - 1})`)
    .replaceAll('"$HOME/explore/shards"', `"${out}"`)
    .replaceAll(' shards/', ` ${out}/`);
}

const unsharded = join(work, 'whole');
const expected = (): Record<string, Buffer> => {
  if (listing(work).includes('whole') === false) {
    const r = nnchip(['explore', DIGITS_MLP, ...GRID.split(' '), '--out', unsharded]);
    expect(r.code, r.stderr).toBe(0);
  }
  return Object.fromEntries(['explore.csv', 'explore.json'].map((f) => [f, readFileSync(join(unsharded, f))]));
};

describe.runIf(available(['parallel']))('GNU parallel', () => {
  test("the README's recipe, run by parallel, merges to the unsharded bytes", () => {
    const recipe = readmeRecipe('GNU parallel, on one machine');
    expect(recipe).toMatch(/^parallel -j 8 nnchip explore model.json [^\n]*\\\n[^\n]*--shard \{\}\/8 --out shards\/ ::: \$\(seq 0 7\)$/m);
    expect(recipe).toMatch(/nnchip explore merge shards\/explore-shard-\*\.jsonl --out results\//);
    const script = adapt(recipe, join(work, 'parallel-shards')).replace('--out results/', `--out ${join(work, 'parallel-results')}`);
    const r = sh(script);
    expect(r.code, `${script}\n${r.out}`).toBe(0);
    expect(listing(join(work, 'parallel-shards'))).toHaveLength(SHARDS);
    const want = expected();
    for (const f of Object.keys(want)) expect(readFileSync(join(work, 'parallel-results', f)), f).toEqual(want[f]);
  });
});

const isRoot = process.getuid?.() === 0;
describe.runIf(available(['sbatch', 'slurmctld', 'slurmd', 'munged'], isRoot ? '' : 'Slurm daemons need root'))('Slurm (single node)', () => {
  const dir = join(work, 'slurm');
  afterAll(() => void spawnSync('bash', [join(import.meta.dirname, 'slurm-stop.sh'), dir]));

  test("the README's job array runs under sbatch --array, and merge gives the unsharded bytes", () => {
    const start = spawnSync('bash', [join(import.meta.dirname, 'slurm-start.sh'), dir], { encoding: 'utf8', timeout: 120_000 });
    expect(start.status, `slurm-start.sh failed:\n${start.stdout}${start.stderr}`).toBe(0);
    const slurm = { SLURM_CONF: start.stdout.trim() };
    const recipe = readmeRecipe('A Slurm job array');
    expect(recipe).toMatch(/#SBATCH --array=0-31/);
    expect(recipe).toMatch(/--shard "\$\{SLURM_ARRAY_TASK_ID\}\/32"/);
    const shards = join(work, 'slurm-shards');
    const job = join(work, 'explore.sh');
    // the job's environment: PATH with nnchip (sbatch exports the submitter's), output beside the shards
    writeFileSync(job, adapt(recipe, shards).replace('#SBATCH --cpus-per-task=1', `#SBATCH --cpus-per-task=1\n#SBATCH --output=${join(work, 'slurm-%A_%a.out')}`));
    const r = sh(`sbatch --wait --export=ALL ${job}`, slurm);
    const logs = listing(work).filter((f) => f.startsWith('slurm-') && f.endsWith('.out')).map((f) => readFileSync(join(work, f), 'utf8')).join('\n');
    expect(r.code, `${r.out}\n${logs}`).toBe(0);
    expect(r.out).toMatch(/Submitted batch job \d+/);
    // one log per array task: Slurm really ran SHARDS tasks
    expect(listing(work).filter((f) => /^slurm-\d+_\d+\.out$/.test(f))).toHaveLength(SHARDS);
    expect(listing(shards).sort()).toEqual(Array.from({ length: SHARDS }, (_, i) => `explore-shard-${String(i).padStart(4, '0')}-of-${String(SHARDS).padStart(4, '0')}.jsonl`));
    const m = nnchip(['explore', 'merge', ...listing(shards).map((f) => join(shards, f)), '--out', join(work, 'slurm-results')]);
    expect(m.code, m.stderr).toBe(0);
    const want = expected();
    for (const f of Object.keys(want)) expect(readFileSync(join(work, 'slurm-results', f)), f).toEqual(want[f]);
  });
});
