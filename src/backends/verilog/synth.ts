// SPDX-License-Identifier: MIT
/**
 * Synthesis figures for a generated design: runs the target's own Makefile (`synth`, then `pnr`
 * when the place-and-route tool is installed) in a work folder and reads yosys's `stat -json` and
 * nextpnr's `--report` JSON. The flow itself is defined once, in targets/<target>/Makefile.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NnchipError } from '../../diagnostics/error.js';
import { bufferBytes } from '../../isa/config.js';
import type { Program } from '../../isa/program.js';
import { INSN_BITS } from '../../isa/spec.js';
import { tempFolder, writeDirAtomic, type OutputOptions } from '../../util/atomic-write.js';
import { available, FPGA_DEVICES, overuse, RESOURCES, type DeviceName, type Overuse, type Resource, type ResourceUse } from './devices.js';
import { designSizing, emitVerilog, type VerilogTarget } from './emit.js';
import { ice40MakeVars, resolveIce40Tools } from './nextpnr.js';
import { findTool, requireTool, runTool } from './tools.js';
import { resolveYosys, yosysMakeVar, yosysVersion, type YosysKind } from './yosys.js';

/** Which yosys produced the figures. */
export interface YosysUsed {
  /** system (on PATH), yowasp (the @yowasp/yosys WebAssembly build) or path (named by the user). */
  readonly kind: YosysKind;
  /** As `yosys -V` reports it, e.g. `0.23`; null if it printed no version. */
  readonly version: string | null;
  /** The command line make ran (`node …/bin/yowasp-yosys.mjs` for yowasp). */
  readonly command: string;
}

export interface SynthReport extends ResourceUse {
  readonly target: VerilogTarget;
  readonly device: DeviceName | null;
  /** The part's resources, for "% of device" (null for flows without a part). */
  readonly available: ResourceUse | null;
  /** Resources used beyond the part (empty when it fits or there is no part): not placed then. */
  readonly over: readonly Overuse[];
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
  readonly yosys: YosysUsed;
  /** Which place and route ran: system binaries or the @yowasp/nextpnr-ice40 package; null when none did. */
  readonly pnr: PnrUsed | null;
  /** The bitstream written (with `bitstream` and a kept folder: a path inside it), else null. */
  readonly bitstream: string | null;
}

export interface PnrUsed {
  readonly kind: 'system' | 'yowasp';
  readonly command: string;
}

/** The flow's place-and-route tools as make variables, or null when none is installed. */
function pnrTools(t: VerilogTarget): { readonly vars: string[]; readonly used: PnrUsed; readonly canPack: boolean } | null {
  if (t === 'ice40') {
    const tools = resolveIce40Tools();
    return tools === null ? null : { vars: ice40MakeVars(tools), used: { kind: tools.kind, command: tools.nextpnr.join(' ') }, canPack: tools.icepack !== null };
  }
  const tool = PNR_TOOL[t];
  const found = tool === null ? null : findTool(tool);
  return found === null ? null : { vars: [], used: { kind: 'system', command: found }, canPack: findTool('ecppack') !== null };
}

const BITSTREAM_FILE: Partial<Record<VerilogTarget, string>> = { ice40: 'nnchip.bin', ecp5: 'nnchip.bit' };

/** Place-and-route tool per target (null: the flow has no P&R). */
const PNR_TOOL = { ice40: 'nextpnr-ice40', ecp5: 'nextpnr-ecp5', asic: null, generic: null } as const satisfies Record<VerilogTarget, string | null>;

const LUT_CELLS = /^(SB_LUT4|LUT4|\$lut)$/;
const FF_CELLS = /(DFF|TRELLIS_FF|^\$_S?DFF)/;
const BRAM_CELLS = /^(SB_RAM40_4K|DP16KD|PDPW16KD|SB_SPRAM256KA)$/;
const DSP_CELLS = /^(SB_MAC16|MULT18X18D|ALU54B)$/;

function countCells(byType: Record<string, number>, re: RegExp): number {
  return Object.entries(byType).reduce((n, [type, count]) => n + (re.test(type) ? count : 0), 0);
}

/** Cell figures of the synthesized design, from yosys's `stat -json`. */
export interface CellStats {
  readonly cells: number;
  readonly byType: Record<string, number>;
  readonly transistors: number | null;
}

/** Bookkeeping cells of newer yosys (scope names kept through flatten): not hardware, not counted. */
const NOT_HARDWARE = new Set(['$scopeinfo']);

const asCount = (v: unknown): number | null => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  // yosys writes the transistor estimate as a lower bound: "95770+"
  if (typeof v === 'string' && /^\d+\+?$/.test(v)) return parseInt(v, 10);
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return asCount(o['count'] ?? o['num'] ?? o['num_cells']);
  }
  return null;
};

function byTypeOf(m: Record<string, unknown>): Record<string, number> | null {
  const raw = m['num_cells_by_type'] ?? m['cells_by_type'];
  if (typeof raw !== 'object' || raw === null) return null;
  const out: Record<string, number> = {};
  for (const [type, v] of Object.entries(raw as Record<string, unknown>)) {
    const n = asCount(v);
    if (n !== null && !NOT_HARDWARE.has(type)) out[type] = n;
  }
  return out;
}

