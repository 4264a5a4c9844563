// SPDX-License-Identifier: MIT
/**
 * GemmOps → ISA instructions, tiled for the R×C array, with every buffer placed statically.
 * Emits instructions in plain sequential order (no tokens yet); passes/schedule.ts reorders
 * loads and inserts the dependency tokens.
 *
 *   for each tile of output lines (as many as acc/out/act allow):
 *     load every source line the tile's terms read (one load per source channel tile)
 *     for each column tile nt (C channels):
 *       load qnt(nt); load acc ← bias(nt) replicated over the tile's pixels
 *       for each term and source channel tile with non-zero weights:
 *         load wgt ← tile; matmul acc += act(window of the term)·wgt    (address generation, no im2col)
 *       threshold acc → out (a fused max pool: each window's maximum); store out → dram, one store
 *       per output line (one per tile for vectors)
 */
import { createHash } from 'node:crypto';
import { NnchipError } from '../diagnostics/error.js';
import type { ArrayConfig } from '../isa/config.js';
import type { DramTensor, LayerInfo, Region } from '../isa/program.js';
import { LOAD_BUFFERS, NO_TOKENS, type Instruction } from '../isa/spec.js';
import type { GemmOp, GemmProgram, PhysicalTensor, Term } from './gemm-types.js';

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);
const roundUp = (a: number, b: number): number => ceilDiv(a, b) * b;
const ALIGN = 16;

/** Sequential program before scheduling: each instruction tagged with the layer it belongs to. */
export interface LoweredProgram {
  readonly instructions: readonly Instruction[];
  readonly layerOf: readonly number[];
  readonly constants: Uint8Array;
  readonly dramSize: number;
  readonly input: DramTensor;
  readonly output: DramTensor;
  readonly layers: readonly Omit<LayerInfo, 'firstInsn' | 'insnCount'>[];
  readonly memoryMap: readonly Region[];
}

interface Placed {
  readonly t: PhysicalTensor;
  readonly start: number;
  /** bytes between pixels, padded lines, and the address of interior pixel (0, 0) */
  readonly stride: number;
  readonly wp: number;
  readonly origin: number;
}

class Dram {
  size = 0;
  readonly regions: Region[] = [];
  private readonly chunks: { at: number; bytes: Uint8Array }[] = [];
  private readonly dedupe = new Map<string, number>();
  alloc(name: string, bytes: number): number {
    const last = this.regions[this.regions.length - 1];
    const at = roundUp(this.size, ALIGN);
    this.size = at + bytes;
    // consecutive blobs of one layer (its weight tiles) form one region of the memory map
    if (last?.name === name) this.regions[this.regions.length - 1] = { ...last, size: at + bytes - last.start };
    else this.regions.push({ space: 'dram', name, start: at, size: bytes });
    return at;
  }
  put(at: number, bytes: Uint8Array): void {
    this.chunks.push({ at, bytes });
  }
  /** A constant blob stored once however often it is used (weight tying, shared diagonal tiles). */
  constant(name: string, bytes: Uint8Array): number {
    const key = createHash('sha1').update(bytes).digest('hex');
    const seen = this.dedupe.get(key);
    if (seen !== undefined) return seen;
    const at = this.alloc(name, bytes.length);
    this.put(at, bytes);
    this.dedupe.set(key, at);
    return at;
  }
  image(): Uint8Array {
    const end = Math.max(0, ...this.chunks.map((c) => c.at + c.bytes.length));
    const out = new Uint8Array(end);
    for (const c of this.chunks) out.set(c.bytes, c.at);
    return out;
  }
}

function tile(term: Term, srcC: number, n: number, ct: number, nt: number, R: number, C: number): Uint8Array | null {
  const out = new Int8Array(R * C);
  let any = false;
  for (let r = 0; r < R; r++)
    for (let c = 0; c < C; c++) {
      const k = ct * R + r;
      const col = nt * C + c;
      if (k < srcC && col < n) {
        const v = term.matrix[k * n + col]!;
        out[r * C + c] = v;
        any ||= v !== 0;
      }
    }
  return any ? new Uint8Array(out.buffer) : null;
}

