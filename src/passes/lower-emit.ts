// SPDX-License-Identifier: MIT
/**
 * Emission of one GemmOp as ISA instructions, tile of output lines by tile, in plain sequential
 * order (passes/schedule.ts reorders loads and inserts tokens):
 *
 *   for each tile of output lines (at most what acc/out/act hold; lower-tile-choice.ts picks how many;
 *   a fused max pool's tiles hold whole pooled lines' windows, lower-tiling.ts lineTiles):
 *     load every source line the tile's terms read (one load per source channel tile)
 *     for each column tile nt (C channels):
 *       load qnt(nt); load acc[first] ← bias(nt)    (one entry: the first matmul starts every row from it)
 *       for each term and source channel tile with non-zero weights:
 *         load wgt ← tile; matmul acc += act(window of the term)·wgt    (address generation, no im2col;
 *         the first one: acc = bias + act·wgt, matmul `bias`)
 *       threshold acc → out (a fused max pool: each window's maximum); store out → dram, one store
 *       per output line (one per tile for vectors)
 * A channel sum (global average pooling) is its own loop: emitChannelSum.
 * Instructions are literals with their token flags spelled out, not spread from NO_TOKENS: V8
 * keeps the fields after a spread in a separate property array (one more allocation per
 * instruction, and slower reads in every pass after: 2×2 arrays make half a million).
 */
import { NnchipError } from '../diagnostics/error.js';
import type { ArrayConfig } from '../isa/config.js';
import { dmaCycles } from '../isa/ops/dma.js';
import { encodePoolGeometry } from '../isa/ops/threshold.js';
import { matmulIssueInterval } from '../isa/ops/matmul.js';
import { LOAD_BUFFERS, type Instruction } from '../isa/spec.js';
import type { FusedPool, GemmOp } from './gemm-types.js';
import { channelSumRuns, type OpConstants } from './lower-constants.js';
import { ceilDiv, type Placed } from './lower-dram.js';
import { holdInSlot, loadInsn, oddAccSlot, spanAcc, useWeightRing, weightGroup, weightRing, wgtSlotOf, type Emit, type EmitState } from './lower-emit-slots.js';
import { HeldThreshold } from './lower-threshold-pieces.js';
import { accSlotsOf, besideAfter, chooseLines, matmulsPerColumnTile } from './lower-tile-choice.js';
import { chunkWidth, lineEntries, lineTiles, linesPerTile, phaseOf, pooledWidth, windowLines, type SourceWindow } from './lower-tiling.js';

/**
 * Whether a global average pool runs as a channel sum on this machine: its pixel loads (one per R
 * pixels of a line, each paying the DRAM latency) against one back-to-back matmul per pixel with the
 * diagonal tile held (issue interval max(R, 2)) — or always, when a whole map does not fit the act buffer.
 */
function channelSumPays(op: GemmOp, tiled: ReadonlyMap<string, SourceWindow<Placed>>, cfg: ArrayConfig): boolean {
  const { t } = tiled.get(op.terms[0]!.src)!.p;
  const { rows: R, cols: C } = cfg;
  const { runs, pixels } = channelSumRuns(t);
  const samples = t.samples === undefined ? 1 : op.oh;
  const sum = samples * runs * ceilDiv(pixels, R) * Math.max(R, cfg.dramLatency + R * ceilDiv(C, cfg.dramBytesPerCycle));
  const perPixel = t.h * t.w * matmulIssueInterval(1, cfg);
  if (sum < perPixel) return true;
  try {
    linesPerTile(op, tiled, cfg);
    return false;
  } catch (e) {
    if (e instanceof NnchipError && e.code === 'NN403') return true;
    throw e;
  }
}

/**
 * Whether column tile B's run follows tile A's before A's threshold (M_A M_B T_A T_B, one shared
 * array drain) rather than after it (M_A T_A M_B T_B). A threshold waits for every matmul in flight;
 * from A's last matmul issue s, with D = 2R + C + rows its drain, I the issue interval, θ a
 * threshold and ℓ the loads of B's first matmul (its qnt, bias and first weights, behind A's on the
 * load unit): apart, T_A starts at s + D and B's first matmul at max(s + D + θ, s + ℓ); paired, B's
 * first matmul issues at max(s + I, s + ℓ) and T_A T_B follow B's drain. The rest is the same, so
 * pairing saves max(D + θ, ℓ) − θ − max(I, ℓ): D − I with B's constants in time, D − ℓ while they
 * arrive within the drain, and loses θ when they arrive later (the DRAM latency of a one-row tile's
 * constants on a default machine). It pairs only where the drain also outlasts B's run (`matmuls`
 * at I apart), as A's threshold and stores wait for that run (what a next op's loads wait for).
 */
