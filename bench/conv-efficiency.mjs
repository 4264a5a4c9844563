// bench/conv-efficiency.mjs: per layer of issue #15's workloads, nnchip's cycles beside SCALE-Sim v2's
// weight-stationary closed form folds·(2R + C + T − 2) − 1 at the same array (folds = ⌈K/R⌉·⌈N/C⌉,
// T = M), the ratio and the utilization, at matched settings (ideal DRAM: 4096 B/cycle, latency 0;
// 64 kB act, wgt and out buffers, the acc holding as many rows as the out buffer) and at nnchip's
// defaults. Workloads: AlexNet Conv1 and ResNet-18 (examples/topologies, each layer alone with
// synthetic weights, as SCALE-Sim runs them), the MNIST CNN and the 784-128-64-10 MLP (the shipped
// examples/digits-cnn and digits-mlp, whole networks; their pooling rows show their share of the
// cycles). Figures come from the static certificate (= the simulator's, by the project's invariants).
// Run `npm run build` first. BENCH_DIST=path/to/dist compares another build; BENCH_ONLY=alexnet,…
import { readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const dist = process.env.BENCH_DIST ? `file://${process.env.BENCH_DIST}/` : new URL('dist/', root).href;
const { DEFAULT_LIMITS } = await import(`${dist}src/importers/limits.js`);
const { layerGraph, mnkOf, parseTopology, syntheticCalibration } = await import(`${dist}src/importers/topology.js`);
const { loadModel } = await import(`${dist}src/importers/index.js`);
const { checkGraph } = await import(`${dist}src/ir/verify.js`);
const { makeConfig } = await import(`${dist}src/isa/config.js`);
const { certify } = await import(`${dist}src/isa/cost.js`);
const { compile } = await import(`${dist}src/passes/pipeline.js`);

/** SCALE-Sim v2's weight-stationary cycles with ideal memory (src/cli/topology.ts states the same). */
const scaleSim = ({ M, N, K }, R, C) => Math.ceil(K / R) * Math.ceil(N / C) * (2 * R + C + M - 2) - 1;

const settings = (rows, cols) => ({
  matched: makeConfig({ rows, cols, dramBytesPerCycle: 4096, dramLatency: 0, actDepth: 65536 / rows, wgtDepth: 65536 / cols, outDepth: 65536 / cols, accDepth: 65536 / cols }),
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
      out[name] = { cert, prepared, act, packed: program.input.rowStride < rows && program.input.rowStride === program.input.rowBytes, inputBytes: program.input.rows * program.input.rowBytes };
    } catch (e) {
      out[name] = { error: e.code ?? e.message };
    }
  }
  return out;
}

const pad = (s, n) => String(s).padStart(n);
const HEAD = ['layer', 'M×N×K', 'SCALE-Sim', 'matched', 'ratio', 'util', 'SS util', 'defaults', 'ratio', 'util'];
const header = () => console.log(HEAD.map((h, i) => (i < 2 ? h.padEnd(i ? 18 : 12) : pad(h, 9))).join(' '));
const ratioCells = (m, ss) => (m === undefined ? [pad('-', 9), pad('-', 9), pad('-', 9)] : [pad(m.cycles, 9), pad(ss ? (m.cycles / ss).toFixed(2) : '', 9), pad(`${(100 * m.utilization).toFixed(1)}%`, 9)]);

function row(name, mnk, R, C, matched, defaults) {
  const ss = mnk === null ? 0 : scaleSim(mnk, R, C);
  const ssUtil = mnk === null ? '' : `${((100 * mnk.M * mnk.N * mnk.K) / (ss * R * C)).toFixed(1)}%`;
  const cells = [name.padEnd(12), (mnk === null ? '' : `${mnk.M}×${mnk.N}×${mnk.K}`).padEnd(18), pad(ss || '', 9)];
  const m = ratioCells(matched, ss);
  console.log([...cells, ...m, pad(ssUtil, 9), ...ratioCells(defaults, ss)].join(' '));
  return ss;
}

