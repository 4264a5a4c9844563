/**
 * Seeded random (valid, checkProgram-clean) programs that no compiler would emit: random DRAM
 * constants as weights, biases and {mult, shift} (so extreme shifts 0..255 and int32 accumulators
 * appear), strided and replicating loads, two-level act addresses, stores over constants,
 * reads of never-written buffer entries, and input tensors inside the constants.
 */
import { makeConfig } from '../../../../src/isa/config.js';
import { checkProgram } from '../../../../src/isa/interpret.js';
import { pixelAddress, type DramTensor, type Program } from '../../../../src/isa/program.js';
import { LOAD_BUFFERS, NO_TOKENS, type Instruction, type InstructionOf } from '../../../../src/isa/spec.js';
import { rng } from '../../../helpers/random-graph.js';
import { accessesOf } from '../../../../src/isa/effects.js';
import { encodePoolGeometry, poolWindowError } from '../../../../src/isa/ops/index.js';

const DEPTH = 24;
/** A threshold's acc span does not depend on the array: any machine measures it. */
const CONFIG_FOR_SPAN = makeConfig({ rows: 1, cols: 1 });

/**
 * `tables`: some thresholds run in table mode (steps ≥ 1, tables over whatever acc holds); the RTL has no table mode yet.
 * `taps`: most groups are tap chains (tapChain), which the SIMD build fuses into GEMMs over taps.
 * `bias`: matmuls with the bias bit (withBias): single ones, and chains and tap chains whose first
 * matmul starts its rows from one acc entry (usually a bias row loaded there just before).
 * Without it no random number goes to bias, so every seed gives the program it gave before.
 */
export function randomProgram(seed: number, shape?: { rows: number; cols: number }, opts: { tables?: boolean; taps?: boolean; bias?: boolean } = {}): Program {
  const r = rng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const R = shape?.rows ?? pick([1, 2, 3, 5, 8, 9, 16]);
  const C = shape?.cols ?? pick([1, 2, 3, 4, 7, 8, 9, 12, 16, 17]);
  const config = makeConfig({ rows: R, cols: C, actDepth: DEPTH, wgtDepth: Math.max(DEPTH, 2 * R), accDepth: DEPTH, qntDepth: 4, outDepth: DEPTH });
  // constants: random bytes, then 4 qnt entries with useful {mult, shift}, then small int32 biases
  const randomLen = int(64, 600);
  const qntAt = randomLen;
  const biasAt = qntAt + 16 * C;
  const constLen = biasAt + DEPTH * 4 * C;
  const view = new DataView(new ArrayBuffer(constLen));
  for (let i = 0; i < randomLen; i++) view.setUint8(i, r() < 0.15 ? 0 : int(0, 255));
  for (let l = 0; l < 4 * C; l++) (view.setUint16(qntAt + 4 * l, int(2 ** 13, 2 ** 15), true), view.setUint8(qntAt + 4 * l + 2, int(12, 24)));
  for (let l = 0; l < DEPTH * C; l++) view.setInt32(biasAt + 4 * l, int(-3000, 3000), true);
  const constants = new Uint8Array(view.buffer);
  const dramSize = constLen + int(64, 400);
  const tensor = (name: string, rows: number, rowBytes: number, width: number): DramTensor => {
    const rowStride = rowBytes + int(0, 3);
    const lineStride = width * rowStride + int(0, 5);
    const span = Math.ceil(rows / width) * lineStride;
    const hi = dramSize - span;
    const dram = int(r() < 0.2 ? 0 : Math.min(constLen, hi), hi);
    return { name, shape: [rows * rowBytes], dram, rows, rowBytes, rowStride, width, lineStride, scale: 0.01 + r(), zp: int(-5, 5) };
  };
  const inRows = int(1, 4);
  const outRows = int(1, 3);
  const input = tensor('x', inRows, int(1, 2 * R), int(1, inRows));
  const output = tensor('y', outRows, int(1, 2 * C), int(1, outRows));
  const instructions: Instruction[] = [];
  const base: Program = { config, instructions, dramSize, constants, input, outputs: [output], layers: [], insnLayer: [], memoryMap: [], notes: [] };
  const withHalt = (insns: Instruction[]): Program => ({ ...base, instructions: [...insns, { op: 'halt', ...NO_TOKENS }], insnLayer: [...insns, null].map(() => 0) });
  const prologue: Instruction[] = [
    { op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.qnt, sram: 0, rows: 4, dram: qntAt, stride: 4 * C },
    { op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.acc, sram: 0, rows: DEPTH, dram: biasAt, stride: 4 * C },
    { op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.act, sram: 0, rows: int(1, 8), dram: input.dram, stride: pick([R, input.rowStride]) },
  ];
  for (const insn of prologue) {
    instructions.push(insn);
    if (checkProgram(withHalt(instructions)) !== null) instructions.pop();
  }
  const count = int(6, 40);
  while (instructions.length < count) {
    const raw = opts.taps && r() < 0.6 ? tapChain(int, r, R, C, dramSize) : r() < 0.25 ? chain(int, r, R, C, dramSize) : [randomInstruction(int, pick, r, R, dramSize, opts.tables ?? false)];
    const group = opts.bias ? withBias(raw, int, r, biasAt, C) : raw;
    instructions.push(...group);
    const problem = checkProgram(withHalt(instructions));
    if (problem !== null) instructions.splice(instructions.length - group.length);
  }
  // finally, usually, thresholds and stores that land on the output rows (so outputs are rarely all zeros)
  const o = int(0, DEPTH - outRows);
  const finale: Instruction[] = [{ op: 'threshold', ...NO_TOKENS, acc: int(0, DEPTH - outRows), out: o, qnt: int(0, 3), rows: outRows, zp: int(-3, 3), lo: -128, hi: 127, table: 0, steps: 0, poolH: 0, poolW: 0 }];
  for (let row = 0; row < outRows; row++) finale.push({ op: 'store', ...NO_TOKENS, sram: o + row, rows: 1, dram: pixelAddress(output, row), stride: 0 });
  if (r() < 0.85 && checkProgram(withHalt([...instructions, ...finale])) === null) instructions.push(...finale);
  instructions.push({ op: 'halt', ...NO_TOKENS });
  return { ...base, insnLayer: instructions.map(() => 0) };
}

