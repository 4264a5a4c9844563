// bench/sim-alternate.mjs: two builds of nnchip compared fairly on a noisy shared machine. Each
// round runs every workload once with each build, alternating which goes first, so load that comes
// and goes hits both alike; prints the median (and range) of each build's whole-process CPU seconds
// and their ratio. Before timing, checks that both builds print the same bytes (`sim --json`, and
// `--prove --json` with its certificate.json) on every workload. Prints; never asserts.
//   node bench/sim-alternate.mjs <before-checkout> <after-checkout> [rounds = 5]
// Each checkout is a tree with bin/nnchip.mjs and a built dist/ (`npm run build`: tsc, then the CLI
// bundle with its code cache, which bin/nnchip.mjs runs; after tsc alone it runs the ES modules,
// slower to start); for the base, e.g. `git archive <commit> | tar -x -C /tmp/base`, a
// node_modules symlink, a build.
// The programs are lowered once, with the after build, into BENCH_DIR (default a temporary
// folder; an existing one is reused). BENCH_RESNET_SIDE (default 224) sets ResNet-18's input side;
// BENCH_ONLY=name,name picks workloads (resnet, alexnet, mlp, cnn, prove).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alternateArgs, fmt, median } from './medians.mjs';

const { builds, rounds } = alternateArgs('sim-alternate.mjs');
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const work = process.env.BENCH_DIR ?? mkdtempSync(join(tmpdir(), 'nnchip-alternate-'));
mkdirSync(work, { recursive: true });
const side = Number(process.env.BENCH_RESNET_SIDE ?? 224);

/** CPU seconds (user + system) and peak RSS (MB) of one CLI run of `build`, and its stdout. */
function cliRun(build, args) {
  const cli = join(builds[build], 'bin/nnchip.mjs');
  const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S %M', process.execPath, cli, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${build}: nnchip ${args.join(' ')} failed: ${r.stderr}`);
  const m = /CPU ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (m === null) throw new Error(`no /usr/bin/time figures in: ${r.stderr}`);
  return { seconds: Number(m[1]) + Number(m[2]), mb: Number(m[3]) / 1024, stdout: r.stdout };
}

// the programs, lowered once (the after build's compiler; both builds then read the same files)
const { compile, isa, loadModel } = await import(join(builds.after, 'dist/src/index.js'));
const { serializeProgram } = await import(join(builds.after, 'dist/src/isa/program.js'));
const { alexnetConv1, resnet18, samplesFor } = await import(join(builds.after, 'bench/models.mjs'));
const file = (name, make) => {
  const f = join(work, `${name}.nnp`);
  if (!existsSync(f)) writeFileSync(f, serializeProgram(make()));
  return f;
};
const programs = {
  resnet: () => file(`resnet18-${side}-256`, () => {
    const g = resnet18(side);
    return compile(g, { config: isa.makeConfig({ rows: 256, cols: 256 }), calibration: { samples: samplesFor(g) } }).program;
  }),
  alexnet: () => file('alexnet-conv1-32', () => {
    const g = alexnetConv1();
    return compile(g, { config: isa.makeConfig({ rows: 32, cols: 32 }), calibration: { samples: samplesFor(g) } }).program;
  }),
  mlp: () => file('digits-mlp-b64-8', () => {
    const cal = JSON.parse(readFileSync(here('../examples/digits-mlp/calibration.json'), 'utf8')).inputs;
    return compile(loadModel(here('../examples/digits-mlp/model.json')), { config: isa.makeConfig({ rows: 8, cols: 8, actDepth: 65536, accDepth: 65536, outDepth: 65536 }), calibration: { samples: cal }, batch: 64 }).program;
  }),
  cnn: () => {
    const dir = join(work, 'digits-cnn');
    if (!existsSync(dir)) cliRun('after', ['lower', here('../examples/digits-cnn/model.json'), '-o', dir, '--force']);
    return dir;
  },
};
const only = process.env.BENCH_ONLY?.split(',');
const want = (name) => only === undefined || only.includes(name);
/** name → the CLI arguments of one timed run (and the certificate file it writes, compared too). */
const workloads = [];
if (want('resnet')) workloads.push({ name: `sim ResNet-18 ${side}x${side}, 256x256`, args: ['sim', programs.resnet()] });
if (want('alexnet')) workloads.push({ name: 'sim AlexNet conv1, 32x32', args: ['sim', programs.alexnet()] });
if (want('mlp')) workloads.push({ name: 'sim digits MLP batch 64, 8x8', args: ['sim', programs.mlp()] });
if (want('cnn')) workloads.push({ name: 'sim digits CNN, 8x8', args: ['sim', programs.cnn()] });
if (want('prove')) workloads.push({ name: 'sim --prove --samples 1000, digits CNN', args: ['sim', programs.cnn(), '--prove', '--samples', '1000'], cert: true });

// the same bytes from both builds: JSON reports (and the certificate) of every workload
for (const w of workloads) {
  const outs = {};
  for (const b of ['before', 'after']) {
    const out = join(work, 'cert'); // one folder: the report names it
    const json = cliRun(b, [...w.args, '--json', ...(w.cert ? ['--out', out] : [])]).stdout;
    outs[b] = json + (w.cert ? readFileSync(join(out, 'certificate.json'), 'utf8') : '');
  }
  console.log(`${w.name}: outputs ${outs.before === outs.after ? 'byte-identical' : 'DIFFER'} (${outs.after.length} bytes)`);
}

const times = Object.fromEntries(workloads.map((w) => [w.name, { before: [], after: [], mb: { before: [], after: [] } }]));
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
  for (const w of workloads)
    for (const b of order) {
      const t = cliRun(b, [...w.args, ...(w.cert ? ['--out', join(work, 'cert')] : [])]);
      times[w.name][b].push(t.seconds);
      times[w.name].mb[b].push(t.mb);
    }
  process.stderr.write(`round ${r + 1}/${rounds} done\n`);
}

console.log(`\n${rounds} alternated rounds; CPU s, median (range); before ${builds.before}, after ${builds.after}`);
console.table(
  workloads.map((w) => {
    const t = times[w.name];
    return { workload: w.name, before: fmt(t.before), after: fmt(t.after), 'after / before': (median(t.after) / median(t.before)).toFixed(3), 'MB (after, median)': median(t.mb.after).toFixed(0) };
  }),
);
