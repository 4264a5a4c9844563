// SPDX-License-Identifier: MIT
/**
 * Options shared by the commands that compile a model, and how they read. Light on purpose: every
 * command registers these, so the compiler itself (load-program.ts) is loaded only by the command that runs.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Option, type Command } from 'commander';
import { fmtInt, MAX_JSON_DEPTH, nestedDeeperThan, NnchipError } from '../diagnostics/error.js';
import { DEFAULT_LIMITS, type Limits } from '../importers/limits.js';
import type { ModelChoice } from '../importers/outputs.js';
import { syntheticCalibration } from '../importers/topology.js';
import { DEFAULT_CONFIG, makeConfig, parseArray, type ArrayConfig } from '../isa/config.js';
import { MAX_BATCH } from '../passes/batch.js';
import type { Calibration } from '../passes/quantize.js';
import { MAX_CALIBRATION_SAMPLES, readRegularFile, readSamples, type InputSpec } from './data.js';
import { flagCount, flagQuantity } from './flag-numbers.js';
import { isUtf16, UTF16_HINT, UTF16_TEXT } from '../util/text.js';
import { duplicateKey, withoutBom } from '../util/json-text.js';

export interface CompileFlags {
  readonly array?: string;
  readonly config?: string;
  readonly calibration?: string;
  readonly inputRange?: string;
  readonly outputName?: string;
  readonly inputShape?: string;
  readonly maxParams?: string;
  readonly maxMemory?: string;
  readonly maxInstructions?: string;
  readonly batch?: string;
  /** false with --no-fold-adds */
  readonly foldAdds?: boolean;
  /** --final-softmax: 'drop' or 'compute' (commander checks the choice) */
  readonly finalSoftmax?: 'drop' | 'compute';
}

/** `machine`: what --array and --config default to, when not the default machine (e.g. a board folder's own). */
export function addCompileOptions(cmd: Command, machine?: string): Command {
  return cmd
    .addOption(new Option('--array <RxC>', `systolic array rows x columns (default ${machine ?? '8x8'})`))
    .addOption(new Option('--config <file>', `machine configuration JSON; --array overrides its rows/cols (default: ${machine ?? 'the defaults `nnchip sim --help` lists'})`))
    .addOption(new Option('--calibration <file>', 'JSON samples used to choose activation scales (default: calibration.json beside the model, if present)'))
    .addOption(new Option('--input-range <lo,hi>', 'declared input range, used when there is no calibration data (default: none)'))
    .addOption(new Option('--output-name <names>', 'the outputs to compile, one or several separated by commas, in that order (an ONNX output name, a TF.js layer or node name; of a TF.js graph model any node, to compile the network before an in-graph decoding); the graph keeps only what they read (default: every output of the model, in one program)'))
    .addOption(new Option('--input-shape <sizes>', "the input's sizes without the batch, comma-separated in the model's own order (ONNX C,H,W; TF.js H,W,C; a sequence T,F), for a model that leaves some to run time (a fully convolutional network, a detector of any image size, a recurrent net of any length); sizes the model fixes must be given as they are (default: the model's own)"))
    .addOption(new Option('--max-params <n>', `refuse models with more weights (default ${DEFAULT_LIMITS.maxParams})`))
    .addOption(new Option('--max-memory <bytes>', `refuse allocations larger than this, a model whose tensors together take more to compile (32 bytes a value), and a --batch whose lowering would take more compiler memory (default ${DEFAULT_LIMITS.maxMemory})`))
    .addOption(new Option('--max-instructions <n>', `refuse a lowering predicted (from the shapes, before emitting) to take more instructions: the compiler needs about 1 KB of memory per instruction (default ${DEFAULT_LIMITS.maxInstructions})`))
    .addOption(new Option('--batch <n>', `samples per inference, 1 to ${MAX_BATCH} (default 1): each weight tile streams the rows of all n samples; buffers must hold them (raise actDepth/accDepth in --config), and its instructions the program format and --max-memory (NN308 names the largest batch)`))
    .addOption(new Option('--final-softmax <mode>', 'a softmax (or log-softmax) that is the model\'s last op: drop it, the outputs logits and argmax unchanged, or compute it, the outputs probabilities as the model gives them (default: drop; a softmax inside the network is always computed; docs/numerics.md)').choices(['drop', 'compute']))
    .addOption(new Option('--no-fold-adds', 'keep each residual add an op of its own (default: folded into the convolution before it where the scales allow, its shortcut one more term; docs/numerics.md)'));
}

