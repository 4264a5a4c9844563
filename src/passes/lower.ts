// SPDX-License-Identifier: MIT
/**
 * Lowering of quantized dense layers to ISA instructions, tiled for the R×C array, with every
 * buffer placed statically. Emits instructions in plain sequential order (no tokens yet);
 * passes/schedule.ts reorders loads and inserts the dependency tokens.
 *
 *   y[M,N] = x[M,K]·W[K,N] + b   ⇒   for each column tile nt (C wide):
 *       load qnt(nt); load acc ← bias(nt) replicated over M rows
 *       for each row tile kt (R deep): load wgt ← W[kt,nt]; matmul acc += act[·,kt]·wgt
 *       threshold acc → out; store out → dram y[·, nt]
 */
import { NnchipError } from '../diagnostics/error.js';
import type { ArrayConfig } from '../isa/config.js';
import type { DramTensor, LayerInfo, Region } from '../isa/program.js';
import { LOAD_BUFFERS, NO_TOKENS, type Instruction } from '../isa/spec.js';
import type { QuantizedDense, QuantizedModel } from './quantize.js';

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
const roundUp = (a: number, b: number): number => ceilDiv(a, b) * b;
const ALIGN = 16;

/** Sequential program before scheduling: each instruction tagged with the layer it belongs to. */
export interface LoweredProgram {
  readonly config: ArrayConfig;
  readonly instructions: readonly Instruction[];
  readonly layerOf: readonly number[];
  readonly constants: Uint8Array;
  readonly dramSize: number;
  readonly input: DramTensor;
  readonly output: DramTensor;
  readonly layers: readonly Omit<LayerInfo, 'firstInsn' | 'insnCount'>[];
  readonly memoryMap: readonly Region[];
  readonly notes: readonly string[];
}

class DramBuilder {
  private readonly chunks: { at: number; bytes: Uint8Array }[] = [];
  size = 0;
  readonly regions: Region[] = [];
  alloc(name: string, bytes: number): number {
    const at = roundUp(this.size, ALIGN);
    this.size = at + bytes;
    this.regions.push({ space: 'dram', name, start: at, size: bytes });
    return at;
  }
  constant(name: string, bytes: Uint8Array): number {
    const at = this.alloc(name, bytes.length);
    this.chunks.push({ at, bytes });
    return at;
  }
  image(): Uint8Array {
    const out = new Uint8Array(this.size);
    for (const c of this.chunks) out.set(c.bytes, c.at);
    return out;
  }
}

/** Weight tiles [nt][kt], each R entries of C int8 lanes, zero-padded past K and N. */
function packWeights(l: QuantizedDense, R: number, C: number): Uint8Array {
  const KT = ceilDiv(l.inputs, R);
  const NT = ceilDiv(l.units, C);
  const out = new Int8Array(NT * KT * R * C);
  for (let nt = 0; nt < NT; nt++)
    for (let kt = 0; kt < KT; kt++)
      for (let r = 0; r < R; r++)
        for (let c = 0; c < C; c++) {
          const k = kt * R + r;
          const n = nt * C + c;
          if (k < l.inputs && n < l.units) out[((nt * KT + kt) * R + r) * C + c] = l.weights[k * l.units + n]!;
        }
  return new Uint8Array(out.buffer);
}

/** Per column tile: C int32 bias lanes, and C qnt lanes {mult u16, shift u8, 0}. Padding lanes are 0. */
function packColumnParams(l: QuantizedDense, C: number): { bias: Uint8Array; qnt: Uint8Array } {
  const NT = ceilDiv(l.units, C);
  const bias = new DataView(new ArrayBuffer(NT * 4 * C));
  const qnt = new DataView(new ArrayBuffer(NT * 4 * C));
  for (let n = 0; n < l.units; n++) {
    bias.setInt32(4 * n, l.bias[n]!, true);
    qnt.setUint16(4 * n, l.mult[n]!, true);
    qnt.setUint8(4 * n + 2, l.shift[n]!);
  }
  return { bias: new Uint8Array(bias.buffer), qnt: new Uint8Array(qnt.buffer) };
}

function fitRows(cfg: ArrayConfig, M: number, KT: number, layer: string): number {
  const limits: [string, number][] = [
    ['actDepth', Math.floor(cfg.actDepth / KT)],
    ['accDepth', Math.floor(cfg.accDepth / 2)],
    ['outDepth', Math.floor(cfg.outDepth / 2)],
  ];
  for (const [field, rows] of limits) {
    if (rows < 1) throw new NnchipError('NN403', `${field} = ${cfg[field as keyof ArrayConfig]} entries cannot hold the smallest tile of this layer (needs ${field === 'actDepth' ? KT : 2})`, { layer });
  }
  if (cfg.wgtDepth < cfg.rows) throw new NnchipError('NN403', `wgtDepth = ${cfg.wgtDepth} entries cannot hold one ${cfg.rows}-row weight tile`, { layer });
  if (cfg.qntDepth < 1) throw new NnchipError('NN403', 'qntDepth must hold one entry', { layer });
  return Math.min(M, ...limits.map(([, r]) => r));
}

