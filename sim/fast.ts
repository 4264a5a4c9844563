// SPDX-License-Identifier: MIT
/**
 * Fast mode: event-driven at the exact timestamps of timing.ts. Each instruction takes its reads
 * when it starts and commits its writes when it ends (all commits of a cycle before its reads), so
 * a missing dependency token shows up as a wrong value (a matmul is the exception: it reads the acc
 * rows it accumulates onto, or its bias entry, when it ends). Matmul sums come from matmul-values.ts
 * (one int32 wrap per sum); acc/qnt loads, thresholds and stores run interpret.ts's own execute()
 * on views re-based onto per-unit scratch. Everything lives in one ArrayBuffer so copies are copyWithin calls
 * (with an injected GEMM, the WebAssembly memory that kernel computes in, matmul-values.ts). The
 * counters are tallied from the per-cycle access pattern (trace.ts), not from the certificate's
 * op records, so prove() compares two independent derivations. Counters and the address trace
 * depend on the program alone, so they are derived once per program, in one pass.
 */
import { internal } from '../src/diagnostics/error.js';
import type { ArrayConfig } from '../src/isa/config.js';
import { execute, type MachineState } from '../src/isa/interpret.js';
import { bufferLanes } from '../src/isa/state.js';
import { readOutputs, writeTensor, type Program } from '../src/isa/program.js';
import { entryBytes, loadBufferOf, type Instruction, type InstructionOf, type Opcode } from '../src/isa/spec.js';
import { FETCH, type Plan } from './plan.js';
import { emptyPeaks, SPACE_INDEX, type RawRun } from './stats.js';
import { forgetPanels, forgetWeights, gemmScratch, gemmSums, matmulScratch, matmulSums, type GemmScratch, type Int8GemmFactory, type MatmulScratch } from './matmul-values.js';
import { accessPattern, TraceRecorder, type TraceKernels } from './trace.js';
import { tallyInstruction, tallyTables } from './tally.js';
import { streamedTraceHash } from './trace-stream.js';
import { pools, spreadBiasEntry } from '../src/isa/ops/index.js';

/**
 * How the hot loop handles each instruction. A byte-copy load is act/wgt (int8 lanes are the
 * bytes) or acc (int32 little-endian lanes are the bytes on a little-endian host, which the arena's
 * Int32Array is); a store is a byte copy too (out's int8 lanes). 0 is no kind, so an unset entry cannot pass for one.
 */
const KIND = { copyLoad: 1, load: 2, store: 3, matmul: 4, threshold: 5, none: 6 } as const;
type Kind = (typeof KIND)[keyof typeof KIND];

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** Scratch sizes the plan grows as it prepares each instruction. */
interface Sizes {
  loadBytes: number;
  accLanes: number;
  outLanes: number;
  storeLanes: number;
}

type Prepare<O extends Opcode> = (insn: InstructionOf<O>, cfg: ArrayConfig, size: Sizes) => { kind: Kind; rebased: Instruction };

/** Per opcode: its hot-loop kind, its scratch needs, and the instruction with the scratch side re-based to 0 (load rows packed E bytes apart). */
const PREPARE: { [O in Opcode]: Prepare<O> } = {
  load: (insn, cfg, size) => {
    const buf = loadBufferOf(insn.buf);
    const e = entryBytes(buf, cfg.rows, cfg.cols);
    size.loadBytes = Math.max(size.loadBytes, (insn.stride === 0 ? 1 : insn.rows) * e);
    return { kind: buf === 'act' || buf === 'wgt' || (buf === 'acc' && LITTLE_ENDIAN) ? KIND.copyLoad : KIND.load, rebased: { ...insn, dram: 0, stride: insn.stride === 0 ? 0 : e } };
  },
  store: (insn, cfg, size) => {
    size.storeLanes = Math.max(size.storeLanes, insn.rows * cfg.cols);
    return { kind: KIND.store, rebased: { ...insn, sram: 0 } };
  },
  matmul: (insn, cfg, size) => {
    size.accLanes = Math.max(size.accLanes, insn.rows * cfg.cols);
    return { kind: KIND.matmul, rebased: insn };
  },
  threshold: (insn, cfg, size) => {
    size.outLanes = Math.max(size.outLanes, insn.rows * cfg.cols);
    return { kind: KIND.threshold, rebased: { ...insn, out: 0 } };
  },
  sync: (insn) => ({ kind: KIND.none, rebased: insn }),
  halt: (insn) => ({ kind: KIND.none, rebased: insn }),
};

