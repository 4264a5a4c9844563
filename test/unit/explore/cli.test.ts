/** `nnchip explore`, `explore merge` and `report`, spawned as users (and batch jobs) run them. */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { nnchip } from '../../helpers/cli.js';
import { DIGITS_MLP } from '../../helpers/compile.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-explore-'));
const GRID = ['--arrays', '4x4,8x8,4x16', '--sram-kib', '1,16', '--bandwidth', '4,16'];

describe('nnchip explore', () => {
  const whole = nnchip(['explore', DIGITS_MLP, ...GRID, '--out', join(work, 'whole'), '--json']);

  test('writes explore.csv and explore.json; --json prints explore.json itself', () => {
    expect(whole.code, whole.stderr).toBe(0);
    // .nnchip-outputs: what nnchip wrote in the folder, so a later run may replace it (src/util/output-paths.ts)
    expect(readdirSync(join(work, 'whole')).sort()).toEqual(['.nnchip-outputs', 'explore.csv', 'explore.json']);
    expect(whole.stdout).toBe(readFileSync(join(work, 'whole', 'explore.json'), 'utf8'));
    const doc = JSON.parse(whole.stdout) as { points: { feasible: boolean }[]; pareto: number[] };
    expect(doc.points).toHaveLength(3 * 2 * 2 + 1); // the grid, then the base machine
    expect(doc.points.some((p) => !p.feasible)).toBe(true); // 1 KiB cannot hold a 784-wide input row
    expect(doc.pareto.length).toBeGreaterThan(0);
    const csv = readFileSync(join(work, 'whole', 'explore.csv'), 'utf8').trimEnd().split('\n');
    expect(csv).toHaveLength(1 + 13);
    expect(csv[0]).toMatch(/^index,array,rows,cols,pes,sram_kib,sram_bytes,/);
  });

  test('prints the Pareto front as a table, and notes infeasible points on stderr', () => {
    const r = nnchip(['explore', DIGITS_MLP, ...GRID, '--out', join(work, 'table')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/13 points \(3 arrays × 2 SRAM sizes × 2 bandwidths × 1 threshold passes × 1 batch size, and the base machine\), \d+ feasible, \d+ on the Pareto front/);
    expect(r.stdout).toMatch(/│ array +│ thr\. passes +│ batch +│ logic LUTs +│ SRAM +│ DRAM bandwidth +│ cycles\/sample/);
    expect(r.stderr).toMatch(/note: \d+ points are infeasible, e\.g\. .* NN403/);
    expect(r.stderr).not.toMatch(/\x1b\[/); // not a terminal: no progress bar, no color
  });

  test('3 shards, run separately and merged, give the same bytes as one run', () => {
    for (const i of [0, 1, 2]) {
      const s = nnchip(['explore', DIGITS_MLP, ...GRID, '--shard', `${i}/3`, '--out', join(work, 'shards'), '--json']);
      expect(s.code, s.stderr).toBe(0);
      expect(JSON.parse(s.stdout)).toMatchObject({ shard: `${i}/3`, points: i === 0 ? 5 : 4, totalPoints: 13 });
    }
    const shards = readdirSync(join(work, 'shards')).filter((f) => f !== '.nnchip-outputs').sort();
    expect(shards).toEqual(['explore-shard-0000-of-0003.jsonl', 'explore-shard-0001-of-0003.jsonl', 'explore-shard-0002-of-0003.jsonl']);
    const m = nnchip(['explore', 'merge', ...shards.reverse().map((f) => join(work, 'shards', f)), '--out', join(work, 'merged')]);
    expect(m.code, m.stderr).toBe(0);
    for (const f of ['explore.csv', 'explore.json']) expect(readFileSync(join(work, 'merged', f)), f).toEqual(readFileSync(join(work, 'whole', f)));
  });

  test('merge refuses an incomplete set with one error line and writes nothing', () => {
    const one = join(work, 'shards', 'explore-shard-0001-of-0003.jsonl');
    const r = nnchip(['explore', 'merge', one, '--out', join(work, 'partial')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^error NN502: cannot merge the shards: shards 0, 2 of 3 missing — /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(work, 'partial'))).toBe(false);
  });

  test.each([
    [['--shard', '3/3'], /error NN801: --shard "3\/3"/],
    [['--arrays', '8x8,9'], /error NN401: --arrays item "9" is not RxC with R and C from 1 to 256 — use --arrays with comma-separated RxC shapes/],
    [['--bandwidth', '0'], /error NN801: --bandwidth item "0"/],
    [['--sram-kib', '16,,64'], /error NN801: --sram-kib "16,,64" must be a comma-separated list/],
  ])('usage error %j', (args, message) => {
    const r = nnchip(['explore', DIGITS_MLP, ...args, '--out', join(work, 'never')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(work, 'never'))).toBe(false);
  });
});

describe('nnchip report', () => {
  test('writes one HTML file with the Pareto plot when given --explore', () => {
    const out = join(work, 'report.html');
    const r = nnchip(['report', DIGITS_MLP, '--array', '8x8', '--explore', join(work, 'whole', 'explore.json'), '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wrote .*report\.html \(\d+\.\d KiB\)/);
    const html = readFileSync(out, 'utf8');
    expect(html.match(/<g class="bar" data-layer=/g)).toHaveLength(2);
    expect(html).toContain('id="pareto-chart"');
    const again = nnchip(['report', DIGITS_MLP, '--array', '8x8', '--explore', join(work, 'whole', 'explore.json'), '-o', join(work, 'again.html')]);
    expect(again.code).toBe(0);
    expect(readFileSync(join(work, 'again.html'), 'utf8')).toBe(html); // no timestamps
  });

  test('a lowered folder reports like its model; a bad --explore file is one error line', () => {
    expect(nnchip(['lower', DIGITS_MLP, '-o', join(work, 'digits.nnchip')]).code).toBe(0);
    const r = nnchip(['report', join(work, 'digits.nnchip'), '-o', join(work, 'lowered.html')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(work, 'lowered.html'), 'utf8')).toContain('<title>nnchip report: digits on a 8×8 array</title>');
    const bad = nnchip(['report', DIGITS_MLP, '--explore', DIGITS_MLP, '-o', join(work, 'bad.html')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toMatch(/^error NN502: .*model\.json: "format" is not "nnchip-explore" .* — pass an explore\.json written by `nnchip explore`/);
    expect(existsSync(join(work, 'bad.html'))).toBe(false);
  });
});
