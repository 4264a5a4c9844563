// SPDX-License-Identifier: MIT
/**
 * `--csv-dir`: SCALE-Sim's per-layer reports (COMPUTE_REPORT, BANDWIDTH_REPORT, DETAILED_ACCESS_REPORT)
 * with SCALE-Sim's column names, filled with nnchip's figures. docs/scale-sim.md defines every column.
 */
import type { ArrayConfig } from '../isa/config.js';
import { entryBytes } from '../isa/spec.js';
import type { Counters } from '../../sim/index.js';

/** The figures of one layer the reports need: the simulator's counters and the layer's cycles. */
export type LayerFigures = Pick<Counters, 'cycles' | 'macs' | 'arrayMacs' | 'sramReads' | 'sramWrites' | 'dramBytesRead' | 'dramBytesWritten' | 'busyCycles'>;

const fixed = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : '0');
const pct = (num: number, den: number): string => fixed(den > 0 ? (100 * num) / den : 0);

/** SCALE-Sim's line format: ", "-separated, every line ends with a comma. */
const line = (cells: readonly (string | number)[]): string => `${cells.join(', ')},\n`;

/**
 * Bytes per operand, int8 so one byte is one SCALE-Sim word. IFMAP = the act buffer; Filter = weights
 * and, from DRAM, everything else a layer loads (threshold parameters, accumulator preloads); OFMAP = out.
 */
export function operandBytes(l: LayerFigures, cfg: ArrayConfig): { sram: { ifmap: number; filter: number; ofmap: number }; dram: { ifmap: number; filter: number; ofmap: number } } {
  const e = (b: 'act' | 'wgt' | 'qnt' | 'out'): number => entryBytes(b, cfg.rows, cfg.cols);
  return {
    sram: { ifmap: l.sramReads.act * e('act'), filter: l.sramReads.wgt * e('wgt') + l.sramReads.qnt * e('qnt'), ofmap: l.sramWrites.out * e('out') },
    // only DMA loads write the act buffer, so its writes are the ifmap's DRAM bytes; the rest of the reads are the filter's
    dram: { ifmap: l.sramWrites.act * e('act'), filter: l.dramBytesRead - l.sramWrites.act * e('act'), ofmap: l.dramBytesWritten },
  };
}

export function computeRow(l: LayerFigures, cfg: ArrayConfig): (string | number)[] {
  const pes = cfg.rows * cfg.cols;
  const stall = l.cycles - l.busyCycles.compute;
  return [l.cycles, stall, pct(l.macs, pes * l.cycles), pct(l.macs, l.arrayMacs), pct(l.macs, pes * l.busyCycles.compute)];
}

export function scaleSimCsvFiles(layers: readonly LayerFigures[], cfg: ArrayConfig): Map<string, string> {
  const compute = [line(['LayerID', 'Total Cycles', 'Stall Cycles', 'Overall Util %', 'Mapping Efficiency %', 'Compute Util %'])];
  const bandwidth = [line(['LayerID', 'Avg IFMAP SRAM BW', 'Avg FILTER SRAM BW', 'Avg OFMAP SRAM BW', 'Avg IFMAP DRAM BW', 'Avg FILTER DRAM BW', 'Avg OFMAP DRAM BW'])];
  const detail = [line(['LayerID', 'SRAM IFMAP Reads', 'SRAM Filter Reads', 'SRAM OFMAP Writes', 'DRAM IFMAP Reads', 'DRAM Filter Reads', 'DRAM OFMAP Writes'])];
  layers.forEach((l, id) => {
    const b = operandBytes(l, cfg);
    const per = (x: number): string => fixed(l.cycles > 0 ? x / l.cycles : 0);
    compute.push(line([id, ...computeRow(l, cfg)]));
    bandwidth.push(line([id, per(b.sram.ifmap), per(b.sram.filter), per(b.sram.ofmap), per(b.dram.ifmap), per(b.dram.filter), per(b.dram.ofmap)]));
    detail.push(line([id, b.sram.ifmap, b.sram.filter, b.sram.ofmap, b.dram.ifmap, b.dram.filter, b.dram.ofmap]));
  });
  return new Map([
    ['COMPUTE_REPORT.csv', compute.join('')],
    ['BANDWIDTH_REPORT.csv', bandwidth.join('')],
    ['DETAILED_ACCESS_REPORT.csv', detail.join('')],
  ]);
}
