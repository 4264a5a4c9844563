// bench/issue17.mjs: each goal of issue 17 as a figure and a ratio (prints; never asserts). CPU
// seconds of one thread. Run `npm run build` first. Workloads: bench/models.mjs (seeded random
// weights; shapes are what matter) and the shipped digits models.
//   "whole process" rows spawn bin/nnchip.mjs and read its CPU time from /usr/bin/time (wall time
//   when that is missing), the median of three runs (one for the million-sample run); the
//   1M-parameter dense rows run `nnchip lower` on the model written as a TF.js model.json,
//   bench/models.mjs writeDenseTfjs; "in-process" rows time compile() and add the
//   CPU time of a bare `nnchip --version` process start. `sim` rows run `nnchip sim` on the lowered program (as the
//   CLI runs it: matmul values on the WebAssembly SIMD GEMM). BENCH_RESNET_SIDE (default 224) sets
//   ResNet-18's input side (ResNet rows take minutes here at 224); BENCH_VERILATOR=0 skips the
//   Verilator comparison, BENCH_ONLY=verilator runs only it, BENCH_ONLY=lower only the `lower` rows,
//   BENCH_ONLY=sim only the sim and --prove rows (ResNet-18 is still compiled for its sim row; the
//   lower rows are not timed).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, isa, loadModel, simulate } from '../dist/src/index.js';
import { wasmGemm } from '../dist/src/backends/wasm/gemm-module.js';
import { emitWasm } from '../dist/src/backends/wasm/emit.js';
import { instantiate } from '../dist/src/backends/wasm/instance.js';
import { serializeProgram } from '../dist/src/isa/program.js';
import { alexnetConv1, dense1M, resnet18, samplesFor, writeDenseTfjs } from './models.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const cli = here('../bin/nnchip.mjs');
const RESNET_SIDE = Number(process.env.BENCH_RESNET_SIDE ?? 224);

/**
 * SCALE-Sim v2 CPU seconds, whole process, from issue 17's table (measured on the machine the issue
 * was filed from; SCALE-Sim does not run here). It computes no values.
 */
const SCALE_SIM_SECONDS = { alexnetConv1At32: 15.0, resnet18At256: 74, mlpBatch64At8: 8.2, mnistCnnAt8: 0.3 };

/**
 * CPU seconds (user + system) and peak RSS (MB) of a CLI run, the median of `runs` runs (the CPU time of
 * one run of a second varies by a quarter on this machine, from run to run); its stdout is discarded (a
 * million samples' lines would overflow a pipe buffer).
 */
function cliRun(args, runs = 3) {
  const all = Array.from({ length: runs }, () => cliRunOnce(args)).sort((a, b) => a.seconds - b.seconds);
  return all[(runs - 1) >> 1];
}

function cliRunOnce(args) {
  const timed = existsSync('/usr/bin/time');
  const t0 = performance.now();
  const opts = { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] };
  const r = timed ? spawnSync('/usr/bin/time', ['-f', 'CPU %U %S %M', process.execPath, cli, ...args], opts) : spawnSync(process.execPath, [cli, ...args], opts);
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`nnchip ${args.join(' ')} failed: ${r.stderr}`);
  const m = timed ? /CPU ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr) : null;
  return m ? { seconds: Number(m[1]) + Number(m[2]), mb: Number(m[3]) / 1024 } : { seconds: wall, mb: NaN };
}

/** CPU seconds of fn() in this process. */
function cpu(fn) {
  const c0 = process.cpuUsage();
  const result = fn();
  const c = process.cpuUsage(c0);
  return { seconds: (c.user + c.system) / 1e6, result };
}

/** BENCH_ONLY=lower: the rows after the `lower` ones are skipped. */
class LowerRowsOnly extends Error {}

const work = mkdtempSync(join(tmpdir(), 'nnchip-issue17-'));
const startup = cliRun(['--version']).seconds;
// node itself, starting and running nothing: the floor of every whole-process figure
const nodeStart = (() => {
  const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', process.execPath, '-e', '0'], { encoding: 'utf8' });
  const m = /CPU ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  return m ? Number(m[1]) + Number(m[2]) : NaN;
})();
const rows = [];
const row = (goal, seconds, target, note = '', met = seconds <= Number(String(target).replace(/[^\d.]/g, ''))) => rows.push({ goal, 'CPU s': seconds < 0.1 ? seconds.toPrecision(2) : seconds.toFixed(2), target, 'target met': met ? 'yes' : 'no', note });

