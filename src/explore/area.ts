// SPDX-License-Identifier: MIT
/**
 * A small area model for exploration, in iCE40 LUTs, fitted to nnchip's own yosys 0.23 synth_ice40
 * figures (docs/hardware.md "On an FPGA"): logic = PEs + threshold unit + control that grows with cols.
 */
import type { ArrayConfig } from '../isa/config.js';
import { bufferBytes } from '../isa/config.js';

/**
 * Fitted so the model reproduces the 2x2 (both threshold units) and 4x4 builds exactly and the 8x8
 * build within 3% (test/unit/explore/area.test.ts):
 * - a PE (8×8 signed multiply in LUT fabric + 32-bit accumulate): 200 LUTs (the 4x4 breakdown);
 * - control (matmul sequencer, accumulate adders, DMA engines): 274 + 222.5 per column;
 * - threshold unit: cols/P full lanes of 2,072 LUTs when P divides cols, else one multi-cycle lane
 *   of 1,250 LUTs (the 4-bit digit lane; the 2- and 8/16-step lanes have no measured figure and use it).
 */
export const AREA_MODEL = { peLuts: 200, controlLuts: 274, controlLutsPerCol: 222.5, fullLaneLuts: 2072, serialLaneLuts: 1250, bramBytes: 512 } as const;

export interface AreaEstimate {
  readonly peLuts: number;
  readonly thresholdLuts: number;
  readonly controlLuts: number;
  /** PE + threshold + control: the Pareto objective. */
  readonly logicLuts: number;
  /** iCE40 4-kbit block RAMs the five buffers need at least (bytes / 512 per buffer, rounded up). */
  readonly sramBlocks: number;
}

export function estimateArea(cfg: ArrayConfig): AreaEstimate {
  const m = AREA_MODEL;
  const peLuts = m.peLuts * cfg.rows * cfg.cols;
  const thresholdLuts = cfg.cols % cfg.thresholdPasses === 0 ? (cfg.cols / cfg.thresholdPasses) * m.fullLaneLuts : m.serialLaneLuts;
  const controlLuts = Math.round(m.controlLuts + m.controlLutsPerCol * cfg.cols);
  const sramBlocks = (['act', 'wgt', 'acc', 'qnt', 'out'] as const).reduce((a, b) => a + Math.ceil(bufferBytes(cfg, b) / m.bramBytes), 0);
  return { peLuts, thresholdLuts, controlLuts, logicLuts: peLuts + thresholdLuts + controlLuts, sramBlocks };
}