/**
 * Usually (when the group has a matmul) its first matmul gets the bias bit (accumulate 0): its rows
 * start from entry acc as found, into which a bias row of the constants is usually loaded just
 * before (as the compiler does), sometimes not (whatever acc holds). The matmuls after it in a
 * chain or tap chain accumulate onto the same rows, or overwrite them.
 */
function withBias(group: Instruction[], int: (lo: number, hi: number) => number, r: () => number, biasAt: number, C: number): Instruction[] {
  const first = group.findIndex((i) => i.op === 'matmul');
  if (first < 0 || r() < 0.3) return group;
  const m = group[first] as InstructionOf<'matmul'>;
  const out = [...group];
  out[first] = { ...m, accumulate: 0, bias: 1 };
  if (r() < 0.8) out.splice(first, 0, { op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.acc, sram: m.acc, rows: 1, dram: biasAt + 4 * C * int(0, DEPTH - 1), stride: 0 });
  return out;
}

/**
 * Weight tiles loaded from consecutive DRAM and matmuls continuing each other's K: a fusable chain,
 * sometimes with the next load hoisted above a matmul (as the scheduler does), a chain-breaking
 * overwrite (accumulate = 0), or an instruction in between that the fused GEMM must not move across.
 */
function chain(int: (lo: number, hi: number) => number, r: () => number, R: number, C: number, dramSize: number): Instruction[] {
  const n = int(1, 4);
  const w0 = int(0, Math.max(0, dramSize - n * R * C));
  const [act, actStride, acc, rows] = [int(0, 6), int(0, 3), int(0, DEPTH - 6), int(1, 6)];
  const inner = r() < 0.7 ? rows : int(1, rows);
  const actOuter = int(0, 4);
  const out: Instruction[] = [];
  for (let j = 0; j < n; j++) {
    out.push({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.wgt, sram: (j % 2) * R, rows: R, dram: w0 + j * R * C, stride: C });
    const accumulate = (j > 0 && r() < 0.75) || r() < 0.5 ? 1 : 0;
    out.push({ op: 'matmul', ...NO_TOKENS, wgt: (j % 2) * R, act: act + j, actStride, acc, rows, accumulate, inner, actOuter, bias: 0, shift: r() < 0.2 ? int(1, 15) : 0, chain: 0 });
  }
  for (let i = 1; i + 1 < out.length; i += 2) if (r() < 0.3) [out[i], out[i + 1]] = [out[i + 1]!, out[i]!]; // hoist a load
  const disruptions: Instruction[] = [
    { op: 'store', ...NO_TOKENS, sram: int(0, DEPTH - 1), rows: 1, dram: w0 + int(0, n * R * C - 1), stride: 0 },
    { op: 'threshold', ...NO_TOKENS, acc, out: int(0, DEPTH - rows), qnt: int(0, 3), rows, zp: 0, lo: -128, hi: 127, table: 0, steps: 0, poolH: 0, poolW: 0 },
    { op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.act, sram: act + int(0, n), rows: 1, dram: int(0, dramSize - 1), stride: 0 },
    { op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.acc, sram: acc + int(0, rows - 1), rows: 1, dram: int(0, dramSize - 1), stride: 0 },
    { op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.wgt, sram: int(0, 2 * R - 1), rows: 1, dram: int(0, dramSize - 1), stride: 0 },
  ];
  for (let k = int(0, 2); k > 0; k--) out.splice(int(1, out.length), 0, disruptions[int(0, disruptions.length - 1)]!);
  return out;
}

/**
 * Matmuls into the same acc rows with the same row structure but act rows and weights anywhere
 * (a convolution's window taps, a flattened map's K tiles): weights from DRAM or a weight entry
 * loaded earlier and possibly overwritten, the first matmul overwriting or accumulating, and
 * sometimes an instruction in between that the fused GEMM must not move across.
 */