function columnParams(op: GemmOp, C: number): { bias: Uint8Array; qnt: Uint8Array } {
  const NT = ceilDiv(op.n, C);
  const bias = new DataView(new ArrayBuffer(NT * 4 * C));
  const qnt = new DataView(new ArrayBuffer(NT * 4 * C));
  for (let n = 0; n < op.n; n++) {
    bias.setInt32(4 * n, op.bias[n]!, true);
    qnt.setUint16(4 * n, op.mult[n]!, true);
    qnt.setUint8(4 * n + 2, op.shift[n]!);
  }
  return { bias: new Uint8Array(bias.buffer), qnt: new Uint8Array(qnt.buffer) };
}

/** Column tile nt's step table as acc entries: step i is entry 2i (thresholds) and 2i + 1 (codes), C int32 lanes each. */
function tableTiles(op: GemmOp, C: number): Uint8Array | null {
  const t = op.table;
  if (t === undefined) return null;
  const NT = ceilDiv(op.n, C);
  const view = new DataView(new ArrayBuffer(NT * 2 * t.steps * 4 * C));
  for (let n = 0; n < op.n; n++) {
    const [nt, c] = [Math.floor(n / C), n % C];
    for (let i = 0; i < t.steps; i++) {
      const entry = (nt * t.steps + i) * 2;
      view.setInt32((entry * C + c) * 4, t.thresholds[n * t.steps + i]!, true);
      view.setInt32(((entry + 1) * C + c) * 4, t.codes[n * t.steps + i]!, true);
    }
  }
  return new Uint8Array(view.buffer);
}

function placeTensors(gp: GemmProgram, dram: Dram, cfg: ArrayConfig): Map<string, Placed> {
  const slack = new Map<string, number>();
  for (const op of gp.ops) slack.set(op.out, Math.max(slack.get(op.out) ?? 0, op.channelOffset + roundUp(op.n, cfg.cols)));
  const placed = new Map<string, Placed>();
  for (const t of gp.tensors.values()) {
    const stride = Math.max(roundUp(t.c, cfg.rows), roundUp(t.c, cfg.cols), slack.get(t.name) ?? 0);
    const [pt, pl, pb, pr] = t.pads;
    const wp = t.w + pl + pr;
    const start = dram.alloc(`act:${t.name}`, (t.h + pt + pb) * wp * stride);
    if (t.fill !== null && t.pads.some((p) => p > 0)) {
      const bytes = new Uint8Array((t.h + pt + pb) * wp * stride).fill(t.fill & 0xff);
      for (let y = 0; y < t.h; y++) bytes.fill(0, ((y + pt) * wp + pl) * stride, ((y + pt) * wp + pl + t.w) * stride);
      dram.put(start, bytes);
    }
    placed.set(t.name, { t, start, stride, wp, origin: start + (pt * wp + pl) * stride });
  }
  return placed;
}

interface SourceWindow {
  readonly p: Placed;
  readonly sy: number;
  readonly minDy: number;
  readonly maxDy: number;
  readonly ct: number;
}

function sourcesOf(op: GemmOp, placed: ReadonlyMap<string, Placed>, R: number): Map<string, SourceWindow> {
  const out = new Map<string, SourceWindow>();
  for (const term of op.terms) {
    const p = placed.get(term.src)!;
    const prev = out.get(term.src);
    out.set(term.src, { p, sy: term.sy, ct: ceilDiv(p.t.c, R), minDy: Math.min(prev?.minDy ?? Infinity, term.dy), maxDy: Math.max(prev?.maxDy ?? -Infinity, term.dy) });
  }
  return out;
}

