#!/usr/bin/env node
// Writes the per-layer cycle table of each MLPerf Tiny example into its README.md, between the
// `<!-- cycle-table -->` and `<!-- /cycle-table -->` markers, from what `nnchip lower --json`
// reports on the default machine (8x8) and on a 16x16 array. `--check` writes nothing and exits 1
// if a README's table differs from what lower reports now (test/agreement/mlperf-tiny.test.ts runs it).
//
//   npm run build && node examples/mlperf-cycle-tables.mjs [--check]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = join(HERE, '..', 'bin', 'nnchip.mjs');
const EXAMPLES = ['resnet8/model.onnx', 'ds-cnn/model.json', 'mobilenet-vww/model.json', 'autoencoder/model.onnx'];
const BEGIN = '<!-- cycle-table -->';
const END = '<!-- /cycle-table -->';
const check = process.argv.includes('--check');

function lower(model, array) {
  const out = mkdtempSync(join(tmpdir(), 'nnchip-cycle-table-'));
  try {
    const args = [BIN, 'lower', join(HERE, model), '-o', out, '--json', ...(array === undefined ? [] : ['--array', array])];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nnchip ${args.slice(1).join(' ')} failed (exit ${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const n = (v) => v.toLocaleString('en-US');

function table(model) {
  const small = lower(model);
  const big = lower(model, '16x16');
  const rows = small.layers.map((l, i) => {
    const b = big.layers[i];
    if (b?.name !== l.name) throw new Error(`${model}: layer ${i} is ${l.name} on 8x8 but ${b?.name} on 16x16`);
    return `| ${l.name} | ${l.op} | ${l.shape} | ${n(l.macs)} | ${n(l.weightBytes)} | ${n(l.cycles)} | ${n(b.cycles)} |`;
  });
  return [
    `Per layer, from \`nnchip lower ${model.split('/')[1]}\` (default machine, 8x8) and \`--array 16x16\`:`,
    '',
    '| layer | op | shape | MACs | weight bytes | cycles 8x8 | cycles 16x16 |',
    '|---|---|---|--:|--:|--:|--:|',
    ...rows,
    `| **total** | | | ${n(small.totals.macs)} | ${n(small.totals.weightBytes)} | ${n(small.totals.cycles)} | ${n(big.totals.cycles)} |`,
  ].join('\n');
}

let stale = 0;
for (const model of EXAMPLES) {
  const readme = join(HERE, dirname(model), 'README.md');
  const text = readFileSync(readme, 'utf8');
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${readme}: no ${BEGIN} … ${END} markers`);
  const next = `${text.slice(0, a + BEGIN.length)}\n${table(model)}\n${text.slice(b)}`;
  if (next === text) continue;
  stale++;
  if (check) {
    console.error(`${readme}: the cycle table differs from what nnchip lower reports; run node examples/mlperf-cycle-tables.mjs`);
  } else {
    writeFileSync(`${readme}.tmp-${process.pid}`, next);
    renameSync(`${readme}.tmp-${process.pid}`, readme);
    console.log(`updated ${readme}`);
  }
}
if (check && stale > 0) process.exit(1);
