// SPDX-License-Identifier: MIT
/** Every nnchip command, in the order `nnchip --help` lists them: one import and one entry each. */
import type { Command } from 'commander';
import * as board from './commands/board.js';
import * as disasm from './commands/disasm.js';
import * as evalCmd from './commands/eval.js';
import * as explore from './commands/explore.js';
import * as isa from './commands/isa.js';
import * as lower from './commands/lower.js';
import * as report from './commands/report.js';
import * as run from './commands/run.js';
import * as sim from './commands/sim.js';
import * as synth from './commands/synth.js';
import * as verilog from './commands/verilog.js';
import * as wasm from './commands/wasm.js';
import type { CliContext } from './context.js';

export interface CommandModule {
  readonly register: (program: Command, ctx: CliContext) => void;
}

export const COMMANDS: readonly CommandModule[] = [lower, run, evalCmd, disasm, isa, explore, report, sim, wasm, verilog, synth, board];
