// SPDX-License-Identifier: MIT
/**
 * Program → a complete Verilog design folder: the RTL (rtl-templates/ + the generated ISA header),
 * ROM/RAM images, the self-checking test bench with its expected outputs (interpret()) and cycle
 * count (scheduleTimes()), and the flow files from targets/. A pure function: byte-identical output
 * for the same Program and options; only the CLI writes it to disk.
 */
import { fmtInt, internal, NnchipError } from '../../diagnostics/error.js';
import { interpret } from '../../isa/interpret.js';
import { outputSize, storedCodes, storedLayout, tensorSize, type Program } from '../../isa/program.js';
import { channelOf, type Channel } from '../../isa/spec.js';
import { dramBeatBytes } from '../../isa/ops/dma.js';
import { poolOf, tableSteps, UNIT_OF } from '../../isa/ops/index.js';
import { scheduleTimes } from '../../isa/timing.js';
import { cellModelPath, cellsOf } from './cell-models.js';
import { FPGA_DEVICES, thresholdMac16Blocks, type PeMultipliers } from './devices.js';
import { fillTemplate, placeholdersOf, type TemplateValues } from './fill-template.js';
import { coreCellValues, corePnrValues } from './fusesoc.js';
import { isaHeader } from './isa-header.js';
import { bytesHex, dramHex, META_FIELDS, metaHex, metaLocalparams, metaValues, outputRows, addressHex, programHex, rowAddressHex, samplesHex } from './rom.js';
import { readTemplateDir } from './templates.js';
import type { VerilogTarget } from './verilog-targets.js';

export { VERILOG_TARGETS, type VerilogTarget } from './verilog-targets.js';
export const ICE40_DEVICES = ['hx8k', 'up5k'] as const;
export type Ice40Device = (typeof ICE40_DEVICES)[number];

/** Lower bounds on the design's storage, so one compiled simulator can run many Programs of one ArrayConfig. */
export interface Capacity {
  readonly progDepth?: number;
  readonly dramBytes?: number;
  readonly tokenBits?: number;
  readonly inputBytes?: number;
  readonly outputBytes?: number;
  readonly inputRows?: number;
  readonly outputRows?: number;
  /** Build the threshold's pooling hardware even when this program does not pool (the design will run others). */
  readonly pooling?: boolean;
  /** Build the threshold's step-table sequencer even when this program has no table activation. */
  readonly tables?: boolean;
  /** Build the matmul's product shifter even when no matmul of this program shifts (a folded residual add's shortcut). */
  readonly shifts?: boolean;
  /** Build the controller's chaining flags even when no matmul of this program is chained (isa/timing.ts chainedTokenAt). */
  readonly chains?: boolean;
}

export interface EmitOptions {
  readonly target: VerilogTarget;
  /** Input codes, one Int8Array per sample. Default: one sample of zero codes. */
  readonly inputs?: readonly Int8Array[];
  readonly device?: Ice40Device;
  /** Where the PE multipliers go; default: the part's choice (devices.ts) on ice40, else fabric. */
  readonly peMultipliers?: PeMultipliers;
  readonly capacity?: Capacity;
  /** Model name for comments and the FuseSoC core name. */
  readonly name?: string;
  /** The instruction memory is a RAM a board loads from its flash image (PROG_LOADABLE), not a ROM of this program. */
  readonly loadableProgram?: boolean;
}

/** Widths and sizes the design is built with (all derived from the Program unless raised by Capacity). */
export interface DesignSizing {
  readonly progDepth: number;
  readonly dramAw: number;
  readonly dramCap: number;
  readonly tokenBits: number;
  readonly inputCap: number;
  readonly outputCap: number;
  readonly inRowsCap: number;
  readonly outRowsCap: number;
  /** The threshold's pooling hardware is built (THRESHOLD_POOL). */
  readonly pooling: boolean;
  /** The threshold's step-table sequencer is built (THRESHOLD_TABLE). */
  readonly tables: boolean;
  /** The matmul's product shifter is built (MATMUL_SHIFT). */
  readonly shifts: boolean;
  /** The controller takes a chained matmul's token at its load's first row (MATMUL_CHAIN). */
  readonly chains: boolean;
}

export const MEM_FILES = {
  program: 'mem/program.hex',
  dram: 'mem/dram.hex',
  inputs: 'mem/inputs.hex',
  expected: 'mem/expected.hex',
  inAddr: 'mem/in_addr.hex',
  outAddr: 'mem/out_addr.hex',
  meta: 'mem/meta.hex',
} as const;

const bitsFor = (n: number): number => Math.max(1, Math.ceil(Math.log2(n + 1)));
const pow2AtLeast = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(n, 2)));