/** Output lines per tile: as many as the acc, out and act buffers hold. */
function linesPerTile(op: GemmOp, sources: ReadonlyMap<string, SourceWindow>, cfg: ArrayConfig): number {
  const actFor = (lines: number): number => [...sources.values()].reduce((a, s) => a + s.ct * ((lines - 1) * s.sy + s.maxDy - s.minDy + 1) * s.p.wp, 0);
  // a step table takes 2·steps acc entries after the two slots
  const accFree = cfg.accDepth - 2 * (op.table?.steps ?? 0);
  // a fused max pool's windows stay whole inside a tile: lines come in multiples of its height
  const kh = op.pool?.[0] ?? 1;
  let lines = Math.min(op.oh, Math.floor(accFree / 2 / op.ow), Math.floor(cfg.outDepth / 2 / op.ow));
  lines -= lines % kh;
  while (lines > 0 && actFor(lines) > cfg.actDepth) lines -= kh;
  if (lines < 1) {
    const need = Math.max(2 * op.ow, 0);
    const what = 2 * op.ow > Math.min(accFree, cfg.outDepth) && accFree < cfg.accDepth ? `accDepth = ${cfg.accDepth} must hold the ${2 * op.table!.steps}-entry step table and 2 × ${op.ow} pixels (one output line, double-buffered)` : 2 * op.ow > Math.min(cfg.accDepth, cfg.outDepth) ? `accDepth/outDepth must hold 2 × ${op.ow} pixels (one output line, double-buffered)` : `actDepth = ${cfg.actDepth} entries cannot hold the ${actFor(1)} input entries one output line reads`;
    throw new NnchipError('NN403', need > 0 ? what : 'empty layer', { layer: op.layer });
  }
  return lines;
}

