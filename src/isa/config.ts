// SPDX-License-Identifier: MIT
/**
 * ArrayConfig: the machine a Program is compiled for (array shape, buffer depths, DRAM model,
 * queue depth, clock). Defaults, validation and parsing of `--array RxC` / `--config file.json`.
 */
import { NnchipError, shownValue } from '../diagnostics/error.js';
import { entryBytes, type Buffer } from './spec.js';

/** The digit counts D of the one-lane threshold unit (thresholdPasses = cols·D); 16-bit mult splits into D digits. */
export const THRESHOLD_DIGIT_STEPS = [2, 4, 8, 16] as const;

/** The machine; CONFIG_FIELD_DOCS below says what each field means. */
export interface ArrayConfig {
  readonly rows: number;
  readonly cols: number;
  readonly actDepth: number;
  readonly wgtDepth: number;
  readonly accDepth: number;
  readonly qntDepth: number;
  readonly outDepth: number;
  readonly dramBytesPerCycle: number;
  readonly dramLatency: number;
  readonly queueDepth: number;
  readonly thresholdPasses: number;
  readonly accBanks: number;
  readonly clockMhz: number;
}

/** What each field means, in the order `nnchip sim --help` lists them (the one description of the fields). */
export const CONFIG_FIELD_DOCS = {
  rows: 'array rows R: the reduction (K) extent of one weight tile',
  cols: 'array columns C: the output-channel (N) extent of one weight tile',
  actDepth: 'act buffer entries (R bytes each)',
  wgtDepth: 'wgt buffer entries (C bytes each)',
  accDepth: 'acc buffer entries (4·C bytes each)',
  qntDepth: 'qnt buffer entries (4·C bytes each)',
  outDepth: 'out buffer entries (C bytes each)',
  dramBytesPerCycle: 'external memory bandwidth, bytes per cycle on each of the read and write channels',
  dramLatency: 'cycles from a DMA request to its first data',
  queueDepth: 'instruction queue entries in front of each unit',
  thresholdPasses: `threshold-unit cycles per acc row: a divisor P of cols (cols/P lanes) or cols × ${THRESHOLD_DIGIT_STEPS.join('|')} (one lane, multi-cycle multiply)`,
  accBanks: 'acc buffer read ports: 1 (the matmul and the threshold share one) or 2 (two halves split at accDepth/2, a read port each: a matmul may stream beside a threshold that reads the other half)',
  clockMhz: 'clock for time figures (cycle counts do not depend on it)',
} as const satisfies Record<keyof ArrayConfig, string>;

export const DEFAULT_CONFIG: ArrayConfig = {
  rows: 8,
  cols: 8,
  actDepth: 4096,
  wgtDepth: 1024,
  accDepth: 1024,
  qntDepth: 64,
  outDepth: 1024,
  dramBytesPerCycle: 8,
  dramLatency: 20,
  queueDepth: 8,
  thresholdPasses: 1,
  accBanks: 1,
  clockMhz: 100,
};

/** Limits that keep every field encodable (16-bit buffer addresses) and every simulation allocatable. */
export const CONFIG_LIMITS: Readonly<Record<keyof ArrayConfig, readonly [number, number]>> = {
  rows: [1, 256],
  cols: [1, 256],
  actDepth: [1, 65536],
  wgtDepth: [1, 65536],
  accDepth: [1, 65536],
  qntDepth: [1, 65536],
  outDepth: [1, 65536],
  dramBytesPerCycle: [1, 4096],
  dramLatency: [0, 100000],
  queueDepth: [1, 1024],
  thresholdPasses: [1, 4096],
  accBanks: [1, 2],
  clockMhz: [0.001, 100000],
};

const INTEGER_FIELDS = new Set<keyof ArrayConfig>(Object.keys(CONFIG_LIMITS).filter((k) => k !== 'clockMhz') as (keyof ArrayConfig)[]);

