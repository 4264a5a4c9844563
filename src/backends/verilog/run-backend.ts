// SPDX-License-Identifier: MIT
/** The `nnchip run --backend rtl` entry: outputs and cycle counts of the generated RTL in a simulator. */
import { NnchipError } from '../../diagnostics/error.js';
import type { Program } from '../../isa/program.js';
import { isSimulator, runRtl, SIMULATORS, type SampleRun } from './simulate.js';
import { availableChoices } from '../../diagnostics/suggest.js';

export async function runRtlBackend(program: Program, inputs: readonly Int8Array[], opts: { simulator: string; keep?: boolean }): Promise<{ raw: Int8Array[]; cycles: number[] }> {
  if (!isSimulator(opts.simulator)) throw new NnchipError('NN801', `unknown simulator "${opts.simulator}" (${availableChoices(opts.simulator, SIMULATORS)})`);
  const runs = await runRtl(program, inputs, { simulator: opts.simulator, ...(opts.keep === undefined ? {} : { keep: opts.keep }) });
  requireBenchPass(runs);
  return { raw: runs.map((r) => r.raw), cycles: runs.map((r) => r.cycles) };
}

/**
 * The test bench checks every sample against the reference interpreter's outputs and the schedule's
 * cycles (tb_top.v): a sample it failed is an nnchip bug, never an answer to print.
 */
export function requireBenchPass(runs: readonly Pick<SampleRun, 'passed' | 'log'>[]): void {
  const k = runs.findIndex((r) => !r.passed);
  if (k < 0) return;
  const why = runs[k]!.log.split('\n').filter((l) => l.startsWith('NNCHIP_MISMATCH') || l.startsWith('NNCHIP_FAIL')).map((l) => l.replace(/^NNCHIP_(MISMATCH|FAIL) ?/, '').trim()).filter((l) => l !== '');
  throw new NnchipError('NN702', `the RTL test bench failed sample ${k}${why.length === 0 ? '' : `: ${why.join('; ')}`}`, {
    hint: 'the RTL must agree with the simulator bit for bit and cycle for cycle: this is an nnchip bug; --debug keeps the design folder to report it with',
  });
}