interface FastPlan {
  readonly kind: Uint8Array;
  /** Instructions with the scratch side re-based to 0 (load rows packed E bytes apart). */
  readonly rebased: readonly Instruction[];
  readonly loadBytes: number;
  readonly accLanes: number;
  readonly outLanes: number;
  readonly storeLanes: number;
  /** Counters and high-water marks depend on the instruction stream alone, so they are tallied once. */
  readonly counters: Float64Array;
  readonly peak: Float64Array;
  readonly arena: Arena;
  /** The address-trace hash: a function of the program alone (timestamps and access patterns), so computed once. */
  traceHash: string | null;
  /** Records per unit (load, compute, store): the trace hash's prefixes, so it can be streamed. */
  readonly recordCounts: readonly number[];
  /** One machine per GEMM choice (null: plain JS), reset for each run: many samples allocate nothing per sample. */
  readonly machines: Map<Int8GemmFactory | null, FastMachine>;
}

const cache = new WeakMap<Plan, FastPlan>();

/**
 * Trace fields (three per record) the counters' pass keeps for the trace hash: 16 MB, and as much
 * again to sort them. Within it the records are made once (AlexNet conv1 on 32x32: 1.5 M fields);
 * a larger trace is made twice, the second time streamed, in bounded memory. Tests lower it to
 * take the streamed path.
 */
export const TRACE_KEPT = { fields: 4 << 20 };

function fastPlanOf(plan: Plan, trace: boolean, kernels?: TraceKernels): FastPlan {
  let fp = cache.get(plan);
  if (fp !== undefined) {
    fp.traceHash ??= trace ? traceHashOf(plan, kernels, fp.recordCounts) : null;
    return fp;
  }
  const cfg = plan.program.config;
  const size: Sizes = { loadBytes: 1, accLanes: 1, outLanes: 1, storeLanes: 1 };
  const kind = new Uint8Array(plan.program.instructions.length);
  const counters = plan.timingCounters.slice();
  const peak = emptyPeaks();
  const tables = tallyTables(cfg);
  // every access is recorded and tallied from its record. With a trace asked for, the records are
  // kept for its hash while they fit TRACE_KEPT; past that they are dropped (each once tallied) and
  // the hash makes them again, unit by unit, in bounded memory (sim/trace-stream.ts)
  const rec = new TraceRecorder(kernels);
  const counts = [0, 0, 0];
  let keep = trace;
  let kept = 0;
  const rebased = plan.program.instructions.map((insn, i): Instruction => {
    const u = plan.unit[i]!;
    if (u !== FETCH) {
      const from = keep ? rec.length(u) : 0;
      rec.begin(u, plan.schedule.timings[i]!.start);
      accessPattern(insn, cfg, rec);
      const n = rec.length(u);
      tallyInstruction(counters, peak, plan.block[i]!, insn, cfg, tables, rec.fields(u), from, n);
      counts[u]! += (n - from) / 3;
      if (!keep) rec.truncate(u, 0);
      else if ((kept += n - from) > TRACE_KEPT.fields) {
        keep = false;
        for (let v = 0; v < 3; v++) rec.truncate(v, 0);
      }
    }
    const prepared = (PREPARE[insn.op] as Prepare<Opcode>)(insn, cfg, size);
    kind[i] = prepared.kind;
    return prepared.rebased;
  });
  const partial = { kind, rebased, ...size, counters, peak, recordCounts: counts };
  cache.set(plan, (fp = { ...partial, arena: arenaOf(partial, cfg, plan.program.dramSize), traceHash: trace ? (keep ? rec.hash() : traceHashOf(plan, kernels, counts)) : null, machines: new Map() }));
  return fp;
}

const align = (n: number, to: number): number => Math.ceil(n / to) * to;

/**
 * A bound on the matmuls in flight at once (each holds its sums until its end): duration over
 * occupancy, (2R + C + rows) / max(R, rows + 1), is below (2R + C) / R + 1.
 */
