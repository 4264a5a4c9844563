// bench/compiled-alternate.mjs: two builds of nnchip compared on the compiled program that fast
// mode takes its values from (sim/compiled-values.ts: the `wasm` back end's module), per inference,
// on issue 17's Verilator workloads (digits MLP batch 64 and digits CNN, 4x4 and 8x8). Each round
// runs each build in a fresh process, alternating which goes first; a process times the module's
// runRaw() and simulate() as the CLI runs it (manyRunsSimulate, warm, trace off), best of 3 rounds
// of 300 after 100 warm-up runs, CPU µs, and checks the module's outputs against isa.interpret.
// Prints medians (and ranges); never asserts.
//   node bench/compiled-alternate.mjs <before-checkout> <after-checkout> [rounds = 5]
// Each checkout is a tree with a built dist/ (see sim-alternate.mjs for a base checkout).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const WORKLOADS = [['digits MLP batch 64', 'digits-mlp', 64], ['digits CNN', 'digits-cnn', 1]].flatMap(([name, dir, batch]) => [4, 8].map((side) => ({ label: `${name}, ${side}x${side}`, dir, batch, side })));

async function child(root) {
  const dist = (p) => pathToFileURL(join(root, 'dist/src', p)).href;
  const { compile, isa, loadModel } = await import(dist('index.js'));
  const { emitWasm } = await import(dist('backends/wasm/emit.js'));
  const { instantiate } = await import(dist('backends/wasm/instance.js'));
  const { manyRunsSimulate } = await import(dist('cli/simulate-wasm.js'));
  const simulateMany = await manyRunsSimulate();
  const cpu = (f) => {
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1e6;
  };
  const out = {};
  for (const w of WORKLOADS) {
    const cal = JSON.parse(readFileSync(here(`../examples/${w.dir}/calibration.json`), 'utf8')).inputs;
    const config = isa.makeConfig({ rows: w.side, cols: w.side, ...(w.batch > 1 ? { actDepth: 8192 } : {}) });
    const p = compile(loadModel(here(`../examples/${w.dir}/model.json`)), { config, calibration: { samples: cal }, batch: w.batch }).program;
    const inputs = Array.from({ length: 3 }, (_, k) => isa.quantizeInput(p, Array.from({ length: w.batch }, (_, j) => cal[(k * w.batch + j + k) % cal.length]).flat(Infinity)));
    const per = (run) => {
      for (let i = 0; i < 100; i++) run(inputs[i % 3]);
      const round = () => cpu(() => { for (let i = 0; i < 300; i++) run(inputs[i % 3]); }) / 300;
      return Math.min(round(), round(), round()) * 1e6;
    };
    const m = await instantiate(emitWasm(p));
    const exact = inputs.every((x) => Buffer.from(m.runRaw(x)).equals(Buffer.from(isa.interpret(p, x))));
    out[w.label] = { compiled: per((x) => m.runRaw(x)), simulate: per((x) => simulateMany(p, x, { trace: false })), exact };
  }
  console.log(JSON.stringify(out));
}

if (process.argv[2] === '--child') await child(process.argv[3]);
else {
  const { alternateArgs, median } = await import('./medians.mjs');
  const { builds, rounds } = alternateArgs('compiled-alternate.mjs');
  const got = { before: [], after: [] };
  for (let r = 0; r < rounds; r++)
    for (const b of r % 2 === 0 ? ['before', 'after'] : ['after', 'before']) {
      const run = spawnSync(process.execPath, [here('./compiled-alternate.mjs'), '--child', builds[b]], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`${b}: ${run.stderr}`);
      got[b].push(JSON.parse(run.stdout.trim().split('\n').pop()));
    }
  const f = (xs) => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
  const rows = WORKLOADS.map(({ label }) => {
    const col = (b, k) => got[b].map((g) => g[label][k]);
    return {
      program: label,
      'compiled µs before': f(col('before', 'compiled')),
      'compiled µs after': f(col('after', 'compiled')),
      'simulate() µs before': f(col('before', 'simulate')),
      'simulate() µs after': f(col('after', 'simulate')),
      'after / before': (median(col('after', 'simulate')) / median(col('before', 'simulate'))).toFixed(2),
      'bit-exact': ['before', 'after'].every((b) => col(b, 'exact').every(Boolean)) ? 'yes' : 'NO',
    };
  });
  console.table(rows);
  console.log(`${rounds} alternated rounds, one process per build per round; CPU µs per inference (best of 3 × 300), median (range).`);
}
