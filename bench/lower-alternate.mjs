// bench/lower-alternate.mjs: two builds' `lower` compared fairly on a noisy shared machine (the
// pattern of bench/sim-alternate.mjs). Each round runs every workload once with each build,
// alternating which goes first; prints the median (and range) of each build's CPU seconds and their
// ratio, after checking that both builds emit the same program bytes on every workload. Prints;
// never asserts.
//   node bench/lower-alternate.mjs <before-checkout> <after-checkout> [rounds = 5]
// Each checkout is a tree with bin/nnchip.mjs, bench/models.mjs and a built dist/. Workloads: the
// issue-17 goals — ResNet-18 224×224 on 256×256 and the 1M-parameter dense model on 2×2, 4×4, 8×8
// and 256×256 (compile() in a child process, 8 calibration samples; CPU of compile() alone and of the
// whole child, whose model building is not `lower`'s), `nnchip lower` of the same model (a TF.js
// model.json with its calibration.json beside it: bench/models.mjs writeDenseTfjs) on 2×2, 4×4 and
// 8×8 (whole process: reading the model, writing every file), and `nnchip lower` of the digits MLP
// with `--batch 1024` (whole process). BENCH_ONLY=resnet,dense2,dense4,dense8,dense256,cli2,cli4,cli8,batch
// picks workloads.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alternateArgs, fmt, median } from './medians.mjs';

const { builds, rounds } = alternateArgs('lower-alternate.mjs');
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'nnchip-lower-alternate-'));
const big = join(work, 'big.json');
writeFileSync(big, JSON.stringify({ actDepth: 65536, accDepth: 65536, outDepth: 65536 }));

/** The child of an in-process workload: builds the model, times compile() alone, prints its CPU s and the program's hash. */
const child = (root, model, side) => `
import { createHash } from 'node:crypto';
const { compile, isa } = await import(${JSON.stringify(join(root, 'dist/src/index.js'))});
const { serializeProgram } = await import(${JSON.stringify(join(root, 'dist/src/isa/program.js'))});
const m = await import(${JSON.stringify(join(root, 'bench/models.mjs'))});
const g = ${model};
const samples = m.samplesFor(g);
const c0 = process.cpuUsage();
const { program } = compile(g, { config: isa.makeConfig({ rows: ${side}, cols: ${side} }), calibration: { samples } });
const c = process.cpuUsage(c0);
console.log((c.user + c.system) / 1e6, createHash('sha256').update(serializeProgram(program)).digest('hex'));
`;

/** CPU seconds (user + system) of one whole child process, what it printed, and its peak RSS (MB). */
function timed(args) {
  const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S %M', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`node ${args.join(' ').slice(0, 200)} failed: ${r.stderr}`);
  const m = /CPU ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (m === null) throw new Error(`no /usr/bin/time figures in: ${r.stderr}`);
  return { seconds: Number(m[1]) + Number(m[2]), mb: Number(m[3]) / 1024, stdout: r.stdout };
}

const inProcess = (name, model, side) => ({
  name,
  run(build) {
    const t = timed(['--input-type=module', '-e', child(builds[build], model, side)]);
    const [seconds, hash] = t.stdout.trim().split(' ');
    return { seconds: Number(seconds), whole: t.seconds, mb: t.mb, output: hash };
  },
});
// the 1M-parameter dense model as a file, for the `nnchip lower` rows (either build's bench/models.mjs writes the same bytes)
const denseModel = join(work, 'dense1m');
{
  const m = await import(join(builds.after, 'bench/models.mjs'));
  m.writeDenseTfjs(m.dense1M(), denseModel);
}
const dir = (d) => createHash('sha256').update(readdirSync(d).sort().map((f) => f + readFileSync(join(d, f)).toString('base64')).join('\n')).digest('hex');
const workloads = {
  resnet: inProcess('lower ResNet-18 224x224, 256x256', 'm.resnet18(224)', 256),
  dense2: inProcess('lower 1M-parameter dense, 2x2', 'm.dense1M()', 2),
  dense4: inProcess('lower 1M-parameter dense, 4x4', 'm.dense1M()', 4),
  dense8: inProcess('lower 1M-parameter dense, 8x8', 'm.dense1M()', 8),
  dense256: inProcess('lower 1M-parameter dense, 256x256', 'm.dense1M()', 256),
  ...Object.fromEntries(
    [2, 4, 8].map((side) => [
      `cli${side}`,
      {
        name: `nnchip lower 1M-parameter dense, ${side}x${side} (whole process)`,
        run(build) {
          const out = join(work, `cli${side}-${build}`);
          const t = timed([join(builds[build], 'bin/nnchip.mjs'), 'lower', denseModel, '--array', `${side}x${side}`, '-o', out, '--force']);
          return { seconds: t.seconds, whole: t.seconds, mb: t.mb, output: dir(out) };
        },
      },
    ]),
  ),
  batch: {
    name: 'lower digits MLP --batch 1024 (whole process)',
    run(build) {
      const out = join(work, `b1024-${build}`);
      const t = timed([join(builds[build], 'bin/nnchip.mjs'), 'lower', here('../examples/digits-mlp/model.json'), '--batch', '1024', '--config', big, '-o', out, '--force']);
      return { seconds: t.seconds, whole: t.seconds, mb: t.mb, output: dir(out) };
    },
  },
};
const only = process.env.BENCH_ONLY?.split(',');
const chosen = Object.entries(workloads).filter(([k]) => only === undefined || only.includes(k)).map(([, w]) => w);

const times = new Map(chosen.map((w) => [w, { before: [], after: [], wholeBefore: [], wholeAfter: [], mb: [], same: true }]));
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
  for (const w of chosen) {
    const outs = {};
    for (const b of order) {
      const t = w.run(b);
      const entry = times.get(w);
      entry[b].push(t.seconds);
      entry[b === 'before' ? 'wholeBefore' : 'wholeAfter'].push(t.whole);
      if (b === 'after') entry.mb.push(t.mb);
      outs[b] = t.output;
    }
    if (outs.before !== outs.after) times.get(w).same = false;
  }
  process.stderr.write(`round ${r + 1}/${rounds} done\n`);
}

console.log(`\n${rounds} alternated rounds; CPU s, median (range); before ${builds.before}, after ${builds.after}`);
console.table(
  chosen.map((w) => {
    const t = times.get(w);
    return {
      workload: w.name,
      output: t.same ? 'byte-identical' : 'DIFFERS',
      'before (compile)': fmt(t.before),
      'after (compile)': fmt(t.after),
      'after / before': (median(t.after) / median(t.before)).toFixed(3),
      'whole child, before → after': `${median(t.wholeBefore).toFixed(2)} → ${median(t.wholeAfter).toFixed(2)}`,
      'MB (after)': median(t.mb).toFixed(0),
    };
  }),
);