/**
 * Reads `stat -json` as yosys 0.2x and 0.5x write it: the whole-design totals under "design" when
 * present, else the modules' figures added up (a flattened design has one module); cell counts
 * may be plain numbers or objects with a count, and the transistor estimate a string or a number.
 */
export function parseYosysStat(json: unknown): CellStats {
  const root = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const obj = (v: unknown): Record<string, unknown> | null => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null);
  const design = obj(root['design']);
  const modules = Object.values(obj(root['modules']) ?? {}).map(obj).filter((m): m is Record<string, unknown> => m !== null);
  const scopes = design !== null && byTypeOf(design) !== null ? [design] : modules;
  const byType: Record<string, number> = {};
  let transistors: number | null = null;
  for (const m of scopes) {
    for (const [type, n] of Object.entries(byTypeOf(m) ?? {})) byType[type] = (byType[type] ?? 0) + n;
    const t = asCount(m['estimated_num_transistors']);
    if (t !== null) transistors = (transistors ?? 0) + t;
  }
  const cells = Object.values(byType).reduce((a, b) => a + b, 0);
  return { cells, byType, transistors };
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
  /** The part (see devices.ts; deviceFor checks it belongs to the target); default: the target's. */
  readonly device?: DeviceName | null;
  /** Keep the design and tool outputs here; default: a temporary folder, deleted afterwards. */
  readonly dir?: string;
  /** What writing `dir` may replace (--force, the inputs); see util/output-paths.ts. */
  readonly written?: OutputOptions;
  /** Skip place and route even when the tool is installed. */
  readonly noPnr?: boolean;
  /** Also pack the placed design into a bitstream (`make bitstream`), kept in `dir`. */
  readonly bitstream?: boolean;
  /** Told when each long step starts (synthesis, place and route): for a progress line. */
  readonly onStep?: (step: string) => void;
  /** Told the last lines of a failing tool's log, before the NN702 error is thrown. */
  readonly onToolLog?: (tail: readonly string[]) => void;
  /** Which yosys: `system`, `yowasp` or a path; default: $NNCHIP_YOSYS, else system on PATH, else yowasp. */
  readonly yosys?: string;
}

/** How many log lines a failing tool leaves on the terminal. */
export const LOG_TAIL_LINES = 20;

/** The last non-empty lines of a tool's log (none when it wrote no log). */
export function logTail(path: string, lines = LOG_TAIL_LINES): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').slice(-lines);
  } catch {
    return [];
  }
}

/** The top module's port bits: the pins the design needs. */
function topPortBits(netlist: string): number {
  const json = readJson<{ modules?: Record<string, { attributes?: Record<string, unknown>; ports?: Record<string, { bits?: unknown[] }> }> }>(netlist, 'yosys');
  const top = Object.values(json.modules ?? {}).find((m) => m.attributes?.['top'] !== undefined) ?? Object.values(json.modules ?? {})[0];
  return Object.values(top?.ports ?? {}).reduce((n, p) => n + (p.bits?.length ?? 0), 0);
}

/** nextpnr's "Device utilisation" lines (`ICESTORM_LC: 9000/ 7680 117%`) that exceed the part. */
export function pnrOveruse(log: string): string[] {
  const out: string[] = [];
  for (const m of log.matchAll(/^\s*(?:Info:\s*)?([A-Z_0-9]+):\s*(\d+)\s*\/\s*(\d+)/gm)) {
    if (Number(m[2]) > Number(m[3])) out.push(`${m[1]} ${m[2]} of ${m[3]}`);
  }
  return out;
}

/** One line for a failing place and route: the first ERROR line of the log, and where the log is. */
export function pnrFailure(tool: string, logPath: string, fallback: string): NnchipError {
  let log = '';
  try {
    log = readFileSync(logPath, 'utf8');
  } catch {
    // no log written: the tool's own output is in the fallback
  }
  const where = log === '' ? '' : `; full log: ${logPath}`;
  const over = pnrOveruse(log);
  if (over.length > 0) return new NnchipError('NN405', `${tool} cannot place the design: it uses ${over.join(', ')}${where}`);
  const first = /^ERROR:\s*(.*)$/m.exec(log)?.[1] ?? fallback;
  return new NnchipError('NN702', `${tool} could not place and route the design: ${first}${where}`);
}

