// SPDX-License-Identifier: MIT
/**
 * SCALE-Sim's settings on nnchip's machine ("matched" in bench/conv-efficiency.mjs and
 * docs/scale-sim.md): ideal DRAM (4,096 B a cycle, no latency), 65,536-entry buffers, and the acc
 * buffer's two banks; and one layer of a SCALE-Sim topology compiled alone, as `nnchip sim
 * --topology` compiles it.
 */
import { DEFAULT_LIMITS } from '../../src/importers/limits.js';
import { layerGraph, parseTopology, syntheticCalibration } from '../../src/importers/topology.js';
import { makeConfig, type ArrayConfig } from '../../src/isa/config.js';
import type { Program } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';

const MAX = 65536;

/** The matched machine's settings, without its array. */
export const MATCHED = { dramBytesPerCycle: 4096, dramLatency: 0, accBanks: 2, actDepth: MAX, wgtDepth: MAX, accDepth: MAX, qntDepth: MAX, outDepth: MAX } as const;

/** The matched machine with an R × C array. */
export const matchedConfig = (rows: number, cols: number): ArrayConfig => makeConfig({ rows, cols, ...MATCHED });

/** The first layer of a topology CSV (`text`, with its header) compiled alone for `config`, on its synthetic calibration. */
export function topologyLayerProgram(text: string, config: ArrayConfig): Program {
  const topology = parseTopology(text, 'layer.csv');
  const graph = layerGraph(topology.layers[0]!, DEFAULT_LIMITS, 'layer.csv');
  const size = graph.inputs[0]!.shape.reduce((a, b) => a * b, 1);
  return compile(graph, { config, calibration: syntheticCalibration(size) }).program;
}