const matmulsInFlight = (cfg: ArrayConfig): number => Math.ceil((2 * cfg.rows + cfg.cols) / cfg.rows) + 2;

/** Byte offsets of every array in one ArrayBuffer (DRAM at 0), so each copy is a copyWithin. */
interface Arena {
  readonly bytes: number;
  readonly at: Readonly<Record<'act' | 'wgt' | 'out' | 'dma' | 'outScratch' | 'storeScratch' | 'acc' | 'sums' | 'qntMult' | 'qntShift' | 'qntRaw', number>>;
  /** Lanes of each buffer, as interpret.ts's createState sizes them. */
  readonly lanes: Readonly<Record<'act' | 'wgt' | 'out' | 'acc' | 'qntMult' | 'qntShift', number>>;
}

function arenaOf(fp: Omit<FastPlan, 'arena' | 'traceHash' | 'machines'>, cfg: ArrayConfig, dramBytes: number): Arena {
  let end = dramBytes;
  const take = (bytes: number): number => {
    const o = align(end, 8);
    end = o + bytes;
    return o;
  };
  const lanes = bufferLanes(cfg);
  const at = {
    act: take(lanes.act),
    wgt: take(lanes.wgt),
    out: take(lanes.out),
    dma: take(fp.loadBytes),
    outScratch: take(fp.outLanes),
    storeScratch: take(fp.storeLanes),
    acc: take(4 * lanes.acc),
    sums: take(4 * fp.accLanes * matmulsInFlight(cfg)),
    qntMult: take(2 * lanes.qntMult),
    qntShift: take(lanes.qntShift),
    // the qnt entries again in DRAM byte order, for the GEMM module's threshold kernel
    qntRaw: take(4 * lanes.qntMult),
  };
  return { bytes: align(end, 8), at, lanes };
}

/**
 * The machine in one arena, plus one scratch per unit. A load's DRAM snapshot (and a store's out
 * snapshot) is taken lazily: only if a store (threshold) commits over that memory before the load
 * (store) ends — exactly what reading at the start would have seen, without copying rows twice.
 */
class FastMachine {
  readonly s: MachineState;
  private readonly mem8: Int8Array;
  private readonly dram: Uint8Array;
  /** One sums scratch per matmul in flight, used in turn (matmuls start and end in program order). */
  private readonly sums: Int32Array[];
  /** Per sums scratch: the columns holding sums (from + to · 2^16); the others are 0. */
  private readonly sumCols: Float64Array;
  private matmulsRead = 0;
  private matmulsCommitted = 0;
  private readonly live: MatmulScratch;
  /** The injected GEMM (its memory holds the arena), or null for the plain JS sums. */
  private readonly gemm: GemmScratch | null;
  private readonly loadView: MachineState;
  private readonly thresholdView: MachineState;
  private pendingLoad: InstructionOf<'load'> | null = null;
  private loadSnapped = false;
  private pendingStore: InstructionOf<'store'> | null = null;
  private storeSnapped = false;
  /** A run has used the memory since it was allocated (zeroed). */
  private used = false;

  constructor(
    private readonly fp: FastPlan,
    private readonly cfg: ArrayConfig,
    dramBytes: number,
    gemm: Int8GemmFactory | null,
  ) {
    const { at, lanes, bytes } = fp.arena;
    this.gemm = gemm === null ? null : gemmScratch(gemm(bytes, cfg.rows, cfg.cols), cfg.rows, cfg.cols);
    const buf = this.gemm?.g.memory ?? new ArrayBuffer(bytes);
    this.mem8 = new Int8Array(buf);
    this.dram = new Uint8Array(buf, 0, dramBytes);
    this.s = {
      dram: this.dram,
      act: new Int8Array(buf, at.act, lanes.act),
      wgt: new Int8Array(buf, at.wgt, lanes.wgt),
      acc: new Int32Array(buf, at.acc, lanes.acc),
      qntMult: new Uint16Array(buf, at.qntMult, lanes.qntMult),
      qntShift: new Uint8Array(buf, at.qntShift, lanes.qntShift),
      out: new Int8Array(buf, at.out, lanes.out),
    };
    this.sums = Array.from({ length: matmulsInFlight(cfg) }, (_, k) => new Int32Array(buf, at.sums + 4 * k * fp.accLanes, fp.accLanes));
    this.sumCols = new Float64Array(this.sums.length);
    this.live = matmulScratch(cfg.rows, cfg.cols);
    this.loadView = { ...this.s, dram: new Uint8Array(buf, at.dma, fp.loadBytes) };
    this.thresholdView = { ...this.s, out: new Int8Array(buf, at.outScratch, fp.outLanes) };
  }

