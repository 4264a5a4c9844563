// SPDX-License-Identifier: MIT
/**
 * prove(): the constant-cost check. Simulates diverse inputs (all-zero, all-max, all-min, seeded
 * random, given samples) and requires identical cycles, counters and address-trace hashes, outputs
 * equal to the reference interpreter, step mode agreeing with fast mode, and every simulated
 * figure equal to the static certificate of cost.ts.
 */
import { internal } from '../src/diagnostics/error.js';
import type { ArrayConfig } from '../src/isa/config.js';
import { certify, type Certificate } from '../src/isa/cost.js';
import { BUFFER_LIST, SPACES, WORK_UNITS, type Space } from '../src/isa/spec.js';
import { interpret } from '../src/isa/interpret.js';
import { tensorSize, type Program } from '../src/isa/program.js';
import { simulate, type SimMode, type SimResult, type SimulateFn } from './simulate.js';
import type { SimStats } from './stats.js';
import { mulberry32 } from '../src/util/prng.js';

export interface ProveOptions {
  /** Mode of the runs over every input (default fast). */
  readonly mode?: SimMode;
  /** Seeded random inputs besides the corner cases (default 4). */
  readonly randomInputs?: number;
  readonly seed?: number;
  /** Also run step mode on the first input and require it to agree: true, false, or 'auto' (default: when small). */
  readonly stepCheck?: boolean | 'auto';
  /** The simulator under test (tests inject broken ones to see the proof fail). */
  readonly simulate?: SimulateFn;
  readonly onProgress?: (done: number, total: number) => void;
}

export type InputKind = 'zero' | 'max' | 'min' | 'random' | 'sample';

export interface InputTrial {
  readonly kind: InputKind;
  readonly index: number;
  readonly mode: SimMode;
  readonly cycles: number;
  readonly traceHash: string;
  readonly matchesReference: boolean;
}

export interface FigureCheck {
  readonly figure: string;
  readonly certified: number;
  readonly simulated: number;
  readonly ok: boolean;
}

export interface ProveReport {
  readonly ok: boolean;
  readonly programHash: string;
  readonly config: ArrayConfig;
  readonly cycles: number;
  readonly latencyUs: number;
  readonly macs: number;
  readonly arrayMacs: number;
  readonly dramBytesRead: number;
  readonly dramBytesWritten: number;
  readonly peakBytes: Record<Space, number>;
  readonly traceHash: string;
  readonly inputsTried: readonly InputTrial[];
  readonly figures: readonly FigureCheck[];
  /** One line per failed check; empty when ok. */
  readonly problems: readonly string[];
  /** Full statistics of the all-zero run (every run had the same). */
  readonly stats: SimStats;
}

/** Step mode on the first input when it costs less than this many PE-cycles (about a second). */
const AUTO_STEP_PE_CYCLES = 2e8;


/** n uniform int8 codes from `rand` (a plain loop: Int8Array.from with a callback cost 60 ms over --prove's 1,000 inputs). */
function randomCodes(n: number, rand: () => number): Int8Array {
  const codes = new Int8Array(n);
  for (let i = 0; i < n; i++) codes[i] = Math.floor(rand() * 256) - 128;
  return codes;
}

/** The inputs tried, corner cases first. */
export function proofInputs(p: Program, samples: readonly Int8Array[], randomInputs: number, seed: number): { kind: InputKind; index: number; codes: Int8Array }[] {
  const n = tensorSize(p.input);
  const rand = mulberry32(seed);
  return [
    { kind: 'zero' as const, index: 0, codes: new Int8Array(n) },
    { kind: 'max' as const, index: 0, codes: new Int8Array(n).fill(127) },
    { kind: 'min' as const, index: 0, codes: new Int8Array(n).fill(-128) },
    ...Array.from({ length: randomInputs }, (_, index) => ({ kind: 'random' as const, index, codes: randomCodes(n, rand) })),
    ...samples.map((codes, index) => ({ kind: 'sample' as const, index, codes })),
  ];
}

