// SPDX-License-Identifier: MIT
/**
 * The FPGA parts the synthesis flows build for, with their resources (from the vendors' data
 * sheets; nextpnr's utilisation report agrees), and the check that a synthesized design fits one.
 */
import { NnchipError } from '../../diagnostics/error.js';
import type { ArrayConfig } from '../../isa/config.js';
import type { VerilogTarget } from './verilog-targets.js';
import { didYouMean } from '../../diagnostics/suggest.js';

export interface FpgaDevice {
  readonly target: VerilogTarget;
  /** Part and package, for messages: `iCE40-HX8K (CT256)`. */
  readonly part: string;
  /** Logic cells: one 4-input LUT and one flip-flop each (iCE40); LUT4s and FFs (ECP5). */
  readonly logicCells: number;
  readonly flipFlops: number;
  /** Block RAMs (iCE40 EBR: 4 kbit; ECP5 EBR: 18 kbit) and the widths × depths each can be. */
  readonly brams: number;
  readonly bramShapes: readonly (readonly [width: number, depth: number])[];
  readonly dsps: number;
  /** Where the array's PE multipliers go: LUT fabric, or the part's DSP blocks (the UP5K's SB_MAC16, two PEs per block). */
  readonly peMultipliers: PeMultipliers;
  /** User I/O pins of the package the flow places on. */
  readonly io: number;
}

/**
 * How the PEs multiply: `fabric`, the `*` the synthesis tool maps as it will (LUTs, or whatever
 * DSPs its flow infers); `mac16`, explicit iCE40 UltraPlus SB_MAC16 blocks in their 8x8 mode, two
 * PEs per block with the PEs' registers as the block's input registers (rtl-templates/
 * nnchip_mac16_pair.v), rows × ⌈cols/2⌉ blocks. The cycle timing is the same either way.
 */
export const PE_MULTIPLIERS = ['fabric', 'mac16'] as const;
export type PeMultipliers = (typeof PE_MULTIPLIERS)[number];

const ICE40_EBR: FpgaDevice['bramShapes'] = [[16, 256], [8, 512], [4, 1024], [2, 2048]];

/**
 * iCE40 HX/LP data sheet: HX8K 7,680 logic cells, 32 EBR (128 kbit), CT256 206 I/O. iCE40
 * UltraPlus data sheet (FPGA-DS-02008): UP5K 5,280 logic cells, 30 EBR (120 kbit), 8 DSP
 * (SB_MAC16), 4 SPRAM (not used by the core), SG48 39 I/O. ECP5 family data sheet: LFE5U-25F
 * 24,288 LUT4s, 56 EBR (18 kbit), 28 18×18 multipliers, CABGA381 197 I/O.
 */
export const FPGA_DEVICES = {
  hx8k: { target: 'ice40', part: 'iCE40-HX8K (CT256)', logicCells: 7680, flipFlops: 7680, brams: 32, bramShapes: ICE40_EBR, dsps: 0, peMultipliers: 'fabric', io: 206 },
  up5k: { target: 'ice40', part: 'iCE40-UP5K (SG48)', logicCells: 5280, flipFlops: 5280, brams: 30, bramShapes: ICE40_EBR, dsps: 8, peMultipliers: 'mac16', io: 39 },
  '25k': {
    target: 'ecp5',
    part: 'ECP5 LFE5U-25F (CABGA381)',
    logicCells: 24288,
    flipFlops: 24288,
    brams: 56,
    bramShapes: [[36, 512], [18, 1024], [9, 2048], [4, 4096], [2, 8192], [1, 16384]],
    dsps: 28,
    peMultipliers: 'fabric',
    io: 197,
  },
} as const satisfies Record<string, FpgaDevice>;
export type DeviceName = keyof typeof FPGA_DEVICES;
/** The part whose DSP blocks `mac16` designs use. */
const MAC16_PART: FpgaDevice = FPGA_DEVICES.up5k;
export const DEVICE_NAMES = Object.keys(FPGA_DEVICES) as DeviceName[];