  /** The state a run starts from, as interpret.ts's createState and initialDram give it: zeros, the constants, the input. */
  reset(p: Program, inputCodes: Int8Array): void {
    if (this.used) this.zeroTouched(p);
    this.used = true;
    this.dram.set(p.constants, 0);
    writeTensor(this.dram, p.input, inputCodes);
    this.matmulsRead = this.matmulsCommitted = 0;
    this.pendingLoad = this.pendingStore = null;
    this.loadSnapped = this.storeSnapped = false;
    forgetWeights(this.live);
    if (this.gemm !== null) forgetPanels(this.gemm, this.cfg.rows, 0, Infinity);
  }

  /**
   * After a run, zeros again where the program can have written (memory is zeroed when allocated):
   * DRAM past the constants, and each buffer up to its high-water mark (the plan's peaks cover every
   * access); scratch is written before it is read.
   */
  private zeroTouched(p: Program): void {
    const { rows: R, cols: C } = this.cfg;
    const peak = this.fp.peak;
    const s = this.s;
    s.act.fill(0, 0, peak[SPACE_INDEX.act]! * R);
    s.wgt.fill(0, 0, peak[SPACE_INDEX.wgt]! * C);
    s.acc.fill(0, 0, peak[SPACE_INDEX.acc]! * C);
    s.qntMult.fill(0, 0, peak[SPACE_INDEX.qnt]! * C);
    s.qntShift.fill(0, 0, peak[SPACE_INDEX.qnt]! * C);
    this.mem8.fill(0, this.fp.arena.at.qntRaw, this.fp.arena.at.qntRaw + 4 * peak[SPACE_INDEX.qnt]! * C);
    s.out.fill(0, 0, peak[SPACE_INDEX.out]! * C);
    this.dram.fill(0, p.constants.length);
  }

  /** The reads of instruction i, at its start. */
  read(i: number, insn: Instruction, kind: number): void {
    const { at } = this.fp.arena;
    if (kind === KIND.matmul) {
      const mm = insn as InstructionOf<'matmul'>;
      const C = this.cfg.cols;
      const slot = this.matmulsRead++ % this.sums.length;
      const sums = this.sums[slot]!;
      if (this.gemm !== null) this.sumCols[slot] = gemmSums(at.act, at.wgt, mm, this.cfg.rows, C, sums, this.gemm);
      else {
        sums.fill(0, 0, mm.rows * C);
        matmulSums(this.s.act, this.s.wgt, mm, this.cfg.rows, C, sums, this.live);
        this.sumCols[slot] = C * 65536;
      }
    } else if (kind === KIND.copyLoad || kind === KIND.load) this.pendingLoad = insn as InstructionOf<'load'>;
    else if (kind === KIND.store) this.pendingStore = insn as InstructionOf<'store'>;
    else if (kind === KIND.threshold) {
      const th = insn as InstructionOf<'threshold'>;
      const C = this.cfg.cols;
      if (this.gemm !== null && th.steps === 0 && !pools(th)) this.gemm.g.threshold(at.acc + 4 * th.acc * C, at.outScratch, at.qntRaw + 4 * th.qnt * C, th.rows, th.zp, th.lo, th.hi);
      else execute(this.thresholdView, this.fp.rebased[i]!, this.cfg);
    }
    else if (kind !== KIND.none) throw internal(`instruction ${i} (${insn.op}) has no fast-mode kind`);
  }