function sharesDrain(matmuls: number, rows: number, loads: number, cfg: ArrayConfig): boolean {
  const drain = 2 * cfg.rows + cfg.cols;
  return drain > matmuls * matmulIssueInterval(rows, cfg) && loads < drain + rows;
}

/**
 * A channel sum over the pixels: each run's pixels (the whole map when its lines are contiguous,
 * else each line: channelSumRuns), R at a time, are the weight tile (C channels per entry, as stored)
 * and one act entry of ones (the first pixels mod R of them for a run's last group) sums them down
 * the rows into one acc row per column tile.
 */
function emitChannelSum(op: GemmOp, x: Placed, out: Placed, k: OpConstants, cfg: ArrayConfig, st: EmitState, emit: Emit): void {
  const { rows: R, cols: C } = cfg;
  emit(loadInsn(LOAD_BUFFERS.act, 0, 2, k.ones, R));
  [st.maxAct, st.maxRows] = [Math.max(st.maxAct, 2), Math.max(st.maxRows, 1)];
  // a batch (passes/batch.ts): one sum per sample, over its own lines, stored at its own pixel
  const { pitch } = x.t.samples ?? { pitch: 0 };
  const { runs, pixels } = channelSumRuns(x.t);
  const NT = ceilDiv(op.n, C);
  // two column tiles share one array drain, as in emitOp (sharesDrain: the next one's qnt, bias and
  // first pixels load in time)
  const loads = 2 * dmaCycles(1, 4 * C, cfg) + dmaCycles(Math.min(R, pixels), C, cfg);
  const pairs = st.qntSlots > 1 && sharesDrain(runs * ceilDiv(pixels, R), 1, loads, cfg);
  const held: Instruction[] = [];
  for (let sample = 0; sample < op.oh; sample++) for (let nt = 0; nt < NT; nt++) {
    const tileIndex = st.colTile++;
    const [slot, qSlot] = [tileIndex % 2, tileIndex % st.qntSlots];
    const accSlot = slot === 0 ? 0 : oddAccSlot(1, false, cfg, st);
    spanAcc(st, 1, 1);
    st.lastAcc = [st.lastAcc.at(-1) ?? [accSlot, accSlot], [accSlot, accSlot + 1]];
    emit(loadInsn(LOAD_BUFFERS.qnt, qSlot, 1, k.qnt + nt * 4 * C, 0));
    emit(loadInsn(LOAD_BUFFERS.acc, accSlot, 1, k.bias + nt * 4 * C, 0));
    for (let y = sample * pitch; y < sample * pitch + runs; y++) {
      for (let x0 = 0; x0 < pixels; x0 += R) {
        const held = st.wgtTile++ % st.wgtSlots;
        holdInSlot(st, held, -1); // activations, not a constant (rows past n keep what they held)
        const n = Math.min(R, pixels - x0);
        emit(loadInsn(LOAD_BUFFERS.wgt, held * R, n, x.origin + (y * x.wp + x0) * x.stride + nt * C, x.stride));
        emit({ op: 'matmul', popPrev: false, popNext: false, pushPrev: false, pushNext: false, wgt: held * R, act: n === R ? 0 : 1, actStride: 0, acc: accSlot, rows: 1, accumulate: 1, inner: 1, actOuter: 0, bias: 0, shift: 0, chain: 0 });
      }
    }
    held.push(
      { op: 'threshold', popPrev: false, popNext: false, pushPrev: false, pushNext: false, acc: accSlot, out: slot, qnt: qSlot, rows: 1, zp: op.zp, lo: op.lo, hi: op.hi, table: 0, steps: 0, poolH: 0, poolW: 0 },
      { op: 'store', popPrev: false, popNext: false, pushPrev: false, pushNext: false, sram: slot, rows: 1, dram: out.origin + sample * (op.samples?.outPitch ?? 0) * out.wp * out.stride + op.channelOffset + nt * C, stride: 0 },
    );
    if (pairs && nt % 2 === 0 && nt + 1 < NT) continue;
    // thresholds first, then stores: the second threshold does not wait behind the first store
    const finish = held.splice(0);
    finish.filter((i) => i.op === 'threshold').forEach(emit);
    finish.filter((i) => i.op === 'store').forEach(emit);
  }
}

/**
 * A gate's spread (GemmOp.spread): out pixel k gets channel k of the one-pixel gate g, then zeros: act entry i
 * starts 1 byte after entry i − 1 (lane 0: g[k0 + i]), the op's tile picks lane 0 into column 0 (weight 1,
 * rescale 1: exact). As many channels at a time as act, acc and out hold (two slots); no bias (it overwrites).
 */