export function positiveInt(text: string, flag: string): number {
  const n = flagCount(text, flag);
  if (!Number.isSafeInteger(n) || n < 1) throw new NnchipError('NN801', `${flag} "${text}" is not a positive integer`);
  return n;
}

/** --input-shape: the sizes it lists (a usage error unless positive integers), or undefined when absent. */
export function inputShapeFrom(f: CompileFlags): number[] | undefined {
  if (f.inputShape === undefined) return undefined;
  const parts = f.inputShape.split(',').map((t) => t.trim());
  if (parts.length > 8 || parts.some((t) => t === '')) throw new NnchipError('NN801', `--input-shape "${f.inputShape}" is not a comma-separated list of 1 to 8 sizes (e.g. 3,224,224)`);
  return parts.map((t) => {
    const n = /^\d+$/.test(t) ? Number(t) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw new NnchipError('NN801', `--input-shape "${f.inputShape}": "${t}" is not a positive integer size`);
    return n;
  });
}

/** What the importers are told of the model's interface: --output-name and --input-shape. */
export function modelChoiceFrom(f: CompileFlags): ModelChoice {
  return { output: f.outputName, inputShape: inputShapeFrom(f), finalSoftmax: f.finalSoftmax };
}

/** --batch: 1 when absent; a usage error, before the model is read, unless an integer from 1 to MAX_BATCH. */
export function batchFrom(f: CompileFlags): number {
  if (f.batch === undefined) return 1;
  const n = flagCount(f.batch, '--batch');
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_BATCH) throw new NnchipError('NN801', `--batch "${f.batch}" must be an integer from 1 to ${MAX_BATCH}`);
  return n;
}

export function limitsFrom(f: CompileFlags): Limits {
  return {
    maxParams: f.maxParams === undefined ? DEFAULT_LIMITS.maxParams : positiveInt(f.maxParams, '--max-params'),
    maxMemory: f.maxMemory === undefined ? DEFAULT_LIMITS.maxMemory : positiveInt(f.maxMemory, '--max-memory'),
    maxInstructions: f.maxInstructions === undefined ? DEFAULT_LIMITS.maxInstructions : positiveInt(f.maxInstructions, '--max-instructions'),
  };
}

/** A machine configuration is a dozen numbers: anything much larger is not one. */
export const MAX_CONFIG_BYTES = 64 * 1024;

export function configFrom(f: CompileFlags): ArrayConfig {
  let partial: Partial<ArrayConfig> = {};
  if (f.config !== undefined) {
    const bytes = readRegularFile(f.config, MAX_CONFIG_BYTES, 'machine configurations');
    if (isUtf16(bytes)) throw new NnchipError('NN402', UTF16_TEXT, { file: f.config, hint: UTF16_HINT });
    let json: unknown;
    const text = withoutBom(bytes.toString('utf8')); // a Windows editor's byte order mark failed as an invisible "Unexpected token"
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new NnchipError('NN402', `cannot read the config as JSON (${(e as Error).message.split('\n')[0]})`, { file: f.config });
    }
    // {"rows": 4, "rows": 8} was a machine of 8 rows, silently
    const twice = duplicateKey(text);
    if (twice !== undefined) throw new NnchipError('NN402', `config field "${twice.key}" is given twice${twice.at === '' ? '' : ` (in ${twice.at})`}`, { file: f.config });
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new NnchipError('NN402', 'the config must be a JSON object', { file: f.config });
    if (nestedDeeperThan(json)) throw new NnchipError('NN402', `nests arrays or objects over ${MAX_JSON_DEPTH} levels deep`, { file: f.config });
    // own fields only: "__proto__", "toString" or "constructor" are not machine parameters
    const unknown = Object.keys(json).find((k) => !Object.hasOwn(DEFAULT_CONFIG, k));
    if (unknown !== undefined) throw new NnchipError('NN402', `unknown config field ${JSON.stringify(unknown)}; known fields: ${Object.keys(DEFAULT_CONFIG).join(', ')}`, { file: f.config });
    partial = Object.fromEntries(Object.entries(json)) as Partial<ArrayConfig>;
  }
  if (f.array !== undefined) partial = { ...partial, ...parseArray(f.array) };
  return makeConfig(partial, f.config);
}

