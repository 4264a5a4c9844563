// SPDX-License-Identifier: MIT
/**
 * Step mode: the whole machine one cycle at a time. Each cycle: fetch one instruction into its
 * unit's queue (unless full); each idle unit starts its queue head once it arrived and its tokens
 * are there; every unit FSM and the array advance one cycle; finishing instructions push tokens.
 * The cycle counts come out of the FSMs; timing.ts's schedule only bounds the loop (a guard) and
 * scales the progress reports.
 */
import { internal, unhandled } from '../src/diagnostics/error.js';
import { CHANNEL_DELAY, CHANNELS, channelOf, TOKEN_FLAGS, type Instruction } from '../src/isa/spec.js';
import { UNIT_OF } from '../src/isa/ops/index.js';
import { THRESHOLD_TAIL_FROM, thresholdLetsMatmulIn } from '../src/isa/ops/threshold.js';
import { layerCycles } from '../src/isa/cost.js';
import { accSplit } from '../src/isa/config.js';
import { besideCompletesAfter, duration, matmulAccBanks, popsChained, thresholdGoesBeside, thresholdTailReach } from '../src/isa/timing.js';
import { readOutputs } from '../src/isa/program.js';
import { COMPUTE_STATE, MatmulUnit, SystolicArray } from './array-stepper.js';
import { LoadDma, StoreDma } from './dma.js';
import { StepMachine } from './machine.js';
import { FETCH, type Plan } from './plan.js';
import { F, UNIT_INDEX, type RawRun } from './stats.js';
import { ThresholdUnit } from './threshold-unit.js';
import type { VcdSink } from './vcd.js';
import { VcdProbe } from './vcd-probe.js';

export interface StepRunOptions {
  readonly trace: boolean;
  readonly vcd?: VcdSink;
  readonly onProgress?: (done: number, total: number) => void;
}

const PROGRESS_EVERY = 4096;
/** The channel a chained matmul pops (timing.ts popsChained). */
const LOAD_TO_COMPUTE = CHANNELS.indexOf('loadToCompute');

/** Whether a channel's tokens arrive a cycle after the push (CHANNEL_DELAY 1; none is longer). */
const DELAYED: readonly boolean[] = CHANNELS.map((ch) => {
  if (CHANNEL_DELAY[ch] > 1) throw internal(`step mode models token delays of 0 or 1 cycle, not ${CHANNEL_DELAY[ch]} (${ch})`);
  return CHANNEL_DELAY[ch] === 1;
});

/** Token channel numbers (CHANNELS order) an instruction pops and pushes; -1 for none. */
function tokenTable(insns: readonly Instruction[]): Int8Array {
  const t = new Int8Array(insns.length * 4).fill(-1);
  insns.forEach((insn, i) => {
    const unit = UNIT_OF[insn.op];
    if (unit === 'fetch') return;
    TOKEN_FLAGS.forEach((flag, k) => {
      if (insn[flag]) t[i * 4 + k] = CHANNELS.indexOf(channelOf(unit, flag));
    });
  });
  return t;
}

export class Controller {
  readonly m: StepMachine;
  readonly array: SystolicArray;
  readonly load: LoadDma;
  readonly store: StoreDma;
  readonly matmul: MatmulUnit;
  readonly threshold: ThresholdUnit;
  readonly insns: readonly Instruction[];
  readonly tokens = new Int32Array(CHANNELS.length);
  /**
   * Tokens a chained pop may take (timing.ts chainedTokenAt): loadToCompute's pushes counted from the
   * cycle after each load wrote its first row, less every pop on it. `tokens` counts a push from the
   * load's end, so after a chained pop it is below zero until that load ends.
   */
  private chainTokens = 0;
  /** Tokens of a channel with a CHANNEL_DELAY of 1 pushed last cycle (`late`), there from the next cycle's issue on (`due`). */
  private readonly late = new Int32Array(CHANNELS.length);
  private readonly due = new Int32Array(CHANNELS.length);
  /** Per unit: queue ring of instruction indices and fetch cycles, its fill, and the executing instruction. */
  readonly qIdx: Int32Array[];
  readonly qAt: Float64Array[];
  readonly qHead = new Int32Array(3);
  readonly qLen = new Int32Array(3);
  readonly cur = new Int32Array(3).fill(-1);
  /** A threshold finishing while the matmul after it started (its tail, timing.ts), or -1. */
  tail = -1;
  pc = 0;
  fetchStalled = false;
  private readonly tok: Int8Array;
  private readonly start: Float64Array;
  private readonly end: Float64Array;
  /** Per unit: its instructions in program order and how many have started (for stall attribution). */
  private readonly order: number[][] = [[], [], []];
  private readonly started = new Int32Array(3);
  private readonly depth: number;

