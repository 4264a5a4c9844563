// bench/issue17.mjs: each goal of issue 17 as a figure and a ratio (prints; never asserts). CPU
// seconds of one thread. Run `npm run build` first. Workloads: bench/models.mjs (seeded random
// weights; shapes are what matter) and the shipped digits models.
//   "whole process" rows spawn bin/nnchip.mjs and read its CPU time from /usr/bin/time (wall time
//   when that is missing); "in-process" rows time compile()/simulate() and add the CPU time of a
//   bare `nnchip --version` process start. BENCH_RESNET_SIDE (default 224) sets ResNet-18's input
//   side (ResNet rows take minutes here at 224); BENCH_VERILATOR=0 skips the Verilator comparison.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, isa, loadModel, simulate } from '../dist/src/index.js';
import { alexnetConv1, dense1M, resnet18, samplesFor } from './models.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const cli = here('../bin/nnchip.mjs');
const RESNET_SIDE = Number(process.env.BENCH_RESNET_SIDE ?? 224);

/**
 * SCALE-Sim v2 CPU seconds, whole process, from issue 17's table (measured on the machine the issue
 * was filed from; SCALE-Sim does not run here). It computes no values.
 */
const SCALE_SIM_SECONDS = { alexnetConv1At32: 15.0, resnet18At256: 74, mlpBatch64At8: 8.2, mnistCnnAt8: 0.3 };