function emitSpread(op: GemmOp, g: Placed, out: Placed, k: OpConstants, cfg: ArrayConfig, st: EmitState, emit: Emit): void {
  const { rows: R, cols: C } = cfg;
  const [channels, most] = [op.ow, Math.max(1, Math.min(op.ow, cfg.actDepth, Math.floor(cfg.accDepth / 2), Math.floor(cfg.outDepth / 2)))];
  [st.maxAct, st.maxRows] = [Math.max(st.maxAct, most), Math.max(st.maxRows, most)];
  spanAcc(st, most, most);
  const pick = k.tiles[0]![0]![0]!.at;
  for (let k0 = 0; k0 < channels; k0 += most) {
    const rows = Math.min(most, channels - k0);
    const tileIndex = st.colTile++;
    const [slot, qSlot] = [tileIndex % 2, tileIndex % st.qntSlots];
    const acc = slot === 0 ? 0 : oddAccSlot(most, false, cfg, st);
    emit(loadInsn(LOAD_BUFFERS.qnt, qSlot, 1, k.qnt, 0));
    emit(loadInsn(LOAD_BUFFERS.act, 0, rows, g.origin + k0, 1));
    const wgt = wgtSlotOf([pick], 0, 1, st, R, C, emit);
    emit({ op: 'matmul', popPrev: false, popNext: false, pushPrev: false, pushNext: false, wgt, act: 0, actStride: 1, acc, rows, accumulate: 0, inner: rows, actOuter: 0, bias: 0, shift: 0, chain: 0 });
    emit({ op: 'threshold', popPrev: false, popNext: false, pushPrev: false, pushNext: false, acc, out: slot * most, qnt: qSlot, rows, zp: op.zp, lo: op.lo, hi: op.hi, table: 0, steps: 0, poolH: 0, poolW: 0 });
    emit({ op: 'store', popPrev: false, popNext: false, pushPrev: false, pushNext: false, sram: slot * most, rows, dram: out.origin + k0 * out.stride, stride: out.stride });
  }
}

interface ActWindow {
  readonly base: number;
  readonly lineLo: number;
  readonly nLines: number;
  readonly sampleMajor: boolean;
  /** the window's first padded x and its entries per line (whole lines: 0 and wp) */
  readonly xLo: number;
  readonly width: number;
}


/**
 * A source whose channel tiles are each loaded just before the first matmul that reads them, not
 * all before the tile's first matmul: the windowed input (window-input.ts), whose many channel
 * tiles are each one long load, then overlap the matmuls of the tiles before them.
 */
export type StreamedSource = SourceWindow<Placed> & { readonly streamed?: boolean };

/**
 * Load the input windows of one tile at act address `base` on (0, or every other tile the act
 * buffer's other half: lower-tile-choice.ts): full padded lines, channel tile by channel tile, or —
 * for a chunk [x0, x1) of one output line — the pixels of each input line it reads. Returns the
 * windows, the act address after them, and a streamed source's loads (the windowed input; a batch of
 * vectors with `perTile`), left for the caller to emit.
 */
