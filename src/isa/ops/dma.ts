// SPDX-License-Identifier: MIT
/** The DMA timing rule load and store share: DRAM latency, then one entry every ceil(bytes / bandwidth) cycles. */
import type { ArrayConfig } from '../config.js';
import { BUFFER_LIST, entryBytes } from '../spec.js';

export function dmaCycles(rows: number, entryBytes: number, cfg: ArrayConfig): number {
  return cfg.dramLatency + rows * Math.ceil(entryBytes / cfg.dramBytesPerCycle);
}

/** The widest entry a DMA moves in one row: max(R, 4·C) bytes (an act row or an acc / qnt row). */
export function widestDmaEntry(cfg: Pick<ArrayConfig, 'rows' | 'cols'>): number {
  return Math.max(...BUFFER_LIST.map((b) => entryBytes(b, cfg.rows, cfg.cols)));
}

/**
 * Bytes of one DRAM beat in the hardware (the RTL's DRAM_BW): the bandwidth, but never wider than
 * the widest entry M. Every entry has E ≤ M bytes, so with bandwidth bw > M it takes
 * ceil(E / bw) = 1 = ceil(E / M) beats either way: dmaCycles (and every beat's cycle) is the same for
 * the clamped width, and an "ideal DRAM" config (4,096 B/cycle) builds a port of M bytes, not 4,096.
 */
export function dramBeatBytes(cfg: Pick<ArrayConfig, 'rows' | 'cols' | 'dramBytesPerCycle'>): number {
  return Math.min(cfg.dramBytesPerCycle, widestDmaEntry(cfg));
}
