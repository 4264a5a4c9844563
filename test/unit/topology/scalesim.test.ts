/**
 * `sim --topology` and `--csv-dir` against nnchip's own certificate, and nnchip's cycles against
 * SCALE-Sim v2's weight-stationary closed form folds·(2R + C + T − 2) − 1 on GEMM layers.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { captureIo } from '../../../src/cli/context.js';
import { main } from '../../../src/cli/main.js';
import { scaleSimWsCycles } from '../../../src/cli/topology.js';
import { DEFAULT_LIMITS } from '../../../src/importers/limits.js';
import { layerGraph, mnkOf, parseTopology, syntheticCalibration } from '../../../src/importers/topology.js';
import { product, type Graph } from '../../../src/ir/graph.js';
import { makeConfig } from '../../../src/isa/config.js';
import { certify } from '../../../src/isa/cost.js';
import { UNIT_OF } from '../../../src/isa/ops/index.js';
import type { Program } from '../../../src/isa/program.js';
import { entryBytes, LOAD_BUFFERS } from '../../../src/isa/spec.js';
import { duration, scheduleTimes } from '../../../src/isa/timing.js';
import { compile } from '../../../src/passes/pipeline.js';
import { expectSimExact } from '../../helpers/agreement.js';

/** A folder's files, without nnchip's own records of what it wrote (.nnchip-output, .nnchip-outputs). */
const listing = (dir: string): string[] => readdirSync(dir).filter((f) => !f.startsWith('.'));

const EXAMPLES = join(import.meta.dirname, '../../../examples/topologies');
const work = mkdtempSync(join(tmpdir(), 'nnchip-topology-'));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

interface LayerJson {
  name: string;
  type: string;
  cycles: number;
  stallCycles: number;
  scaleSimCycles: number;
  macs: number;
  dram: { ifmap: number; filter: number; ofmap: number };
  programHash: string;
}

const csvRows = (text: string): string[][] => text.trimEnd().split('\n').map((l) => l.replace(/,$/, '').split(', '));