function tapChain(int: (lo: number, hi: number) => number, r: () => number, R: number, C: number, dramSize: number): Instruction[] {
  const n = int(2, 6);
  const [actStride, acc, rows] = [int(0, 3), int(0, DEPTH - 6), r() < 0.3 ? 1 : int(1, 6)];
  const inner = r() < 0.6 ? rows : int(1, rows);
  const actOuter = int(0, 4);
  const out: Instruction[] = [];
  for (let j = 0; j < n; j++) {
    const wgt = int(0, DEPTH - R);
    if (r() < 0.8) out.push({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.wgt, sram: wgt, rows: R, dram: int(0, Math.max(0, dramSize - R * C)), stride: r() < 0.8 ? C : int(0, 2 * C) });
    out.push({ op: 'matmul', ...NO_TOKENS, wgt, act: int(0, 8), actStride, acc, rows, accumulate: j > 0 || r() < 0.5 ? 1 : 0, inner, actOuter, bias: 0, shift: r() < 0.2 ? int(1, 15) : 0, chain: 0 });
  }
  const disruptions: Instruction[] = [
    { op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.act, sram: int(0, 8), rows: int(1, 3), dram: int(0, dramSize - 1), stride: int(0, 8) },
    { op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.acc, sram: acc + int(0, rows - 1), rows: 1, dram: int(0, dramSize - 1), stride: 0 },
    { op: 'threshold', ...NO_TOKENS, acc, out: int(0, DEPTH - rows), qnt: int(0, 3), rows, zp: 0, lo: -128, hi: 127, table: 0, steps: 0, poolH: 0, poolW: 0 },
  ];
  if (r() < 0.3) out.splice(int(1, out.length), 0, disruptions[int(0, disruptions.length - 1)]!);
  return out;
}

function randomInstruction(int: (lo: number, hi: number) => number, pick: <T>(xs: readonly T[]) => T, r: () => number, R: number, dramSize: number, tables: boolean): Instruction {
  const rows = int(1, 6);
  const dram = int(0, dramSize - 1);
  switch (pick(['load', 'load', 'load', 'store', 'matmul', 'matmul', 'matmul', 'threshold', 'sync'] as const)) {
    case 'load':
      return { op: 'load', ...NO_TOKENS, buf: pick(Object.values(LOAD_BUFFERS)), sram: int(0, DEPTH - 1), rows, dram, stride: pick([0, int(1, 40), R]) };
    case 'store':
      return { op: 'store', ...NO_TOKENS, sram: int(0, DEPTH - 1), rows, dram, stride: int(0, 40) };
    case 'matmul': {
      const inner = int(1, rows);
      return { op: 'matmul', ...NO_TOKENS, wgt: int(0, DEPTH - R), act: int(0, 8), actStride: int(0, 3), acc: int(0, DEPTH - rows), rows, accumulate: r() < 0.7 ? 1 : 0, inner, actOuter: int(0, 5), bias: 0, shift: r() < 0.2 ? int(1, 15) : 0, chain: 0 };
    }
    case 'threshold': {
      if (tables && r() < 0.5) {
        const steps = int(1, 5);
        return { op: 'threshold', ...NO_TOKENS, acc: int(0, DEPTH - rows), out: int(0, DEPTH - rows), qnt: 0, rows, zp: 0, lo: 0, hi: 0, table: int(0, DEPTH - 2 * steps), steps, poolH: 0, poolW: 0 };
      }
      const lo = int(-128, 127);
      const common = { op: 'threshold', ...NO_TOKENS, out: int(0, DEPTH - rows), qnt: int(0, 3), rows, zp: int(-128, 127), lo: r() < 0.8 ? Math.min(lo, 0) : lo, hi: r() < 0.8 ? 127 : int(-128, 127), steps: 0 } as const;
      if (r() < 0.6) {
        // max pooling: out row m is the max of a kh × kw window of acc rows in lines of L entries,
        // windows overlapping or not, starting in a top or left padding or not (the geometry in steps)
        const [poolH, poolW] = [int(0, 2), int(0, 2)];
        const steps = poolH + poolW === 0 ? 0 : encodePoolGeometry({ overlapH: int(0, poolH), overlapW: int(0, poolW), padTop: int(0, poolH), padLeft: int(0, poolW) });
        const pooled = { ...common, acc: 0, table: int(1, poolW + 3), poolH, poolW, steps };
        const span = poolH + poolW === 0 ? Infinity : accessesOf(pooled, CONFIG_FOR_SPAN).find((a) => a.space === 'acc')!.end;
        if (poolWindowError(pooled) === null && span <= DEPTH) return { ...pooled, acc: int(0, DEPTH - span) };
      }
      return { ...common, acc: int(0, DEPTH - rows), table: 0, poolH: 0, poolW: 0 };
    }
    case 'sync':
      return { op: 'sync', ...NO_TOKENS };
  }
}