function loadWindows(sources: ReadonlyMap<string, StreamedSource>, op: GemmOp, oy0: number, oy1: number, chunk: readonly [number, number] | null, base: number, R: number, perTile: boolean, emit: Emit): { windows: Map<string, ActWindow>; entries: number; streamedLoads: Map<string, (Instruction[] | null)[]> } {
  const windows = new Map<string, ActWindow>();
  const streamedLoads = new Map<string, (Instruction[] | null)[]>();
  let actAt = base;
  for (const [name, s] of sources) {
    const lineLo = oy0 * s.sy + s.minDy;
    const nLines = windowLines(s, oy1 - oy0);
    // a batch of vectors (one-pixel lines): each sample's channel tiles side by side, as a GEMM
    // lays out its rows, so the matmul of channel tile ct reads samples ct, ct + CT, ct + 2·CT, …
    // (one load for them all) — or, with DRAM of no latency (`perTile`: a load per channel tile costs
    // no more), channel tile by channel tile as full lines are, each loaded just before the first
    // matmul that reads it: the first matmul waits for one channel tile of the samples, not for all
    // (the digits MLP at batch 64 on 8x8, ideal DRAM: its first layer 57,474 → 51,953 cycles)
    const vectors = nLines > 1 && s.p.wp === 1 && op.ow === 1;
    const streamed = s.streamed === true || (vectors && perTile && s.ct > 1);
    const sampleMajor = vectors && !streamed;
    const p = s.p;
    const xLo = chunk === null ? 0 : chunk[0] * s.sx + s.minDx + p.t.pads[1]!;
    const width = chunk === null ? p.wp : chunkWidth(s, chunk[1] - chunk[0]);
    windows.set(name, { base: actAt, lineLo, nLines, sampleMajor, xLo, width });
    const lineStart = p.origin + (lineLo * p.wp - p.t.pads[1]) * p.stride;
    if (chunk !== null) {
      // part of each line: one load per line and channel tile
      for (let ct = 0; ct < s.ct; ct++) {
        for (let l = 0; l < nLines; l++) emit(loadInsn(LOAD_BUFFERS.act, actAt + (ct * nLines + l) * width, width, lineStart + (l * p.wp + xLo) * p.stride + ct * R, p.stride));
      }
      actAt += s.ct * nLines * width;
      continue;
    }
    if (s.tapPixels !== null) {
      // one strided tap: per line it reads, the ow pixels sx apart, so the window is dense. The op's
      // only term (a 1×1 strided convolution) with several channel tiles: each channel tile's loads
      // go just before the first matmul that reads it, so that matmul is fetched after them, not
      // after every channel tile's (ResNet-18 Conv5_s on 32x32, 8 channel tiles × 7 lines: its
      // first matmul at cycle 429 → 132; Conv4_s 7,171 → 7,015 cycles, 87.5% → 89.4%)
      const x = s.minDx;
      const perCt: Instruction[][] = [];
      const stream = s.ct > 1 && op.terms.length === 1;
      for (let ct = 0; ct < s.ct; ct++) {
        const into = (insn: Instruction): void => void (perCt[ct] ??= []).push(insn);
        for (let l = 0; l < nLines; l++) (stream ? into : emit)(loadInsn(LOAD_BUFFERS.act, actAt + (ct * nLines + l) * s.tapPixels, s.tapPixels, p.origin + ((lineLo + l * s.sy) * p.wp + x) * p.stride + ct * R, s.sx * p.stride));
      }
      if (perCt.length > 0) streamedLoads.set(name, perCt);
    } else if (s.phases !== null) {
      // one phase of a strided packed input: every sx-th pixel, one load for all lines when they tile evenly
      const wd = ceilDiv(p.wp, s.sx);
      s.phases.forEach((phase, pi) => {
        const at = actAt + pi * nLines * wd;
        if (p.wp % s.sx === 0) emit(loadInsn(LOAD_BUFFERS.act, at, nLines * wd, lineStart + phase * p.stride, s.sx * p.stride));
        else for (let l = 0; l < nLines; l++) emit(loadInsn(LOAD_BUFFERS.act, at + l * wd, ceilDiv(p.wp - phase, s.sx), lineStart + (l * p.wp + phase) * p.stride, s.sx * p.stride));
      });
    } else if (sampleMajor) {
      if (p.stride === s.ct * R) emit(loadInsn(LOAD_BUFFERS.act, actAt, nLines * s.ct, lineStart, R));
      else for (let l = 0; l < nLines; l++) emit(loadInsn(LOAD_BUFFERS.act, actAt + l * s.ct, s.ct, lineStart + l * p.stride, R));
    } else if (nLines * p.wp === 1) {
      // one pixel (a vector): its channel tiles are consecutive in DRAM, so one load takes them all
      emit(loadInsn(LOAD_BUFFERS.act, actAt, s.ct, lineStart, R));
    } else {
      const loads: Instruction[] = [];
      for (let ct = 0; ct < s.ct; ct++) {
        loads.push(loadInsn(LOAD_BUFFERS.act, actAt + ct * nLines * p.wp, nLines * p.wp, lineStart + ct * R, p.stride));
      }
      // the op's only term (a 1×1 convolution, a GEMM layer of a topology) streams its channel
      // tiles' loads as the tap case above does: a GEMM of 64 rows, 10 columns and K = 64 on 8x8 alone
      // at matched settings took 1,663 cycles (its second matmul waited for all 8 channel tiles), 1,321 so
      if (streamed || (s.ct > 1 && op.terms.length === 1)) streamedLoads.set(name, loads.map((l) => [l]));
      else loads.forEach(emit);
    }
    actAt += s.ct * nLines * lineEntries(s);
  }
  return { windows, entries: actAt, streamedLoads };
}

/** A pooling threshold's fields: lines of `line` acc entries, its windows starting `padTop` lines above the tile's first. */
function thresholdPooling(pool: FusedPool, line: number, padTop: number): { table: number; steps: number; poolH: number; poolW: number } {
  const [[kh, kw], [sh, sw]] = [pool.size, pool.strides];
  const steps = encodePoolGeometry({ overlapH: kh - sh, overlapW: kw - sw, padTop, padLeft: pool.pads[1] });
  return { table: line, steps, poolH: kh - 1, poolW: kw - 1 };
}

/**
 * The (pooled) computed lines [py0, py1) of a tile that are stored, as runs of consecutive lines
 * and the out tensor line of each run's first (the next ones follow `step` lines apart): all of
 * them, or in a batch (passes/batch.ts) each sample's own, at its place in the stacked out tensor.
 */