  constructor(
    readonly plan: Plan,
    inputCodes: Int8Array,
    trace: boolean,
  ) {
    const p = plan.program;
    this.m = new StepMachine(p, inputCodes, trace);
    this.array = new SystolicArray(p.config.rows, p.config.cols);
    this.load = new LoadDma(this.m);
    this.store = new StoreDma(this.m);
    this.matmul = new MatmulUnit(this.m, this.array);
    this.threshold = new ThresholdUnit(this.m);
    this.insns = p.instructions;
    this.depth = p.config.queueDepth;
    this.qIdx = [0, 1, 2].map(() => new Int32Array(this.depth));
    this.qAt = [0, 1, 2].map(() => new Float64Array(this.depth));
    this.tok = tokenTable(this.insns);
    this.start = new Float64Array(this.insns.length);
    this.end = new Float64Array(this.insns.length);
    plan.unit.forEach((u, i) => u !== FETCH && this.order[u]!.push(i));
  }

  get done(): boolean {
    return this.pc >= this.insns.length && this.cur.every((c) => c < 0) && this.tail < 0 && this.qLen.every((l) => l === 0) && this.matmul.inFlight.length === 0;
  }

  /**
   * Whether unit u may start instruction i at cycle t: its issue slot is free (`cur`), and unless i
   * is a matmul (which overlaps the matmuls before it) no matmul or threshold tail is still in
   * flight; or i is a matmul and the threshold in the slot lets it in, in its last thresholdTailReach
   * cycles (timing.ts: its matmulAccLead, or nearly all of it on the other acc bank).
   */
  private free(u: number, i: number, t: number): boolean {
    const insn = this.insns[i]!;
    const c = this.cur[u]!;
    if (c < 0) return insn.op === 'matmul' || u !== UNIT_INDEX.compute || (this.tail < 0 && (this.matmul.inFlight.length === 0 || this.beside(insn, t)));
    const th = this.insns[c]!;
    if (insn.op !== 'matmul' || th.op !== 'threshold' || !thresholdLetsMatmulIn(th)) return false;
    const tau = t - this.start[c]!;
    return tau >= THRESHOLD_TAIL_FROM && this.threshold.cyclesLeft(tau) <= thresholdTailReach(th, insn, this.plan.program.config);
  }

  /**
   * Whether a threshold may start at t beside the matmuls in flight (timing.ts thresholdBesideFrom):
   * none touches its acc bank, and each it must complete after (besideCompletesAfter) completes within its rows.
   */
  private beside(insn: Instruction, t: number): boolean {
    const cfg = this.plan.program.config;
    if (insn.op !== 'threshold' || !thresholdGoesBeside(insn, cfg)) return false;
    const b = insn.acc >= accSplit(cfg) ? 1 : 0;
    return this.matmul.inFlight.every((f) => !matmulAccBanks(f.insn, cfg)[b] && (!besideCompletesAfter(insn, f.insn) || f.start + duration(f.insn, cfg) - t <= insn.rows));
  }