describe('sim --topology', () => {
  test.each(['tiny-conv.csv', 'tiny-gemm.csv'])('%s: one program per layer, figures equal the certificate, CSVs in SCALE-Sim columns', async (file) => {
    const path = join(EXAMPLES, file);
    const dir = join(work, file);
    const r = await cli(['sim', '--topology', path, '--array', '4x8', '--json', '--csv-dir', dir]);
    expect(r.code, r.err).toBe(0);
    const json = JSON.parse(r.out) as { synthetic: boolean; note: string; cycles: number; layers: LayerJson[] };
    expect(json.synthetic).toBe(true);
    expect(json.note).toMatch(/synthetic/);
    const topo = parseTopology(readFileSync(path, 'utf8'), file);
    const config = makeConfig({ rows: 4, cols: 8 });
    expect(json.layers.map((l) => l.name)).toEqual(topo.layers.map((l) => l.name));
    topo.layers.forEach((layer, i) => {
      const graph = layerGraph(layer, DEFAULT_LIMITS, file);
      const program = compile(graph, { config, calibration: syntheticCalibration(product(graph.inputs[0]!.shape)) }).program;
      const cert = certify(program);
      const got = json.layers[i]!;
      expect(got.cycles).toBe(cert.cycles);
      expect(got.macs).toBe(cert.macs);
      expect(got.programHash).toBe(cert.programHash);
      expect(got.scaleSimCycles).toBe(scaleSimWsCycles(mnkOf(layer), 4, 8));
      // operands split the DRAM traffic without losing a byte
      expect(got.dram.ifmap + got.dram.filter).toBe(cert.dramBytesRead);
      expect(got.dram.ofmap).toBe(cert.dramBytesWritten);
      expect(got.stallCycles).toBe(cert.cycles - cert.busyCycles.compute);
    });
    expect(json.cycles).toBe(json.layers.reduce((a, l) => a + l.cycles, 0));

    expect(listing(dir).sort()).toEqual(['BANDWIDTH_REPORT.csv', 'COMPUTE_REPORT.csv', 'DETAILED_ACCESS_REPORT.csv', 'NNCHIP_VS_SCALESIM.csv']);
    const versus = csvRows(readFileSync(join(dir, 'NNCHIP_VS_SCALESIM.csv'), 'utf8'));
    expect(versus[0]).toEqual(['LayerID', 'Layer name', 'M', 'N', 'K', 'SCALE-Sim WS Cycles', 'nnchip Cycles', 'Ratio']);
    expect(versus.slice(1).map((row) => [row[1], Number(row[5]), Number(row[6])])).toEqual(json.layers.map((l) => [l.name, l.scaleSimCycles, l.cycles]));
    const compute = csvRows(readFileSync(join(dir, 'COMPUTE_REPORT.csv'), 'utf8'));
    expect(compute[0]).toEqual(['LayerID', 'Total Cycles', 'Stall Cycles', 'Overall Util %', 'Mapping Efficiency %', 'Compute Util %']);
    expect(compute.slice(1).map((row) => [Number(row[0]), Number(row[1]), Number(row[2])])).toEqual(json.layers.map((l, i) => [i, l.cycles, l.stallCycles]));
    for (const row of compute.slice(1)) for (const p of row.slice(3).map(Number)) expect(p).toBeGreaterThan(0), expect(p).toBeLessThanOrEqual(100);
    const detail = csvRows(readFileSync(join(dir, 'DETAILED_ACCESS_REPORT.csv'), 'utf8'));
    expect(detail[0]).toEqual(['LayerID', 'SRAM IFMAP Reads', 'SRAM Filter Reads', 'SRAM OFMAP Writes', 'DRAM IFMAP Reads', 'DRAM Filter Reads', 'DRAM OFMAP Writes']);
    expect(detail.slice(1).map((row) => row.slice(4).map(Number))).toEqual(json.layers.map((l) => [l.dram.ifmap, l.dram.filter, l.dram.ofmap]));
    const bw = csvRows(readFileSync(join(dir, 'BANDWIDTH_REPORT.csv'), 'utf8'));
    expect(bw[0]![0]).toBe('LayerID');
    expect(bw.slice(1).map((row) => Number(row[4]))).toEqual(json.layers.map((l) => Number((l.dram.ifmap / l.cycles).toFixed(4))));

    // deterministic: a second run writes the same bytes
    const again = join(work, `${file}-again`);
    const r2 = await cli(['sim', '--topology', path, '--array', '4x8', '--json', '--csv-dir', again]);
    expect(r2.out).toBe(r.out);
    for (const f of listing(dir)) expect(readFileSync(join(again, f), 'utf8')).toBe(readFileSync(join(dir, f), 'utf8'));
  });

  test("SCALE-Sim's AlexNet and GEMM examples run whole, one CSV row per layer", async () => {
    for (const [file, layers] of [['alexnet.csv', 5], ['gemm-mnk.csv', 1]] as const) {
      const dir = join(work, `shipped-${file}`);
      const r = await cli(['sim', '--topology', join(EXAMPLES, file), '--array', '32x32', '--json', '--csv-dir', dir]);
      expect(r.code, r.err).toBe(0);
      const json = JSON.parse(r.out) as { layers: LayerJson[]; scaleSimCycles: number };
      expect(json.layers).toHaveLength(layers);
      for (const l of json.layers) expect(l.cycles).toBeGreaterThan(0);
      expect(json.scaleSimCycles).toBe(json.layers.reduce((a, l) => a + l.scaleSimCycles, 0));
      for (const f of ['COMPUTE_REPORT.csv', 'BANDWIDTH_REPORT.csv', 'DETAILED_ACCESS_REPORT.csv']) expect(csvRows(readFileSync(join(dir, f), 'utf8')), f).toHaveLength(1 + layers);
    }
  }, 120_000);

  test('text output names the layers, the closed form and the synthetic values', async () => {
    const r = await cli(['sim', '--topology', join(EXAMPLES, 'tiny-gemm.csv')]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/tiny-gemm \(SCALE-Sim gemm topology, 3 independent layers\)/);
    expect(r.out).toMatch(/SCALE-Sim WS/);
    expect(r.out).toMatch(/synthetic/);
  });

  test('--csv-dir on a model writes one row per model layer', async () => {
    const dir = join(work, 'model-csv');
    const r = await cli(['sim', join(EXAMPLES, '../digits-mlp/model.json'), '--csv-dir', dir]);
    expect(r.code, r.err).toBe(0);
    expect(csvRows(readFileSync(join(dir, 'COMPUTE_REPORT.csv'), 'utf8'))).toHaveLength(1 + 2);
  });

  test('explore sums the layers of a whole topology at every point; shards merge to the same bytes', async () => {
    const path = join(EXAMPLES, 'tiny-conv.csv');
    const grid = ['--arrays', '4x4,8x8', '--sram-kib', '16', '--bandwidth', '4,16'];
    const e = await cli(['explore', path, ...grid, '--out', join(work, 'tx'), '--json']);
    expect(e.code, e.err).toBe(0);
    const doc = JSON.parse(e.out) as { points: { base: boolean; cycles: number; layerCycles: number[] }[] };
    const sim = JSON.parse((await cli(['sim', '--topology', path, '--json'])).out) as { cycles: number; layers: LayerJson[] };
    const base = doc.points.find((p) => p.base)!;
    expect(base.cycles).toBe(sim.cycles); // the base machine is sim's default machine
    // per layer: the layer's span inside its program (the program adds its halt)
    expect(base.layerCycles).toHaveLength(sim.layers.length);
    base.layerCycles.forEach((c, i) => expect(c).toBeLessThanOrEqual(sim.layers[i]!.cycles));
    for (const i of [0, 1]) expect((await cli(['explore', path, ...grid, '--shard', `${i}/2`, '--out', join(work, 'tx-shards')])).code).toBe(0);
    const shards = listing(join(work, 'tx-shards')).map((f) => join(work, 'tx-shards', f));
    expect((await cli(['explore', 'merge', ...shards, '--out', join(work, 'tx-merged')])).code).toBe(0);
    for (const f of ['explore.csv', 'explore.json']) expect(readFileSync(join(work, 'tx-merged', f), 'utf8')).toBe(readFileSync(join(work, 'tx', f), 'utf8'));
  });

  test('lower and explore take one layer of a topology (file.csv#layer) with the synthetic calibration', async () => {
    const out = join(work, 'conv3.nnchip');
    const r = await cli(['lower', `${join(EXAMPLES, 'tiny-conv.csv')}#c2`, '-o', out]);
    expect(r.code, r.err).toBe(0);
    const e = await cli(['explore', `${join(EXAMPLES, 'tiny-conv.csv')}#pw`, '--arrays', '4x4', '--sram-kib', '16', '--bandwidth', '8', '--out', join(work, 'explore'), '--json']);
    expect(e.code, e.err).toBe(0);
  });
});

