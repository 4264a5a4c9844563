// SPDX-License-Identifier: MIT
/** Text: what a file the user gave is encoded in, when it is not the UTF-8 nnchip reads; integers as people read them. */

/**
 * UTF-16 (a byte order mark, or ASCII with every other byte zero): Windows PowerShell's `>` and
 * `Out-File` write JSON so. Read as UTF-8 it was "binary data", "no samples found" or a JSON error
 * quoting NUL bytes.
 */
export function isUtf16(bytes: Uint8Array): boolean {
  if (bytes.length < 2) return false;
  const [a, b] = [bytes[0]!, bytes[1]!];
  if ((a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff)) return true;
  // no mark: the first characters ASCII (tab to '~'), each with a zero byte after (LE) or before (BE)
  const pairs = Math.min(4, Math.floor(bytes.length / 2));
  const ascii = (c: number): boolean => c >= 0x09 && c <= 0x7e;
  const all = (f: (i: number) => boolean): boolean => Array.from({ length: pairs }, (_, i) => f(2 * i)).every(Boolean);
  return all((i) => ascii(bytes[i]!) && bytes[i + 1] === 0) || all((i) => bytes[i] === 0 && ascii(bytes[i + 1]!));
}

/** The sentence for such a file. */
export const UTF16_TEXT = 'is UTF-16 text (as PowerShell\'s > writes it); nnchip reads UTF-8';
export const UTF16_HINT = 'save the file as UTF-8 (PowerShell: Out-File -Encoding utf8, or Set-Content)';

// messages print sizes with it, and every area may import diagnostics/
export { fmtInt } from '../diagnostics/error.js';