/** Every figure the certificate and the simulator both state; each must be equal. */
export function certificateFigures(cert: Certificate, r: SimResult): FigureCheck[] {
  const s = r.stats;
  const rows: [string, number, number][] = [
    ['cycles', cert.cycles, r.cycles],
    ['macs', cert.macs, s.macs],
    ['arrayMacs', cert.arrayMacs, s.arrayMacs],
    ['dramBytesRead', cert.dramBytesRead, s.dramBytesRead],
    ['dramBytesWritten', cert.dramBytesWritten, s.dramBytesWritten],
    ...BUFFER_LIST.map((b): [string, number, number] => [`sramReads.${b}`, cert.sramReads[b], s.sramReads[b]]),
    ...BUFFER_LIST.map((b): [string, number, number] => [`sramWrites.${b}`, cert.sramWrites[b], s.sramWrites[b]]),
    ...WORK_UNITS.map((u): [string, number, number] => [`busyCycles.${u}`, cert.busyCycles[u], s.busyCycles[u]]),
    ...cert.layers.map((l, i): [string, number, number] => [`layers.${l.name}.cycles`, l.cycles, s.layers[i]?.cycles ?? NaN]),
    ...SPACES.map((b): [string, number, number] => [`peakBytes.${b}`, cert.peakBytes[b], s.peakBytes[b]]),
  ];
  return rows.map(([figure, certified, simulated]) => ({ figure, certified, simulated, ok: certified === simulated }));
}

/** Counters that must not depend on the input (everything but the outputs). */
function fingerprint(r: SimResult): string {
  return JSON.stringify({ cycles: r.cycles, trace: r.traceHash, stats: r.stats });
}

export function prove(p: Program, samples: readonly Int8Array[] = [], opts: ProveOptions = {}): ProveReport {
  const sim = opts.simulate ?? simulate;
  const mode = opts.mode ?? 'fast';
  const inputs = proofInputs(p, samples, opts.randomInputs ?? 4, opts.seed ?? 1);
  const problems: string[] = [];
  const trials: InputTrial[] = [];
  let first: SimResult | null = null;
  inputs.forEach((x, k) => {
    const r = sim(p, x.codes, { mode, trace: true });
    const ref = interpret(p, x.codes);
    const matchesReference = r.output.length === ref.length && r.output.every((v, j) => v === ref[j]);
    const name = `${x.kind} input${x.kind === 'random' || x.kind === 'sample' ? ` ${x.index}` : ''}`;
    if (!matchesReference) problems.push(`${name}: the simulated outputs differ from the reference interpreter`);
    if (first === null) first = r;
    else if (r.cycles !== first.cycles) problems.push(`${name}: ${r.cycles} cycles, but ${first.cycles} on the all-zero input`);
    else if (r.traceHash !== first.traceHash) problems.push(`${name}: the memory-address trace differs from the all-zero input's`);
    // fast mode shares one statistics object per program (sim/simulate.ts): nothing to compare then
    else if (r.stats !== first.stats && fingerprint(r) !== fingerprint(first)) problems.push(`${name}: the counters differ from the all-zero input's`);
    trials.push({ kind: x.kind, index: x.index, mode, cycles: r.cycles, traceHash: r.traceHash ?? '', matchesReference });
    opts.onProgress?.(k + 1, inputs.length);
  });
  const base = first as SimResult | null;
  if (base === null) throw internal('prove() tried no inputs');
  const pes = p.config.rows * p.config.cols;
  const step = opts.stepCheck ?? 'auto';
  if (mode === 'fast' && (step === true || (step === 'auto' && base.cycles * pes <= AUTO_STEP_PE_CYCLES))) {
    const r = sim(p, inputs[0]!.codes, { mode: 'step', trace: true });
    const same = r.output.every((v, j) => v === base.output[j]);
    if (!same || fingerprint(r) !== fingerprint(base)) problems.push('step mode disagrees with fast mode on the all-zero input (outputs, cycles, trace or counters)');
    trials.push({ kind: 'zero', index: 0, mode: 'step', cycles: r.cycles, traceHash: r.traceHash ?? '', matchesReference: same });
  }
  const cert = certify(p);
  const figures = certificateFigures(cert, base);
  for (const f of figures) if (!f.ok) problems.push(`${f.figure}: the certificate says ${f.certified}, the simulation ${f.simulated}`);
  const s = base.stats;
  return {
    ok: problems.length === 0,
    programHash: cert.programHash,
    config: p.config,
    cycles: base.cycles,
    latencyUs: s.latencyUs,
    macs: s.macs,
    arrayMacs: s.arrayMacs,
    dramBytesRead: s.dramBytesRead,
    dramBytesWritten: s.dramBytesWritten,
    peakBytes: s.peakBytes,
    traceHash: base.traceHash ?? '',
    inputsTried: trials,
    figures,
    problems,
    stats: s,
  };
}
