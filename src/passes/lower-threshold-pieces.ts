// SPDX-License-Identifier: MIT
/**
 * A threshold beside the next column tile's matmuls, cut into pieces (of whole pooled lines when it
 * pools). The compute unit issues in order, and a matmul after a threshold completes after it
 * (timing.ts thresholdTailReach), so a threshold longer than the matmul after it holds that matmul
 * back: a fused 3×3/2 max pool reads 6 acc rows per pooled pixel, 1.5 per matmul row (ResNet-18's
 * stem on 32x32 held every fifth matmul ~580 cycles), and a threshold unit of P beats a row
 * (`thresholdPasses`, a small FPGA's) takes P cycles per row against the matmul's one. Pieces no
 * longer than a matmul's issue interval, one after each of the next matmuls, let them stream; the
 * acc rows read and the out rows written are the same, each piece paying the threshold's latency
 * once more.
 */
import type { ArrayConfig } from '../isa/config.js';
import { matmulDuration, matmulIssueInterval } from '../isa/ops/matmul.js';
import { encodePoolGeometry, poolOf, tableSteps, THRESHOLD_TAIL_FROM } from '../isa/ops/threshold.js';
import type { Instruction, InstructionOf } from '../isa/spec.js';
import { duration } from '../isa/timing.js';
import type { Emit } from './lower-emit-slots.js';

/**
 * `th` (a requantize-mode threshold beside matmuls of `rows` rows) as at most `most` thresholds
 * that together read and write what it does: runs of its rows, or of whole pooled lines when it
 * pools; `th` alone where it does not outlast the matmul after it (or is a step table's).
 */
export function thresholdPieces(th: InstructionOf<'threshold'>, rows: number, most: number, cfg: ArrayConfig): InstructionOf<'threshold'>[] {
  if (most < 2 || tableSteps(th) > 0) return [th];
  const p = poolOf(th);
  const whole = duration(th, cfg);
  // the matmul after it starts once the threshold is within that matmul's duration of its end
  if (whole <= matmulDuration(rows, cfg) - 1 + THRESHOLD_TAIL_FROM) return [th];
  // a pooled line's out rows together (pw of them), else one row at a time
  const [width, lines] = p === null ? [1, th.rows] : [p.pw, th.rows / p.pw];
  const pieces = Math.min(most, lines, Math.ceil(whole / (matmulIssueInterval(rows, cfg) + THRESHOLD_TAIL_FROM)));
  if (pieces < 2) return [th];
  const per = Math.ceil(lines / pieces);
  const out: InstructionOf<'threshold'>[] = [];
  for (let first = 0; first < lines; first += per) {
    const piece = { out: th.out + first * width, rows: (Math.min(lines, first + per) - first) * width };
    if (p === null) {
      out.push({ ...th, ...piece, acc: th.acc + first });
      continue;
    }
    // the piece's first window starts first·sh − padTop lines below the tile's first acc line (above it: padding)
    const top = first * p.sh - p.padTop;
    const steps = encodePoolGeometry({ overlapH: p.kh - p.sh, overlapW: p.kw - p.sw, padTop: Math.max(0, -top), padLeft: p.padLeft });
    out.push({ ...th, ...piece, acc: th.acc + Math.max(0, top) * p.line, steps });
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
