// SPDX-License-Identifier: MIT
/** Design-space exploration as a library: sweeps, Pareto fronts, shards and merges, the HTML report. */
export { DEFAULT_GRID, SRAM_SHARES, SRAM_SPLIT_TEXT, gridPoints, sramBytes, sramDepths, type ArrayShape, type Depths, type Grid, type GridPoint } from './grid.js';
export { evaluatePoint, modelFingerprint, sweep, type PointResult, type SweepInput, type SweepMeta, type SweepOptions, type SweepRun } from './sweep.js';
export { dominates, paretoFront, type Objective } from './pareto.js';
export { OBJECTIVES, exploreCsv, exploreJson, frontPoints, parseExploreJson, resultOf, summarize, type ExploreResult } from './results.js';
export { MAX_SHARDS, inShard, parseShard, type Shard } from './shard-spec.js';
export { mergeShards, parseShardJsonl, shardFileName, shardJsonl } from './shard.js';
export { coalesceRegions, dramBytesOf, layerStats, renderReport, type LayerStats, type RegionBlock, type ReportInput } from './report.js';
