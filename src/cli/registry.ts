// SPDX-License-Identifier: MIT
/** Commands contributed by the back ends (sim, verilog, wasm, …): one import and one entry each. */
import type { Command } from 'commander';
import * as explore from './commands/explore.js';
import * as report from './commands/report.js';
import * as sim from './commands/sim.js';
import * as synth from './commands/synth.js';
import * as verilog from './commands/verilog.js';
import * as wasm from './commands/wasm.js';
import type { CliContext } from './context.js';

export interface CommandModule {
  readonly register: (program: Command, ctx: CliContext) => void;
}

export const COMMANDS: readonly CommandModule[] = [explore, report, sim, wasm, verilog, synth];
