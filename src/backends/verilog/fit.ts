// SPDX-License-Identifier: MIT
/**
 * When a design does not fit its FPGA: the block-RAM model of the core's memories (the same shapes
 * rtl-templates/nnchip_top.v instantiates) and a machine config that fits, found by shrinking the
 * buffers the model's program can do without — each candidate compiled to check the model still lowers.
 */
import { accSplit, type ArrayConfig } from '../../isa/config.js';
import { bramBlocks, mac16Blocks, overuse, RESOURCE_LABEL, type FpgaDevice, type Overuse, type Resource, type ResourceUse } from './devices.js';

/** Buffers whose depth is a config field; the acc buffer is two block-RAM arrays per half (one half, or two with accBanks 2). */
export const BUFFERS = ['actDepth', 'wgtDepth', 'accDepth', 'qntDepth', 'outDepth'] as const;
type BufferField = (typeof BUFFERS)[number];

function bufferWidth(c: ArrayConfig, f: BufferField): number {
  return { actDepth: c.rows * 8, wgtDepth: c.cols * 8, accDepth: c.cols * 32, qntDepth: c.cols * 24, outDepth: c.cols * 8 }[f];
}
const BANKS: Record<BufferField, number> = { actDepth: 1, wgtDepth: 1, accDepth: 2, qntDepth: 1, outDepth: 1 };

/** Block RAMs the core's buffers take on `device`, per buffer (the instruction ROM is not modelled: see fitBrams). */
export function bufferBrams(c: ArrayConfig, device: FpgaDevice): Record<BufferField, number> {
  const out = {} as Record<BufferField, number>;
  for (const f of BUFFERS) out[f] = BANKS[f] * bramBlocks(bufferWidth(c, f), c[f], device);
  // two acc halves (nnchip_acc_mem.v): each as deep as its share of the entries
  if (c.accBanks === 2) out.accDepth = BANKS.accDepth * (bramBlocks(bufferWidth(c, 'accDepth'), accSplit(c), device) + bramBlocks(bufferWidth(c, 'accDepth'), c.accDepth - accSplit(c), device));
  return out;
}

export const bramTotal = (m: Record<string, number>): number => Object.values(m).reduce((a, b) => a + b, 0);

/** Compiles the model for a config: its instruction count, or null when the model does not lower on it. */
export type RecompileFn = (config: ArrayConfig) => { readonly instructions: number } | null;

export interface FitSuggestion {
  /** The changed config fields (a --config file holding them, over the current config, fits). */
  readonly change: Partial<ArrayConfig>;
  /** Why it fits, or why no config was found. */
  readonly why: string;
  readonly found: boolean;
  /** The block-RAM model says it fits; a logic suggestion is a direction, not a proof. */
  readonly verified: boolean;
}

/**
 * Shrinks buffers until the block RAMs fit: each step halves the buffer whose halving saves the most
 * blocks and on which the model still compiles. Buffers are modelled exactly (bufferBrams); the
 * instruction ROM is what yosys measured beyond them (it drops constant instruction bits, so no
 * formula gets it right), scaled by the instruction count of each candidate's program.
 */
