// SPDX-License-Identifier: MIT
/** The `nnchip run --backend rtl` entry: outputs and cycle counts of the generated RTL in a simulator. */
import { NnchipError } from '../../diagnostics/error.js';
import type { Program } from '../../isa/program.js';
import { isSimulator, runRtl, SIMULATORS } from './simulate.js';

export async function runRtlBackend(program: Program, inputs: readonly Int8Array[], opts: { simulator: string; keep?: boolean }): Promise<{ raw: Int8Array[]; cycles: number[] }> {
  if (!isSimulator(opts.simulator)) throw new NnchipError('NN801', `unknown simulator "${opts.simulator}" (available: ${SIMULATORS.join(', ')})`);
  const runs = await runRtl(program, inputs, { simulator: opts.simulator, ...(opts.keep === undefined ? {} : { keep: opts.keep }) });
  return { raw: runs.map((r) => r.raw), cycles: runs.map((r) => r.cycles) };
}
