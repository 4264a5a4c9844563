// SPDX-License-Identifier: MIT
/**
 * Simulation models of the FPGA cells a design instantiates by name (the UP5K's SB_MAC16 DSP block
 * for `peMultipliers: mac16`): yosys's own behavioural models (share/yosys/ice40/cells_sim.v),
 * taken from the installed yosys, so the co-simulation checks the design against the model yosys
 * and nextpnr map it by. Only the named module is taken: the whole file is not Verilog-2005 that
 * Icarus or Verilator accept (its I/O and RAM cells use SystemVerilog and specify blocks).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NnchipError } from '../../diagnostics/error.js';
import type { PeMultipliers } from './devices.js';
import { resolveYosys, type YosysCommand } from './yosys.js';

/** The cells a design may instantiate, by the yosys techlib file that models them. */
const CELL_LIBRARY = { SB_MAC16: 'ice40/cells_sim.v' } as const;
export type ModelledCell = keyof typeof CELL_LIBRARY;

/** Where a design folder keeps a cell's model (the simulation Makefiles compile it with the RTL). */
export const cellModelPath = (cell: ModelledCell): string => `sim/${cell}.v`;

/** The cells a design instantiates by name: the UP5K's DSP block when its PEs multiply there. */
export const cellsOf = (mult: PeMultipliers): ModelledCell[] => (mult === 'mac16' ? ['SB_MAC16'] : []);

/** yosys's share folder next to its binary (`<prefix>/bin/yosys` → `<prefix>/share/yosys`). */
function shareFolder(y: YosysCommand): string {
  if (y.kind === 'yowasp') throw new NnchipError('NN701', 'simulating DSP cells needs the cell models of a native yosys (apt-get install -y yosys); @yowasp/yosys keeps them inside its WebAssembly image');
  return join(dirname(dirname(realpathSync(y.argv[0]!))), 'share', 'yosys');
}

/** The Verilog of one cell model: its module from yosys's techlib, with Verilator's width lint off (the model mixes widths on purpose) and without
 * cells_sim.v's `timescale, which the design's own modules do not have either. */
export function cellModel(cell: ModelledCell, y: YosysCommand = resolveYosys()): string {
  const file = join(shareFolder(y), CELL_LIBRARY[cell]);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new NnchipError('NN701', `yosys's model of ${cell} is not at ${file} (apt-get install -y yosys)`);
  }
  const module = new RegExp(`^module ${cell}\\b[\\s\\S]*?^endmodule\\b`, 'm').exec(text)?.[0];
  if (module === undefined) throw new NnchipError('NN701', `${file} has no module ${cell}`);
  return [`// ${cell}: yosys's simulation model, from ${CELL_LIBRARY[cell]} of the yosys that built this folder`, '/* verilator lint_off WIDTH */', module, '/* verilator lint_on WIDTH */', ''].join('\n');
}

/** The models (path in the design folder → Verilog) a design built with these PE multipliers needs to simulate. */
export function cellModelsFor(mult: PeMultipliers, y?: YosysCommand): Map<string, string> {
  const cells = cellsOf(mult);
  const yosys = cells.length === 0 ? undefined : (y ?? resolveYosys());
  return new Map(cells.map((cell) => [cellModelPath(cell), cellModel(cell, yosys)]));
}
