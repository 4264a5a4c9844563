// SPDX-License-Identifier: MIT
/**
 * The signals step mode dumps to VCD, sampled after every clock edge: clk; the controller (pc,
 * fetch stall, each unit's state, executing instruction and queue fill, the six token counters);
 * and every PE's active and shadow weight, activation and partial-sum registers (scope `array`).
 */
import { CHANNELS, WORK_UNITS } from '../src/isa/spec.js';
import { VcdWriter, type VcdSink } from './vcd.js';

/** What the probe reads from the controller (kept structural so the probe never drives it). */
export interface ProbeTarget {
  readonly pc: number;
  readonly fetchStalled: boolean;
  readonly cur: Int32Array;
  readonly qLen: Int32Array;
  readonly tokens: Int32Array;
  readonly load: { readonly state: number };
  readonly store: { readonly state: number };
  readonly array: { readonly R: number; readonly C: number; readonly w: Int32Array; readonly ws: Int32Array; readonly a: Int32Array; readonly p: Int32Array };
  readonly plan: { readonly program: { readonly config: { readonly clockMhz: number } } };
  computeState(): number;
}

const TOKEN_NAMES = { loadToCompute: 'tok_l2c', computeToLoad: 'tok_c2l', computeToStore: 'tok_c2s', storeToCompute: 'tok_s2c', storeToLoad: 'tok_s2l', loadToStore: 'tok_l2s' } as const;

export class VcdProbe {
  private readonly vcd: VcdWriter;
  private readonly maxCycles: number;
  private readonly sig: { pc: number; stall: number; state: number[]; insn: number[]; queue: number[]; tokens: number[]; pe: number[] };

  constructor(
    sink: VcdSink,
    private readonly ctl: ProbeTarget,
  ) {
    this.maxCycles = sink.maxCycles ?? Infinity;
    this.vcd = new VcdWriter(sink, Math.max(2, Math.round(1e6 / ctl.plan.program.config.clockMhz)));
    const v = this.vcd;
    v.scope('nnchip');
    v.wire('clk', 1);
    const pc = v.wire('pc', 32);
    const stall = v.wire('fetch_stall', 1);
    const state = WORK_UNITS.map((u) => v.wire(`${u}_state`, 3));
    const insn = WORK_UNITS.map((u) => v.wire(`${u}_insn`, 32));
    const queue = WORK_UNITS.map((u) => v.wire(`${u}_queue_count`, 16));
    const tokens = CHANNELS.map((ch) => v.wire(TOKEN_NAMES[ch], 16));
    v.scope('array');
    const pe: number[] = [];
    const { R, C } = ctl.array;
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < C; c++) pe.push(v.wire(`pe_${r}_${c}_w`, 8), v.wire(`pe_${r}_${c}_ws`, 8), v.wire(`pe_${r}_${c}_a`, 8), v.wire(`pe_${r}_${c}_psum`, 32));
    }
    v.upscope();
    v.upscope();
    this.sig = { pc, stall, state, insn, queue, tokens, pe };
    v.begin();
  }

  /** Register values after the edge that ends cycle t. */
  sample(t: number): void {
    if (t >= this.maxCycles) {
      if (t === this.maxCycles) this.vcd.comment(`dump stopped after ${this.maxCycles} cycles`);
      return;
    }
    const { ctl, vcd, sig } = this;
    vcd.set(sig.pc, ctl.pc);
    vcd.set(sig.stall, ctl.fetchStalled ? 1 : 0);
    const states = [ctl.load.state, ctl.computeState(), ctl.store.state];
    for (let u = 0; u < 3; u++) {
      vcd.set(sig.state[u]!, states[u]!);
      vcd.set(sig.insn[u]!, ctl.cur[u]! < 0 ? 0xffffffff : ctl.cur[u]!);
      vcd.set(sig.queue[u]!, ctl.qLen[u]!);
    }
    for (let k = 0; k < CHANNELS.length; k++) vcd.set(sig.tokens[k]!, ctl.tokens[k]!);
    const { w, ws, a, p } = ctl.array;
    for (let i = 0; i < w.length; i++) {
      vcd.set(sig.pe[4 * i]!, w[i]!);
      vcd.set(sig.pe[4 * i + 1]!, ws[i]!);
      vcd.set(sig.pe[4 * i + 2]!, a[i]!);
      vcd.set(sig.pe[4 * i + 3]!, p[i]!);
    }
    vcd.cycle(t);
  }

  finish(t: number): void {
    this.vcd.comment(`done after ${t + 1} cycles`);
  }
}
