// SPDX-License-Identifier: MIT
/**
 * A fused max pool's threshold beside the next column tile's matmuls, cut into pieces of whole
 * pooled lines. The compute unit issues in order, and a matmul after a threshold completes after it
 * (timing.ts thresholdTailReach), so a threshold longer than the matmul after it holds that matmul
 * back: a 3×3/2 pool reads 6 acc rows per pooled pixel, 1.5 per matmul row, and on a 32x32 array
 * ResNet-18's stem held every fifth matmul ~580 cycles. Pieces no longer than a matmul's issue
 * interval, one after each of the next matmuls, let them stream; the acc rows read and the out rows
 * written are the same, each piece paying the threshold's latency once more.
 */
import type { ArrayConfig } from '../isa/config.js';
import { matmulDuration, matmulIssueInterval } from '../isa/ops/matmul.js';
import { encodePoolGeometry, poolOf, THRESHOLD_TAIL_FROM, thresholdCycles, windowReads } from '../isa/ops/threshold.js';
import type { Instruction, InstructionOf } from '../isa/spec.js';
import type { Emit } from './lower-emit-slots.js';

/**
 * `th` (a pooling threshold beside matmuls of `rows` rows) as at most `most` thresholds of whole
 * pooled lines that together read and write what it does; `th` alone where it does not outlast the
 * matmul after it, or does not pool.
 */
export function thresholdPieces(th: InstructionOf<'threshold'>, rows: number, most: number, cfg: ArrayConfig): InstructionOf<'threshold'>[] {
  const p = poolOf(th);
  if (p === null || most < 2) return [th];
  const reads = windowReads(p.kh, p.kw, p.sw, p.padLeft);
  const whole = thresholdCycles(th.rows, 0, cfg.thresholdPasses, reads);
  // the matmul after it starts once the threshold is within that matmul's duration of its end
  if (whole <= matmulDuration(rows, cfg) - 1 + THRESHOLD_TAIL_FROM) return [th];
  const lines = th.rows / p.pw;
  const pieces = Math.min(most, lines, Math.ceil(whole / (matmulIssueInterval(rows, cfg) + THRESHOLD_TAIL_FROM)));
  if (pieces < 2) return [th];
  const per = Math.ceil(lines / pieces);
  const out: InstructionOf<'threshold'>[] = [];
  for (let first = 0; first < lines; first += per) {
    // the piece's first window starts first·sh − padTop lines below the tile's first acc line (above it: padding)
    const top = first * p.sh - p.padTop;
    const steps = encodePoolGeometry({ overlapH: p.kh - p.sh, overlapW: p.kw - p.sw, padTop: Math.max(0, -top), padLeft: p.padLeft });
    out.push({ ...th, acc: th.acc + Math.max(0, top) * p.line, out: th.out + first * p.pw, rows: (Math.min(lines, first + per) - first) * p.pw, steps });
  }
  return out;
}

/**
 * A column tile's threshold held until the next column tile's first `matmuls` matmuls are out
 * (lower-emit.ts emitOp), then emitted in pieces (thresholdPieces, cut by the rows of the matmuls
 * it goes beside: the next tile's may be fewer), one after each matmul from there, all within the
 * `perColumnTile` matmuls of that column tile (past them come the next one's, on its own bank).
 */
export class HeldThreshold {
  private held: { threshold: Instruction; matmuls: number; most: number; pieces: Instruction[] | null } | null = null;

  constructor(
    private readonly emitOut: Emit,
    private readonly cfg: ArrayConfig,
  ) {}

  hold(threshold: Instruction, matmuls: number, perColumnTile: number): void {
    this.flush();
    this.held = { threshold, matmuls, most: perColumnTile - matmuls + 1, pieces: null };
  }

  /** A matmul of `rows` rows was just emitted. */
  afterMatmul(rows: number): void {
    const h = this.held;
    if (h === null || --h.matmuls > 0) return;
    const pieces = (h.pieces ??= h.threshold.op === 'threshold' ? thresholdPieces(h.threshold, rows, h.most, this.cfg) : [h.threshold]);
    this.emitOut(pieces.shift()!);
    if (pieces.length > 0) h.matmuls = 1;
    else this.held = null;
  }

  /** What is still held, now (its matmuls did not all come: a column tile of fewer, or the op's end). */
  flush(): void {
    if (this.held !== null) (this.held.pieces ?? [this.held.threshold]).forEach(this.emitOut);
    this.held = null;
  }
}