export function lowerToIsa(model: QuantizedModel, cfg: ArrayConfig): LoweredProgram {
  const { rows: R, cols: C } = cfg;
  const M = 1; // one sample per inference; dense layers see one input row
  const dram = new DramBuilder();
  const insns: Instruction[] = [];
  const layerOf: number[] = [];
  const emit = (layer: number, insn: Instruction): void => {
    insns.push(insn);
    layerOf.push(layer);
  };
  // Constants first (the initial DRAM image), then the activation tensors.
  const consts = model.layers.map((l) => {
    const params = packColumnParams(l, C);
    return { wAt: dram.constant(`wgt:${l.name}`, packWeights(l, R, C)), bAt: dram.constant(`bias:${l.name}`, params.bias), qAt: dram.constant(`qnt:${l.name}`, params.qnt) };
  });
  const constants = dram.image();
  // Activation tensors in DRAM: row stride covers both the producer's C-wide stores and the consumer's R-wide loads.
  const widths = [model.layers[0]!.inputs, ...model.layers.map((l) => l.units)];
  const tensors = widths.map((w, i) => {
    const stride = Math.max(roundUp(w, R), roundUp(w, C));
    const name = i === 0 ? 'input' : model.layers[i - 1]!.name;
    return { name, width: w, stride, dram: dram.alloc(`act:${name}`, M * stride) };
  });
  const wgtSlots = cfg.wgtDepth >= 2 * R ? 2 : 1;
  const qntSlots = Math.min(2, cfg.qntDepth);
  const layers = model.layers.map((l, li) => {
    const KT = ceilDiv(l.inputs, R);
    const NT = ceilDiv(l.units, C);
    const Mt = fitRows(cfg, M, KT, l.name);
    const { wAt, bAt, qAt } = consts[li]!;
    const src = tensors[li]!;
    const dst = tensors[li + 1]!;
    let tile = 0;
    for (let m0 = 0; m0 < M; m0 += Mt) {
      const rows = Math.min(Mt, M - m0);
      for (let m = 0; m < rows; m++) {
        emit(li, { op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.act, sram: m * KT, rows: KT, dram: src.dram + (m0 + m) * src.stride, stride: R });
      }
      for (let nt = 0; nt < NT; nt++) {
        const slot = nt % 2;
        const accAt = slot * Mt;
        const qSlot = nt % qntSlots;
        emit(li, { op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.qnt, sram: qSlot, rows: 1, dram: qAt + nt * 4 * C, stride: 0 });
        emit(li, { op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.acc, sram: accAt, rows, dram: bAt + nt * 4 * C, stride: 0 });
        for (let kt = 0; kt < KT; kt++) {
          const wAddr = (tile++ % wgtSlots) * R;
          emit(li, { op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.wgt, sram: wAddr, rows: R, dram: wAt + (nt * KT + kt) * R * C, stride: C });
          emit(li, { op: 'matmul', ...NO_TOKENS, wgt: wAddr, act: kt, actStride: KT, acc: accAt, rows, accumulate: 1, inner: rows, actOuter: 0 });
        }
        emit(li, { op: 'threshold', ...NO_TOKENS, acc: accAt, out: accAt, qnt: qSlot, rows, zp: l.output.zp, lo: l.lo, hi: l.hi });
        emit(li, { op: 'store', ...NO_TOKENS, sram: accAt, rows, dram: dst.dram + m0 * dst.stride + nt * C, stride: dst.stride });
      }
    }
    return { name: l.name, op: `dense+${l.activation}`, shape: `${l.inputs}→${l.units}`, macs: M * l.inputs * l.units, weightBytes: l.inputs * l.units };
  });
  const first = model.layers[0]!;
  const last = model.layers[model.layers.length - 1]!;
  const inT = tensors[0]!;
  const outT = tensors[tensors.length - 1]!;
  const KT0 = ceilDiv(first.inputs, R);
  const Mt = Math.min(M, Math.floor(cfg.accDepth / 2), Math.floor(cfg.outDepth / 2));
  const memoryMap: Region[] = [
    ...dram.regions,
    { space: 'act', name: 'layer input rows', start: 0, size: Math.max(...model.layers.map((l) => Math.min(M, Mt) * ceilDiv(l.inputs, R)), KT0) },
    { space: 'wgt', name: `weight tiles (${wgtSlots} slot${wgtSlots > 1 ? 's' : ''})`, start: 0, size: wgtSlots * R },
    { space: 'acc', name: 'accumulators (2 slots)', start: 0, size: 2 * Mt },
    { space: 'qnt', name: `requant params (${qntSlots} slots)`, start: 0, size: qntSlots },
    { space: 'out', name: 'threshold output (2 slots)', start: 0, size: 2 * Mt },
  ];
  return {
    config: cfg,
    instructions: insns,
    layerOf,
    constants,
    dramSize: dram.size,
    input: { name: inT.name, shape: model.inputShape, dram: inT.dram, rows: M, rowBytes: first.inputs, rowStride: inT.stride, scale: first.input.scale, zp: first.input.zp },
    output: { name: outT.name, shape: model.outputShape, dram: outT.dram, rows: M, rowBytes: last.units, rowStride: outT.stride, scale: last.output.scale, zp: last.output.zp },
    layers,
    memoryMap,
    notes: model.notes,
  };
}