/** The part each FPGA flow builds for when none is named. */
export const DEFAULT_DEVICE: Partial<Record<VerilogTarget, DeviceName>> = { ice40: 'hx8k', ecp5: '25k' };

/**
 * The part for a target: the named one when it belongs to the target's family, its default when
 * none is named, null for flows without a part (asic, generic). A part of another family, or a
 * part named for a flow without one, is a usage error (NN801).
 */
export function deviceFor(target: VerilogTarget, name: string | undefined): DeviceName | null {
  const fallback = DEFAULT_DEVICE[target] ?? null;
  if (name === undefined) return fallback;
  const own = DEVICE_NAMES.filter((d) => FPGA_DEVICES[d].target === target);
  if (fallback === null) throw new NnchipError('NN801', `--device ${name}: the ${target} flow builds for no particular part (devices belong to ice40: hx8k, up5k; ecp5: 25k)`);
  if (!(DEVICE_NAMES as string[]).includes(name)) throw new NnchipError('NN801', `unknown device "${name}" (${target}: ${own.join(', ')}${didYouMean(name, own)})`);
  const d = name as DeviceName;
  if (FPGA_DEVICES[d].target !== target) throw new NnchipError('NN801', `--target ${target} --device ${name}: ${FPGA_DEVICES[d].part} is not a part of the ${target} flow (${target}: ${own.join(', ')})`);
  return d;
}

/** DSP blocks the array's PE multipliers take with `mac16` (two PEs of a row per block). */
export function mac16Blocks(rows: number, cols: number): number {
  return rows * Math.ceil(cols / 2);
}

/**
 * DSP blocks the threshold unit's lanes take (nnchip_mac16_lane.v: each lane's 32x16 requantization
 * multiply in two SB_MAC16 blocks, in place of about 270 logic cells of shift-and-add), or 0: only
 * where the PEs are in SB_MAC16 blocks (`mac16`, the UP5K's 8) and the part has the blocks to spare
 * beside theirs, so the array never gives up a DSP for the threshold (a 4x4 array takes all 8).
 */
export function thresholdMac16Blocks(c: Pick<ArrayConfig, 'rows' | 'cols' | 'thresholdPasses'>, mult: PeMultipliers): number {
  if (mult !== 'mac16') return 0;
  const lanes = c.thresholdPasses <= c.cols ? c.cols / c.thresholdPasses : 1;
  const blocks = 2 * lanes;
  return mac16Blocks(c.rows, c.cols) + blocks <= MAC16_PART.dsps ? blocks : 0;
}

/** What a synthesized design uses. */
export interface ResourceUse {
  readonly luts: number;
  readonly ffs: number;
  readonly brams: number;
  readonly dsps: number;
  readonly io: number;
}
export const RESOURCES = ['luts', 'ffs', 'brams', 'dsps', 'io'] as const;
export type Resource = (typeof RESOURCES)[number];

export const RESOURCE_LABEL: Record<Resource, string> = { luts: 'LUTs', ffs: 'flip-flops', brams: 'block RAMs', dsps: 'DSPs', io: 'I/O pins' };

export function available(device: FpgaDevice, r: Resource): number {
  return { luts: device.logicCells, ffs: device.flipFlops, brams: device.brams, dsps: device.dsps, io: device.io }[r];
}

export interface Overuse {
  readonly resource: Resource;
  readonly used: number;
  readonly available: number;
}

/** The resources a design uses beyond the part (yosys maps multipliers to DSPs however many the part has). */
export function overuse(use: ResourceUse, device: FpgaDevice): Overuse[] {
  return RESOURCES.filter((r) => use[r] > available(device, r)).map((r) => ({ resource: r, used: use[r], available: available(device, r) }));
}

/** Blocks one memory of `width` × `depth` bits takes: the cheapest of the block's shapes, as yosys's memory_libmap picks. */
export function bramBlocks(width: number, depth: number, device: FpgaDevice): number {
  return Math.min(...device.bramShapes.map(([w, d]) => Math.ceil(width / w) * Math.ceil(depth / d)));
}