function fitBrams(c: ArrayConfig, measured: number, instructions: number, device: FpgaDevice, recompile: RecompileFn, from: { config: ArrayConfig; instructions: number } = { config: c, instructions }): FitSuggestion {
  const romNow = Math.max(0, measured - bramTotal(bufferBrams(c, device)));
  const rom = (n: number): number => Math.ceil((romNow * n) / Math.max(1, instructions));
  // the search starts from `from`: the measured config with the other resources' changes (a smaller array has narrower buffers)
  let config = from.config;
  let insns = from.instructions;
  for (;;) {
    const model = bufferBrams(config, device);
    const total = bramTotal(model) + rom(insns);
    if (total <= device.brams) {
      const change = Object.fromEntries(BUFFERS.filter((f) => config[f] !== from.config[f]).map((f) => [f, config[f]])) as Partial<ArrayConfig>;
      return { change, why: `about ${total} block RAMs: ${bramTotal(model)} for the buffers, ${rom(insns)} for the program ROM`, found: true, verified: true };
    }
    let best: { config: ArrayConfig; insns: number; saved: number } | null = null;
    for (const f of BUFFERS) {
      // halve until a block is saved (depths inside one block save nothing)
      for (let d = Math.floor(config[f] / 2); d >= 1; d = Math.floor(d / 2)) {
        const next = { ...config, [f]: d };
        const saved = model[f] - bufferBrams(next, device)[f];
        if (saved <= 0) continue;
        if (best !== null && saved <= best.saved) break;
        const compiled = recompile(next);
        if (compiled !== null) best = { config: next, insns: compiled.instructions, saved };
        break;
      }
    }
    if (best === null) {
      if (rom(insns) > device.brams) {
        return { change: {}, why: `the program ROM alone takes about ${rom(insns)} block RAMs (${insns} instructions): the model is too large for on-chip ROM on this part`, found: false, verified: false };
      }
      const shrunk = Object.fromEntries(BUFFERS.filter((f) => config[f] !== from.config[f]).map((f) => [f, config[f]])) as Partial<ArrayConfig>;
      // the ROM share is scaled from the measured design; yosys maps a small ROM to logic, so the smallest buffers are still worth a try
      return Object.keys(shrunk).length === 0
        ? { change: {}, why: `no smaller buffers hold the model's tiles (still about ${total} block RAMs)`, found: false, verified: false }
        : { change: shrunk, why: `the smallest buffers the model lowers on: about ${total} block RAMs, ${bramTotal(model)} for the buffers and about ${rom(insns)} for the program ROM (scaled from this synthesis; yosys may map a small ROM to logic)`, found: true, verified: false };
    }
    config = best.config;
    insns = best.insns;
  }
}

/**
 * Logic over the part: the threshold unit is the largest block and 4·cols passes make it one lane
 * multiplying in 4-bit steps; with `queues` (steps an estimate checks one by one), shallower
 * instruction queues next (each entry registers every instruction field: a few hundred cells on an
 * iCE40, and fewer cycles lost than with fewer PEs);
 * after that only a smaller array saves logic (each PE is a multiplier).
 */
function fitLogic(c: ArrayConfig, recompile: RecompileFn, queues: boolean): FitSuggestion {
  const passes = 4 * c.cols;
  if (c.thresholdPasses < passes && recompile({ ...c, thresholdPasses: passes }) !== null) {
    return { change: { thresholdPasses: passes }, why: 'one threshold lane multiplying in 4-bit steps: the smallest threshold unit', found: true, verified: false };
  }
  const queueDepth = Math.floor(c.queueDepth / 2);
  if (queues && queueDepth >= 1 && recompile({ ...c, queueDepth }) !== null) {
    return { change: { queueDepth }, why: 'half the instruction-queue entries', found: true, verified: false };
  }
  const rows = Math.max(1, Math.floor(c.rows / 2));
  const cols = Math.max(1, Math.floor(c.cols / 2));
  if ((rows < c.rows || cols < c.cols) && recompile({ ...c, rows, cols, thresholdPasses: 4 * cols }) !== null) {
    return { change: { rows, cols, thresholdPasses: 4 * cols }, why: 'a quarter of the processing elements', found: true, verified: false };
  }
  return { change: {}, why: 'no smaller machine found', found: false, verified: false };
}

/**
 * DSPs over the part: the PEs' (one per PE where yosys maps the `*` to DSPs, however many the part
 * has; two per block with `mac16`, devices.ts), the rest (the threshold lanes) as measured; the
 * array is halved until they fit.
 */