/** The most pushes any token channel ever receives bounds the tokens outstanding on it. */
function maxPushes(p: Program): number {
  const counts: Partial<Record<Channel, number>> = {};
  for (const insn of p.instructions) {
    const unit = UNIT_OF[insn.op];
    if (unit === 'fetch') continue;
    for (const flag of ['pushPrev', 'pushNext'] as const) {
      if (!insn[flag]) continue;
      const ch = channelOf(unit, flag);
      counts[ch] = (counts[ch] ?? 0) + 1;
    }
  }
  return Math.max(0, ...Object.values(counts));
}

/**
 * `loadableProgram`: the instruction memory is a board's RAM, which a program longer than it streams
 * through (nnchip_board_mem), so `cap.progDepth`, when given, is its depth whatever the program's length.
 */
export function designSizing(p: Program, samples: number, cap: Capacity = {}, loadableProgram = false): DesignSizing {
  const dramCap = Math.max(p.dramSize, cap.dramBytes ?? 0, 1);
  // a row's last beat may read up to one beat past the end of DRAM (the bench's memory returns zeros there)
  const dramAw = bitsFor(dramCap + dramBeatBytes(p.config));
  if (dramAw > 32) throw new NnchipError('NN403', `the program needs ${fmtInt(dramCap)} bytes of DRAM; the DRAM port addresses at most 2^32 bytes`);
  return {
    progDepth: pow2AtLeast(loadableProgram && cap.progDepth !== undefined ? cap.progDepth : Math.max(p.instructions.length, cap.progDepth ?? 0)),
    dramAw,
    dramCap,
    tokenBits: Math.max(2, bitsFor(maxPushes(p)), cap.tokenBits ?? 0),
    // the bench places the input's stored rows (the first layer's windows for a windowed input)
    inputCap: Math.max(samples * storedLayout(p.input).rows * storedLayout(p.input).rowBytes, cap.inputBytes ?? 0, 1),
    outputCap: Math.max(samples * outputSize(p), cap.outputBytes ?? 0, 1),
    inRowsCap: Math.max(storedLayout(p.input).rows, cap.inputRows ?? 0, 1),
    outRowsCap: Math.max(outputRows(p).addresses.length, cap.outputRows ?? 0, 1),
    // about 230 iCE40 cells per column (board/fit.ts), so only where a program pools
    pooling: (cap.pooling ?? false) || p.instructions.some((i) => i.op === 'threshold' && poolOf(i) !== null),
    // about 480 iCE40 cells at 2x2 (docs/board.md), so only where a program has a table activation
    tables: (cap.tables ?? false) || p.instructions.some((i) => i.op === 'threshold' && tableSteps(i) > 0),
    // a shifter on each column's sum, so only where a matmul shifts (a residual add folded into its convolution)
    shifts: (cap.shifts ?? false) || p.instructions.some((i) => i.op === 'matmul' && i.shift !== 0),
    // three flip-flops and a few gates in the controller, so only where a matmul is chained
    chains: (cap.chains ?? false) || p.instructions.some((i) => i.op === 'matmul' && i.chain === 1),
  };
}

/** The PE multipliers a design is built with: the option, else the ice40 part's (devices.ts owns that choice), else fabric. */
export function peMultipliersOf(opts: Pick<EmitOptions, 'target' | 'device' | 'peMultipliers'>): PeMultipliers {
  if (opts.peMultipliers !== undefined) return opts.peMultipliers;
  return opts.target === 'ice40' ? FPGA_DEVICES[opts.device ?? 'hx8k'].peMultipliers : 'fabric';
}

/** nnchip_top's parameter values: everything the core's hardware depends on (a board design's machine id hashes them). */
export function coreParameters(p: Program, s: DesignSizing, mult: PeMultipliers, loadableProgram = false): TemplateValues {
  const c = p.config;
  return {
    ROWS: c.rows,
    COLS: c.cols,
    ACT_DEPTH: c.actDepth,
    WGT_DEPTH: c.wgtDepth,
    ACC_DEPTH: c.accDepth,
    QNT_DEPTH: c.qntDepth,
    OUT_DEPTH: c.outDepth,
    QUEUE_DEPTH: c.queueDepth,
    THRESHOLD_PASSES: c.thresholdPasses,
    THRESHOLD_POOL: s.pooling ? 1 : 0,
    THRESHOLD_TABLE: s.tables ? 1 : 0,
    MATMUL_SHIFT: s.shifts ? 1 : 0,
    MATMUL_CHAIN: s.chains ? 1 : 0,
    THRESHOLD_MAC16: thresholdMac16Blocks(c, mult) > 0 ? 1 : 0,
    ACC_BANKS: c.accBanks,
    DRAM_BW: dramBeatBytes(c),
    DRAM_LATENCY: c.dramLatency,
    DRAM_AW: s.dramAw,
    PROG_DEPTH: s.progDepth,
    PROG_FILE: MEM_FILES.program,
    PROG_LOADABLE: loadableProgram ? 1 : 0,
    TOKEN_W: s.tokenBits,
    PE_MAC16: mult === 'mac16' ? 1 : 0,
  };
}

