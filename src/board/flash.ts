// SPDX-License-Identifier: MIT
/**
 * How the board design reads its SPI flash (rtl-templates/board/nnchip_spi_flash.v): the read
 * commands it can send and what each costs in board clocks. The emitter fills the reader's
 * parameters from here, and the figures docs/board.md, the co-simulation and bench/board.mjs state
 * come from here: one definition.
 *
 * Both boards' flash chips (the iCEBreaker's Winbond W25Q128JV, the HX8K breakout's Micron N25Q032A)
 * answer Dual Output Fast Read (0x3B: command and address on IO0, 8 dummy clocks, then data on IO0
 * and IO1, two bits per clock) as shipped. Quad Output Read (0x6B) needs the Quad Enable bit of the
 * flash's status register, whose factory state differs between chips and boards (and writing it
 * is a non-volatile change to the user's flash): not built.
 */
import { NnchipError } from '../diagnostics/error.js';
import { availableChoices } from '../diagnostics/suggest.js';

export interface FlashRead {
  readonly name: string;
  /** the read command's opcode */
  readonly command: number;
  /** SCK clocks between the address and the first data bit */
  readonly dummyClocks: number;
  /** data bits per SCK clock: 1 on MISO (IO1), or 2 on IO1 and IO0 (the reader releases MOSI) */
  readonly bitsPerClock: 1 | 2;
  readonly title: string;
}

export const FLASH_READS = {
  single: { name: 'single', command: 0x03, dummyClocks: 0, bitsPerClock: 1, title: 'READ (0x03), one bit per clock' },
  dual: { name: 'dual', command: 0x3b, dummyClocks: 8, bitsPerClock: 2, title: 'Dual Output Fast Read (0x3B), two bits per clock' },
} as const satisfies Record<string, FlashRead>;
export type FlashReadName = keyof typeof FLASH_READS;
export const FLASH_READ_NAMES = Object.keys(FLASH_READS) as FlashReadName[];

/** Board clocks per SCK clock: the reader's SCK is the board clock halved. */
export const CLOCKS_PER_SCK = 2;
/** Board clocks with CS# high between two READ commands (tSHSL), and the reader's own turn-around. */
const GAP_CLOCKS = 5;

export function flashReadNamed(name: string): FlashRead {
  const r = Object.hasOwn(FLASH_READS, name) ? (FLASH_READS as Record<string, FlashRead>)[name] : undefined;
  if (r === undefined) throw new NnchipError('NN801', `unknown flash read "${name}" (${availableChoices(name, FLASH_READ_NAMES)})`);
  return r;
}

/** Board clocks one byte takes to shift in when it continues the open READ (the reader reads one byte ahead). */
export const clocksPerByte = (r: FlashRead): number => (CLOCKS_PER_SCK * 8) / r.bitsPerClock;

/** About the board clocks a byte at a new flash address costs: CS# high, command, address, dummy clocks and the byte. */
export const clocksPerNewRead = (r: FlashRead): number => GAP_CLOCKS + CLOCKS_PER_SCK * (32 + r.dummyClocks) + clocksPerByte(r);

/** The reader's parameters in nnchip_board_top.v. */
export function flashReadParameters(r: FlashRead): Record<string, string | number> {
  return { FLASH_READ_CMD: `8'h${r.command.toString(16).padStart(2, '0')}`, FLASH_DUMMY_CLKS: r.dummyClocks, FLASH_BITS_PER_CLK: r.bitsPerClock };
}