function figures(r) {
  const m = r.matched;
  if (m.error) return `matched: ${m.error}`;
  return `act buffer ${m.act} entries; DRAM read ${m.cert.dramBytesRead} B (input ${m.inputBytes} B${m.packed ? ', packed: stored c bytes per pixel, each R-byte act entry overlaps the next' : ''})`;
}

function topology(file, R, C, only) {
  const topo = parseTopology(readFileSync(new URL(file, root), 'utf8'), file);
  const layers = topo.layers.filter((l) => only === undefined || only.includes(l.name));
  console.log(`\n${topo.name}${only ? ` ${only.join(',')}` : ''} on ${R}x${C} (each layer alone, synthetic weights)`);
  header();
  const sums = { ss: 0, matched: 0, defaults: 0 };
  for (const layer of layers) {
    const graph = layerGraph(layer, DEFAULT_LIMITS, file);
    const r = measure(graph, syntheticCalibration(graph.inputs[0].shape.reduce((a, b) => a * b, 1)), R, C);
    const [m, d] = [r.matched.cert?.layers[0], r.defaults.cert?.layers[0]];
    sums.ss += row(layer.name, mnkOf(layer), R, C, m ?? (r.matched.error && { cycles: r.matched.error, utilization: NaN }), d ?? (r.defaults.error && { cycles: r.defaults.error, utilization: NaN }));
    sums.matched += m?.cycles ?? NaN;
    sums.defaults += d?.cycles ?? NaN;
    if (layers.length === 1 || layer === layers[0]) console.log(`  ${layer.name}: ${figures(r)}`);
  }
  if (layers.length > 1) console.log(`total${' '.repeat(26)}${pad(sums.ss, 9)} ${pad(sums.matched, 9)} ${pad((sums.matched / sums.ss).toFixed(2), 9)} ${' '.repeat(19)} ${pad(sums.defaults, 9)} ${pad((sums.defaults / sums.ss).toFixed(2), 9)}`);
}

function network(path, R, C, batch = 1) {
  const graph = loadModel(new URL(path, root).pathname);
  const r = measure(graph, { inputRange: [0, 1] }, R, C, batch);
  console.log(`\n${path}${batch > 1 ? ` batch ${batch}` : ''} on ${R}x${C} (whole network)`);
  header();
  const shapes = checkGraph(r.matched.prepared ?? r.defaults.prepared);
  const nodes = new Map((r.matched.prepared ?? r.defaults.prepared).nodes.map((n) => [n.name, n]));
  const layers = (r.matched.cert ?? r.defaults.cert).layers;
  layers.forEach((l, i) => {
    const node = nodes.get(l.name);
    row(l.name, node ? mnkOfNode(node, shapes, batch) : null, R, C, r.matched.cert?.layers[i], r.defaults.cert?.layers[i]);
  });
  const share = (cert) => {
    const other = cert.layers.filter((l) => !['conv2d', 'dense'].includes(nodes.get(l.name)?.op)).reduce((a, l) => a + l.cycles, 0);
    return `${((100 * other) / cert.layers.reduce((a, l) => a + l.cycles, 0)).toFixed(0)}%`;
  };
  console.log(`total cycles: matched ${r.matched.cert?.cycles}, defaults ${r.defaults.cert?.cycles}; pooling/add/activation layers: ${share(r.matched.cert)} of the layer cycles (matched)`);
  console.log(`  ${figures(r)}`);
}

const only = process.env.BENCH_ONLY?.split(',');
const want = (name) => only === undefined || only.includes(name);
if (want('alexnet')) topology('examples/topologies/alexnet.csv', 32, 32, ['Conv1']);
if (want('resnet32')) topology('examples/topologies/resnet18.csv', 32, 32);
if (want('resnet256')) topology('examples/topologies/resnet18.csv', 256, 256);
if (want('mnist')) network('examples/digits-cnn/model.json', 8, 8);
if (want('mlp')) {
  network('examples/digits-mlp/model.json', 8, 8);
  network('examples/digits-mlp/model.json', 8, 8, 64);
}