  /** One instruction per cycle into its unit's queue; halt only ends fetch. */
  fetch(t: number): void {
    this.fetchStalled = false;
    if (this.pc >= this.insns.length) return;
    const i = this.pc;
    const u = this.plan.unit[i]!;
    if (u === FETCH) {
      this.start[i] = t;
      this.end[i] = t + 1;
      this.pc++;
      return;
    }
    if (this.qLen[u]! >= this.depth) {
      this.fetchStalled = true;
      this.m.counters[this.plan.block[i]! + F.queueFull + u]! += 1;
      return;
    }
    const slot = (this.qHead[u]! + this.qLen[u]!) % this.depth;
    this.qIdx[u]![slot] = i;
    this.qAt[u]![slot] = t;
    this.qLen[u]! += 1;
    this.pc++;
  }

  /** The first token the queue head still lacks (channel number), or -1 when it may start. */
  private missingToken(i: number): number {
    for (let k = 0; k < 2; k++) {
      const ch = this.tok[i * 4 + k]!;
      if (ch >= 0 && (popsChained(this.insns[i]!, k) ? this.chainTokens : this.tokens[ch]!) <= 0) return ch;
    }
    return -1;
  }

  /** Start queue heads that have arrived and hold their tokens; then count busy and stall cycles. */
  issue(t: number): void {
    const c = this.m.counters;
    for (let ch = 0; ch < CHANNELS.length; ch++) {
      this.tokens[ch]! += this.due[ch]!;
      this.due[ch] = this.late[ch]!;
      this.late[ch] = 0;
    }
    for (let u = 0; u < 3; u++) {
      const head = this.qLen[u]! > 0 ? this.qIdx[u]![this.qHead[u]!]! : -1;
      const arrived = head >= 0 && this.qAt[u]![this.qHead[u]!]! < t;
      if (arrived && this.free(u, head, t) && this.missingToken(head) < 0) {
        for (let k = 0; k < 2; k++) {
          const ch = this.tok[head * 4 + k]!;
          if (ch < 0) continue;
          this.tokens[ch]! -= 1;
          if (ch === LOAD_TO_COMPUTE) this.chainTokens -= 1;
        }
        this.qHead[u] = (this.qHead[u]! + 1) % this.depth;
        this.qLen[u]! -= 1;
        this.started[u]! += 1;
        this.begin(u, head, t);
        const next = this.qLen[u]! > 0 ? this.qIdx[u]![this.qHead[u]!]! : -1;
        if (next >= 0 && this.qAt[u]![this.qHead[u]!]! < t) c[this.plan.block[next]! + F.unitBusy + u]! += 1;
        continue;
      }
      if (this.started[u]! >= this.order[u]!.length) continue;
      const next = this.order[u]![this.started[u]!]!;
      if (!this.free(u, next, t)) {
        if (arrived) c[this.plan.block[head]! + F.unitBusy + u]! += 1;
      } else {
        const field = arrived ? F.tokenWait + this.missingToken(head) : F.starved + u;
        c[this.plan.block[next]! + field]! += 1;
      }
    }
  }

  private begin(u: number, i: number, t: number): void {
    const insn = this.insns[i]!;
    if (this.cur[u]! >= 0) this.tail = this.cur[u]!; // a matmul in a threshold's tail: the threshold finishes beside it
    this.cur[u] = i;
    this.start[i] = t;
    this.m.block[u] = this.plan.block[i]!;
    switch (insn.op) {
      case 'load':
        return this.load.begin(insn);
      case 'store':
        return this.store.begin(insn);
      case 'matmul':
        return this.matmul.begin(i, insn, t);
      case 'threshold':
        return this.threshold.begin(insn);
      case 'sync':
        return;
      case 'halt':
        throw internal('halt issued to a unit');
      default:
        throw unhandled(insn, 'opcode');
    }
  }