const FLOAT32_MAX = 3.4028234663852886e38;

function parseRange(text: string): readonly [number, number] {
  const parts = text.split(',').map((s) => flagQuantity(s.trim(), '--input-range'));
  const [lo, hi] = parts;
  if (parts.length !== 2 || lo === undefined || hi === undefined || !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
    throw new NnchipError('NN801', `--input-range "${text}" must be two numbers lo,hi with lo < hi`);
  }
  // inputs are float32: a bound past its largest value (1e39 was taken, then failed as NN304 "check the calibration data")
  if (Math.max(-lo, hi) > FLOAT32_MAX) throw new NnchipError('NN801', `--input-range "${text}" goes past ±3.4e38, the largest float32 (inputs are float32)`);
  return [lo, hi];
}

/** A calibration.json nobody named on the command line: its error says why it was read, and how not to. */
function besideTheModel<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof NnchipError)) throw e;
    const hint = 'it was read because it lies beside the model and neither --calibration nor --input-range was given: fix or move it, or pass --calibration <file> or --input-range lo,hi';
    throw new NnchipError(e.code, e.detail, { ...(e.file === undefined ? {} : { file: e.file }), ...(e.layer === undefined ? {} : { layer: e.layer }), hint });
  }
}

/** Calibration from --calibration, else calibration.json beside the model, else --input-range. */
export function calibrationFrom(modelPath: string, f: CompileFlags, input: number | InputSpec): { calibration: Calibration; source: string; warning?: string } {
  const beside = join(dirname(modelPath), 'calibration.json');
  const file = f.calibration ?? (f.inputRange === undefined && existsSync(beside) ? beside : undefined);
  if (file !== undefined) {
    const samples = f.calibration !== undefined ? readSamples(file, input) : besideTheModel(() => readSamples(file, input));
    // counted before an array is made per sample (Samples.inputs)
    if (samples.count > MAX_CALIBRATION_SAMPLES) throw new NnchipError('NN109', `holds ${fmtInt(samples.count)} samples; calibration files of over ${fmtInt(MAX_CALIBRATION_SAMPLES)} samples are refused`, { file: basename(file), hint: 'calibrate on a subset: a few hundred samples that cover the inputs suffice (no flag raises this limit)' });
    const { inputs } = samples;
    return { calibration: { samples: inputs }, source: `${inputs.length} samples from ${basename(file)}` };
  }
  if (f.inputRange !== undefined) {
    const warning = 'quantizing from --input-range bounds alone; calibration data (--calibration) gives better accuracy';
    return { calibration: { inputRange: parseRange(f.inputRange) }, source: `input range ${f.inputRange}`, warning };
  }
  // a SCALE-Sim topology has synthetic weights: a fixed synthetic input range keeps it deterministic
  if (/\.csv(#.*)?$/i.test(modelPath)) return { calibration: syntheticCalibration(typeof input === 'number' ? input : input.size), source: 'one synthetic sample in -1…1 (shape-only topology)' };
  throw new NnchipError('NN301', 'no calibration data for quantization', { file: basename(modelPath) });
}