function fitDsps(c: ArrayConfig, used: number, device: FpgaDevice, recompile: RecompileFn): FitSuggestion {
  const peDsps = (r: number, k: number): number => (device.peMultipliers === 'mac16' ? mac16Blocks(r, k) : r * k);
  const rest = Math.max(0, used - peDsps(c.rows, c.cols));
  let { rows, cols } = c;
  while (peDsps(rows, cols) + rest > device.dsps && rows * cols > 1) {
    if (cols >= rows) cols = Math.max(1, Math.floor(cols / 2));
    else rows = Math.max(1, Math.floor(rows / 2));
  }
  const passes = c.thresholdPasses === 4 * c.cols || cols % c.thresholdPasses !== 0 ? 4 * cols : c.thresholdPasses;
  const next = { ...c, rows, cols, thresholdPasses: passes };
  if (peDsps(rows, cols) + rest > device.dsps) return { change: {}, why: `the threshold unit alone takes ${rest} DSPs`, found: false, verified: false };
  if (recompile(next) === null) return { change: {}, why: `the model does not lower on a ${rows}x${cols} array`, found: false, verified: false };
  const change: Partial<ArrayConfig> = { rows, cols, ...(passes === c.thresholdPasses ? {} : { thresholdPasses: passes }) };
  const perPe = device.peMultipliers === 'mac16' ? 'one per two PEs' : 'one per PE';
  return { change, why: `about ${peDsps(rows, cols) + rest} DSPs: ${perPe}, ${rest} for the threshold unit`, found: true, verified: true };
}

export interface NotFitting {
  /** The one-line answer: what is over, by how much, and a config that fits (or why there is none). */
  readonly line: string;
  /** The suggested config fields (empty when none was found). */
  readonly change: Partial<ArrayConfig>;
  /** Every over resource has a suggestion its resource model (block RAMs, DSPs) says fits. */
  readonly verified: boolean;
}

/** What a design of `config` would use, for a fit decided before synthesis (a board design: src/board/fit.ts); null when it cannot be built. */
export type EstimateFn = (config: ArrayConfig) => ResourceUse | null;

export interface NotFittingOptions {
  /**
   * With an estimate, the suggestion is not one step per over resource but shrinks on until the
   * estimate of the whole changed config fits (each step as without it), and says what it estimates.
   */
  readonly estimate?: EstimateFn;
  /** Names for the resources in the line (an estimate's `luts` may be logic cells). */
  readonly labels?: Partial<Record<Resource, string>>;
}

/** The resources over the part, by how much: `block RAMs 40 of 32 (8 over), …`. */
export function overText(over: readonly Overuse[], labels: Partial<Record<Resource, string>>): string {
  return over.map((o) => `${labels[o.resource] ?? RESOURCE_LABEL[o.resource]} ${o.used} of ${o.available} (${o.used - o.available} over)`).join(', ');
}

/** One step: a change per over resource (each from its own model, fitBrams … fitDsps). */
function suggestStep(over: readonly Overuse[], device: FpgaDevice, c: ArrayConfig, instructions: number, recompile: RecompileFn, estimated = false): FitSuggestion[] {
  // each change is found on the machine the ones before it leave: the array's shape (DSPs) first, then
  // the threshold unit for that many columns, then the buffers, which a smaller array makes narrower
  const parts: FitSuggestion[] = [];
  const shaped = (): ArrayConfig => ({ ...c, ...(Object.assign({}, ...parts.map((p) => p.change)) as Partial<ArrayConfig>) });
  const dsps = over.find((o) => o.resource === 'dsps');
  if (dsps !== undefined) parts.push(fitDsps(c, dsps.used, device, recompile));
  if (over.some((o) => o.resource === 'luts' || o.resource === 'ffs')) parts.push(fitLogic(shaped(), recompile, estimated));
  const brams = over.find((o) => o.resource === 'brams');
  if (brams !== undefined) {
    const shape = shaped();
    const compiled = parts.every((p) => Object.keys(p.change).length === 0) ? { instructions } : recompile(shape);
    parts.push(fitBrams(c, brams.used, instructions, device, recompile, compiled === null ? undefined : { config: shape, instructions: compiled.instructions }));
  }
  if (over.some((o) => o.resource === 'io')) parts.push({ change: {}, why: 'the pins are the top module\'s ports: a board top, not a config, sets them', found: false, verified: false });
  return parts;
}

