// SPDX-License-Identifier: MIT
/** The back ends `nnchip run --backend` can execute a Program on. One entry per back end, loaded when it runs. */
import { interpret } from '../isa/interpret.js';
import type { Program } from '../isa/program.js';
import type { CliContext } from './context.js';

export interface RunOptions {
  readonly ctx: CliContext;
  readonly debug: boolean;
  /** For rtl: iverilog | verilator. */
  readonly simulator?: string;
}

export interface RunOutput {
  /** Output codes, one Int8Array per sample. */
  readonly raw: Int8Array[];
  /** Cycles per sample, for back ends that model time. */
  readonly cycles?: number[];
}

export type Runner = (program: Program, inputs: readonly Int8Array[], opts: RunOptions) => Promise<RunOutput>;

export const RUNNERS: Record<string, Runner> = {
  ref: async (program, inputs) => ({ raw: inputs.map((x) => interpret(program, x)) }),
  wasm: async (program, inputs) => ({ raw: await (await import('../backends/wasm/instance.js')).runWasm(program, inputs) }),
  sim: async (program, inputs) => {
    const simulate = await (await import('./simulate-wasm.js')).manyRunsSimulate();
    const runs = inputs.map((x) => simulate(program, x, { trace: false }));
    return { raw: runs.map((r) => r.output), cycles: runs.map((r) => r.cycles) };
  },
  rtl: async (program, inputs, opts) => (await import('../backends/verilog/run-backend.js')).runRtlBackend(program, inputs, { simulator: opts.simulator ?? 'iverilog', keep: opts.debug }),
};
