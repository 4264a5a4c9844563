// SPDX-License-Identifier: MIT
/**
 * `nnchip board bitstream <dir>`: the board folder's own Makefile (synth, pnr at the design clock,
 * bitstream) run with the tools `nnchip synth` would pick — the system yosys, nextpnr-ice40 and
 * icepack when on PATH, else the optional npm packages @yowasp/yosys and @yowasp/nextpnr-ice40 — so
 * `npm ci` alone makes a board bitstream. Each step is announced (for a progress line with its
 * elapsed time); a failing tool hands the last lines of its log over and throws one line naming
 * the whole log, which stays in <dir>/build/ (the Makefile deletes a half-written target).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NnchipError } from '../diagnostics/error.js';
import { ice40MakeVars, resolveIce40Tools } from '../backends/verilog/nextpnr.js';
import { logTail, pnrFailure, type PnrUsed, type YosysUsed } from '../backends/verilog/synth.js';
import { requireTool, runTool } from '../backends/verilog/tools.js';
import { resolveYosys, yosysMakeVar, yosysVersion } from '../backends/verilog/yosys.js';
import type { Board } from './boards.js';

export interface BoardBitstreamOptions {
  /** Which yosys: `system`, `yowasp` or a path; default: $NNCHIP_YOSYS, else system on PATH, else yowasp. */
  readonly yosys?: string;
  /** Told when each long step starts (synthesis, place and route, packing). */
  readonly onStep?: (step: string) => void;
  /** Told the last lines of a failing tool's log, before the one-line error is thrown. */
  readonly onToolLog?: (tail: readonly string[]) => void;
}

/** One line of nextpnr's "Device utilisation": `ICESTORM_LC: 5064/ 5280`. */
export interface PlacedUse {
  readonly used: number;
  readonly of: number;
}

/** One clock of nextpnr's verdict: `Max frequency for clock 'clk': 20.13 MHz (PASS at 12.00 MHz)`. */
export interface PlacedClock {
  readonly name: string;
  readonly mhz: number;
  readonly pass: boolean;
  readonly requiredMhz: number;
}

export interface BoardBitstreamReport {
  /** build/board.bin in the folder */
  readonly bitstream: string;
  readonly yosys: YosysUsed;
  readonly pnr: PnrUsed;
  /** logic cells, block RAMs and DSPs placed, of the part's (DSPs: null on a part without them) */
  readonly logicCells: PlacedUse | null;
  readonly blockRams: PlacedUse | null;
  readonly dsps: PlacedUse | null;
  /** nextpnr's last verdict per clock (it prints one after placing and one after routing) */
  readonly clocks: readonly PlacedClock[];
}

/** The placed design's figures from nextpnr's log (its last report of each). */
export function parsePnrLog(log: string): Pick<BoardBitstreamReport, 'logicCells' | 'blockRams' | 'dsps' | 'clocks'> {
  const use = (cell: string): PlacedUse | null => {
    const all = [...log.matchAll(new RegExp(`${cell}:\\s+(\\d+)\\s*/\\s*(\\d+)`, 'g'))];
    const last = all[all.length - 1];
    return last === undefined ? null : { used: Number(last[1]), of: Number(last[2]) };
  };
  const clocks = new Map<string, PlacedClock>();
  for (const m of log.matchAll(/Max frequency for clock +'([^']+)': ([\d.]+) MHz \((PASS|FAIL) at ([\d.]+) MHz\)/g)) {
    clocks.set(m[1]!, { name: m[1]!, mhz: Number(m[2]), pass: m[3] === 'PASS', requiredMhz: Number(m[4]) });
  }
  return { logicCells: use('ICESTORM_LC'), blockRams: use('ICESTORM_RAM'), dsps: use('ICESTORM_DSP'), clocks: [...clocks.values()] };
}

const INSTALL_ICE40 = 'apt-get install -y nextpnr-ice40 fpga-icestorm, or npm i @yowasp/nextpnr-ice40 (an optional dependency of nnchip: npm ci installs it)';

/** Synthesize, place and route and pack the board design in `dir` (written by `nnchip verilog --board`). */
export async function buildBoardBitstream(dir: string, board: Board, clockMhz: number, opts: BoardBitstreamOptions = {}): Promise<BoardBitstreamReport> {
  if (!existsSync(join(dir, 'Makefile'))) throw new NnchipError('NN515', `${dir} has no Makefile: not a board design`);
  const make = requireTool('make');
  const yosys = resolveYosys({ choice: opts.yosys });
  const tools = resolveIce40Tools();
  if (tools === null) throw new NnchipError('NN701', `nextpnr-ice40 is not on PATH and the @yowasp/nextpnr-ice40 package is not installed: ${INSTALL_ICE40}`);
  if (tools.icepack === null) throw new NnchipError('NN701', `icepack is not on PATH (Debian package "fpga-icestorm") and the @yowasp/nextpnr-ice40 package is not installed: ${INSTALL_ICE40}`);
  const vars = [yosysMakeVar(yosys), ...ice40MakeVars(tools)];
  const build = join(dir, 'build');
  const step = async (target: string, what: string, log: string, pnrTool?: string): Promise<void> => {
    try {
      await runTool(make, [target, ...vars], dir, what);
    } catch (e) {
      if (!(e instanceof NnchipError) || e.code !== 'NN702') throw e;
      const logPath = join(build, log);
      const tail = logTail(logPath);
      opts.onToolLog?.(tail);
      if (pnrTool !== undefined) throw pnrFailure(pnrTool, logPath, e.detail);
      const first = tail.length === 0 ? undefined : /^ERROR:\s*(.*)$/m.exec(readFileSync(logPath, 'utf8'))?.[1];
      throw new NnchipError('NN702', tail.length === 0 ? e.detail : `${what} failed: ${first ?? tail.at(-1)!}; full log: ${logPath}`);
    }
  };
  const version = await yosysVersion(yosys, dir);
  const wasm = (kind: string): string => (kind === 'yowasp' ? ' (@yowasp, WebAssembly)' : '');
  opts.onStep?.(`yosys${version === null ? '' : ` ${version}`}${wasm(yosys.kind)} synthesizing the ${board.title} design`);
  await step('synth', `yosys synthesis (${yosys.kind} yosys${version === null ? '' : ` ${version}`})`, 'yosys.log');
  opts.onStep?.(`nextpnr-ice40${wasm(tools.kind)} placing and routing for ${clockMhz} MHz (the design clock)`);
  await step('pnr', 'nextpnr-ice40 place and route', 'nextpnr.log', 'nextpnr-ice40');
  opts.onStep?.('icepack writing the bitstream');
  await step('bitstream', 'icepack bitstream', 'icepack.log');
  const placed = parsePnrLog(readFileSync(join(build, 'nextpnr.log'), 'utf8'));
  return {
    bitstream: join(build, 'board.bin'),
    yosys: { kind: yosys.kind, version, command: yosys.argv.join(' ') },
    pnr: { kind: tools.kind, command: tools.nextpnr.join(' ') },
    ...placed,
  };
}