function storedLines(op: GemmOp, py0: number, py1: number): { from: number; to: number; line: number }[] {
  const [atY] = op.at ?? [0, 0];
  const [stepY] = op.step ?? [1, 1];
  if (op.samples === undefined) return [{ from: py0, to: py1, line: py0 * stepY + atY }];
  const kh = op.pool?.size[0] ?? 1;
  const [pitch, lines] = [op.samples.pitch / kh, op.samples.lines / kh];
  const runs: { from: number; to: number; line: number }[] = [];
  for (let n = Math.floor(py0 / pitch); n * pitch < py1; n++) {
    const [from, to] = [Math.max(py0, n * pitch), Math.min(py1, n * pitch + lines)];
    if (from >= to) continue;
    const line = n * op.samples.outPitch + atY + (from - n * pitch) * stepY;
    const last = runs[runs.length - 1];
    // samples back to back (a batch of vectors): one run, one store
    if (last !== undefined && last.to === from && last.line + (last.to - last.from) * stepY === line) last.to = to;
    else runs.push({ from, to, line });
  }
  return runs;
}

/** Emit every instruction of one op. */
export function emitOp(op: GemmOp, tiled: ReadonlyMap<string, StreamedSource>, out: Placed, k: OpConstants, cfg: ArrayConfig, st: EmitState, emitOut: Emit, gate?: Placed): void {
  // two acc banks: where chooseLines says it pays, a column tile's threshold follows the next column
  // tile's first matmuls (on the other bank), as many as its own last matmul's drain outlasts
  // (besideAfter), so it starts beside them once its rows are written (timing.ts
  // thresholdBesideFrom), not after their drains; `held` waits for those matmuls (a threshold
  // longer than the matmul after it, in pieces: lower-threshold-pieces.ts)
  const held = new HeldThreshold(emitOut, cfg);
  const emit: Emit = (insn) => {
    emitOut(insn);
    if (insn.op === 'matmul') held.afterMatmul(insn.rows);
  };
  const { rows: R, cols: C } = cfg;
  // (activation streams and sums through the slots take the plain ring; a tiled op, its own below)
  useWeightRing(st, weightRing(cfg));
  if (op.channelSum && channelSumPays(op, tiled, cfg)) return emitChannelSum(op, tiled.get(op.terms[0]!.src)!.p, out, k, cfg, st, emit);
  if (op.spread) return emitSpread(op, tiled.get(op.terms[0]!.src)!.p, out, k, cfg, st, emit);
  // a per-channel product: tile (ct, nt) of diag(gate) is read from its spread, rows P − 1 apart (lower-dram.ts
  // spreadPitch); the first matmul of a column tile overwrites the acc (no bias)
  const [P, noBias] = [gate?.stride ?? 0, op.scaleBy !== undefined];
  const computed = (nt: number, ct: number): number => gate!.origin + ct * R * (P - 1) + nt * C;
  const { lines: most, chunk, chunked } = linesPerTile(op, tiled, cfg);
  // a chunked line reads every pixel of its window (no x phases)
  const sources = chunked ? new Map([...tiled].map(([name, s]) => [name, { ...s, phases: null, tapPixels: null }])) : tiled;
  const { lines, actHalf, beside, actSlots, oneMatmulBeside } = chunked ? { lines: 1, actHalf: 0, beside: false, actSlots: 2, oneMatmulBeside: false } : chooseLines(op, sources, cfg, most, st.wgtSlots, st.qntSlots, st.oneMatmulBeside);
  if (oneMatmulBeside) st.usedOneMatmulBeside = true;
  useWeightRing(st, weightRing(cfg, lines * chunk));
  const perColumnTile = matmulsPerColumnTile(op, sources);
  const accSlots = accSlotsOf(lines * chunk, op, cfg, st.qntSlots);
  // the tiles' windows start past the act entries of the previous op's last tile where they would
  // overlap them and the act buffer has room: they load while its last matmuls still read those
  const [lastFrom, lastTo] = st.lastAct;
  const actOffset = actHalf > 0 && lastFrom < actHalf * actSlots && lastTo > 0 && lastTo + actSlots * actHalf <= cfg.actDepth ? lastTo : 0;
  st.accPerBank = Math.max(st.accPerBank, accSlots / 2);
  // a step table's two slots stay packed in the lower bank (oddAccSlot)
  const tables = (op.table?.steps ?? 0) > 0;
  spanAcc(st, tables ? 2 * lines * chunk : (accSlots / 2) * lines * chunk, tables ? 0 : (accSlots / 2) * lines * chunk);
  const [atY, atX] = op.at ?? [0, 0];
  const [stepY, stepX] = op.step ?? [1, 1];
  const deferred: Instruction[] = [];
  // an even column tile's threshold and stores, held until the next one's matmuls are out
  const paired: Instruction[] = [];
  const NT = ceilDiv(op.n, C);
  const tiles = lineTiles(op, lines);
  // (tile, column tile) pairs in all: a tile's last column tile pairs with the next tile's first
  const items = tiles.length * ceilDiv(op.ow, chunk) * NT;
  let tile = 0;
  // the second tile's first column loads went before the first tile's windows
  let constantsAhead = false;
  for (const { oy0, oy1, py0, py1, padTop } of tiles) for (let x0 = 0; x0 < op.ow; x0 += chunk, tile++) {
    const x1 = Math.min(op.ow, x0 + chunk);
    const rows = (oy1 - oy0) * (x1 - x0);
    st.maxRows = Math.max(st.maxRows, rows);
    const windowLoads: Instruction[] = [];
    const actBase = actOffset + (tile % actSlots) * actHalf;
    const { windows, entries, streamedLoads } = loadWindows(sources, op, oy0, oy1, chunked ? [x0, x1] : null, actBase, R, cfg.dramLatency === 0, (insn) => void windowLoads.push(insn));
    st.lastAct = [actBase, entries];
    const corrAct = k.correction >= 0 ? entries : -1; // a product's zero-point correction (linesPerTile left room)
    // the weight tiles of column tile nt's matmuls, in order (weightGroup of them per load)
    // (built once per column tile: the pairing decision below asks for the next one's several times)
    const aheadLists: number[][] = [];
    const aheadOf = (nt: number): number[] => {
      let list = aheadLists[nt];
      if (list === undefined) {
        list = [];
        for (let ti = 0; ti < op.terms.length; ti++) for (const { ct, at } of k.tiles[ti]![nt]!) list.push(op.scaleBy === undefined ? at : computed(nt, ct));
        aheadLists[nt] = list;
      }
      return list;
    };
    const group = weightGroup(rows, cfg, st);
    const steps = op.table?.steps ?? 0;
    // the table follows the two accumulator slots (linesPerTile left 2·steps entries for it)
    const tableAt = 2 * lines * chunk;
    // column tile `tileIndex`'s acc slot (its out slot is (tileIndex % 2) · lines · chunk)
    const accSlotOf = (tileIndex: number): number => {
      const k = tileIndex % accSlots;
      return (k % 2 === 0 ? 0 : oddAccSlot(lines * chunk, steps > 0, cfg, st)) + (k >> 1) * lines * chunk;
    };
    // column tile nt's requant parameters (or step table) and its bias: one acc entry, the tile's
    // first, that its first matmul starts every row from (matmul `bias`); replicated over the rows
    // only for a column tile of no matmul (all-zero weights), whose threshold reads the bias itself
    const columnLoads = (nt: number, tileIndex: number, rows: number): Instruction[] => [
      steps > 0
        ? loadInsn(LOAD_BUFFERS.acc, tableAt, 2 * steps, k.table + nt * 2 * steps * 4 * C, 4 * C)
        : loadInsn(LOAD_BUFFERS.qnt, tileIndex % st.qntSlots, 1, k.qnt + nt * 4 * C, 0),
      ...(noBias ? [] : [loadInsn(LOAD_BUFFERS.acc, accSlotOf(tileIndex), aheadOf(nt).length > 0 ? 1 : rows, k.bias + nt * 4 * C, 0)]),
    ];
    // an op's first column loads and weight group load before its first windows: those wait for the
    // previous op's stores of the lines they read, and loads never pass each other (schedule.ts
    // hoistLoads), so behind them the constants would load only then; ahead of them they load while
    // the previous op still computes (a slot holding a weight tile is not loaded again). Later
    // tiles' windows go to the other act half and do not wait: there the constants stay after them
    // (tried: slower on ResNet-8)
    const early = tile === 0 ? columnLoads(0, st.colTile, rows) : [];
    early.forEach(emit);
    // an op of one matmul per column tile (a residual add, a 1×1 convolution) whose first tile's
    // windows wait for the previous op's stores: its second tile's constants load before them, while
    // the load unit would wait, not behind them and the second tile's windows (which wait for later
    // stores); the chain store → window → bias → matmul → threshold → store of its last tile is the
    // op's cost on a large array (ResNet-18 on 256x256, two acc banks: its 28×28 adds 2,738 → 2,346
    // owned cycles, the 1×1 shortcut before each 1,809 → 1,559). Only where that tile's acc slot is
    // clear of the previous op's last two column tiles (else the 56×56 adds 7,546 → 9,321) and with
    // four acc slots. Ops of more matmuls per column tile load them under those (3×3 conv: slower).
    const second = tiles[1];
    if (tile === 0 && second !== undefined && !chunked && NT === 1 && accSlots === 4 && aheadOf(0).length === 1) {
      const [acc1, rows1] = [accSlotOf(st.colTile + 1), (second.oy1 - second.oy0) * op.ow];
      if (st.lastAcc.length > 0 && st.lastAcc.every(([lo, hi]) => acc1 + rows1 <= lo || hi <= acc1)) {
        columnLoads(0, st.colTile + 1, rows1).forEach(emit);
        constantsAhead = true;
      }
    }
    const first = aheadOf(0);
    const [weightGroupOf, weightStride] = noBias ? [1, P - 1] : [group, C];
    if (tile === 0 && first.length > 0) wgtSlotOf(first, 0, weightGroupOf, st, R, C, emit, weightStride);
    windowLoads.forEach(emit);
    if (corrAct >= 0) emit(loadInsn(LOAD_BUFFERS.act, corrAct, 1, k.correction, 0));
    st.maxAct = Math.max(st.maxAct, corrAct >= 0 ? entries + 1 : entries);
    if (steps > 0) st.tableSpan = [Math.min(st.tableSpan[0], tableAt), Math.max(st.tableSpan[1], tableAt + 2 * steps)];
    for (let nt = 0; nt < NT; nt++) {
      const tileIndex = st.colTile++;
      const slot = (tileIndex % 2) * lines * chunk;
      const acc = accSlotOf(tileIndex);
      st.lastAcc = [st.lastAcc.at(-1) ?? [acc, acc], [acc, acc + rows]];
      const qSlot = tileIndex % st.qntSlots;
      // the bias entry (columnLoads): the column tile's first matmul starts its rows from it
      if (nt > 0 || (early.length === 0 && !(tile === 1 && constantsAhead))) columnLoads(nt, tileIndex, rows).forEach(emit);
      const ahead = aheadOf(nt);
      let used = 0;
      const nextSlot = (): number => {
        const from = used++;
        return wgtSlotOf(ahead, from, weightGroupOf, st, R, C, emit, weightStride);
      };
      // the first matmul starts the sums: from the bias entry, or (a product, noBias) from 0
      let overwrite = true;
      const seed = noBias ? 0 : 1;
      op.terms.forEach((term, ti) => {
        const s = sources.get(term.src)!;
        const a = windows.get(term.src)!;
        const line = oy0 * term.sy + term.dy - a.lineLo;
        const shift = term.shift ?? 0;
        for (const { ct } of k.tiles[ti]![nt]!) {
          const streamed = streamedLoads.get(term.src);
          if (streamed?.[ct]) (streamed[ct]!.forEach(emit), (streamed[ct] = null));
          const wAddr = nextSlot();
          // the correction first: −zp_x·gate[c] = times × value·gate[c], an act entry of `value`s over the diagonal tile
          for (let t = 0; t < (op.scaleBy?.correction?.times ?? 0); t++, overwrite = false) emit({ op: 'matmul', popPrev: false, popNext: false, pushPrev: false, pushNext: false, wgt: wAddr, act: corrAct, actStride: 0, acc, rows, accumulate: overwrite ? 0 : 1, inner: rows, actOuter: 0, bias: overwrite ? seed : 0, shift: 0, chain: 0 });
          const accumulate = overwrite ? 0 : 1;
          const bias = overwrite ? seed : 0;
          overwrite = false;
          if (s.tapPixels !== null) {
            emit({ op: 'matmul', popPrev: false, popNext: false, pushPrev: false, pushNext: false, wgt: wAddr, act: a.base + ct * a.nLines * s.tapPixels, actStride: 1, acc, rows, accumulate, inner: rows, actOuter: 0, bias, shift, chain: 0 });
          } else if (s.phases !== null) {
            const { phase, q } = phaseOf(s, term.dx);
            const wd = ceilDiv(s.p.wp, s.sx);
            const act = a.base + ((ct * s.phases.length + s.phases.indexOf(phase)) * a.nLines + line) * wd + q;
            emit({ op: 'matmul', popPrev: false, popNext: false, pushPrev: false, pushNext: false, wgt: wAddr, act, actStride: 1, acc, rows, accumulate, inner: op.ow, actOuter: term.sy * wd, bias, shift, chain: 0 });
          } else if (a.sampleMajor) {
            emit({ op: 'matmul', popPrev: false, popNext: false, pushPrev: false, pushNext: false, wgt: wAddr, act: a.base + line * s.ct + ct, actStride: term.sy * s.ct, acc, rows, accumulate, inner: rows, actOuter: 0, bias, shift, chain: 0 });
          } else {
            // the window starts at padded x xLo; output pixel x0 reads x0·sx + dx (whole lines: x0 = xLo = 0)
            const act = a.base + (ct * a.nLines + line) * a.width + x0 * term.sx + term.dx + s.p.t.pads[1]! - a.xLo;
            emit({ op: 'matmul', popPrev: false, popNext: false, pushPrev: false, pushNext: false, wgt: wAddr, act, actStride: term.sx, acc, rows, accumulate, inner: x1 - x0, actOuter: term.sy * a.width, bias, shift, chain: 0 });
          }
        }
      });
      // a fused max pool (never chunked: x0 = 0): the threshold takes each window's maximum and writes the pooled lines
      const pw = pooledWidth(op, x1 - x0);
      const pooling = op.pool === undefined ? { table: steps > 0 ? tableAt : 0, steps, poolH: 0, poolW: 0 } : thresholdPooling(op.pool, op.ow, padTop);
      const finish: Instruction[] = [{ op: 'threshold', popPrev: false, popNext: false, pushPrev: false, pushNext: false, acc, out: slot, qnt: qSlot, rows: (py1 - py0) * pw, zp: op.zp, lo: op.lo, hi: op.hi, ...pooling }];
      for (const run of storedLines(op, py0, py1)) {
        const sram = slot + (run.from - py0) * pw;
        const lineAt = (i: number): number => out.origin + ((run.line + i * stepY) * out.wp + atX + x0 * stepX) * out.stride + op.channelOffset + nt * C;
        if (pw === 1 && out.wp === 1) {
          // one-pixel lines (a batch of vectors) lie `stride` apart: the tile's lines are one store
          finish.push({ op: 'store', popPrev: false, popNext: false, pushPrev: false, pushNext: false, sram, rows: run.to - run.from, dram: lineAt(0), stride: out.stride * stepY });
        } else if (stepY * out.wp === pw * stepX) {
          // each line's pixels continue where the previous line's ended (no x padding): one store
          finish.push({ op: 'store', popPrev: false, popNext: false, pushPrev: false, pushNext: false, sram, rows: (run.to - run.from) * pw, dram: lineAt(0), stride: out.stride * stepX });
        } else {
          for (let i = 0; i < run.to - run.from; i++) finish.push({ op: 'store', popPrev: false, popNext: false, pushPrev: false, pushNext: false, sram: sram + i * pw, rows: pw, dram: lineAt(i), stride: out.stride * stepX });
        }
      }
      // two column tiles (of one tile, or the last of a tile and the first of the next) share one
      // array drain: a threshold waits for every matmul in flight, so M0 T0 M1 T1 waits for the
      // drain (2R + C) twice and M0 M1 T0 T1 once (consecutive column tiles take different acc, out
      // and qnt slots; a step table has one place, so table mode keeps M T M T) — where the drain
      // outlasts the second one's matmuls, which the first one's threshold and stores now wait for
      // (a global pool's or an add's few matmuls on a large array, not a convolution's)
      // (sharesDrain: where the next one's constants — weights not already held, and before the next
      // tile's, about as many window loads as this tile's — load in time)
      const item = tile * NT + nt;
      const next = (nt + 1) % NT;
      const nextLoads = () =>
        dmaCycles(1, 4 * C, cfg) + (noBias ? 0 : dmaCycles(aheadOf(next).length > 0 ? 1 : rows, 4 * C, cfg)) + (aheadOf(next).length === 0 || st.slotOfTile.has(aheadOf(next)[0]!) ? 0 : dmaCycles(Math.min(group, aheadOf(next).length) * R, C, cfg)) +
        (next === 0 ? windowLoads.reduce((a, l) => a + (l.op === 'load' ? dmaCycles(l.rows, R, cfg) : 0), 0) : 0);
      if (paired.length === 0 && item + 1 < items && st.qntSlots > 1 && steps === 0 && sharesDrain(aheadOf(next).length, rows, nextLoads(), cfg)) {
        for (const x of finish) paired.push(x);
        continue;
      }
      // the previous tile's stores go after this tile's matmuls: queued ahead of them, they would
      // fill the store queue while waiting for their threshold and stall the fetch of the matmuls
      // a held threshold whose matmuls did not all come (a column tile of fewer) goes before its stores
      held.flush();
      for (const store of deferred.splice(0)) emit(store);
      const [t0, ...s0] = paired.splice(0);
      const [t1, ...s1] = finish;
      if (t0 !== undefined) emit(t0);
      // (at most a column tile's matmuls: past them come the next column tile's, on this threshold's
      // bank, which it would wait for — as chooseLines' estimate has it; so are a threshold's pieces)
      if (beside) held.hold(t1!, Math.min(besideAfter(rows, cfg), perColumnTile), perColumnTile);
      else emit(t1!);
      for (const x of [s0, s1].flat()) deferred.push(x); // not push(...): a spread of 120,000 throws
    }
  }
  held.flush();
  for (const store of deferred) emit(store);
}
