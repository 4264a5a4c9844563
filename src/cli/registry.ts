// SPDX-License-Identifier: MIT
/**
 * Every nnchip command, in the order `nnchip --help` lists them: its name and how to load it.
 * Loaded on demand: `nnchip sim prog.nnchip` loads the simulator, not the importers, the compiler
 * or the back ends (process start is most of a small simulation).
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';

export interface CommandModule {
  readonly register: (program: Command, ctx: CliContext) => void;
}

export interface CommandEntry {
  /** The word after `nnchip` (what the module's register() names its command). */
  readonly name: string;
  readonly load: () => Promise<CommandModule>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'lower', load: () => import('./commands/lower.js') },
  { name: 'run', load: () => import('./commands/run.js') },
  { name: 'eval', load: () => import('./commands/eval.js') },
  { name: 'disasm', load: () => import('./commands/disasm.js') },
  { name: 'isa', load: () => import('./commands/isa.js') },
  { name: 'explore', load: () => import('./commands/explore.js') },
  { name: 'report', load: () => import('./commands/report.js') },
  { name: 'sim', load: () => import('./commands/sim.js') },
  { name: 'wasm', load: () => import('./commands/wasm.js') },
  { name: 'verilog', load: () => import('./commands/verilog.js') },
  { name: 'synth', load: () => import('./commands/synth.js') },
  { name: 'board', load: () => import('./commands/board.js') },
];

/**
 * The commands to register for argv: only the one named when the first word is a command (its
 * options and help need no other), none for a bare `nnchip --version` (it prints the version and
 * stops), else all of them (`nnchip --help`, `nnchip help sim`, a typo).
 */
export function commandsFor(argv: readonly string[]): readonly CommandEntry[] {
  const first = argv.find((a) => !a.startsWith('-'));
  const named = COMMANDS.find((c) => c.name === first);
  if (named !== undefined) return [named];
  return first === undefined && argv.some((a) => a === '--version' || a === '-V') && !argv.some((a) => a === '--help' || a === '-h') ? [] : COMMANDS;
}
