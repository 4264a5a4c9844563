// SPDX-License-Identifier: MIT
/**
 * The boards `nnchip verilog --board` builds for, from their published pinouts (the .pcf files in
 * targets/board/): part, package, oscillator, where the flash image goes, LED polarity.
 */
import { NnchipError } from '../diagnostics/error.js';
import type { FlashReadName } from './flash.js';
import { availableChoices } from '../diagnostics/suggest.js';

export interface Board {
  readonly name: string;
  readonly title: string;
  readonly device: 'up5k' | 'hx8k';
  readonly package: string;
  readonly oscMhz: number;
  /** flash bytes; the image goes at imageOffset, above the bitstream (UP5K ≈ 104 kB, HX8K ≈ 135 kB) */
  readonly flashBytes: number;
  readonly imageOffset: number;
  readonly ledActiveLow: boolean;
  /**
   * the oscillator's pin is the PLL's own input pad (the iCEBreaker's pin 35): the PLL must be an
   * SB_PLL40_PAD there (nextpnr cannot place an SB_PLL40_CORE whose site the pin's input buffer takes)
   */
  readonly pllPad: boolean;
  /** the flash chip, and the read the design uses by default (src/board/flash.ts; `--flash-read`) */
  readonly flashChip: string;
  readonly flashRead: FlashReadName;
}

export const BOARDS = {
  icebreaker: { name: 'icebreaker', title: 'iCEBreaker (iCE40-UP5K SG48)', device: 'up5k', package: 'sg48', oscMhz: 12, flashBytes: 16 << 20, imageOffset: 1 << 20, ledActiveLow: true, pllPad: true, flashChip: 'W25Q128JV', flashRead: 'dual' },
  'hx8k-breakout': { name: 'hx8k-breakout', title: 'iCE40-HX8K breakout (CT256)', device: 'hx8k', package: 'ct256', oscMhz: 12, flashBytes: 4 << 20, imageOffset: 1 << 20, ledActiveLow: false, pllPad: false, flashChip: 'N25Q032A', flashRead: 'dual' },
} as const satisfies Record<string, Board>;
export type BoardName = keyof typeof BOARDS;
export const BOARD_NAMES = Object.keys(BOARDS) as BoardName[];

export const DEFAULT_BAUD = 115200;

export function boardNamed(name: string): Board {
  const b = Object.hasOwn(BOARDS, name) ? (BOARDS as Record<string, Board>)[name] : undefined;
  if (b === undefined) throw new NnchipError('NN801', `unknown board "${name}" (${availableChoices(name, BOARD_NAMES)})`);
  return b;
}