  /** The writes of instruction i, at its end. */
  commit(i: number, insn: Instruction, kind: number): void {
    const { s, cfg, mem8 } = this;
    const { at } = this.fp.arena;
    const C = cfg.cols;
    if (kind === KIND.copyLoad) this.commitCopyLoad(insn as InstructionOf<'load'>);
    else if (kind === KIND.load) {
      execute(this.loadSnapped ? this.loadView : s, this.loadSnapped ? this.fp.rebased[i]! : insn, cfg);
      if (this.gemm !== null) this.copyRawQnt(insn as InstructionOf<'load'>);
    }
    else if (kind === KIND.matmul) {
      const mm = insn as InstructionOf<'matmul'>;
      const slot = this.matmulsCommitted++ % this.sums.length;
      const sums = this.sums[slot]!;
      const acc = this.s.acc;
      const o = mm.acc * C;
      // a bias matmul starts every row from entry acc as it finds it (here, at its end, where an
      // accumulating one reads its rows too): that entry copied over the other rows, then accumulated
      // onto, as the reference does (rows 1.. are all overwritten, so the copy is not seen)
      spreadBiasEntry(acc, mm, C);
      // a shifted term's sums (a folded residual add's shortcut): ·2^shift, wrapped, before they land
      if (mm.shift !== 0) for (let j = 0, sh = mm.shift, end = mm.rows * C; j < end; j++) sums[j] = sums[j]! << sh;
      if (mm.accumulate || mm.bias) {
        const from = this.sumCols[slot]! % 65536;
        const to = Math.floor(this.sumCols[slot]! / 65536);
        if (this.gemm !== null) this.gemm.g.accAdd(acc.byteOffset + 4 * (o + from), sums.byteOffset + 4 * from, to > from ? mm.rows : 0, to - from, 4 * C);
        else for (let m = 0, row = 0; m < mm.rows; m++, row += C) for (let j = row + from; j < row + to; j++) acc[o + j] = (acc[o + j]! + sums[j]!) | 0;
      } else acc.set(sums.subarray(0, mm.rows * C), o);
    } else if (kind === KIND.threshold) {
      const th = insn as InstructionOf<'threshold'>;
      const st = this.pendingStore;
      if (st !== null && !this.storeSnapped) {
        mem8.copyWithin(at.storeScratch, at.out + st.sram * C, at.out + (st.sram + st.rows) * C);
        this.storeSnapped = true;
      }
      mem8.copyWithin(at.out + th.out * C, at.outScratch, at.outScratch + th.rows * C);
    } else if (kind === KIND.store) {
      const ld = this.pendingLoad;
      if (ld !== null && !this.loadSnapped) {
        const e = entryBytes(loadBufferOf(ld.buf), cfg.rows, C);
        const rows = ld.stride === 0 ? 1 : ld.rows;
        for (let r = 0; r < rows; r++) mem8.copyWithin(at.dma + r * e, ld.dram + r * ld.stride, ld.dram + r * ld.stride + e);
        this.loadSnapped = true;
      }
      const st = insn as InstructionOf<'store'>;
      const from = this.storeSnapped ? at.storeScratch : at.out + st.sram * C;
      if (st.stride === C) mem8.copyWithin(st.dram, from, from + st.rows * C);
      else for (let r = 0; r < st.rows; r++) mem8.copyWithin(st.dram + r * st.stride, from + r * C, from + (r + 1) * C);
      this.pendingStore = null;
      this.storeSnapped = false;
    } else if (kind !== KIND.none) throw internal(`instruction ${i} (${insn.op}) has no fast-mode kind`);
    if (kind === KIND.copyLoad || kind === KIND.load) {
      this.pendingLoad = null;
      this.loadSnapped = false;
    }
  }

  /** A qnt load's entries, also as their DRAM bytes (the threshold kernel reads them so): from DRAM or from the snapshot. */
  private copyRawQnt(ld: InstructionOf<'load'>): void {
    if (loadBufferOf(ld.buf) !== 'qnt') return;
    const { at } = this.fp.arena;
    const e = 4 * this.cfg.cols;
    const mem8 = this.mem8;
    for (let r = 0; r < ld.rows; r++) {
      const src = this.loadSnapped ? at.dma + (ld.stride === 0 ? 0 : r * e) : ld.dram + r * ld.stride;
      mem8.copyWithin(at.qntRaw + (ld.sram + r) * e, src, src + e);
    }
  }

