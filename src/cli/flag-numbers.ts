// SPDX-License-Identifier: MIT
/**
 * The one rule every numeric command-line value is read by. JavaScript's Number() also takes hex
 * (`--batch 0x10` was a batch of 16), binary, octal, exponents, spaces around the digits and an
 * empty string (0): a count is written in decimal digits, optionally grouped in thousands with
 * commas as nnchip's own messages print them (`--max-instructions 4,000,000`); a quantity (MHz, µs,
 * seconds, KiB, an input bound) is a decimal number, with a fraction and an exponent if wanted.
 *
 * A whole number JavaScript would read from another spelling is a usage error that says how to write
 * it; anything else that is not the flag's kind (`x`, `Infinity`, `2.5` for a count) is NaN, for the
 * flag's own range message.
 */
import { NnchipError } from '../diagnostics/error.js';

/** Decimal digits, or digits grouped in thousands by commas (1,000,000). */
const COUNT = /^(?:\d+|\d{1,3}(?:,\d{3})+)$/;
/** A decimal number: optional sign, digits with an optional fraction, optional exponent. */
const QUANTITY = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** What Number() makes of `text`, when it is a finite number spelt some other way. */
function otherSpelling(text: string): number | undefined {
  const n = text.trim() === '' ? NaN : Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * A count flag's value (`--batch`, `--max-memory`, …): its integer, NaN when it is no number at all
 * (the caller's range message then says what is wanted), NN801 when it is a number spelt otherwise.
 */
export function flagCount(text: string, flag: string): number {
  if (COUNT.test(text)) return Number(text.replaceAll(',', ''));
  const n = otherSpelling(text);
  // 2.5, -3: the flag's range message says what is wanted; 0x10, 1e3, 2.0, " 12": how to write it
  if (n === undefined || !Number.isSafeInteger(n) || n < 0) return NaN;
  throw new NnchipError('NN801', `${flag} "${text}" must be written in decimal digits: ${flag} ${n}`);
}

/** A quantity flag's value (`--clock`, `--timeout`, `--input-range` bounds, …): like flagCount, a decimal number. */
export function flagQuantity(text: string, flag: string): number {
  if (QUANTITY.test(text)) return Number(text);
  const n = otherSpelling(text);
  if (n === undefined) return NaN;
  throw new NnchipError('NN801', `${flag} "${text}" must be written as a decimal number: ${flag} ${n}`);
}