/** The fields of `next` that differ from `c`. */
export function changed(c: ArrayConfig, next: ArrayConfig): Partial<ArrayConfig> {
  return Object.fromEntries(Object.entries(next).filter(([k, v]) => c[k as keyof ArrayConfig] !== v)) as Partial<ArrayConfig>;
}

/** Steps until the estimate of the changed config fits (or no step is left); each step's resources from the estimate. */
function shrinkUntilEstimateFits(over: readonly Overuse[], device: FpgaDevice, c: ArrayConfig, instructions: number, recompile: RecompileFn, estimate: EstimateFn, labels: Partial<Record<Resource, string>>): NotFitting {
  let config = c;
  let insns = instructions;
  let now = over;
  for (let steps = 0; steps < 64; steps++) {
    const parts = suggestStep(now, device, config, insns, recompile, true);
    const step = Object.assign({}, ...parts.map((p) => p.change)) as Partial<ArrayConfig>;
    const next = { ...config, ...step };
    const compiled = Object.keys(step).length === 0 ? null : recompile(next);
    const estimated = compiled === null ? null : estimate(next);
    if (compiled === null || estimated === null) {
      const reasons = parts.filter((p) => !p.found).map((p) => p.why).join('; ');
      const tried = changed(c, config);
      const advice = `no machine config found that the estimate says fits${Object.keys(tried).length > 0 ? ` (still over with ${JSON.stringify(tried)})` : ''}${reasons === '' ? '' : `: ${reasons}`}`;
      return { line: advice, change: tried, verified: false };
    }
    config = next;
    insns = compiled.instructions;
    let use = estimated;
    now = overuse(use, device);
    if (now.length === 0) {
      // the queues went first (fewer cycles lost than with fewer PEs): as deep again as still fits the shrunk machine
      for (let deeper = { ...config, queueDepth: config.queueDepth * 2 }; deeper.queueDepth <= c.queueDepth; deeper = { ...deeper, queueDepth: deeper.queueDepth * 2 }) {
        const u = recompile(deeper) === null ? null : estimate(deeper);
        if (u === null || overuse(u, device).length > 0) break;
        config = deeper;
        use = u;
      }
      const change = changed(c, config);
      const figures = (['luts', 'brams', 'dsps'] as const).map((r) => `${use[r]} ${labels[r] ?? RESOURCE_LABEL[r]}`).join(', ');
      return { line: `a machine config that fits: ${JSON.stringify(change)} (estimated ${figures})`, change, verified: true };
    }
  }
  return { line: 'no machine config found that the estimate says fits', change: {}, verified: false };
}

export function notFitting(over: readonly Overuse[], device: FpgaDevice, c: ArrayConfig, instructions: number, recompile: RecompileFn, opts: NotFittingOptions = {}): NotFitting {
  const labels = opts.labels ?? {};
  const what = overText(over, labels);
  if (opts.estimate !== undefined) {
    const s = shrinkUntilEstimateFits(over, device, c, instructions, recompile, opts.estimate, labels);
    return { line: `the design does not fit ${device.part}: ${what}; ${s.line}`, change: s.change, verified: s.verified };
  }
  const parts = suggestStep(over, device, c, instructions, recompile);
  const change = Object.assign({}, ...parts.map((p) => p.change)) as Partial<ArrayConfig>;
  const reasons = parts.map((p) => p.why).join('; ');
  const advice = parts.length > 0 && parts.every((p) => p.found)
    ? `a machine config ${parts.every((p) => p.verified) ? 'that fits' : 'to try'}: ${JSON.stringify(change)} (${reasons})`
    : `${Object.keys(change).length > 0 ? `try ${JSON.stringify(change)}, but ` : ''}${reasons === '' ? 'no config found' : reasons}`;
  const verified = parts.length > 0 && parts.every((p) => p.found && p.verified);
  return { line: `the design does not fit ${device.part}: ${what}; ${advice}`, change, verified };
}
