// SPDX-License-Identifier: MIT
/**
 * `nnchip explore <model>`: sweep array shapes × SRAM × DRAM bandwidth with the static certificate,
 * print the Pareto front, write explore.csv + explore.json; `--shard i/N` writes one slice as JSON
 * lines and `nnchip explore merge <files...>` turns the slices into the unsharded outputs.
 */
import { basename, join } from 'node:path';
import cliProgress from 'cli-progress';
import { Option, type Command } from 'commander';
import { NnchipError, withFile } from '../../diagnostics/error.js';
import { DEFAULT_LIMITS, loadModel } from '../../importers/index.js';
import { product } from '../../ir/graph.js';
import { CONFIG_LIMITS, parseArray } from '../../isa/config.js';
import { checkGridSize, DEFAULT_GRID, SRAM_SPLIT_TEXT, type ArrayShape, type Grid } from '../../explore/grid.js';
import { exploreCsv, exploreJson, frontPoints, resultOf, type ExploreResult } from '../../explore/results.js';
import { parseShard } from '../../explore/shard-spec.js';
import { mergeShards, parseShardJsonl, shardFileName, shardJsonl } from '../../explore/shard.js';
import { sweep, type SweepRun } from '../../explore/sweep.js';
import { checkOutput, writeFileAtomic, writeFilesAtomic, type OutputOptions } from '../../util/atomic-write.js';
import type { CliContext } from '../context.js';
import { flagCount, flagQuantity } from '../flag-numbers.js';
import { calibrationFrom, configFrom, limitsFrom, modelChoiceFrom, type CompileFlags } from '../options.js';
import { addForceOption, outputOptions, type ForceFlag } from '../output-flags.js';
import { topologyParts } from '../topology.js';
import { bytes, fmtInt, table } from '../render.js';
import { examples, MODEL_INPUTS } from '../help.js';
import { modelStem, resolveModelPath } from '../model-path.js';
import { readText } from '../read-input.js';

interface ExploreFlags extends Omit<CompileFlags, 'array'>, ForceFlag {
  readonly arrays?: string;
  readonly sramKib?: string;
  readonly bandwidth?: string;
  readonly thresholdPasses?: string;
  readonly out?: string;
  readonly json?: boolean;
  readonly shard?: string;
}


function parseList<T>(text: string, flag: string, item: (s: string) => T): T[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) throw new NnchipError('NN801', `${flag} "${text}" must be a comma-separated list with no empty items`);
  if (new Set(parts).size !== parts.length) throw new NnchipError('NN801', `${flag} "${text}" lists an item twice`);
  return parts.map(item);
}

function numberIn(flag: string, lo: number, hi: number, integer: boolean): (s: string) => number {
  return (s) => {
    const n = integer ? flagCount(s, flag) : flagQuantity(s, flag);
    if (!(Number.isFinite(n) && n >= lo && n <= hi && (!integer || Number.isInteger(n)))) throw new NnchipError('NN801', `${flag} item "${s}" must be ${integer ? 'an integer' : 'a number'} from ${lo} to ${hi}`);
    return n;
  };
}

export function gridFrom(f: ExploreFlags): Grid {
  const shape = (s: string): ArrayShape => {
    try {
      return parseArray(s);
    } catch {
      const [lo, hi] = CONFIG_LIMITS.rows;
      throw new NnchipError('NN401', `--arrays item "${s}" is not RxC with R and C from ${lo} to ${hi}`, { hint: `use --arrays with comma-separated RxC shapes, ${lo} ≤ R, C ≤ ${hi}, e.g. --arrays 4x4,8x8,16x16` });
    }
  };
  const [blo, bhi] = CONFIG_LIMITS.dramBytesPerCycle;
  return {
    arrays: f.arrays === undefined ? DEFAULT_GRID.arrays : parseList(f.arrays, '--arrays', shape),
    sramKiB: f.sramKib === undefined ? DEFAULT_GRID.sramKiB : parseList(f.sramKib, '--sram-kib', numberIn('--sram-kib', 0.0625, 1024 * 1024, false)),
    bandwidth: f.bandwidth === undefined ? DEFAULT_GRID.bandwidth : parseList(f.bandwidth, '--bandwidth', numberIn('--bandwidth', blo, bhi, true)),
    // unset: the base machine's (--config or the default)
    ...(f.thresholdPasses === undefined ? {} : { thresholdPasses: parseList(f.thresholdPasses, '--threshold-passes', numberIn('--threshold-passes', ...CONFIG_LIMITS.thresholdPasses, true)) }),
    batch: f.batch === undefined ? [1] : parseList(f.batch, '--batch', numberIn('--batch', 1, 65536, true)),
  };
}