/**
 * The no-stall comparison. nnchip's matmul takes 2R + C + T cycles from start to its last acc write
 * (timing.ts: R preload, R row skew, T rows, C column skew), but the next matmul starts after
 * max(R, T + 1) (its preload fills the shadow weights while this one streams); SCALE-Sim's fold
 * costs 2R + C + T − 2 and the layer one cycle less. With ideal DRAM (4096 B/cycle, latency 0) and
 * buffers that hold the whole layer, a GEMM layer is exactly one matmul per fold streaming all M
 * rows: each column tile's K folds back to back, max(R, T + 1) apart, so a column tile's run keeps
 * the array busy (K folds − 1)·max(R, M + 1) + 2R + C + M cycles. Two places wait for a load instead
 * (both faster overall than the orders they replaced, lower-emit.ts): the op's first weight tile
 * loads ahead of its windows (to overlap a previous op), so the second matmul starts when its weight
 * tile, loaded behind the windows, is in; and where the drain 2R + C outlasts a column tile's run,
 * two column tiles share one drain (M0 M1 T0 T1), the second's first matmul starting when its bias
 * and weights are in. The test states each back-to-back gap exactly: the issue interval, or the end
 * of the last load of what that matmul reads (weight tile, acc rows) less the previous start. The
 * whole layer also loads, thresholds and stores (not overlapped with the first and last fold), so its
 * total is larger; that overhead is what the CSV's Stall Cycles shows.
 */
