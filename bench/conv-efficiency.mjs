// bench/conv-efficiency.mjs: per layer of issue #15's workloads, nnchip's cycles beside SCALE-Sim v2's
// weight-stationary closed form folds·(2R + C + T − 2) − 1 at the same array (folds = ⌈K/R⌉·⌈N/C⌉,
// T = M), the ratio and the utilization, at matched settings (ideal DRAM: 4096 B/cycle, latency 0;
// 65,536-entry buffers, as bench/scale-sim.mjs), with ideal DRAM and 64 kB in each of the act,
// wgt, acc and out buffers (SCALE-Sim-sized SRAMs), and at nnchip's default machine. Workloads: AlexNet Conv1 and ResNet-18 (examples/topologies, each layer alone with
// synthetic weights, as SCALE-Sim runs them), the MNIST CNN and the 784-128-64-10 MLP (the shipped
// examples/digits-cnn and digits-mlp, whole networks; their pooling rows show their share of the
// cycles). Figures come from the static certificate (= the simulator's, by the project's invariants).
// ResNet-18 as a whole network on 256x256 (bench/models.mjs, BENCH_RESNET_SIDE, default 224: minutes)
// gives the pooling/add/activation share. Run `npm run build` first. BENCH_DIST=path/to/dist
// compares another build; BENCH_ONLY=alexnet,resnet32,resnet256,resnet256net,resnet32net,alexnetnet,mnist,mlp.
// The pooling/add/activation share is printed two ways: the sum of those layers' spans over every
// layer's span, and their share of the timeline (ownedCycles: what each layer adds to the network's end).
// AlexNet's features as a whole network on 256x256 (alexnetnet) give its pooling share.
import { readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const dist = process.env.BENCH_DIST ? `file://${process.env.BENCH_DIST}/` : new URL('dist/', root).href;
const { DEFAULT_LIMITS } = await import(`${dist}src/importers/limits.js`);
const { layerGraph, mnkOf, parseTopology, syntheticCalibration } = await import(`${dist}src/importers/topology.js`);
const { loadModel } = await import(`${dist}src/importers/index.js`);
const { checkGraph } = await import(`${dist}src/ir/verify.js`);
const { makeConfig } = await import(`${dist}src/isa/config.js`);
const { certify } = await import(`${dist}src/isa/cost.js`);
const { storedLayout } = await import(`${dist}src/isa/program.js`);
const { compile } = await import(`${dist}src/passes/pipeline.js`);
const { scheduleTimes } = await import(`${dist}src/isa/timing.js`);

/** SCALE-Sim v2's weight-stationary cycles with ideal memory (src/cli/topology.ts states the same). */
const scaleSim = ({ M, N, K }, R, C) => Math.ceil(K / R) * Math.ceil(N / C) * (2 * R + C + M - 2) - 1;

const MAX = 65536;
// ideal DRAM, and the acc buffer's two read-port banks (accBanks 2: a threshold runs beside the next
// column tile's matmuls); BENCH_ACC_BANKS=1 measures the one-port machine; BENCH_QUEUE_DEPTH sets the
// instruction queues' depth (SCALE-Sim has no instruction fetch; nnchip's default is 8)
const IDEAL = { dramBytesPerCycle: 4096, dramLatency: 0, accBanks: Number(process.env.BENCH_ACC_BANKS ?? 2), ...(process.env.BENCH_QUEUE_DEPTH === undefined ? {} : { queueDepth: Number(process.env.BENCH_QUEUE_DEPTH) }) };
const settings = (rows, cols) => ({
  matched: makeConfig({ rows, cols, ...IDEAL, actDepth: MAX, wgtDepth: MAX, accDepth: MAX, qntDepth: MAX, outDepth: MAX }),
  kb64: makeConfig({ rows, cols, ...IDEAL, actDepth: 65536 / rows, wgtDepth: 65536 / cols, accDepth: 65536 / (4 * cols), outDepth: 65536 / cols }),
  defaults: makeConfig({ rows, cols }),
});

/** The GEMM of a conv2d or dense node of a compiled (prepared) graph, batch samples. */
function mnkOfNode(node, shapes, batch) {
  const out = shapes.get(node.output);
  if (node.op === 'dense') return { M: batch, N: node.kernel.shape[1], K: node.kernel.shape[0] };
  if (node.op !== 'conv2d') return null;
  const [kh, kw, cin, cout] = node.kernel.shape;
  return { M: batch * out[0] * out[1], N: node.depthwise ? cin : cout, K: kh * kw * (node.depthwise ? 1 : cin) };
}

/** Compile once per setting: per layer {cycles, utilization}, whole-program figures. */
function measure(graph, calibration, rows, cols, batch = 1) {
  const out = {};
  for (const [name, config] of Object.entries(settings(rows, cols))) {
    try {
      const { program, graph: prepared } = compile(graph, { config, calibration, batch });
      const cert = certify(program);
      const act = program.memoryMap.find((r) => r.space === 'act').size;
      out[name] = { cert, prepared, act, layout: inputLayout(program, rows), inputBytes: program.input.rows * program.input.rowBytes, owned: ownedCycles(program) };
    } catch (e) {
      out[name] = { error: e.code ?? e.message };
    }
  }
  return out;
}

/**
 * Each layer's share of the timeline: the cycles by which it moves the end of the layers before it
 * (its last instruction's end less the latest end of every earlier layer, 0 when earlier): the
 * cycles it adds to the network, overlapping work counted once; they sum to the program's cycles
 * but for the halt. A layer's own span (cert.layers) counts its overlap with its neighbours twice.
 */
function ownedCycles(program) {
  const { timings } = scheduleTimes(program.instructions, program.config);
  const end = program.layers.map(() => 0);
  program.instructions.forEach((insn, i) => {
    const l = program.insnLayer[i];
    if (insn.op !== 'halt' && l !== undefined && l < end.length) end[l] = Math.max(end[l], timings[i].end);
  });
  let front = 0;
  return end.map((e) => {
    const owned = Math.max(0, e - front);
    front = Math.max(front, e);
    return owned;
  });
}

/** How the program stores its input: as the first layer's windows (im2col: bytes stored), packed (c bytes per pixel), or plainly. */
function inputLayout(program, rows) {
  const t = program.input;
  if (t.windows !== undefined) {
    const s = storedLayout(t);
    return `, stored as ${t.windows.kernel.join('x')}/${t.windows.strides[0]} windows: ${s.rows} × ${s.rowBytes} codes, ${s.rows * s.rowStride} B`;
  }
  return t.rowStride < rows && t.rowStride === t.rowBytes ? ', packed: c bytes per pixel, R-byte act entries overlap' : '';
}

const pad = (s, n) => String(s).padStart(n);
const HEAD = ['layer', 'M×N×K', 'SCALE-Sim', 'SS util', 'matched', 'ratio', 'util', '64 kB', 'ratio', 'defaults', 'ratio', 'util', 'compute'];
const header = () => console.log(HEAD.map((h, i) => (i < 2 ? h.padEnd(i ? 18 : 12) : pad(h, 9))).join(' '));
const ratioCells = (m, ss) => (m === undefined ? [pad('-', 9), pad('-', 9), pad('-', 9)] : [pad(m.cycles, 9), pad(ss ? (m.cycles / ss).toFixed(2) : '', 9), pad(`${(100 * m.utilization).toFixed(1)}%`, 9)]);

/**
 * `compute`: the matched program's compute-unit busy cycles (matmuls and thresholds share the unit,
 * so this is the layer's floor for its instruction stream) over SCALE-Sim's cycles.
 */
function row(name, mnk, R, C, matched, kb64, defaults, computeBusy) {
  const ss = mnk === null ? 0 : scaleSim(mnk, R, C);
  const ssUtil = mnk === null ? '' : `${((100 * mnk.M * mnk.N * mnk.K) / (ss * R * C)).toFixed(1)}%`;
  const cells = [name.padEnd(12), (mnk === null ? '' : `${mnk.M}×${mnk.N}×${mnk.K}`).padEnd(18), pad(ss || '', 9), pad(ssUtil, 9)];
  const busy = computeBusy !== undefined && ss ? pad((computeBusy / ss).toFixed(2), 9) : '';
  console.log([...cells, ...ratioCells(matched, ss), ...ratioCells(kb64, ss).slice(0, 2), ...ratioCells(defaults, ss), busy].join(' '));
  return ss;
}

function figures(r) {
  return ['matched', 'kb64', 'defaults'].map((k) => {
    const m = r[k];
    if (m.error) return `${k}: ${m.error}`;
    return `${k}: act buffer ${m.act} entries, DRAM read ${m.cert.dramBytesRead} B (input ${m.inputBytes} B${m.layout})`;
  }).join('; ');
}

function topology(file, R, C, only) {
  const topo = parseTopology(readFileSync(new URL(file, root), 'utf8'), file);
  const layers = topo.layers.filter((l) => only === undefined || only.includes(l.name));
  console.log(`\n${topo.name}${only ? ` ${only.join(',')}` : ''} on ${R}x${C} (each layer alone, synthetic weights)`);
  header();
  const sums = { ss: 0, matched: 0, kb64: 0, defaults: 0 };
  const cellOf = (x) => x.cert?.layers[0] ?? { cycles: x.error, utilization: NaN };
  for (const layer of layers) {
    const graph = layerGraph(layer, DEFAULT_LIMITS, file);
    const r = measure(graph, syntheticCalibration(graph.inputs[0].shape.reduce((a, b) => a * b, 1)), R, C);
    sums.ss += row(layer.name, mnkOf(layer), R, C, cellOf(r.matched), cellOf(r.kb64), cellOf(r.defaults), r.matched.cert?.busyCycles.compute);
    for (const k of ['matched', 'kb64', 'defaults']) sums[k] += r[k].cert?.layers[0].cycles ?? NaN;
    if (layers.length === 1 || layer === layers[0]) console.log(`  ${layer.name}: ${figures(r)}`);
  }
  const tot = (k) => `${pad(sums[k], 9)} ${pad((sums[k] / sums.ss).toFixed(2), 9)}`;
  if (layers.length > 1) console.log(`total${' '.repeat(26)}${pad(sums.ss, 9)} ${' '.repeat(9)} ${tot('matched')} ${' '.repeat(9)} ${tot('kb64')} ${tot('defaults')}`);
}

function network(path, R, C, batch = 1) {
  networkGraph(path, loadModel(new URL(path, root).pathname), { inputRange: [0, 1] }, R, C, batch);
}

function networkGraph(title, graph, calibration, R, C, batch = 1) {
  const r = measure(graph, calibration, R, C, batch);
  console.log(`\n${title}${batch > 1 ? ` batch ${batch}` : ''} on ${R}x${C} (whole network)`);
  header();
  const shapes = checkGraph(r.matched.prepared ?? r.defaults.prepared);
  const nodes = new Map((r.matched.prepared ?? r.defaults.prepared).nodes.map((n) => [n.name, n]));
  // layers by name: a max pool fused in one setting (its buffers hold the pooled tile) and not in another leaves its row empty there
  const certs = ['matched', 'kb64', 'defaults'].map((k) => r[k].cert).filter((c) => c !== undefined);
  const names = certs.reduce((a, c) => (c.layers.length > a.length ? c.layers.map((l) => l.name) : a), []);
  const layerOf = (cert, name) => cert?.layers.find((l) => l.name === name);
  for (const name of names) {
    const node = nodes.get(name);
    row(name, node ? mnkOfNode(node, shapes, batch) : null, R, C, layerOf(r.matched.cert, name), layerOf(r.kb64.cert, name), layerOf(r.defaults.cert, name));
  }
  const cheap = (l) => !['conv2d', 'dense'].includes(nodes.get(l.name)?.op);
  const share = ({ cert }) => {
    const other = cert.layers.filter(cheap).reduce((a, l) => a + l.cycles, 0);
    return `${((100 * other) / cert.layers.reduce((a, l) => a + l.cycles, 0)).toFixed(1)}%`;
  };
  const timeline = ({ cert, owned }) => `${((100 * cert.layers.reduce((a, l, i) => a + (cheap(l) ? owned[i] : 0), 0)) / cert.cycles).toFixed(1)}%`;
  const shares = (of) => ['matched', 'kb64', 'defaults'].filter((k) => r[k].cert).map((k) => `${of(r[k])} ${k}`).join(', ');
  console.log(`total cycles: matched ${r.matched.cert?.cycles}, 64 kB ${r.kb64.cert?.cycles ?? r.kb64.error}, defaults ${r.defaults.cert?.cycles}; pooling/add/activation layers: ${shares(share)} of the layer cycles (their spans); ${shares(timeline)} of the timeline (ownedCycles)`);
  console.log(`  ${figures(r)}`);
}

const only = process.env.BENCH_ONLY?.split(',');
const want = (name) => only === undefined || only.includes(name);
if (want('alexnet')) topology('examples/topologies/alexnet.csv', 32, 32, ['Conv1']);
if (want('resnet32')) topology('examples/topologies/resnet18.csv', 32, 32);
if (want('resnet256')) topology('examples/topologies/resnet18.csv', 256, 256);
if (want('resnet256net')) {
  // the whole network (bench/models.mjs: torchvision layout, max pool, residual adds and ReLUs, global pool): slow at 224
  const side = Number(process.env.BENCH_RESNET_SIDE ?? 224);
  const { resnet18, samplesFor } = await import('./models.mjs');
  const graph = resnet18(side);
  networkGraph(`ResNet-18 ${side}x${side} (bench/models.mjs)`, graph, { samples: samplesFor(graph, 2) }, 256, 256);
}
if (want('resnet32net')) {
  // the whole network on 32x32 (no add stacks there: 2c > R for every c of ResNet-18)
  const side = Number(process.env.BENCH_RESNET_SIDE ?? 224);
  const { resnet18, samplesFor } = await import('./models.mjs');
  const graph = resnet18(side);
  networkGraph(`ResNet-18 ${side}x${side} (bench/models.mjs)`, graph, { samples: samplesFor(graph, 2) }, 32, 32);
}
if (want('alexnetnet')) {
  // AlexNet's five convolutions and three overlapping (3×3 stride 2) max pools (bench/models.mjs)
  const { alexnetFeatures, samplesFor } = await import('./models.mjs');
  const graph = alexnetFeatures(224);
  networkGraph('AlexNet features 224x224 (bench/models.mjs)', graph, { samples: samplesFor(graph, 2) }, 256, 256);
}
if (want('mnist')) network('examples/digits-cnn/model.json', 8, 8);
if (want('mlp')) {
  network('examples/digits-mlp/model.json', 8, 8);
  network('examples/digits-mlp/model.json', 8, 8, 64);
}

/**
 * Batches of convolutional networks (passes/batch.ts): cycles per sample at batch 1 and at each
 * batch in BENCH_BATCHES (default 2,8), at nnchip's default machine and at matched settings, on
 * 8x8 and 32x32. The weights stay in the array while the samples' lines stream.
 */
function batchTable(path, calibration) {
  const graph = loadModel(new URL(path, root).pathname);
  const batches = [1, ...(process.env.BENCH_BATCHES ?? '2,8').split(',').map(Number)];
  console.log(`\n${path}: cycles per sample by batch`);
  console.log(['array', 'setting', ...batches.map((b) => pad(`batch ${b}`, 11)), pad('util', 7), pad(`util ${batches.at(-1)}`, 8)].join(' '));
  for (const side of [8, 32]) {
    for (const name of ['defaults', 'matched']) {
      const config = settings(side, side)[name];
      const certs = batches.map((batch) => {
        try {
          return certify(compile(graph, { config, calibration, batch }).program);
        } catch (e) {
          return { error: e.code ?? e.message };
        }
      });
      const cells = certs.map((c, i) => pad(c.error ?? (c.cycles / batches[i]).toFixed(0), 11));
      const util = (c) => (c.error ? '-' : `${(100 * c.utilization).toFixed(1)}%`);
      console.log([`${side}x${side}`.padEnd(5), name.padEnd(7), ...cells, pad(util(certs[0]), 7), pad(util(certs.at(-1)), 8)].join(' '));
    }
  }
}
if (want('batch')) {
  batchTable('examples/digits-cnn/model.json', { inputRange: [0, 1] });
  batchTable('examples/ds-cnn/model.json', { inputRange: [0, 1] });
}