export function lowerToIsa(gp: GemmProgram, cfg: ArrayConfig): LoweredProgram {
  const { rows: R, cols: C } = cfg;
  if (cfg.wgtDepth < R) throw new NnchipError('NN403', `wgtDepth = ${cfg.wgtDepth} entries cannot hold one ${R}-row weight tile`);
  const dram = new Dram();
  const insns: Instruction[] = [];
  const layerOf: number[] = [];
  const layerNames: string[] = [];
  const layerStats = new Map<string, { op: string; macs: number; weightBytes: number; shape: string }>();
  // constants first, so they open the DRAM image
  const constants = gp.ops.map((op) => {
    const srcC = (t: Term): number => gp.tensors.get(t.src)!.c;
    const NT = ceilDiv(op.n, C);
    const tiles = op.channelSum ? [] : op.terms.map((t) => Array.from({ length: NT }, (_, nt) => Array.from({ length: ceilDiv(srcC(t), R) }, (_, ct) => tile(t, srcC(t), op.n, ct, nt, R, C))));
    const cols = columnParams(op, C);
    const table = tableTiles(op, C);
    return {
      tiles: tiles.map((byNt) => byNt.map((byCt) => byCt.map((b) => (b === null ? null : dram.constant(`wgt:${op.layer}`, b))))),
      bias: dram.constant(`bias:${op.layer}`, cols.bias),
      qnt: table === null ? dram.constant(`qnt:${op.layer}`, cols.qnt) : -1,
      table: table === null ? -1 : dram.constant(`table:${op.layer}`, table),
      ones: op.channelSum ? dram.constant(`ones:${op.layer}`, onesEntries(gp.tensors.get(op.terms[0]!.src)!.w, R)) : -1,
      biasTerm: op.biasAsTerm ? biasTiles(op, R, C, dram) : null,
    };
  });
  const placed = placeTensors(gp, dram, cfg);
  const wgtSlots = cfg.wgtDepth >= 2 * R ? 2 : 1;
  const qntSlots = Math.min(2, cfg.qntDepth);
  let wgtTile = 0;
  const slotTile: number[] = [];
  /** The wgt entry of the slot holding the constant tile at DRAM `at`: a tile a slot already holds (the same
   * diagonal tile of every term of a pooling, add or copy) is not loaded again, as constants never change. */
  const wgtSlotOf = (at: number, emit: (insn: Instruction) => void): number => {
    let held = slotTile.indexOf(at);
    if (held < 0) {
      held = wgtTile++ % wgtSlots;
      slotTile[held] = at;
      emit({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.wgt, sram: held * R, rows: R, dram: at, stride: C });
    }
    return held * R;
  };
  let colTile = 0;
  let maxAct = 0;
  let maxRows = 0;
  let tableSpan: [number, number] = [Infinity, 0];
  gp.ops.forEach((op, oi) => {
    if (!layerNames.includes(op.layer)) layerNames.push(op.layer);
    const li = layerNames.indexOf(op.layer);
    const emit = (insn: Instruction): void => void (insns.push(insn), layerOf.push(li));
    if (op.channelSum) {
      // a channel sum over the pixels: each line's pixels, R at a time, are the weight tile (C
      // channels per entry, as stored) and one act entry of ones (the first w mod R of them for a
      // line's last group) sums them down the rows into one acc row per column tile
      const x = placed.get(op.terms[0]!.src)!;
      const out = placed.get(op.out)!;
      const k = constants[oi]!;
      emit({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.act, sram: 0, rows: 2, dram: k.ones, stride: R });
      [maxAct, maxRows] = [Math.max(maxAct, 2), Math.max(maxRows, 1)];
      for (let nt = 0; nt < ceilDiv(op.n, C); nt++) {
        const tileIndex = colTile++;
        const [slot, qSlot] = [tileIndex % 2, tileIndex % qntSlots];
        emit({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.qnt, sram: qSlot, rows: 1, dram: k.qnt + nt * 4 * C, stride: 0 });
        emit({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.acc, sram: slot, rows: 1, dram: k.bias + nt * 4 * C, stride: 0 });
        for (let y = 0; y < x.t.h; y++) {
          for (let x0 = 0; x0 < x.t.w; x0 += R) {
            const held = wgtTile++ % wgtSlots;
            slotTile[held] = -1; // activations, not a constant
            const n = Math.min(R, x.t.w - x0);
            emit({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.wgt, sram: held * R, rows: n, dram: x.origin + (y * x.wp + x0) * x.stride + nt * C, stride: x.stride });
            emit({ op: 'matmul', ...NO_TOKENS, wgt: held * R, act: n === R ? 0 : 1, actStride: 0, acc: slot, rows: 1, accumulate: 1, inner: 1, actOuter: 0 });
          }
        }
        emit({ op: 'threshold', ...NO_TOKENS, acc: slot, out: slot, qnt: qSlot, rows: 1, zp: op.zp, lo: op.lo, hi: op.hi, table: 0, steps: 0, poolH: 0, poolW: 0 });
        emit({ op: 'store', ...NO_TOKENS, sram: slot, rows: 1, dram: out.origin + op.channelOffset + nt * C, stride: 0 });
      }
      layerStats.set(op.layer, { op: op.label, macs: op.macs, weightBytes: 0, shape: `${shapeText(x.t)}→${shapeText(out.t)}` });
      return;
    }
    const sources = sourcesOf(op, placed, R);
    const lines = linesPerTile(op, sources, cfg);
    const out = placed.get(op.out)!;
    const [atY, atX] = op.at ?? [0, 0];
    const [stepY, stepX] = op.step ?? [1, 1];
    const k = constants[oi]!;
    for (let oy0 = 0; oy0 < op.oh; oy0 += lines) {
      const oy1 = Math.min(op.oh, oy0 + lines);
      const rows = (oy1 - oy0) * op.ow;
      maxRows = Math.max(maxRows, rows);
      // input windows: full padded lines of every source, channel tile by channel tile
      const actBase = new Map<string, { base: number; lineLo: number; nLines: number; sampleMajor: boolean }>();
      let actAt = 0;
      for (const [name, s] of sources) {
        const lineLo = oy0 * s.sy + s.minDy;
        const nLines = (oy1 - 1) * s.sy + s.maxDy - lineLo + 1;
        // a batch of vectors (one-pixel lines): each sample's channel tiles side by side, as a GEMM
        // lays out its rows, so the matmul of channel tile ct reads samples ct, ct + CT, ct + 2·CT, …
        const sampleMajor = nLines > 1 && s.p.wp === 1 && op.ow === 1;
        actBase.set(name, { base: actAt, lineLo, nLines, sampleMajor });
        const lineStart = s.p.origin + (lineLo * s.p.wp - s.p.t.pads[1]) * s.p.stride;
        if (sampleMajor) {
          if (s.p.stride === s.ct * R) emit({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.act, sram: actAt, rows: nLines * s.ct, dram: lineStart, stride: R });
          else for (let l = 0; l < nLines; l++) emit({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.act, sram: actAt + l * s.ct, rows: s.ct, dram: lineStart + l * s.p.stride, stride: R });
        } else if (nLines * s.p.wp === 1) {
          // one pixel (a vector): its channel tiles are consecutive in DRAM, so one load takes them all
          emit({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.act, sram: actAt, rows: s.ct, dram: lineStart, stride: R });
        } else {
          for (let ct = 0; ct < s.ct; ct++) {
            emit({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.act, sram: actAt + ct * nLines * s.p.wp, rows: nLines * s.p.wp, dram: lineStart + ct * R, stride: s.p.stride });
          }
        }
        actAt += s.ct * nLines * s.p.wp;
      }
      // a bias as a term: its act entry (127 … 127, 1) after the windows, when act has room and
      // replicating the bias would cost the load unit more than one more matmul costs the array
      const replicated = rows * Math.ceil((4 * C) / cfg.dramBytesPerCycle) + cfg.dramLatency;
      const biasAct = k.biasTerm !== null && actAt < cfg.actDepth && replicated > 2 * R + C + rows ? actAt : -1;
      if (biasAct >= 0) emit({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.act, sram: actAt++, rows: 1, dram: k.biasTerm!.act, stride: 0 });
      maxAct = Math.max(maxAct, actAt);
      for (let nt = 0; nt < ceilDiv(op.n, C); nt++) {
        const tileIndex = colTile++;
        const slot = (tileIndex % 2) * lines * op.ow;
        const qSlot = tileIndex % qntSlots;
        const steps = op.table?.steps ?? 0;
        // the table follows the two accumulator slots (linesPerTile left 2·steps entries for it)
        const tableAt = 2 * lines * op.ow;
        if (steps > 0) tableSpan = [Math.min(tableSpan[0], tableAt), Math.max(tableSpan[1], tableAt + 2 * steps)];
        if (steps > 0) emit({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.acc, sram: tableAt, rows: 2 * steps, dram: k.table + nt * 2 * steps * 4 * C, stride: 4 * C });
        else emit({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.qnt, sram: qSlot, rows: 1, dram: k.qnt + nt * 4 * C, stride: 0 });
        // the bias: acc rows replicated from DRAM, or (an add) a first, overwriting matmul of a constant act entry
        if (biasAct >= 0) emit({ op: 'matmul', ...NO_TOKENS, wgt: wgtSlotOf(k.biasTerm!.tiles[nt]!, emit), act: biasAct, actStride: 0, acc: slot, rows, accumulate: 0, inner: rows, actOuter: 0 });
        else emit({ op: 'load', ...NO_TOKENS, buf: LOAD_BUFFERS.acc, sram: slot, rows, dram: k.bias + nt * 4 * C, stride: 0 });
        op.terms.forEach((term, ti) => {
          const s = sources.get(term.src)!;
          const a = actBase.get(term.src)!;
          k.tiles[ti]![nt]!.forEach((at, ct) => {
            if (at === null) return;
            const wAddr = wgtSlotOf(at, emit);
            if (a.sampleMajor) {
              const act = a.base + (oy0 * term.sy + term.dy - a.lineLo) * s.ct + ct;
              emit({ op: 'matmul', ...NO_TOKENS, wgt: wAddr, act, actStride: term.sy * s.ct, acc: slot, rows, accumulate: 1, inner: rows, actOuter: 0 });
              return;
            }
            const act = a.base + ct * a.nLines * s.p.wp + (oy0 * term.sy + term.dy - a.lineLo) * s.p.wp + term.dx + s.p.t.pads[1];
            emit({ op: 'matmul', ...NO_TOKENS, wgt: wAddr, act, actStride: term.sx, acc: slot, rows, accumulate: 1, inner: op.ow, actOuter: term.sy * s.p.wp });
          });
        });
        // a fused max pool: the threshold takes each window's maximum and writes the pooled lines
        const [kh, kw] = op.pool ?? [1, 1];
        const [py0, py1, pw] = [oy0 / kh, oy1 / kh, op.ow / kw];
        const pooling = kh * kw > 1 ? { table: op.ow, poolH: kh - 1, poolW: kw - 1 } : { table: steps > 0 ? tableAt : 0, poolH: 0, poolW: 0 };
        emit({ op: 'threshold', ...NO_TOKENS, acc: slot, out: slot, qnt: qSlot, rows: (py1 - py0) * pw, zp: op.zp, lo: op.lo, hi: op.hi, steps, ...pooling });
        if (pw === 1 && out.wp === 1) {
          // one-pixel lines (a batch of vectors) lie `stride` apart: the tile's lines are one store
          emit({ op: 'store', ...NO_TOKENS, sram: slot, rows: py1 - py0, dram: out.origin + (py0 * stepY + atY) * out.stride + op.channelOffset + nt * C, stride: out.stride * stepY });
        } else {
          for (let oy = py0; oy < py1; oy++) {
            emit({ op: 'store', ...NO_TOKENS, sram: slot + (oy - py0) * pw, rows: pw, dram: out.origin + ((oy * stepY + atY) * out.wp + atX) * out.stride + op.channelOffset + nt * C, stride: out.stride * stepX });
          }
        }
      }
    }
    const st = layerStats.get(op.layer);
    layerStats.set(op.layer, { op: st?.op ?? op.label, macs: (st?.macs ?? 0) + op.macs, weightBytes: (st?.weightBytes ?? 0) + op.weights, shape: st?.shape ?? `${shapeText(gp.tensors.get(op.terms[0]!.src)!, gp.batch)}→${shapeText(gp.tensors.get(op.out)!, gp.batch)}` });
  });
  const layers = layerNames.map((name) => ({ name, ...layerStats.get(name)! }));
  const memoryMap: Region[] = [
    ...dram.regions,
    { space: 'act', name: 'input windows', start: 0, size: maxAct },
    { space: 'wgt', name: `weight tiles (${wgtSlots} slot${wgtSlots > 1 ? 's' : ''})`, start: 0, size: wgtSlots * R },
    { space: 'acc', name: 'accumulators (2 slots)', start: 0, size: 2 * maxRows },
    ...(tableSpan[1] > 0 ? [{ space: 'acc' as const, name: 'activation step tables (after the slots)', start: tableSpan[0], size: tableSpan[1] - tableSpan[0] }] : []),
    { space: 'qnt', name: `requant params (${qntSlots} slots)`, start: 0, size: qntSlots },
    { space: 'out', name: 'threshold output (2 slots)', start: 0, size: 2 * maxRows },
  ];
  return { instructions: insns, layerOf, constants: dram.image(), dramSize: dram.size, input: dramTensor(placed.get(gp.input.name)!), output: dramTensor(placed.get(gp.output.name)!), layers, memoryMap };
}