/** CPU seconds (user + system) and peak RSS (MB) of one CLI run. */
function cliRun(args) {
  const timed = existsSync('/usr/bin/time');
  const t0 = performance.now();
  const r = timed ? spawnSync('/usr/bin/time', ['-f', 'CPU %U %S %M', process.execPath, cli, ...args], { encoding: 'utf8' }) : spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
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

const work = mkdtempSync(join(tmpdir(), 'nnchip-issue17-'));
const startup = cliRun(['--version']).seconds;
const rows = [];
const row = (goal, seconds, target, note = '') => rows.push({ goal, 'CPU s': seconds.toFixed(2), target, 'target met': seconds <= Number(String(target).replace(/[^\d.]/g, '')) ? 'yes' : 'no', note });

try {
  const big = join(work, 'big.json');
  writeFileSync(big, JSON.stringify({ actDepth: 65536, accDepth: 65536, outDepth: 65536 }));
  const mlp = here('../examples/digits-mlp/model.json');
  const cnn = here('../examples/digits-cnn/model.json');

  // lower
  for (const side of [8, 32]) {
    const g = dense1M();
    const { seconds } = cpu(() => compile(g, { config: isa.makeConfig({ rows: side, cols: side }), calibration: { samples: samplesFor(g) } }));
    row(`lower 1M-parameter dense, ${side}x${side} (in-process + start)`, seconds + startup, '< 1 s', 'issue: 1.3-2.0 s at 8x8');
  }
  const b1024 = cliRun(['lower', mlp, '--batch', '1024', '--config', big, '-o', join(work, 'b1024'), '--force']);
  row('lower digits MLP --batch 1024 (whole process)', b1024.seconds, '< 2 s', `issue: 69 s; ${b1024.mb.toFixed(0)} MB`);
  const resnet = resnet18(RESNET_SIDE);
  const rl = cpu(() => compile(resnet, { config: isa.makeConfig({ rows: 256, cols: 256 }), calibration: { samples: samplesFor(resnet) } }));
  // calibration alone, a second time (JIT warm): the float evaluation of 8 samples, kernels packed once per call
  const { calibrate } = await import('../dist/src/passes/quantize.js');
  const calibration = cpu(() => calibrate(resnet, { samples: samplesFor(resnet) })).seconds;
  row(`lower ResNet-18 ${RESNET_SIDE}x${RESNET_SIDE}, 256x256 (in-process + start)`, rl.seconds + startup, '< 3 s', `issue: 14-15 s; calibration alone (warm) ${calibration.toFixed(2)} s`);

  // sim: values computed, trace hashed as `nnchip sim` does
  const simRow = (label, program, scaleSim, target) => {
    const x = new Int8Array(program.input.rows * program.input.rowBytes).map((_, i) => ((i * 37) % 256) - 128);
    const { seconds } = cpu(() => simulate(program, x));
    const total = seconds + startup;
    // a second run reuses the plan, counters and trace hash: what is left is the values (matmul, thresholds, copies)
    const warm = cpu(() => simulate(program, x)).seconds;
    row(`sim ${label} (in-process + start)`, total, target, `SCALE-Sim ${scaleSim} s: ${(scaleSim / total).toFixed(1)}x faster (goal 100x); values alone (warm run) ${warm.toFixed(2)} s`);
  };
  const alex = alexnetConv1();
  simRow('AlexNet conv1, 32x32', compile(alex, { config: isa.makeConfig({ rows: 32, cols: 32 }), calibration: { samples: samplesFor(alex) } }).program, SCALE_SIM_SECONDS.alexnetConv1At32, '<= 0.15 s');
  simRow(`ResNet-18 ${RESNET_SIDE}x${RESNET_SIDE}, 256x256${RESNET_SIDE === 224 ? '' : ' (SCALE-Sim ratio is for 224x224)'}`, rl.result.program, SCALE_SIM_SECONDS.resnet18At256, '<= 1 s');
  const mlpGraph = loadModel(mlp);
  const mlpCal = JSON.parse(readFileSync(here('../examples/digits-mlp/calibration.json'), 'utf8')).inputs;
  const mlp64 = compile(mlpGraph, { config: isa.makeConfig({ rows: 8, cols: 8, actDepth: 65536, accDepth: 65536, outDepth: 65536 }), calibration: { samples: mlpCal }, batch: 64 }).program;
  simRow('digits MLP batch 64, 8x8', mlp64, SCALE_SIM_SECONDS.mlpBatch64At8, '<= 0.08 s');
  cliRun(['lower', cnn, '-o', join(work, 'cnn'), '--force']);
  const cnnSim = cliRun(['sim', join(work, 'cnn')]);
  row('sim digits CNN, 8x8 (whole process)', cnnSim.seconds, `<= ${startup.toFixed(2)} s`, `process start ${startup.toFixed(2)} s; SCALE-Sim 0.30 s: ${(SCALE_SIM_SECONDS.mnistCnnAt8 / cnnSim.seconds).toFixed(1)}x`);
  const prove = cliRun(['sim', join(work, 'cnn'), '--prove', '--samples', '1000', '--out', join(work, 'cert')]);
  // the reference interpreter's share: 1000 runs of interpret() in this process (--prove runs it once per sample beside the simulator)
  const { readProgramFile } = await import('../dist/src/cli/load-program.js');
  const cnnProgram = readProgramFile(join(work, 'cnn'));
  const inputBytes = cnnProgram.input.rows * cnnProgram.input.rowBytes;
  const interpretSeconds = cpu(() => {
    for (let s = 0; s < 1000; s++) isa.interpret(cnnProgram, new Int8Array(inputBytes).map((_, i) => ((i * 37 + s * 101) % 256) - 128));
  }).seconds;
  row('sim --prove, 1000 samples, digits CNN (whole process)', prove.seconds, '< 2 s', `${prove.mb.toFixed(0)} MB; reference interpreter alone ${interpretSeconds.toFixed(2)} s`);

  // Verilator on the same program (build time excluded)
  if (process.env.BENCH_VERILATOR !== '0') {
    const { findTool } = await import('../dist/src/backends/verilog/tools.js');
    const { buildRtlSim } = await import('../dist/src/backends/verilog/simulate.js');
    if (findTool('verilator') === null) console.log('verilator: not installed, no Verilator ratio');
    else
      for (const side of [4, 8]) {
        // actDepth 8192 holds the batch (with the 65536-entry buffers above the Verilator build stops on a warning; not investigated)
        const p = compile(mlpGraph, { config: isa.makeConfig({ rows: side, cols: side, actDepth: 8192 }), calibration: { samples: mlpCal }, batch: 64 }).program;
        const inputs = [isa.quantizeInput(p, mlpCal.slice(0, 64).flat(Infinity))];
        let rtl;
        try {
          rtl = await buildRtlSim(p, { simulator: 'verilator', inputs });
        } catch (e) {
          console.log(`verilator build failed at ${side}x${side}: ${e.message.split('\n')[0]}`);
          continue;
        }
        try {
          const t0 = performance.now();
          await rtl.run(p, inputs);
          const rtlSeconds = (performance.now() - t0) / 1000;
          const { seconds } = cpu(() => simulate(p, inputs[0]));
          row(`sim digits MLP batch 64, ${side}x${side} vs Verilator`, seconds, `<= ${(rtlSeconds / 1000).toFixed(4)} s`, `one cold run (plan + JIT warm-up included); Verilator ${rtlSeconds.toFixed(2)} s wall (its process start included): ${(rtlSeconds / seconds).toFixed(0)}x (goal 1000x; bench/rtl.mjs compares warm rates)`);
        } finally {
          rtl.dispose();
        }
      }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.table(rows);
console.log(`CPU seconds of this machine; process start (nnchip --version) ${startup.toFixed(2)} s. SCALE-Sim figures: issue 17's table (not measured here).`);