function benchValues(p: Program, s: DesignSizing): TemplateValues {
  return {
    DRAM_BW: dramBeatBytes(p.config),
    DRAM_LATENCY: p.config.dramLatency,
    DRAM_AW: s.dramAw,
    DRAM_CAP: s.dramCap,
    INPUT_CAP: s.inputCap,
    OUTPUT_CAP: s.outputCap,
    IN_ROWS_CAP: s.inRowsCap,
    OUT_ROWS_CAP: s.outRowsCap,
    META_WORDS: META_FIELDS.length,
    META_LOCALPARAMS: metaLocalparams(),
    META_FILE: MEM_FILES.meta,
    DRAM_FILE: MEM_FILES.dram,
    INPUT_FILE: MEM_FILES.inputs,
    EXPECTED_FILE: MEM_FILES.expected,
    IN_ADDR_FILE: MEM_FILES.inAddr,
    OUT_ADDR_FILE: MEM_FILES.outAddr,
  };
}

/** The memory images: program ROM, DRAM constants, inputs, expected outputs (interpret()), meta. */
function memoryImages(p: Program, inputs: readonly Int8Array[], s: DesignSizing): [string, string][] {
  const expected = inputs.map((x) => interpret(p, x));
  const cycles = scheduleTimes(p.instructions, p.config).cycles;
  return [
    [MEM_FILES.program, programHex(p.instructions, s.progDepth)],
    [MEM_FILES.dram, dramHex(p)],
    [MEM_FILES.inputs, samplesHex(inputs.map((x) => storedCodes(p.input, x)))],
    [MEM_FILES.expected, bytesHex(expected.flatMap((e) => Array.from(e)))],
    [MEM_FILES.inAddr, rowAddressHex(storedLayout(p.input))],
    [MEM_FILES.outAddr, addressHex(outputRows(p).addresses)],
    [MEM_FILES.meta, metaHex(metaValues(p, inputs.length, cycles))],
  ];
}

/** Fill every flow file with the values its placeholders name; every value must be used somewhere. */
function fillFlows(files: readonly [string, string][], values: TemplateValues): [string, string][] {
  const used = new Set<string>();
  const out = files.map(([path, text]): [string, string] => {
    const mine: Record<string, string | number> = {};
    for (const n of placeholdersOf(text)) {
      const v = values[n];
      if (v === undefined) throw internal(`flow template ${path} needs a value for {{${n}}}`);
      mine[n] = v;
      used.add(n);
    }
    return [path, fillTemplate(path, text, mine)];
  });
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length > 0) throw internal(`flow values without placeholders: ${unused.join(', ')}`);
  return out;
}

/**
 * yosys synth_ice40's extra options: `-dsp` maps multipliers to DSPs, however many the part has, so
 * only where the PEs have not taken the part's blocks (the threshold lane's multiplier stays in LUTs).
 */
function ice40SynthFlags(o: EmitOptions): string {
  return o.device === 'up5k' && peMultipliersOf(o) === 'fabric' ? '-dsp' : '';
}

/** Values only one target's flow files use. */
const TARGET_VALUES = {
  ice40: (p, o) => ({ CLOCK_MHZ: p.config.clockMhz, ICE40_DEVICE: o.device ?? 'hx8k', ICE40_SYNTH_FLAGS: ice40SynthFlags(o) }),
  ecp5: (p) => ({ CLOCK_MHZ: p.config.clockMhz }),
  asic: () => ({}),
  generic: () => ({}),
} satisfies Record<VerilogTarget, (p: Program, o: EmitOptions) => TemplateValues>;

/**
 * The most samples a test bench checks (a full --batch of 65,536 fits): each is interpreted here and
 * simulated in the bench, and each took about 1 KB to emit, so 2.6 million (a 26 MB file of a
 * 4-value model's samples) took 2.4 GB, and the 256 MB a data file may be, ten times that.
 */
export const MAX_TESTBENCH_SAMPLES = 65_536;
export const TESTBENCH_SAMPLES_HINT = 'give the test bench a few samples (each is simulated in it); `nnchip run` or `nnchip eval` take many';

function checkInputs(p: Program, inputs: readonly Int8Array[]): void {
  if (inputs.length > MAX_TESTBENCH_SAMPLES) throw new NnchipError('NN501', `${fmtInt(inputs.length)} input samples for the test bench; it checks at most ${fmtInt(MAX_TESTBENCH_SAMPLES)}`, { hint: TESTBENCH_SAMPLES_HINT });
  const n = tensorSize(p.input);
  inputs.forEach((x, i) => {
    if (x.length !== n) throw new NnchipError('NN303', `input sample ${i} has ${x.length} codes; the program input needs ${n}`);
  });
  if (inputs.length === 0) throw new NnchipError('NN501', 'no input samples for the test bench');
}