/**
 * A bias as one more matmul: b = 127·q + r (|r| ≤ 63) is Σ_k act[k]·w[k] with act = (127, …, 127, 1),
 * q spread over the first R − 1 weights (each within ±127) and r the last — exact. Per column tile
 * nt its R×C weight tile, and the act entry; null when some bias needs more than R − 1 weights.
 */
function biasTiles(op: GemmOp, R: number, C: number, dram: Dram): { act: number; tiles: number[] } | null {
  const NT = ceilDiv(op.n, C);
  const tiles = Array.from({ length: NT }, () => new Int8Array(R * C));
  for (let n = 0; n < op.n; n++) {
    const b = op.bias[n]!;
    let q = Math.round(b / 127);
    const [tile, c] = [tiles[Math.floor(n / C)]!, n % C];
    tile[(R - 1) * C + c] = b - 127 * q;
    for (let r = 0; r < R - 1 && q !== 0; r++) {
      const w = Math.max(-127, Math.min(127, q));
      tile[r * C + c] = w;
      q -= w;
    }
    if (q !== 0) return null;
  }
  const act = new Int8Array(R).fill(127);
  act[R - 1] = 1;
  return { act: dram.constant(`bias:${op.layer}`, new Uint8Array(act.buffer)), tiles: tiles.map((t) => dram.constant(`bias:${op.layer}`, new Uint8Array(t.buffer))) };
}

/** Two act entries of R lanes: all ones, and ones in the first (w mod R) lanes (a line's last pixels). */
function onesEntries(w: number, R: number): Uint8Array {
  const bytes = new Uint8Array(2 * R).fill(1, 0, R);
  bytes.fill(1, R, R + (w % R));
  return bytes;
}

/** A layer's per-sample shape (a batch's lines are its samples). */
function shapeText(t: PhysicalTensor, batch = 1): string {
  return (t.h === 1 || batch > 1) && t.w === 1 ? `${t.c}` : `${t.h}x${t.w}x${t.c}`;
}

function dramTensor(p: Placed): DramTensor {
  const t = p.t;
  const shape = t.h === 1 && t.w === 1 ? [t.c] : [t.h, t.w, t.c];
  return { name: t.name, shape, dram: p.origin, rows: t.h * t.w, rowBytes: t.c, rowStride: p.stride, width: t.w, lineStride: p.wp * p.stride, scale: t.params.scale, zp: t.params.zp };
}
