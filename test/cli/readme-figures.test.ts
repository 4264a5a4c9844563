/**
 * The figures README.md and docs/hardware.md state, recomputed by running the commands they
 * describe: a change in the compiler that moves a figure fails here until the docs say the new one.
 * (The FPGA resource and Fmax figures come from synthesis; `npm run bench` prints them.)
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadDigits, writeLabeledJson } from '../../examples/digits-data.mjs';
import { nnchip, REPO } from '../helpers/cli.js';

const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const HARDWARE = readFileSync(join(REPO, 'docs/hardware.md'), 'utf8');
/** Prose wraps lines: compare with all whitespace runs as one space. */
const flat = (text: string): string => text.replace(/\s+/g, ' ');
const MLP = join(REPO, 'examples/digits-mlp/model.json');
const work = mkdtempSync(join(tmpdir(), 'nnchip-readme-'));
const int = (n: number): string => Math.round(n).toLocaleString('en-US');

interface Totals {
  readonly instructions: number;
  readonly cycles: number;
  readonly cyclesPerSample?: number;
}

function lower(name: string, ...args: string[]): Totals {
  const r = nnchip(['lower', MLP, '-o', join(work, name), '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { totals: Totals }).totals;
}

describe('figures in README.md and docs/hardware.md', () => {
  test('--batch: the digits MLP on 8x8, one sample vs 64 per inference, default and whole-batch buffers', () => {
    const one = lower('one');
    const batch = lower('batch', '--batch', '64');
    // the buffer depths the README gives, read from the README itself
    const depths = /`"actDepth": (\d+), "accDepth": (\d+)`/.exec(README);
    expect(depths, 'README names the raised buffer depths').not.toBeNull();
    const config = join(work, 'raised.json');
    writeFileSync(config, JSON.stringify({ actDepth: Number(depths![1]), accDepth: Number(depths![2]) }));
    const raised = lower('raised', '--batch', '64', '--config', config);
    expect(raised.cyclesPerSample!).toBeLessThan(batch.cyclesPerSample!);
    const sentence = `drops from ${int(one.cycles)} cycles to ${int(batch.cyclesPerSample!)} per sample at N = 64 with the default buffers, and to ${int(raised.cyclesPerSample!)} with buffers that hold the whole batch`;
    expect(flat(README)).toContain(sentence);
    expect(flat(HARDWARE)).toContain(`goes from ${int(one.cycles)} cycles per sample to ${int(batch.cyclesPerSample!)} at N = 64 with the default buffers, and to ${int(raised.cyclesPerSample!)} with buffers that hold the whole batch (\`"actDepth": ${depths![1]}, "accDepth": ${depths![2]}\`)`);
  });

  test('program ROM: the digits MLP at 4x4, 128-bit instructions', () => {
    const { instructions } = lower('rom', '--array', '4x4');
    expect(flat(README)).toContain(`the digits MLP's ${int(instructions)} instructions at 4x4 need ${int((instructions * 128) / 1000)} kbit of ROM`);
  });

  test('explore --shard file names', () => {
    const tiny = join(REPO, 'examples/tiny/tiny.nnchip.json');
    const out = join(work, 'shards');
    const r = nnchip(['explore', tiny, '--arrays', '4x4', '--sram-kib', '16', '--bandwidth', '8', '--shard', '3/16', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [file] = readdirSync(out).filter((f) => f.startsWith('explore-shard-'));
    expect(flat(README)).toContain(`(\`--shard 3/16\` writes \`${file}\`)`);
    expect(flat(nnchip(['explore', '--help']).stdout)).toContain(`--shard 3/16 writes ${file}`);
  });

  test('npm run demo: float and int8 accuracy on the held-out digits', () => {
    const data = join(work, 'digits-test.json');
    writeLabeledJson(data, loadDigits('test'));
    const r = nnchip(['eval', MLP, '--data', data, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout) as { samples: number; floatAccuracy: number; int8Accuracy: number };
    const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
    expect(flat(README)).toContain(`on the ${int(e.samples)} held-out digits, the float accuracy and the int8 accuracy of the lowered program (${pct(e.floatAccuracy)} vs ${pct(e.int8Accuracy)}`);
  });
});
