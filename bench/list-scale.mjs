// Times `nnchip lower` (whole process, after `npm run build`) on model files with one long list each
// (bench/list-scale-cases.mjs) at n and 4n and prints the ratio: about 4 for a linear check, 16 for
// one that searches the entries before each (the hang test/fuzz/list-scale.test.ts's cases once were).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityChain, shardListedMany, weightListedTwice } from './list-scale-cases.mjs';

const bin = new URL('../bin/nnchip.mjs', import.meta.url).pathname;
const cases = [['weight listed twice after n others', weightListedTwice, 100_000], ['one shard listed n times', shardListedMany, 400_000], ['output after n Identity nodes', identityChain, 80_000]];

function seconds(made) {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-bench-lists-'));
  try {
    for (const [name, content] of Object.entries(made.files)) writeFileSync(join(dir, name), content);
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [bin, 'lower', join(dir, made.model), '-o', join(dir, 'out'), '--input-range', '0,1'], { encoding: 'utf8' });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    return { s, outcome: r.status === 0 ? 'lowered' : (r.stderr.split('\n')[0] ?? '').slice(0, 60) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const [name, make, n] of cases) {
  const a = seconds(make(n));
  const b = seconds(make(4 * n));
  console.log(`${name}: n = ${n.toLocaleString('en')} ${a.s.toFixed(2)} s, 4n ${b.s.toFixed(2)} s, ratio ${(b.s / a.s).toFixed(1)} (${b.outcome})`);
}
