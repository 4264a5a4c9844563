// SPDX-License-Identifier: MIT
/** The DMA timing rule load and store share: DRAM latency, then one entry every ceil(bytes / bandwidth) cycles. */
import type { ArrayConfig } from '../config.js';

export function dmaCycles(rows: number, entryBytes: number, cfg: ArrayConfig): number {
  return cfg.dramLatency + rows * Math.ceil(entryBytes / cfg.dramBytesPerCycle);
}
