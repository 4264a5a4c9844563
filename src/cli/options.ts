// SPDX-License-Identifier: MIT
/** Options shared by the commands that compile a model, and the one function that applies them. */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Option, type Command } from 'commander';
import { NnchipError } from '../diagnostics/error.js';
import { DEFAULT_LIMITS, loadModel, type Limits } from '../importers/index.js';
import { syntheticCalibration } from '../importers/topology.js';
import { product } from '../ir/graph.js';
import { makeConfig, parseArray, type ArrayConfig } from '../isa/config.js';
import type { Calibration } from '../passes/quantize.js';
import { compile, type Compiled } from '../passes/pipeline.js';
import type { CliContext } from './context.js';
import { readSamples } from './data.js';

export interface CompileFlags {
  readonly array?: string;
  readonly config?: string;
  readonly calibration?: string;
  readonly inputRange?: string;
  readonly maxParams?: string;
  readonly maxMemory?: string;
  readonly batch?: string;
}

export function addCompileOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--array <RxC>', 'systolic array rows x columns (default 8x8)'))
    .addOption(new Option('--config <file>', 'machine configuration JSON (fields: see `nnchip sim --help`); --array overrides its rows/cols'))
    .addOption(new Option('--calibration <file>', 'JSON samples used to choose activation scales (default: calibration.json beside the model, if present)'))
    .addOption(new Option('--input-range <lo,hi>', 'declared input range, used when there is no calibration data'))
    .addOption(new Option('--max-params <n>', `refuse models with more weights (default ${DEFAULT_LIMITS.maxParams})`))
    .addOption(new Option('--max-memory <bytes>', `refuse allocations larger than this (default ${DEFAULT_LIMITS.maxMemory})`))
    .addOption(new Option('--batch <n>', 'samples per inference (default 1): a network of dense layers streams n samples through each weight tile; buffers must hold them (raise actDepth/accDepth in --config)'));
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new NnchipError('NN801', `${flag} "${text}" is not a positive integer`);
  return n;
}

export function limitsFrom(f: CompileFlags): Limits {
  return {
    maxParams: f.maxParams === undefined ? DEFAULT_LIMITS.maxParams : positiveInt(f.maxParams, '--max-params'),
    maxMemory: f.maxMemory === undefined ? DEFAULT_LIMITS.maxMemory : positiveInt(f.maxMemory, '--max-memory'),
  };
}

export function configFrom(f: CompileFlags): ArrayConfig {
  let partial: Partial<ArrayConfig> = {};
  if (f.config !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(f.config, 'utf8'));
    } catch (e) {
      throw new NnchipError('NN402', `cannot read the config as JSON (${(e as Error).message.split('\n')[0]})`, { file: f.config });
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new NnchipError('NN402', 'the config must be a JSON object', { file: f.config });
    partial = json as Partial<ArrayConfig>;
  }
  if (f.array !== undefined) partial = { ...partial, ...parseArray(f.array) };
  return makeConfig(partial, f.config);
}

function parseRange(text: string): readonly [number, number] {
  const parts = text.split(',').map((s) => Number(s.trim()));
  const [lo, hi] = parts;
  if (parts.length !== 2 || lo === undefined || hi === undefined || !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
    throw new NnchipError('NN801', `--input-range "${text}" must be two numbers lo,hi with lo < hi`);
  }
  return [lo, hi];
}

/** Calibration from --calibration, else calibration.json beside the model, else --input-range. */
export function calibrationFrom(modelPath: string, f: CompileFlags, inputSize: number): { calibration: Calibration; source: string; warning?: string } {
  const beside = join(dirname(modelPath), 'calibration.json');
  const file = f.calibration ?? (f.inputRange === undefined && existsSync(beside) ? beside : undefined);
  if (file !== undefined) {
    const { inputs } = readSamples(file, inputSize);
    return { calibration: { samples: inputs }, source: `${inputs.length} samples from ${basename(file)}` };
  }
  if (f.inputRange !== undefined) {
    const warning = 'quantizing from --input-range bounds alone; calibration data (--calibration) gives better accuracy';
    return { calibration: { inputRange: parseRange(f.inputRange) }, source: `input range ${f.inputRange}`, warning };
  }
  // a SCALE-Sim topology has synthetic weights: a fixed synthetic input range keeps it deterministic
  if (/\.csv(#.*)?$/i.test(modelPath)) return { calibration: syntheticCalibration(inputSize), source: 'one synthetic sample in -1…1 (shape-only topology)' };
  throw new NnchipError('NN301', 'no calibration data for quantization', { file: basename(modelPath) });
}

export interface CompiledModel extends Compiled {
  readonly calibrationSource: string;
}

export function compileModel(modelPath: string, f: CompileFlags, ctx: CliContext): CompiledModel {
  const config = configFrom(f);
  const graph = loadModel(modelPath, limitsFrom(f));
  const inputSize = product(graph.inputs[0]!.shape);
  const { calibration, source, warning } = calibrationFrom(modelPath, f, inputSize);
  try {
    const batch = f.batch === undefined ? 1 : positiveInt(f.batch, '--batch');
    const compiled = compile(graph, { config, calibration, batch });
    if (warning !== undefined) ctx.io.stderr(ctx.io.color.yellow('warning: ') + warning + '\n');
    return { ...compiled, calibrationSource: source };
  } catch (e) {
    if (e instanceof NnchipError && e.file === undefined) throw new NnchipError(e.code, e.detail, { file: basename(modelPath), ...(e.layer === undefined ? {} : { layer: e.layer }) });
    throw e;
  }
}