describe("nnchip vs SCALE-Sim v2's weight-stationary closed form (ideal memory)", () => {
  const ideal = (rows: number, cols: number) => makeConfig({ rows, cols, dramBytesPerCycle: 4096, dramLatency: 0, actDepth: 65536, wgtDepth: 65536, accDepth: 65536, qntDepth: 65536, outDepth: 65536 });
  const gemms = parseTopology('Layer, M, N, K,\ng1, 16, 12, 20,\ng2, 8, 8, 8,\ng3, 40, 20, 9,\ng4, 100, 64, 64,\nfc, 1, 30, 30,\n', 'g.csv').layers;
  const shapes: [number, number][] = [[4, 4], [4, 8], [8, 4], [8, 8], [16, 16]];
  /**
   * Start-to-start gaps of matmuls that follow each other on the compute unit (nothing between
   * them), each beside the gap it is due: the issue interval max(R, T + 1), or more when the later
   * matmul waits for the load of what it reads — its weight tile, its act rows (a channel tile of
   * the op's window, loaded just before the first matmul that reads it) or (the first of a column
   * tile) its acc rows, the bias — then it starts as that load ends.
   */
  const backToBack = (program: Program): { gap: number; due: number }[] => {
    const { timings } = scheduleTimes(program.instructions, program.config);
    const R = program.config.rows;
    const insns = program.instructions;
    const overlaps = (lo: number, n: number, lo2: number, n2: number): boolean => lo < lo2 + n2 && lo2 < lo + n;
    /** When the last load before instruction i of the rows matmul i reads in wgt, act and acc ends (a GEMM's matmul reads act rows [act, act + rows)). */
    const ready = (i: number): number => {
      const m = insns[i]!;
      if (m.op !== 'matmul') return 0;
      let [wgt, act, acc] = [0, 0, 0];
      for (let j = 0; j < i; j++) {
        const l = insns[j]!;
        if (l.op !== 'load') continue;
        if (l.buf === LOAD_BUFFERS.wgt && overlaps(l.sram, l.rows, m.wgt, R)) wgt = timings[j]!.end;
        if (l.buf === LOAD_BUFFERS.act && overlaps(l.sram, l.rows, m.act, m.rows)) act = timings[j]!.end;
        if (l.buf === LOAD_BUFFERS.acc && overlaps(l.sram, l.rows, m.acc, m.rows)) acc = timings[j]!.end;
      }
      return Math.max(wgt, act, acc);
    };
    const compute = insns.flatMap((insn, i) => (UNIT_OF[insn.op] === 'compute' ? [{ insn, i, t: timings[i]! }] : []));
    return compute.slice(1).flatMap((b, k) => {
      const a = compute[k]!;
      if (b.insn.op !== 'matmul' || a.insn.op !== 'matmul') return [];
      return [{ gap: b.t.start - a.t.start, due: Math.max(Math.max(R, b.insn.rows + 1), ready(b.i) - a.t.start) }];
    });
  };
  test.each(shapes)('GEMM layers on %ix%i: Σ matmul durations = folds·(2R + C + T − 2) − 1 + 2·folds + 1; consecutive matmuls of a column tile start max(R, T + 1) apart', (rows, cols) => {
    const config = ideal(rows, cols);
    for (const layer of gemms) {
      const graph = layerGraph(layer, DEFAULT_LIMITS, 'g.csv');
      const program = compile(graph, { config, calibration: syntheticCalibration(product(graph.inputs[0]!.shape)) }).program;
      const mnk = mnkOf(layer);
      const folds = Math.ceil(mnk.K / rows) * Math.ceil(mnk.N / cols);
      const matmuls = program.instructions.filter((i) => i.op === 'matmul');
      expect(matmuls, layer.name).toHaveLength(folds);
      for (const m of matmuls) expect(m.op === 'matmul' && m.rows, layer.name).toBe(mnk.M);
      const arrayCycles = matmuls.reduce((a, m) => a + duration(m, config), 0);
      const closed = scaleSimWsCycles(mnk, rows, cols);
      expect(closed).toBe(folds * (2 * rows + cols + mnk.M - 2) - 1);
      expect(arrayCycles - closed, layer.name).toBe(2 * folds + 1);
      // the compute unit's order: one run of K folds per column tile, each followed by its threshold,
      // except that two column tiles share one array drain (M0 M1 T0 T1, lower-emit.ts) where the
      // drain 2R + C outlasts the second one's K folds at max(R, T + 1) apart (and the second's qnt,
      // bias and weights load within it — with ideal DRAM, 1 + T + R < 2R + C + T, always)
      const [kf, nt] = [Math.ceil(mnk.K / rows), Math.ceil(mnk.N / cols)];
      const interval = Math.max(rows, mnk.M + 1);
      const pairs = nt > 1 && 2 * rows + cols > kf * interval;
      const run = 'M'.repeat(kf);
      const order = pairs ? `${run}${run}TT`.repeat(Math.floor(nt / 2)) + (nt % 2 ? `${run}T` : '') : `${run}T`.repeat(nt);
      expect(program.instructions.flatMap((i) => (UNIT_OF[i.op] === 'compute' ? [i.op === 'matmul' ? 'M' : 'T'] : [])).join(''), layer.name).toBe(order);
      // every back-to-back gap is the issue interval max(R, T + 1), or the wait for a load it reads:
      // the first column tile's matmuls wait for their channel tiles of the window (each loaded, with
      // its weight tile, just before the first matmul that reads it: T + R load cycles against an
      // issue interval of T + 1) and a paired column tile's first matmul waits for its bias and
      // weights behind the first one's; nowhere else
      const gaps = backToBack(program);
      expect(gaps.length, layer.name).toBe(folds - (pairs ? Math.ceil(nt / 2) : nt));
      const waits = new Set([...Array.from({ length: Math.max(1, kf - 1) }, (_, k) => k), ...(pairs ? Array.from({ length: Math.floor(nt / 2) }, (_, p) => p * (2 * kf - 1) + kf - 1) : [])]);
      for (const [k, g] of gaps.entries()) expect([k, g.gap], layer.name).toEqual([k, g.due]);
      for (const [k, g] of gaps.entries()) if (!waits.has(k)) expect([k, g.gap], layer.name).toEqual([k, interval]);
      const cert = certify(program);
      expect(cert.cycles).toBeGreaterThanOrEqual(folds * Math.max(rows, mnk.M + 1));
      // the array's work is SCALE-Sim's: R·C lanes per streamed row, M rows per fold
      expect(cert.arrayMacs).toBe(folds * rows * cols * mnk.M);
      expect(cert.macs).toBe(mnk.M * mnk.N * mnk.K);
      expect(entryBytes('act', rows, cols)).toBe(rows);
    }
  });

  test.each(shapes)('dense layers with a batch of M samples on %ix%i: the same relation, each gap the issue interval or a load it waits for', (rows, cols) => {
    const config = ideal(rows, cols);
    for (const layer of gemms) {
      const { M, N, K } = mnkOf(layer);
      const conv = layerGraph(layer, DEFAULT_LIMITS, 'g.csv');
      const kernel = (conv.nodes[0] as unknown as { kernel: { data: Float32Array } }).kernel.data; // [1, 1, K, N] = [K, N]
      const dense: Graph = { name: layer.name, inputs: [{ name: 'x', shape: [K] }], nodes: [{ name: layer.name, op: 'dense', inputs: ['x'], output: 'y', kernel: { shape: [K, N], data: kernel }, bias: null, activation: 'linear' }], outputs: ['y'], notes: [] };
      const program = compile(dense, { config, calibration: syntheticCalibration(K), batch: M }).program;
      const matmuls = program.instructions.filter((i) => i.op === 'matmul');
      const folds = Math.ceil(K / rows) * Math.ceil(N / cols);
      // the samples may come in tiles (lower-tile-choice.ts): per tile of T samples, one matmul per fold streaming all T
      expect(matmuls.length % folds, layer.name).toBe(0);
      let samples = 0;
      for (let t = 0; t < matmuls.length; t += folds) {
        const tile = matmuls.slice(t, t + folds).map((m) => (m.op === 'matmul' ? m.rows : 0));
        expect(new Set(tile).size, layer.name).toBe(1);
        const T = tile[0]!;
        samples += T;
        expect(tile.reduce((a, r) => a + 2 * rows + cols + r, 0) - scaleSimWsCycles({ M: T, N, K }, rows, cols), layer.name).toBe(2 * folds + 1);
      }
      expect(samples, layer.name).toBe(M);
      for (const [k, g] of backToBack(program).entries()) expect([k, g.gap], layer.name).toEqual([k, g.due]);
    }
  });

  test("ResNet-18's Conv1 (input as windows) and Conv3_s (1×1 stride 2, two folds per column tile) on 32x32 with two acc banks: at most the closed form; the simulator agrees", () => {
    const resnet = parseTopology(readFileSync(join(EXAMPLES, 'resnet18.csv'), 'utf8'), 'resnet18.csv');
    const config = makeConfig({ ...ideal(32, 32), accBanks: 2 });
    for (const name of ['Conv1', 'Conv3_s']) {
      const layer = resnet.layers.find((l) => l.name === name)!;
      const graph = layerGraph(layer, DEFAULT_LIMITS, 'resnet18.csv');
      const { program } = compile(graph, { config, calibration: syntheticCalibration(product(graph.inputs[0]!.shape)) });
      const cycles = certify(program).cycles;
      expect(cycles, name).toBeLessThanOrEqual(scaleSimWsCycles(mnkOf(layer), 32, 32));
      // four acc slots, two a bank: a column tile's bias loads while the threshold two column tiles back reads the other slot
      // (each column tile's first matmul starts its slot; a threshold in pieces reads from inside one)
      const accs = new Set(program.instructions.flatMap((i) => (i.op === 'matmul' && i.accumulate === 0 ? [i.acc] : [])));
      expect(accs.size, name).toBe(4);
      if (name === 'Conv3_s') expectSimExact(program, new Int8Array(product(graph.inputs[0]!.shape)));
    }
  }, 60_000);

  test("ResNet-18's Conv3_s with SCALE-Sim-sized 64 kB buffers on 32x32, two acc banks: at most the closed form, its column tiles' thresholds beside the next ones' matmuls; the simulator agrees", () => {
    const layer = parseTopology(readFileSync(join(EXAMPLES, 'resnet18.csv'), 'utf8'), 'resnet18.csv').layers.find((l) => l.name === 'Conv3_s')!;
    // 64 kB in each of act, wgt, acc and out (bench/conv-efficiency.mjs `kb64`): 512 acc entries, 256 a bank
    const config = makeConfig({ rows: 32, cols: 32, dramBytesPerCycle: 4096, dramLatency: 0, accBanks: 2, actDepth: 65536 / 32, wgtDepth: 65536 / 32, accDepth: 65536 / (4 * 32), outDepth: 65536 / 32 });
    const graph = layerGraph(layer, DEFAULT_LIMITS, 'resnet18.csv');
    const { program } = compile(graph, { config, calibration: syntheticCalibration(product(graph.inputs[0]!.shape)) });
    expect(certify(program).cycles).toBeLessThanOrEqual(scaleSimWsCycles(mnkOf(layer), 32, 32));
    // four acc slots, two a bank, so tiles of at most a quarter of the acc buffer's rows
    const thresholds = program.instructions.flatMap((i) => (i.op === 'threshold' ? [i] : []));
    expect(new Set(thresholds.map((t) => t.acc)).size).toBe(4);
    for (const t of thresholds) expect(t.rows).toBeLessThanOrEqual(config.accDepth / 4);
    // beside: every threshold but the last follows a matmul of the next column tile, on the other bank
    const split = config.accDepth / 2;
    const compute = program.instructions.filter((i) => i.op === 'matmul' || i.op === 'threshold');
    const beside = compute.filter((i, k) => i.op === 'threshold' && compute[k - 1]?.op === 'matmul' && compute[k - 1]!.acc >= split !== i.acc >= split);
    expect(beside.length).toBe(thresholds.length - 1);
    expectSimExact(program, new Int8Array(product(graph.inputs[0]!.shape)));
  }, 60_000);
});