/** A progress bar on stderr, only when stderr is a terminal (never in pipes, logs or batch jobs). */
function progress(ctx: CliContext): { update: (done: number, total: number) => void; stop: () => void } {
  if (!ctx.io.interactive) return { update: () => undefined, stop: () => undefined };
  // cli-progress drives the terminal itself (cursor moves), so it takes the stream, not ctx.io
  const bar = new cliProgress.SingleBar({ format: 'explore [{bar}] {value}/{total} points', stream: process.stderr, clearOnComplete: true, hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update: (done, total) => {
      if (!started) bar.start(total, done);
      else bar.update(done);
      started = true;
    },
    stop: () => void (started && bar.stop()),
  };
}

function runSweep(arg: string, f: ExploreFlags, ctx: CliContext): SweepRun {
  const model = resolveModelPath(arg, 'explore');
  const grid = gridFrom(f);
  checkGridSize(grid);
  const shard = f.shard === undefined ? {} : { shard: parseShard(f.shard) };
  const base = configFrom(f);
  // a whole SCALE-Sim topology: its independent layers are summed at every point (docs/scale-sim.md)
  const parts = /\.csv$/i.test(model) ? topologyParts(model, f).parts : null;
  const graph = parts?.[0]?.graph ?? loadModel(model, limitsFrom(f), modelChoiceFrom(f));
  const { calibration, warning } = parts?.[0] === undefined ? calibrationFrom(model, f, product(graph.inputs[0]!.shape)) : { calibration: parts[0].calibration, warning: undefined };
  if (warning !== undefined) ctx.io.stderr(ctx.io.errColor.yellow('warning: ') + warning + '\n');
  const { maxInstructions } = limitsFrom(f);
  const bar = progress(ctx);
  try {
    return withFile(basename(model), () => sweep({ model: modelStem(model), graph, calibration, grid, base, maxInstructions, ...(parts === null ? {} : { moreParts: parts.slice(1) }) }, { onProgress: bar.update, ...shard }));
  } finally {
    bar.stop();
  }
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const resultFiles = (out: string): readonly [string, string] => [join(out, 'explore.csv'), join(out, 'explore.json')];

/** Write explore.csv + explore.json (one set) and print the front (or, with --json, the explore.json document). */
export function finish(result: ExploreResult, out: string, json: boolean, ctx: CliContext, written: OutputOptions = {}): void {
  const files = resultFiles(out);
  const doc = exploreJson(result);
  writeFilesAtomic(new Map([[files[0], exploreCsv(result)], [files[1], doc]]), written);
  if (json) return void ctx.io.stdout(doc);
  const { io } = ctx;
  const { grid } = result.meta;
  const feasible = result.points.filter((p) => p.feasible);
  const axes = `${plural(grid.arrays.length, 'array')} × ${plural(grid.sramKiB.length, 'SRAM size')} × ${plural(grid.bandwidth.length, 'bandwidth')} × ${grid.thresholdPasses?.length ?? 1} threshold passes × ${plural(grid.batch?.length ?? 1, 'batch size')}, and the base machine`;
  io.stdout(`${io.color.bold(result.meta.model)}: ${result.points.length} points (${axes}), ${feasible.length} feasible, ${result.pareto.length} on the Pareto front (fewest cycles per sample, logic LUTs, SRAM bytes, DRAM bytes/cycle):\n`);
  const front = frontPoints(result);
  // the last column marks the base machine: only when it is on the front (an empty column otherwise)
  const marked = front.some((p) => p.base);
  const rows = front.map((p) => [`${p.rows}x${p.cols}`, p.thresholdPasses, p.batch, fmtInt(p.areaLuts ?? 0), bytes(p.sramBytes), `${p.bandwidth} B/cycle`, fmtInt(Math.round((p.cycles ?? 0) / p.batch)), (p.latencyUs ?? 0).toFixed(2), `${(100 * (p.utilization ?? 0)).toFixed(1)}%`, ...(marked ? [p.base ? 'base machine' : ''] : [])]);
  io.stdout(table(['array', 'thr. passes', 'batch', 'logic LUTs', 'SRAM', 'DRAM bandwidth', 'cycles/sample', 'latency µs', 'utilization', ...(marked ? [''] : [])], rows, io));
  const base = result.points.find((p) => p.base);
  if (base !== undefined && !front.includes(base)) {
    const figures = base.feasible ? `${fmtInt(base.cycles ?? 0)} cycles, ${fmtInt(base.areaLuts ?? 0)} logic LUTs, ${bytes(base.sramBytes)} SRAM` : `infeasible (${base.error ?? ''})`;
    io.stdout(`base machine (${base.rows}x${base.cols}, ${base.bandwidth} B/cycle, point ${base.index}): ${figures} — not on the front\n`);
  }
  const bad = result.points.find((p) => !p.feasible);
  if (bad !== undefined) io.stderr(io.errColor.cyan('note: ') + `${result.points.length - feasible.length} points are infeasible, e.g. ${bad.rows}x${bad.cols} with ${bad.sramKiB} KiB: ${bad.error ?? ''}\n`);
  io.stdout(`wrote ${files.join(', ')}\n`);
}

function readShard(path: string): SweepRun {
  // refused before reading when over the longest string node can hold (a million points is ~0.5 GB)
  return parseShardJsonl(readText(path, 'shard files'), path);
}

const HELP_AFTER = `
SRAM: --sram-kib sets the total on-chip SRAM of a point, split over the buffers by bytes:
  ${SRAM_SPLIT_TEXT.replace("; ", ";\n  ")}.
The last point is the base machine itself (--config, or the default machine), marked base_machine.
Points that are not a legal machine (NN402), whose buffers cannot hold the model (NN403), whose
batch the model cannot take (NN306: a channel-major feature-map model), whose batch is too large
for a program or for --max-memory (NN308), or whose lowering is predicted over the instruction
limit (NN406: --max-instructions, default ${fmtInt(DEFAULT_LIMITS.maxInstructions)} as \`nnchip lower\` has it; a small array
tiles a large model finely) are recorded as infeasible with the reason, not fatal.
Pareto objectives (all minimized): cycles per sample, logic area in iCE40 LUTs (the README's
area model, src/explore/area.ts), SRAM bytes, DRAM bytes per cycle.

Sharding: --shard i/N (0 ≤ i < N) evaluates the points whose index mod N = i and writes
<out>/explore-shard-<iiii>-of-<NNNN>.jsonl (zero-padded: --shard 3/16 writes
explore-shard-0003-of-0016.jsonl); \`nnchip explore merge\` combines all N shards into the
same explore.csv and explore.json, byte for byte, as one unsharded run.

Examples:
  nnchip explore examples/digits-mlp/model.json --arrays 8x8,16x16 --sram-kib 8,32 --bandwidth 8 -o results/
  nnchip explore examples/digits-mlp/model.json --shard 3/16 -o shards/   (and 0/16 … 15/16, e.g. on a batch engine)
  nnchip explore merge shards/explore-shard-*.jsonl -o results/`;

export function register(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('explore')
    .description('sweep array shapes × SRAM × DRAM bandwidth with the static certificate (no simulation); print the Pareto front')
    .addHelpText('after', HELP_AFTER)
    .argument('<model>', `${MODEL_INPUTS}, or a SCALE-Sim topology .csv (all its layers, or file.csv#layer)`)
    .option('--arrays <list>', 'array shapes RxC, comma-separated', DEFAULT_GRID.arrays.map((a) => `${a.rows}x${a.cols}`).join(','))
    .option('--sram-kib <list>', 'total SRAM sizes in KiB, comma-separated', DEFAULT_GRID.sramKiB.join(','))
    .option('--bandwidth <list>', 'DRAM bytes per cycle (per channel), comma-separated', DEFAULT_GRID.bandwidth.join(','))
    .option('--threshold-passes <list>', "threshold-unit cycles per acc row, comma-separated (default: the base machine's); a value illegal for an array's cols is an infeasible point")
    .option('--batch <list>', 'samples per inference, comma-separated (default 1); a batch the model cannot take is an infeasible point')
    .option('-o, --out <dir>', 'output folder for explore.csv / explore.json / shard files (default: .)')
    .option('--shard <i/N>', 'evaluate slice i of N (0-based) and write it as JSON lines (default: the whole grid, no shard file)')
    .option('--json', 'print explore.json to stdout: {"format", "version", "objectives", "meta", "pareto", "points"} ("pareto" indices into "points"); with --shard {"shard", "points", "totalPoints", "file"}, the shard file written')
    .option('--force', 'replace existing outputs that nnchip did not write (never an input, its folder, or what is inside that folder)')
    .addOption(new Option('--config <file>', 'base machine configuration JSON for the fields the grid does not set: DRAM latency, queue depth, clock (default: the defaults `nnchip sim --help` lists)'))
    .addOption(new Option('--calibration <file>', 'JSON samples used to choose activation scales (default: calibration.json beside the model)'))
    .addOption(new Option('--input-range <lo,hi>', 'declared input range, used when there is no calibration data (default: none)'))
    .addOption(new Option('--max-params <n>', `refuse models with more weights (default ${DEFAULT_LIMITS.maxParams})`))
    .addOption(new Option('--max-memory <bytes>', `refuse allocations larger than this (default ${DEFAULT_LIMITS.maxMemory})`))
    .addOption(new Option('--max-instructions <n>', `a point whose lowering is predicted (from the shapes, before emitting) to take more instructions is infeasible (NN406); the compiler needs about 1 KB of memory per instruction (default ${DEFAULT_LIMITS.maxInstructions})`))
    .action((model: string, f: ExploreFlags) => {
      const out = f.out ?? '.';
      const written = outputOptions(f, model, f.calibration, f.config);
      if (f.shard === undefined) for (const file of resultFiles(out)) checkOutput(file, 'file', written);
      const run = runSweep(model, f, ctx);
      if (f.shard === undefined) return finish(resultOf(run), out, f.json === true, ctx, written);
      const file = join(out, shardFileName(run));
      writeFileAtomic(file, shardJsonl(run), written);
      const line = { shard: `${run.shard.index}/${run.shard.count}`, points: run.points.length, totalPoints: run.meta.totalPoints, file };
      ctx.io.stdout(f.json === true ? JSON.stringify(line) + '\n' : `shard ${line.shard}: ${line.points} of ${line.totalPoints} points → ${file}\n`);
    });
  const merge = cmd
    .command('merge')
    .description('combine the shard files of one sweep into explore.csv + explore.json (identical to an unsharded run)')
    .argument('<files...>', 'explore-shard-*.jsonl files: all N shards of one sweep')
    .option('-o, --out <dir>', 'output folder (default: .)')
    .option('--json', 'print explore.json to stdout: {"format", "version", "objectives", "meta", "pareto", "points"}, as `nnchip explore --json`')
    .addHelpText(
      'after',
      examples([
        ['nnchip explore merge shards/explore-shard-*.jsonl -o results/', 'explore.csv + explore.json from all shards'],
        ['nnchip explore merge a.jsonl b.jsonl --json', 'explore.json on stdout'],
      ]),
    );
  // commander lets `explore` claim --out/--json wherever they appear, so read both levels
  addForceOption(merge);
  merge.action((files: string[]) => {
    const f = merge.optsWithGlobals<{ out?: string; json?: boolean; force?: boolean }>();
    const out = f.out ?? '.';
    const written = outputOptions(f, ...files);
    for (const file of resultFiles(out)) checkOutput(file, 'file', written);
    finish(mergeShards(files.map(readShard)), out, f.json === true, ctx, written);
  });
}
