// SPDX-License-Identifier: MIT
/**
 * Runs the generated RTL in Icarus Verilog or Verilator: emit a design into a work folder, compile
 * the test bench once, run it per sample, and read back the output bytes and the cycle count it
 * prints. A built simulator can run any Program of the same ArrayConfig that fits its capacity
 * (only the mem/ images change), which keeps co-simulation of many programs fast.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { internal, NnchipError } from '../../diagnostics/error.js';
import { outputSize, type Program } from '../../isa/program.js';
import { tempFolder, writeDirAtomic, writeFilesAtomic } from '../../util/atomic-write.js';
import { cellModelsFor } from './cell-models.js';
import type { PeMultipliers } from './devices.js';
import { emitVerilog, MEM_FILES, type Capacity } from './emit.js';
import { inParallel, requireTool, runTool, verilatorCacheArgs } from './tools.js';

export const SIMULATORS = ['iverilog', 'verilator'] as const;
export type Simulator = (typeof SIMULATORS)[number];

export interface SampleRun {
  readonly raw: Int8Array;
  readonly cycles: number;
  /** The test bench's own verdict: outputs = interpret(), cycles = scheduleTimes(), no DRAM ordering hazard. */
  readonly passed: boolean;
  readonly log: string;
}

export interface RtlSim {
  readonly dir: string;
  readonly simulator: Simulator;
  /** Run every sample of `inputs` through `program` (same ArrayConfig as the build). */
  run(program: Program, inputs: readonly Int8Array[]): Promise<SampleRun[]>;
  /** Delete the work folder (unless it was given by the caller). */
  dispose(): void;
}

export interface BuildOptions {
  readonly simulator: Simulator;
  /** Work folder; default: a fresh temporary folder, deleted by dispose(). */
  readonly dir?: string;
  readonly capacity?: Capacity;
  /** Samples the build is sized for (default: one). */
  readonly inputs?: readonly Int8Array[];
  /** The PE multipliers to build (default fabric); `mac16` simulates yosys's SB_MAC16 model. */
  readonly peMultipliers?: PeMultipliers;
}

export function isSimulator(name: string): name is Simulator {
  return (SIMULATORS as readonly string[]).includes(name);
}

/** The files a build depends on; flow files and mem/ images may differ between runs. */
const isDesign = (path: string): boolean => path.startsWith('rtl/') || path.startsWith('tb/');

function rtlSources(files: ReadonlyMap<string, string>): string[] {
  return ['tb/tb_top.v', ...[...files.keys()].filter((p) => p.startsWith('rtl/') && p.endsWith('.v'))];
}

async function compile(dir: string, simulator: Simulator, sources: readonly string[]): Promise<readonly string[]> {
  if (simulator === 'iverilog') {
    const iverilog = requireTool('iverilog');
    const vvp = requireTool('vvp');
    mkdirSync(join(dir, 'iverilog/build'), { recursive: true });
    await runTool(iverilog, ['-g2005', '-I', 'rtl', '-s', 'tb_top', '-o', 'iverilog/build/tb_top.vvp', ...sources], dir, 'compiling the RTL with iverilog');
    return [vvp, '-n', 'iverilog/build/tb_top.vvp'];
  }
  const verilator = requireTool('verilator');
  mkdirSync(join(dir, 'verilator/build'), { recursive: true });
  const jobs = String(Math.max(1, availableParallelism()));
  const args = ['--binary', '--timing', '-O3', '-j', jobs, ...verilatorCacheArgs(), '-Irtl', '--top-module', 'tb_top', '-Mdir', 'verilator/build/obj', '-o', '../Vtb_top', ...sources];
  await runTool(verilator, args, dir, 'building the RTL with verilator');
  return [join(dir, 'verilator/build/Vtb_top')];
}

/** Parse the test bench's NNCHIP_* lines. */
export function parseBenchOutput(text: string, outBytes: number): Omit<SampleRun, 'log'> {
  const hex = /^NNCHIP_OUTPUT ([0-9a-fA-F]*)\s*$/m.exec(text)?.[1];
  const cycles = /^NNCHIP_CYCLES (\d+)\s*$/m.exec(text)?.[1];
  if (hex === undefined || cycles === undefined || hex.length !== 2 * outBytes) {
    const why = /^NNCHIP_FAIL.*$/m.exec(text)?.[0] ?? text.trim().split('\n').slice(-2).join(' | ');
    throw new NnchipError('NN702', `the RTL test bench did not finish: ${why}`);
  }
  const raw = new Int8Array(outBytes);
  for (let i = 0; i < outBytes; i++) raw[i] = (parseInt(hex.slice(2 * i, 2 * i + 2), 16) << 24) >> 24;
  return { raw, cycles: Number(cycles), passed: /^NNCHIP_PASS\s*$/m.test(text) };
}

/** Emit and compile a design for `program`; the handle runs it (and compatible programs) per sample. */
export async function buildRtlSim(program: Program, opts: BuildOptions): Promise<RtlSim> {
  const temp = opts.dir === undefined ? tempFolder('nnchip-rtl-') : null;
  // a folder inside the private temporary one: the write's lock and staging stay out of the shared TMPDIR
  const dir = opts.dir ?? join(temp!.path, 'design');
  const emitFor = (p: Program, inputs?: readonly Int8Array[]): Map<string, string> =>
    emitVerilog(p, { target: 'generic', capacity: opts.capacity ?? {}, peMultipliers: opts.peMultipliers ?? 'fabric', ...(inputs === undefined ? {} : { inputs }) });
  try {
    const files = emitFor(program, opts.inputs);
    const models = cellModelsFor(opts.peMultipliers ?? 'fabric');
    writeDirAtomic(dir, new Map([...files, ...models]));
    const command = await compile(dir, opts.simulator, [...rtlSources(files), ...models.keys()]);
    const design = [...files].filter(([p]) => isDesign(p));
    const run = async (p: Program, inputs: readonly Int8Array[]): Promise<SampleRun[]> => {
      const next = emitFor(p, inputs);
      for (const [path, text] of design) {
        if (next.get(path) !== text) throw internal(`this RTL build cannot run the program: ${path} differs (another ArrayConfig or capacity)`);
      }
      // the work folder is this build's own: its images (one set, in mem/) are replaced freely
      writeFilesAtomic(new Map(Object.values(MEM_FILES).map((path) => [join(dir, path), next.get(path) ?? ''])), { force: true });
      const outBytes = outputSize(p);
      const jobs = inputs.map((_, k) => async (): Promise<SampleRun> => {
        // exit 1 is the bench's own verdict "failed" (tb_top.v fail_exit): its output is parsed all the same
        const { stdout } = await runTool(command[0]!, [...command.slice(1), `+SAMPLE=${k}`], dir, `running the RTL test bench (${opts.simulator})`, { acceptExit: [1] });
        return { ...parseBenchOutput(stdout, outBytes), log: stdout };
      });
      return inParallel(jobs, availableParallelism());
    };
    return { dir, simulator: opts.simulator, run, dispose: () => temp?.remove() };
  } catch (e) {
    temp?.remove();
    throw e;
  }
}

/** One-shot: build, run every sample, clean up (keep the folder with `keep`). */
export async function runRtl(program: Program, inputs: readonly Int8Array[], opts: { simulator: Simulator; keep?: boolean }): Promise<SampleRun[]> {
  const sim = await buildRtlSim(program, { simulator: opts.simulator, inputs });
  try {
    return await sim.run(program, inputs);
  } finally {
    if (opts.keep !== true) sim.dispose();
  }
}