/**
 * The most the design's memory images (hex text) may hold: 2^21 instructions (a 32 MiB program
 * image) and 2^27 bytes of DRAM (128 MiB). Past them the text nears V8's longest string and no
 * simulator or part holds the memories: a 9.4-million-instruction program ran out of memory after
 * two minutes (exit 134).
 */
export const MAX_IMAGE_INSTRUCTIONS = 2 ** 21;
export const MAX_IMAGE_DRAM_BYTES = 2 ** 27;

function checkImageSizes(p: Program): void {
  const hint = 'lower the model for a larger array (--array): its program is shorter and its weights fewer tiles';
  if (p.instructions.length > MAX_IMAGE_INSTRUCTIONS) throw new NnchipError('NN403', `the program has ${fmtInt(p.instructions.length)} instructions; a design's program image holds at most ${fmtInt(MAX_IMAGE_INSTRUCTIONS)}`, { hint });
  if (p.dramSize > MAX_IMAGE_DRAM_BYTES) throw new NnchipError('NN403', `the program's DRAM image is ${fmtInt(p.dramSize)} bytes; a design's DRAM image holds at most ${fmtInt(MAX_IMAGE_DRAM_BYTES)}`, { hint: 'use a smaller model: the design holds its weights in one DRAM image' });
}

export function emitVerilog(p: Program, opts: EmitOptions): Map<string, string> {
  checkImageSizes(p);
  const inputs = opts.inputs ?? [new Int8Array(tensorSize(p.input))];
  checkInputs(p, inputs);
  const sizing = designSizing(p, inputs.length, opts.capacity, opts.loadableProgram);
  const files: [string, string][] = [['rtl/nnchip_isa.vh', isaHeader()]];
  const rtlNames: string[] = [];
  for (const [name, text] of readTemplateDir('rtl-templates')) {
    if (name.startsWith('board/')) continue; // the board design (src/board/emit.ts)
    if (name === 'tb_top.v') files.push(['tb/tb_top.v', fillTemplate(name, text, benchValues(p, sizing))]);
    else if (name === 'fpga/nnchip_pnr_top.v') files.push([name, fillTemplate(name, text, { DRAM_BW: dramBeatBytes(p.config), DRAM_AW: sizing.dramAw })]);
    else if (name.startsWith('nnchip_') && name.endsWith('.v')) {
      files.push([`rtl/${name}`, fillTemplate(name, text, name === 'nnchip_top.v' ? coreParameters(p, sizing, peMultipliersOf(opts), opts.loadableProgram) : {})]);
      rtlNames.push(`rtl/${name}`);
    } else throw internal(`unexpected template rtl-templates/${name}`);
  }
  files.push(...memoryImages(p, inputs, sizing));
  const flows: [string, string][] = [['Makefile', readTemplateDir('targets').get('Makefile') ?? '']];
  for (const folder of ['iverilog', 'verilator', opts.target]) {
    for (const [name, text] of readTemplateDir(`targets/${folder}`)) flows.push([`${folder}/${name}`, text]);
  }
  flows.push(['nnchip.core', readTemplateDir('targets/fusesoc').get('nnchip.core') ?? '']);
  // written beside the design by the CLI (cell-models.ts: they come from the installed yosys)
  const cellModels = cellsOf(peMultipliersOf(opts)).map(cellModelPath);
  // the model's file name goes into Makefiles, YAML and comments: one line of plain characters
  const model = (opts.name ?? 'model').replace(/[^\w.+-]/g, '_');
  files.push(
    ...fillFlows(flows, {
      MODEL: model,
      ROWS: p.config.rows,
      COLS: p.config.cols,
      TARGET: opts.target,
      RTL_FILES: rtlNames.join(' '),
      CELL_MODELS: cellModels.join(' '),
      SAMPLES: inputs.length,
      ...TARGET_VALUES[opts.target](p, opts),
      CORE_NAME: `${model.toLowerCase().replace(/[^a-z0-9_]+/g, '_')}_${p.config.rows}x${p.config.cols}`,
      CORE_RTL_FILES: rtlNames.map((f) => `      - ${f}`).join('\n'),
      CORE_MEM_FILES: Object.values(MEM_FILES).map((f) => `      - ${f}: {copyto: ${f}}`).join('\n'),
      ...corePnrValues(opts.target, opts.device, p.config.clockMhz, ice40SynthFlags(opts)),
      ...coreCellValues(cellModels),
    }),
  );
  return new Map(files.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