/** Validate every field; the error names the field and its allowed range. */
export function validateConfig(cfg: ArrayConfig, file?: string): ArrayConfig {
  for (const key of Object.keys(CONFIG_LIMITS) as (keyof ArrayConfig)[]) {
    const v = cfg[key];
    const [lo, hi] = CONFIG_LIMITS[key];
    const ok = typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi && (!INTEGER_FIELDS.has(key) || Number.isInteger(v));
    if (!ok) {
      const kind = INTEGER_FIELDS.has(key) ? 'an integer' : 'a number';
      throw new NnchipError('NN402', `config field "${key}" is ${shownValue(v)}; it must be ${kind} from ${lo} to ${hi}`, file === undefined ? {} : { file });
    }
  }
  if (!thresholdPassesValid(cfg.thresholdPasses, cfg.cols)) {
    throw new NnchipError('NN402', `config field "thresholdPasses" is ${cfg.thresholdPasses}; with cols = ${cfg.cols} it must divide ${cfg.cols} or be ${cfg.cols} × ${THRESHOLD_DIGIT_STEPS.slice(0, -1).join(', ')} or ${THRESHOLD_DIGIT_STEPS.at(-1)}`, file === undefined ? {} : { file });
  }
  if (cfg.accBanks === 2 && cfg.accDepth < 2) {
    throw new NnchipError('NN402', `config field "accBanks" is 2; the acc buffer's two halves need accDepth ≥ 2 (it is ${cfg.accDepth})`, file === undefined ? {} : { file });
  }
  return cfg;
}

/**
 * The first acc entry of the upper half (accBanks 2: entries below it are bank 0, the rest bank 1;
 * each bank has its own read port). With one bank, accDepth: every entry is in bank 0.
 */
export function accSplit(cfg: Pick<ArrayConfig, 'accBanks' | 'accDepth'>): number {
  return cfg.accBanks === 2 ? Math.floor(cfg.accDepth / 2) : cfg.accDepth;
}

/**
 * Threshold-unit shapes the RTL builds (rtl-templates/nnchip_threshold.v): P dividing cols gives
 * cols/P full-width lanes; P = cols·D (D in THRESHOLD_DIGIT_STEPS) gives one lane multiplying in
 * D steps. The generated nnchip_isa.vh states the same rule (thresholdPassesRule) for elaboration.
 */
export function thresholdPassesValid(passes: number, cols: number): boolean {
  return cols % passes === 0 || (passes % cols === 0 && (THRESHOLD_DIGIT_STEPS as readonly number[]).includes(passes / cols));
}

/** thresholdPassesValid as an expression over two names, with the same meaning in Verilog and JavaScript (positive integers). */
export function thresholdPassesRule(passes: string, cols: string): string {
  return `(${cols} % ${passes} == 0) || (${passes} % ${cols} == 0 && (${THRESHOLD_DIGIT_STEPS.map((d) => `${passes} == ${cols} * ${d}`).join(' || ')}))`;
}

/** Parse `RxC` (e.g. "8x8", "4x16"). */
export function parseArray(text: string): { rows: number; cols: number } {
  const m = /^\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*$/.exec(text);
  const rows = m ? Number(m[1]) : NaN;
  const cols = m ? Number(m[2]) : NaN;
  const [lo, hi] = CONFIG_LIMITS.rows;
  if (!(rows >= lo && rows <= hi && cols >= lo && cols <= hi)) {
    throw new NnchipError('NN401', `--array "${text}" is not RxC with R and C from ${lo} to ${hi}`);
  }
  return { rows, cols };
}

/** Merge a partial config (from --config JSON or flags) over the defaults and validate it. */
export function makeConfig(partial: Partial<ArrayConfig> = {}, file?: string): ArrayConfig {
  const unknown = Object.keys(partial).filter((k) => !(k in DEFAULT_CONFIG));
  if (unknown.length > 0) {
    throw new NnchipError('NN402', `unknown config field "${unknown[0]}"; known fields: ${Object.keys(DEFAULT_CONFIG).join(', ')}`, file === undefined ? {} : { file });
  }
  return validateConfig({ ...DEFAULT_CONFIG, ...partial }, file);
}

/** Bytes of one buffer for this config. */
export function bufferBytes(cfg: ArrayConfig, buf: Buffer): number {
  return depthOf(cfg, buf) * entryBytes(buf, cfg.rows, cfg.cols);
}

export function depthOf(cfg: ArrayConfig, buf: Buffer): number {
  switch (buf) {
    case 'act':
      return cfg.actDepth;
    case 'wgt':
      return cfg.wgtDepth;
    case 'acc':
      return cfg.accDepth;
    case 'qnt':
      return cfg.qntDepth;
    case 'out':
      return cfg.outDepth;
  }
}
