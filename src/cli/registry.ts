// SPDX-License-Identifier: MIT
/** Commands contributed by the back ends (sim, verilog, wasm, …): one import and one entry each. */
import type { Command } from 'commander';
import type { CliContext } from './context.js';

export interface CommandModule {
  readonly register: (program: Command, ctx: CliContext) => void;
}

export const COMMANDS: readonly CommandModule[] = [];
