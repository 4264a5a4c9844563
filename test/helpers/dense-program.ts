// SPDX-License-Identifier: MIT
/**
 * A hand-built Program for one int8 dense layer applied to M rows at once (y = x·W + b over an
 * M×K input), laid out as passes/lower.ts lays out a layer compiled with --batch M, but with the
 * int8 weights, multipliers and shifts drawn directly from a seeded generator rather than
 * quantized from a float model: the tests of the multi-row kernels use it to pick K, N and the
 * shift exactly, and bench/sim.mjs for its GEMM shapes.
 */
import type { ArrayConfig } from '../../src/isa/config.js';
import type { Program, Region } from '../../src/isa/program.js';
import { LOAD_BUFFERS, NO_TOKENS, type Instruction } from '../../src/isa/spec.js';
import { mulberry32 as rng } from '../../src/util/prng.js';

export interface DenseSpec {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly config: ArrayConfig;
  readonly seed: number;
  /** Requantization shift for every column (mult is random in [2^14, 2^15)). */
  readonly shift?: number;
}


const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
const alignUp = (a: number, b: number): number => ceilDiv(a, b) * b;

/** Constants: weight tiles [nt][kt] of R rows × C lanes, then per column tile C int32 biases and C qnt lanes. */
function constantsOf(s: DenseSpec, next: () => number): { bytes: Uint8Array; biasAt: number; qntAt: number } {
  const { rows: R, cols: C } = s.config;
  const KT = ceilDiv(s.k, R);
  const NT = ceilDiv(s.n, C);
  const wBytes = NT * KT * R * C;
  const biasAt = alignUp(wBytes, 16);
  const qntAt = biasAt + NT * 4 * C;
  const view = new DataView(new ArrayBuffer(qntAt + NT * 4 * C));
  for (let nt = 0; nt < NT; nt++)
    for (let kt = 0; kt < KT; kt++)
      for (let r = 0; r < R; r++)
        for (let c = 0; c < C; c++) {
          const inside = kt * R + r < s.k && nt * C + c < s.n;
          view.setInt8(((nt * KT + kt) * R + r) * C + c, inside ? Math.floor(next() * 256) - 128 : 0);
        }
  for (let col = 0; col < s.n; col++) {
    view.setInt32(biasAt + 4 * col, Math.floor(next() * 2 ** 16) - 2 ** 15, true);
    view.setUint16(qntAt + 4 * col, 2 ** 14 + Math.floor(next() * 2 ** 14), true);
    view.setUint8(qntAt + 4 * col + 2, s.shift ?? 24);
  }
  return { bytes: new Uint8Array(view.buffer), biasAt, qntAt };
}

export function denseProgram(s: DenseSpec): Program {
  const cfg = s.config;
  const { rows: R, cols: C } = cfg;
  const KT = ceilDiv(s.k, R);
  const NT = ceilDiv(s.n, C);
  const mt = Math.min(s.m, Math.floor(cfg.actDepth / KT), Math.floor(cfg.accDepth / 2), Math.floor(cfg.outDepth / 2));
  if (mt < 1 || cfg.wgtDepth < 2 * R || cfg.qntDepth < 1) throw new Error(`a ${s.k}→${s.n} layer does not fit the buffers of this config`);
  const { bytes: constants, biasAt, qntAt } = constantsOf(s, rng(s.seed));
  const inStride = alignUp(KT * R, 16);
  const outStride = alignUp(s.n, C);
  const inAt = alignUp(constants.length, 16);
  const outAt = alignUp(inAt + s.m * inStride, 16);
  const dramSize = outAt + s.m * outStride;
  const insns: Instruction[] = [];
  let tile = 0;
  for (let m0 = 0; m0 < s.m; m0 += mt) {
    const rows = Math.min(mt, s.m - m0);
    for (let m = 0; m < rows; m++) insns.push({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.act, sram: m * KT, rows: KT, dram: inAt + (m0 + m) * inStride, stride: R });
    for (let nt = 0; nt < NT; nt++) {
      const accAt = (nt % 2) * mt;
      insns.push({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.qnt, sram: 0, rows: 1, dram: qntAt + nt * 4 * C, stride: 0 });
      insns.push({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.acc, sram: accAt, rows, dram: biasAt + nt * 4 * C, stride: 0 });
      for (let kt = 0; kt < KT; kt++) {
        const wAt = (tile++ % 2) * R;
        insns.push({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.wgt, sram: wAt, rows: R, dram: (nt * KT + kt) * R * C, stride: C });
        insns.push({ op: 'matmul', ...NO_TOKENS, wgt: wAt, act: kt, actStride: KT, acc: accAt, rows, accumulate: 1, inner: rows, actOuter: 0, bias: 0, shift: 0, chain: 0 });
      }
      insns.push({ op: 'threshold', ...NO_TOKENS, acc: accAt, out: accAt, qnt: 0, rows, zp: 0, lo: -128, hi: 127, table: 0, steps: 0, poolH: 0, poolW: 0 });
      insns.push({ op: 'store', ...NO_TOKENS, sram: accAt, rows, dram: outAt + m0 * outStride + nt * C, stride: outStride });
    }
  }
  insns.push({ op: 'halt', ...NO_TOKENS });
  const memoryMap: Region[] = [
    { space: 'dram', name: 'constants', start: 0, size: constants.length },
    { space: 'dram', name: 'input', start: inAt, size: s.m * inStride },
    { space: 'dram', name: 'output', start: outAt, size: s.m * outStride },
    { space: 'act', name: 'input rows', start: 0, size: mt * KT },
    { space: 'wgt', name: 'weight tiles (2 slots)', start: 0, size: 2 * R },
    { space: 'acc', name: 'accumulators (2 slots)', start: 0, size: 2 * mt },
    { space: 'qnt', name: 'requant params', start: 0, size: 1 },
    { space: 'out', name: 'threshold output (2 slots)', start: 0, size: 2 * mt },
  ];
  return {
    config: cfg,
    instructions: insns,
    dramSize,
    constants,
    input: { name: 'x', shape: [s.m, s.k], dram: inAt, rows: s.m, rowBytes: s.k, rowStride: inStride, scale: 1 / 64, zp: 0 },
    outputs: [{ name: 'y', shape: [s.m, s.n], dram: outAt, rows: s.m, rowBytes: s.n, rowStride: outStride, scale: 1 / 16, zp: 0 }],
    layers: [{ name: 'dense', op: 'dense', shape: `${s.k}→${s.n}`, firstInsn: 0, insnCount: insns.length - 1, macs: s.m * s.k * s.n, weightBytes: s.k * s.n }],
    insnLayer: insns.map(() => 0),
    memoryMap,
    notes: [`hand-built ${s.m}×${s.k}×${s.n} dense layer`],
  };
}