  /**
   * Every unit advances one cycle; the array is clocked every cycle, busy or not. A busy cycle
   * counts for the oldest instruction in flight on the unit.
   */
  advance(t: number): void {
    const mm = this.matmul;
    for (let u = 0; u < 3; u++) {
      if (u === UNIT_INDEX.compute) {
        const oldest = this.tail >= 0 ? this.tail : mm.inFlight.length > 0 ? mm.inFlight[0]!.i : this.cur[u]!;
        if (oldest >= 0) this.m.counters[this.plan.block[oldest]! + F.busy + u]! += 1;
        if (this.tail >= 0) {
          // its accesses count for its own layer, as fast mode counts them
          const running = this.m.block[u]!;
          this.m.block[u] = this.plan.block[this.tail]!;
          const finished = this.threshold.tick(t - this.start[this.tail]!, t);
          this.m.block[u] = running;
          if (finished) {
            this.complete(this.tail, t);
            this.tail = -1;
          }
        }
        if (mm.inFlight.length > 0) {
          if (mm.tick(t)) this.cur[u] = -1;
          for (const i of mm.completed) this.complete(i, t);
        } else this.array.clock();
      }
      const i = this.cur[u]!;
      if (i < 0) continue;
      const insn = this.insns[i]!;
      if (insn.op === 'matmul') continue;
      const tau = t - this.start[i]!;
      if (u !== UNIT_INDEX.compute) this.m.counters[this.plan.block[i]! + F.busy + u]! += 1;
      let finished: boolean;
      switch (insn.op) {
        case 'load':
          finished = this.load.tick(tau, t);
          if (this.load.wroteFirstRow && insn.pushNext) this.chainTokens += 1;
          break;
        case 'store':
          finished = this.store.tick(tau, t);
          break;
        case 'threshold':
          finished = this.threshold.tick(tau, t);
          break;
        case 'sync':
          finished = true;
          break;
        case 'halt':
          throw internal('halt issued to a unit');
        default:
          throw unhandled(insn, 'opcode');
      }
      if (!finished) continue;
      this.cur[u] = -1;
      this.complete(i, t);
    }
  }

  /** Instruction i's last cycle is t: it ends at t + 1, when its token pushes become visible. */
  private complete(i: number, t: number): void {
    this.end[i] = t + 1;
    for (let k = 2; k < 4; k++) {
      const ch = this.tok[i * 4 + k]!;
      if (ch >= 0) (DELAYED[ch] ? this.late : this.tokens)[ch]! += 1;
    }
  }

  /** What the compute unit is doing, for the VCD. */
  computeState(): number {
    if (this.matmul.inFlight.length > 0) return this.matmul.state;
    const i = this.cur[1]!;
    if (i < 0) return COMPUTE_STATE.idle;
    return this.insns[i]!.op === 'threshold' ? COMPUTE_STATE.threshold : COMPUTE_STATE.sync;
  }

  result(cycles: number): RawRun {
    const p = this.plan.program;
    return {
      output: readOutputs(this.m.state.dram, p),
      cycles,
      counters: this.m.counters,
      layerCycles: layerCycles(p, this.start, this.end),
      peakEntries: this.m.peak,
      traceHash: this.m.trace?.hash() ?? null,
    };
  }
}

export function runStep(plan: Plan, inputCodes: Int8Array, opts: StepRunOptions): RawRun {
  const ctl = new Controller(plan, inputCodes, opts.trace);
  const probe = opts.vcd === undefined ? null : new VcdProbe(opts.vcd, ctl);
  // the schedule bounds the run: going past it means the FSMs and timing.ts disagree (a bug)
  const limit = plan.schedule.cycles + 1;
  for (let t = 0; ; t++) {
    if (t > limit) throw internal(`step mode ran past the ${plan.schedule.cycles} cycles of the schedule`);
    ctl.fetch(t);
    ctl.issue(t);
    ctl.advance(t);
    probe?.sample(t);
    if (opts.onProgress !== undefined && t % PROGRESS_EVERY === 0) opts.onProgress(t, plan.schedule.cycles);
    if (ctl.done) {
      probe?.finish(t);
      return ctl.result(t + 1);
    }
  }
}