  /** act/wgt/acc lanes are the bytes themselves: copied from DRAM (arena offset 0) or from the snapshot. */
  private commitCopyLoad(ld: InstructionOf<'load'>): void {
    const { at } = this.fp.arena;
    const buf = loadBufferOf(ld.buf);
    if (buf === 'wgt') {
      forgetWeights(this.live);
      if (this.gemm !== null) forgetPanels(this.gemm, this.cfg.rows, ld.sram, ld.sram + ld.rows);
    }
    const e = entryBytes(buf, this.cfg.rows, this.cfg.cols);
    const dst = (buf === 'act' ? at.act : buf === 'wgt' ? at.wgt : at.acc) + ld.sram * e;
    const mem8 = this.mem8;
    if (this.loadSnapped) {
      if (ld.stride !== 0) mem8.copyWithin(dst, at.dma, at.dma + ld.rows * e);
      else for (let r = 0; r < ld.rows; r++) mem8.copyWithin(dst + r * e, at.dma, at.dma + e);
    } else if (ld.stride === e) mem8.copyWithin(dst, ld.dram, ld.dram + ld.rows * e);
    else for (let r = 0; r < ld.rows; r++) mem8.copyWithin(dst + r * e, ld.dram + r * ld.stride, ld.dram + r * ld.stride + e);
  }
}

/**
 * The trace of every instruction's accesses from its start cycle, per unit in program order (the
 * order each unit runs them): streamed (sim/trace-stream.ts) given each unit's record count, or
 * recorded whole when the counts are not known yet or cycles could pass 2^32 (uint32 fields wrap).
 */
function traceHashOf(plan: Plan, kernels?: TraceKernels, counts?: readonly number[]): string {
  const cfg = plan.program.config;
  if (counts !== undefined && plan.schedule.cycles < 2 ** 32) {
    const units: { insns: Instruction[]; starts: number[] }[] = [0, 1, 2].map(() => ({ insns: [], starts: [] }));
    plan.program.instructions.forEach((insn, i) => {
      const u = plan.unit[i]!;
      if (u === FETCH) return;
      units[u]!.insns.push(insn);
      units[u]!.starts.push(plan.schedule.timings[i]!.start);
    });
    return streamedTraceHash(units, counts, cfg, kernels);
  }
  const rec = new TraceRecorder(kernels);
  plan.program.instructions.forEach((insn, i) => {
    if (plan.unit[i] === FETCH) return;
    rec.begin(plan.unit[i]!, plan.schedule.timings[i]!.start);
    accessPattern(insn, cfg, rec);
  });
  return rec.hash();
}

/** `kernels`: the trace pass's hot loops in another implementation (sim/trace.ts TraceKernels; the same records, so the same hash). */
export function runFast(plan: Plan, inputCodes: Int8Array, trace: boolean, gemm: Int8GemmFactory | null = null, kernels?: TraceKernels): RawRun {
  const p = plan.program;
  const cfg = p.config;
  const fp = fastPlanOf(plan, trace, kernels);
  let m = fp.machines.get(gemm);
  if (m === undefined) fp.machines.set(gemm, (m = new FastMachine(fp, cfg, p.dramSize, gemm)));
  m.reset(p, inputCodes);
  const insns = p.instructions;
  const { kind } = fp;
  const ev = plan.events;
  for (let k = 0; k < ev.length; k++) {
    const e = ev[k]!;
    const i = e >> 1;
    const insn = insns[i]!;
    if ((e & 1) === 0) {
      m.commit(i, insn, kind[i]!);
      continue;
    }
    m.read(i, insn, kind[i]!);
  }
  return { output: readOutputs(m.s.dram, p), ...fastFigures(plan, trace, kernels) };
}

/** Everything of a fast run but the outputs: the program's alone, cached (for values computed elsewhere, sim/compiled-values.ts). */
export function fastFigures(plan: Plan, trace: boolean, kernels?: TraceKernels): Omit<RawRun, 'output'> {
  const fp = fastPlanOf(plan, trace, kernels);
  return { cycles: plan.schedule.cycles, counters: fp.counters.slice(), layerCycles: plan.layerCycles, peakEntries: fp.peak.slice(), traceHash: trace ? fp.traceHash : null };
}