try {
  const big = join(work, 'big.json');
  writeFileSync(big, JSON.stringify({ actDepth: 65536, accDepth: 65536, outDepth: 65536 }));
  const mlp = here('../examples/digits-mlp/model.json');
  const cnn = here('../examples/digits-cnn/model.json');

  const mlpGraph = loadModel(mlp);
  const mlpCal = JSON.parse(readFileSync(here('../examples/digits-mlp/calibration.json'), 'utf8')).inputs;
  if (process.env.BENCH_ONLY !== 'verilator') {
    const timeLower = process.env.BENCH_ONLY !== 'sim';
    // lower
    // "on any array size": 2x2 (a quarter million weight tiles, half a million instructions) is the hard end
    // `nnchip lower` itself (validation, certificate, listing and files included: at 2x2 they cost
    // twice what compile() does), on the model written as a TF.js model.json with its calibration.json
    const denseDir = timeLower ? writeDenseTfjs(dense1M(), join(work, 'dense1m')) : '';
    for (const side of timeLower ? [2, 4, 8, 32] : []) {
      const g = dense1M();
      const { seconds } = cpu(() => compile(g, { config: isa.makeConfig({ rows: side, cols: side }), calibration: { samples: samplesFor(g) } }));
      const whole = cliRun(['lower', denseDir, '--array', `${side}x${side}`, '-o', join(work, `dense-${side}`), '--force']);
      row(`lower 1M-parameter dense, ${side}x${side} (whole process)`, whole.seconds, '< 1 s', `issue: 1.3-2.0 s at 8x8; ${whole.mb.toFixed(0)} MB; compile() alone ${seconds.toFixed(2)} s`);
    }
    if (timeLower) {
      const b1024 = cliRun(['lower', mlp, '--batch', '1024', '--config', big, '-o', join(work, 'b1024'), '--force']);
      row('lower digits MLP --batch 1024 (whole process)', b1024.seconds, '< 2 s', `issue: 69 s; ${b1024.mb.toFixed(0)} MB`);
    }
    const resnet = resnet18(RESNET_SIDE);
    const rl = cpu(() => compile(resnet, { config: isa.makeConfig({ rows: 256, cols: 256 }), calibration: { samples: samplesFor(resnet) } }));
    if (timeLower) {
      // calibration alone, a second time (JIT warm): the float evaluation of 8 samples, kernels packed once per call
      const { calibrate } = await import('../dist/src/passes/quantize.js');
      const calibration = cpu(() => calibrate(resnet, { samples: samplesFor(resnet) })).seconds;
      row(`lower ResNet-18 ${RESNET_SIDE}x${RESNET_SIDE}, 256x256 (in-process + start)`, rl.seconds + startup, '< 3 s', `issue: 14-15 s; compile() alone ${rl.seconds.toFixed(2)} s; calibration alone (warm) ${calibration.toFixed(2)} s`);
    }
    if (process.env.BENCH_ONLY === 'lower') throw new LowerRowsOnly();

    // sim: `nnchip sim` on the lowered program, whole process (values computed, trace hashed)
    const simRow = (label, program, scaleSim, target) => {
      const file = join(work, `${label.replace(/\W+/g, '-')}.nnp`);
      writeFileSync(file, serializeProgram(program));
      const whole = cliRun(['sim', file]);
      // values alone: a warm run in this process (plan, counters, statistics and trace hash are the program's, cached)
      const x = new Int8Array(program.input.rows * program.input.rowBytes).map((_, i) => ((i * 37) % 256) - 128);
      simulate(program, x, { gemm: wasmGemm });
      const warm = cpu(() => simulate(program, x, { gemm: wasmGemm })).seconds;
      row(`sim ${label} (whole process)`, whole.seconds, target, `SCALE-Sim ${scaleSim} s: ${(scaleSim / whole.seconds).toFixed(1)}x faster (goal 100x); ${whole.mb.toFixed(0)} MB; values alone (warm run) ${warm.toFixed(3)} s`);
      return whole;
    };
    const alex = alexnetConv1();
    simRow('AlexNet conv1, 32x32', compile(alex, { config: isa.makeConfig({ rows: 32, cols: 32 }), calibration: { samples: samplesFor(alex) } }).program, SCALE_SIM_SECONDS.alexnetConv1At32, '<= 0.15 s');
    const resnetSim = simRow(`ResNet-18 ${RESNET_SIDE}x${RESNET_SIDE}, 256x256${RESNET_SIDE === 224 ? '' : ' (SCALE-Sim ratio is for 224x224)'}`, rl.result.program, SCALE_SIM_SECONDS.resnet18At256, '<= 1 s');
    row(`sim ResNet-18 ${RESNET_SIDE}x${RESNET_SIDE}, 256x256: peak memory (MB, not s)`, resnetSim.mb, '<= 400 MB', 'whole process, /usr/bin/time maximum resident set', resnetSim.mb <= 400);
    const mlp64 = compile(mlpGraph, { config: isa.makeConfig({ rows: 8, cols: 8, actDepth: 65536, accDepth: 65536, outDepth: 65536 }), calibration: { samples: mlpCal }, batch: 64 }).program;
    simRow('digits MLP batch 64, 8x8', mlp64, SCALE_SIM_SECONDS.mlpBatch64At8, '<= 0.08 s');
    cliRun(['lower', cnn, '-o', join(work, 'cnn'), '--force'], 1);
    const cnnSim = cliRun(['sim', join(work, 'cnn')]);
    // what `sim` costs before any program: node, the CLI and the modules the sim command loads
    const simStart = cliRun(['sim', '--help']).seconds;
    row('sim digits CNN, 8x8 (whole process)', cnnSim.seconds, `<= ${startup.toFixed(2)} s`, `process start ${startup.toFixed(2)} s (\`sim --help\` ${simStart.toFixed(2)} s); SCALE-Sim 0.30 s: ${(SCALE_SIM_SECONDS.mnistCnnAt8 / cnnSim.seconds).toFixed(1)}x`);
    const prove = cliRun(['sim', join(work, 'cnn'), '--prove', '--samples', '1000', '--out', join(work, 'cert')]);
    // the reference interpreter's share: 1000 runs of interpret() in this process (--prove runs it once per sample beside the simulator)
    const { readProgramFile } = await import('../dist/src/cli/load-program.js');
    const cnnProgram = readProgramFile(join(work, 'cnn'));
    const inputBytes = cnnProgram.input.rows * cnnProgram.input.rowBytes;
    const interpretSeconds = cpu(() => {
      for (let s = 0; s < 1000; s++) isa.interpret(cnnProgram, new Int8Array(inputBytes).map((_, i) => ((i * 37 + s * 101) % 256) - 128));
    }).seconds;
    row('sim --prove, 1000 samples, digits CNN (whole process)', prove.seconds, '< 2 s', `${prove.mb.toFixed(0)} MB; reference interpreter alone ${interpretSeconds.toFixed(2)} s`);

    // run --backend sim streams: 1 M samples of examples/tiny (4 inputs), whole process
    const tiny = join(work, 'tiny');
    cliRun(['lower', here('../examples/tiny/tiny.nnchip.json'), '-o', tiny, '--force'], 1);
    const million = join(work, 'tiny-1m.json');
    writeFileSync(million, `[${Array.from({ length: 1e6 }, (_, i) => `[${[0, 1, 2, 3].map((j) => (((i * 7 + j * 13) % 200) / 100 - 1).toFixed(2)).join(',')}]`).join(',')}]`);
    const streamed = cliRun(['run', tiny, '--input', million, '--backend', 'sim'], 1);
    row('run --backend sim, 1 M samples of examples/tiny: peak memory (MB, not s)', streamed.mb, '< 300 MB', `whole process ${streamed.seconds.toFixed(1)} CPU s`, streamed.mb < 300);
  }

  // Verilator on the same program, build time excluded: time per inference (each Verilator run is
  // one process: its start is included) against the simulator's per inference over many samples as
  // the CLI runs it (warm: the plan, counters and trace are the program's, cached; the values of this
  // race-free program from its compiled WebAssembly module, sim/compiled-values.ts), and the
  // event-driven machine's (values on the WebAssembly GEMM) beside it
  if (process.env.BENCH_VERILATOR !== '0') {
    const { findTool } = await import('../dist/src/backends/verilog/tools.js');
    const { compiledWasm } = await import('../dist/src/cli/compiled-wasm.js');
    const { manyRunsSimulate } = await import('../dist/src/cli/simulate-wasm.js');
    const { buildRtlSim } = await import('../dist/src/backends/verilog/simulate.js');
    const cnnGraph = loadModel(cnn);
    const cnnCal = JSON.parse(readFileSync(here('../examples/digits-cnn/calibration.json'), 'utf8')).inputs;
    if (findTool('verilator') === null) console.log('verilator: not installed, no Verilator ratio');
    else
      for (const [name, graph, cal, batch] of [['digits MLP batch 64', mlpGraph, mlpCal, 64], ['digits CNN', cnnGraph, cnnCal, 1]])
        for (const side of [4, 8]) {
          // actDepth 8192 holds the batch (with the 65536-entry buffers above the Verilator build stops on a warning; not investigated)
          const p = compile(graph, { config: isa.makeConfig({ rows: side, cols: side, ...(batch > 1 ? { actDepth: 8192 } : {}) }), calibration: { samples: cal }, batch }).program;
          const inputs = Array.from({ length: 3 }, (_, k) => isa.quantizeInput(p, Array.from({ length: batch }, (_, j) => cal[(k * batch + j + k) % cal.length]).flat(Infinity)));
          let rtl;
          try {
            // built for one input: its test bench then runs any one input (a run per inference)
            rtl = await buildRtlSim(p, { simulator: 'verilator', inputs: [inputs[0]] });
          } catch (e) {
            console.log(`verilator build failed for ${name} at ${side}x${side}: ${e.message.split('\n')[0]}`);
            continue;
          }
          const rtlSeconds = [];
          try {
            for (const x of inputs) {
              const t0 = performance.now();
              await rtl.run(p, [x]);
              rtlSeconds.push((performance.now() - t0) / 1000);
            }
          } finally {
            rtl.dispose();
          }
          const N = 300;
          // best of 3 rounds of N after 100 warm-up runs (the engine tiers the modules up in the
          // background, on CPU time this process is charged; the machine here is shared)
          const perInference = (run) => {
            for (let i = 0; i < 100; i++) run(inputs[i % inputs.length]);
            const round = () => cpu(() => {
              for (let i = 0; i < N; i++) run(inputs[i % inputs.length]);
            }).seconds / N;
            return Math.min(round(), round(), round());
          };
          const machine = perInference((x) => simulate(p, x, { gemm: wasmGemm, trace: false }));
          const build = cpu(() => compiledWasm(p)).seconds;
          const simulateMany = await manyRunsSimulate();
          const sim = perInference((x) => simulateMany(p, x, { trace: false }));
          const verilator = Math.min(...rtlSeconds);
          const ratio = verilator / sim;
          // the same Program compiled to WebAssembly (instantiated once): what values alone can cost
          const module = await instantiate(emitWasm(p));
          const compiled = perInference((x) => module.runRaw(x));
          row(`sim ${name}, ${side}x${side}: seconds per inference vs Verilator`, sim, '>= 1000x Verilator', `Verilator ${verilator.toFixed(3)} s wall per inference (best of ${rtlSeconds.length}, one process each): ${ratio.toFixed(0)}x; the compiled WebAssembly program ${(compiled * 1000).toFixed(3)} ms per inference (${(verilator / compiled).toFixed(0)}x); the event-driven machine ${(machine * 1000).toFixed(3)} ms (${(verilator / machine).toFixed(0)}x); building the module ${(build * 1000).toFixed(0)} ms once per program`, ratio >= 1000);
        }
  }
} catch (e) {
  if (!(e instanceof LowerRowsOnly)) throw e;
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.table(rows);
console.log(`CPU seconds of this machine; process start (nnchip --version) ${startup.toFixed(2)} s, node alone (node -e 0) ${nodeStart.toFixed(2)} s. SCALE-Sim figures: issue 17's table (not measured here).`);
