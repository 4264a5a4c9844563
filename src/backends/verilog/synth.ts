// SPDX-License-Identifier: MIT
/**
 * Synthesis figures for a generated design: runs the target's own Makefile (`synth`, then `pnr`
 * when the place-and-route tool is installed) in a work folder and reads yosys's `stat -json` and
 * nextpnr's `--report` JSON. The flow itself is defined once, in targets/<target>/Makefile.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NnchipError } from '../../diagnostics/error.js';
import { bufferBytes } from '../../isa/config.js';
import type { Program } from '../../isa/program.js';
import { INSN_BITS } from '../../isa/spec.js';
import { writeDirAtomic } from '../../util/atomic-write.js';
import { designSizing, emitVerilog, type Ice40Device, type VerilogTarget } from './emit.js';
import { findTool, requireTool, runTool } from './tools.js';

export interface SynthReport {
  readonly target: VerilogTarget;
  readonly device: string | null;
  readonly luts: number;
  readonly ffs: number;
  readonly brams: number;
  readonly dsps: number;
  readonly cells: number;
  /** asic: yosys `stat -tech cmos` estimate for the logic (buffers excluded). */
  readonly transistors: number | null;
  /** On-chip buffer and ROM bits (block RAM on an FPGA, SRAM macros in an ASIC). */
  readonly memoryBits: number;
  /** Achieved clock after place and route; null when not placed (tool missing or no P&R in the flow). */
  readonly fmaxMhz: number | null;
  readonly placed: boolean;
  /** Why place and route did not run, when it did not. */
  readonly note: string | null;
}

/** Place-and-route tool per target (null: the flow has no P&R). */
const PNR_TOOL = { ice40: 'nextpnr-ice40', ecp5: 'nextpnr-ecp5', asic: null, generic: null } as const satisfies Record<VerilogTarget, string | null>;

const LUT_CELLS = /^(SB_LUT4|LUT4|\$lut)$/;
const FF_CELLS = /(DFF|TRELLIS_FF|^\$_S?DFF)/;
const BRAM_CELLS = /^(SB_RAM40_4K|DP16KD|PDPW16KD|SB_SPRAM256KA)$/;
const DSP_CELLS = /^(SB_MAC16|MULT18X18D|ALU54B)$/;

function countCells(byType: Record<string, number>, re: RegExp): number {
  return Object.entries(byType).reduce((n, [type, count]) => n + (re.test(type) ? count : 0), 0);
}

interface YosysStat {
  readonly design?: StatModule;
  readonly modules?: Record<string, StatModule>;
}
interface StatModule {
  readonly num_cells?: number;
  readonly num_cells_by_type?: Record<string, number>;
  readonly estimated_num_transistors?: string;
}

function readJson<T>(path: string, what: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    throw new NnchipError('NN702', `${what} did not produce ${path.split('/').pop() ?? path}`);
  }
}

/** Buffer bits (the acc buffer is two banks) plus the instruction ROM. */
export function memoryBits(p: Program): number {
  const c = p.config;
  const qntBits = c.qntDepth * c.cols * 24; // {mult, shift} per lane; the reserved byte is not stored
  const buffers = 8 * (bufferBytes(c, 'act') + bufferBytes(c, 'wgt') + 2 * bufferBytes(c, 'acc') + bufferBytes(c, 'out'));
  return buffers + qntBits + designSizing(p, 1).progDepth * INSN_BITS;
}

export interface SynthOptions {
  readonly target: VerilogTarget;
  readonly device?: Ice40Device;
  /** Keep the design and tool outputs here; default: a temporary folder, deleted afterwards. */
  readonly dir?: string;
  /** Skip place and route even when the tool is installed. */
  readonly noPnr?: boolean;
}

export async function synthesize(p: Program, opts: SynthOptions): Promise<SynthReport> {
  const make = requireTool('make');
  requireTool('yosys');
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'nnchip-synth-'));
  try {
    writeDirAtomic(dir, emitVerilog(p, { target: opts.target, ...(opts.device === undefined ? {} : { device: opts.device }) }));
    const t = opts.target;
    await runTool(make, ['-C', t, 'synth'], dir, `yosys synthesis (${t})`);
    const stat = readJson<YosysStat>(join(dir, t, 'build/stat.json'), 'yosys');
    const top = stat.design ?? Object.values(stat.modules ?? {})[0] ?? {};
    const byType = top.num_cells_by_type ?? {};
    const pnrTool = PNR_TOOL[t];
    let fmaxMhz: number | null = null;
    let note: string | null = pnrTool === null ? `the ${t} flow has no place and route` : null;
    if (pnrTool !== null && opts.noPnr !== true) {
      if (findTool(pnrTool) === null) note = `${pnrTool} is not installed: no place and route`;
      else {
        try {
          await runTool(make, ['-C', t, 'pnr'], dir, `${pnrTool} place and route`);
          const report = readJson<{ fmax?: Record<string, { achieved?: number }> }>(join(dir, t, 'build/report.json'), pnrTool);
          fmaxMhz = Object.values(report.fmax ?? {})[0]?.achieved ?? null;
        } catch (e) {
          // a design too large for the part fails in the placer: the synthesis figures still stand
          if (!(e instanceof NnchipError) || e.code !== 'NN702') throw e;
          note = `not placed: ${e.detail.slice(0, 200)}`;
        }
      }
    }
    const transistors = top.estimated_num_transistors === undefined ? null : parseInt(top.estimated_num_transistors, 10);
    return {
      target: t,
      device: t === 'ice40' ? (opts.device ?? 'hx8k') : null,
      luts: countCells(byType, LUT_CELLS),
      ffs: countCells(byType, FF_CELLS),
      brams: countCells(byType, BRAM_CELLS),
      dsps: countCells(byType, DSP_CELLS),
      cells: top.num_cells ?? 0,
      transistors,
      memoryBits: memoryBits(p),
      fmaxMhz,
      placed: fmaxMhz !== null,
      note,
    };
  } finally {
    if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}