export async function synthesize(p: Program, opts: SynthOptions): Promise<SynthReport> {
  const make = requireTool('make');
  const yosys = resolveYosys({ choice: opts.yosys });
  const yosysVar = yosysMakeVar(yosys);
  const temp = opts.dir === undefined ? tempFolder('nnchip-synth-') : null;
  // a folder inside the private temporary one: the write's lock and staging stay out of the shared TMPDIR
  const dir = opts.dir ?? join(temp!.path, 'design');
  const t = opts.target;
  const deviceName = opts.device === undefined ? (t === 'ice40' ? 'hx8k' : t === 'ecp5' ? '25k' : null) : opts.device;
  const device = deviceName === null ? null : FPGA_DEVICES[deviceName];
  const build = join(dir, t, 'build');
  /** A failing step leaves the tail of its log with the caller, and its whole log on disk (a temporary folder is kept then). */
  let keep = false;
  const step = async (args: string[], what: string, log: string, pnrTool?: string): Promise<void> => {
    try {
      await runTool(make, args, dir, what);
    } catch (e) {
      if (!(e instanceof NnchipError) || e.code !== 'NN702') throw e;
      const logPath = join(build, log);
      const tail = logTail(logPath);
      opts.onToolLog?.(tail);
      keep = tail.length > 0;
      if (pnrTool !== undefined) throw pnrFailure(pnrTool, logPath, e.detail);
      // the tool's own first error says more than make's "Error 1"
      const first = keep ? /^ERROR:\s*(.*)$/m.exec(readFileSync(logPath, 'utf8'))?.[1] : undefined;
      throw new NnchipError('NN702', keep ? `${what} failed: ${first ?? tail.at(-1)!}; full log: ${logPath}` : e.detail);
    }
  };
  try {
    const ice40Device = deviceName === 'hx8k' || deviceName === 'up5k' ? deviceName : undefined;
    // a temporary folder is nnchip's own (empty) one; a given `dir` follows the output rules
    writeDirAtomic(dir, emitVerilog(p, { target: t, ...(ice40Device === undefined ? {} : { device: ice40Device }) }), opts.written ?? {});
    const version = await yosysVersion(yosys, dir);
    opts.onStep?.(['yosys', version, 'synthesizing for', t, deviceName].filter((w) => w !== null).join(' '));
    await step(['-C', t, 'synth', yosysVar], `yosys synthesis (${t}, ${yosys.kind} yosys${version === null ? '' : ` ${version}`})`, 'yosys.log');
    const stat = parseYosysStat(readJson<unknown>(join(build, 'stat.json'), 'yosys'));
    const byType = stat.byType;
    const use: ResourceUse = {
      luts: countCells(byType, LUT_CELLS),
      ffs: countCells(byType, FF_CELLS),
      brams: countCells(byType, BRAM_CELLS),
      dsps: countCells(byType, DSP_CELLS),
      io: device === null ? 0 : topPortBits(join(build, 'nnchip.json')),
    };
    const over = device === null ? [] : overuse(use, device);
    const pnrTool = PNR_TOOL[t];
    let fmaxMhz: number | null = null;
    let pnr: PnrUsed | null = null;
    let bitstream: string | null = null;
    let note: string | null = pnrTool === null ? `the ${t} flow has no place and route` : null;
    if (over.length > 0) note = `does not fit ${device!.part}: not placed`;
    else if (pnrTool !== null && opts.noPnr !== true) {
      const tools = pnrTools(t);
      if (tools === null) note = `${pnrTool} is not installed${t === 'ice40' ? ' (Debian package nextpnr-ice40, or npm i @yowasp/nextpnr-ice40)' : ''}: no place and route`;
      else {
        pnr = tools.used;
        opts.onStep?.(`${pnrTool}${tools.used.kind === 'yowasp' ? ' (@yowasp, WebAssembly)' : ''} placing and routing for ${p.config.clockMhz} MHz (the config's clockMhz)`);
        await step(['-C', t, 'pnr', yosysVar, ...tools.vars], `${pnrTool} place and route`, 'nextpnr.log', pnrTool);
        const report = readJson<{ fmax?: Record<string, { achieved?: number }> }>(join(build, 'report.json'), pnrTool);
        fmaxMhz = Object.values(report.fmax ?? {})[0]?.achieved ?? null;
        if (opts.bitstream === true) {
          const packer = t === 'ice40' ? 'icepack' : 'ecppack';
          if (!tools.canPack) throw new NnchipError('NN701', `${packer} is not installed (Debian package "${t === 'ice40' ? 'fpga-icestorm' : 'prjtrellis'}"${t === 'ice40' ? ', or npm i @yowasp/nextpnr-ice40' : ''}): no bitstream`);
          opts.onStep?.(`${packer} writing the bitstream`);
          await step(['-C', t, 'bitstream', yosysVar, ...tools.vars], `${packer} bitstream`, `${packer}.log`);
          bitstream = temp === null ? join(build, BITSTREAM_FILE[t]!) : null;
        }
      }
    }
    return {
      target: t,
      device: deviceName,
      ...use,
      available: device === null ? null : (Object.fromEntries(RESOURCES.map((r: Resource) => [r, available(device, r)])) as unknown as ResourceUse),
      over,
      cells: stat.cells,
      transistors: stat.transistors,
      memoryBits: memoryBits(p),
      fmaxMhz,
      placed: fmaxMhz !== null,
      note,
      yosys: { kind: yosys.kind, version, command: yosys.argv.join(' ') },
      pnr,
      bitstream,
    };
  } finally {
    if (!keep) temp?.remove();
  }
}
