// SPDX-License-Identifier: MIT
/** Human views of results (tables, colors). Formatting only: no logic, no file access. */
import { createRequire } from 'node:module';
import { layerInstructionCounts, type Certificate } from '../isa/cost.js';
import { dequantizeOutput, outputParts, type Program } from '../isa/program.js';
import type { CliIo } from './context.js';
import { BUFFER_LIST } from '../isa/spec.js';
import { shortName } from '../diagnostics/error.js';
import { fmtInt } from '../util/text.js';

/** 1234567 → "1,234,567" (util/text.ts), for every view here. */
export { fmtInt };

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

/**
 * A boxed table, as cli-table3 draws it with no row separators and one space of padding. Cells of
 * printable ASCII only (every table the commands print, uncolored) are laid out here, one column
 * per character; anything else (color codes, wide or combining characters, line breaks) goes to
 * cli-table3, loaded only then: its load and layout were a tenth of a small `sim`'s time beyond
 * process start. test/property/render-table.test.ts holds the two to the same bytes.
 */
export function table(head: string[], rows: (string | number)[][], io: CliIo): string {
  // a cell is cut as error lines cut names: every row is padded to the widest, so one 1 MB layer name
  // in a .nnp of 300 empty layers made `sim` print 310 MB (and take 3 GB)
  const cells = [head.map((h) => io.color.bold(h)), ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmtInt(c) : shortName(c))))];
  const plain = cells.every((r) => r.length === head.length && r.every((c) => NARROW.test(c.replace(SGR, ''))));
  return (plain ? asciiTable(cells) : cliTable3(cells)) + '\n';
}

/**
 * Characters one column wide as cli-table3 measures them: printable ASCII and the few others the
 * commands print (→ × µ · … — ≤ ≥); SGR color codes take no column. (Every layer table holds a →:
 * cli-table3's layout, quadratic in the rows, took 11 of the 13 s of a 6,000-layer `lower`.)
 */
const NARROW = /^[\x20-\x7e\u00b5\u00b7\u00d7\u2014\u2026\u2190-\u2199\u2264\u2265]*$/;
const SGR = /\x1b\[[0-9;]*m/g;

/** The first row is the head; every row has one cell per column, each of one-column characters and color codes. */
export function asciiTable(cells: readonly (readonly string[])[]): string {
  const width = (c: string): number => c.replace(SGR, '').length;
  const widths = cells[0]!.map((_, j) => 2 + cells.reduce((w, r) => Math.max(w, width(r[j]!)), 0));
  const rule = (left: string, mid: string, right: string): string => left + widths.map((w) => '─'.repeat(w)).join(mid) + right;
  const line = (r: readonly string[]): string => `│${r.map((c, j) => ` ${c}${' '.repeat(widths[j]! - 1 - width(c))}`).join('│')}│`;
  return [rule('┌', '┬', '┐'), ...cells.map(line), rule('└', '┴', '┘')].join('\n');
}

/** cli-table3's drawing of the same table (the first row is the head). */
export function cliTable3(cells: readonly (readonly string[])[]): string {
  const Table = createRequire(import.meta.url)('cli-table3') as typeof import('cli-table3');
  const t = new Table({ head: [...cells[0]!], style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' } });
  for (const r of cells.slice(1)) t.push([...r]);
  return t.toString();
}

export function layerTable(p: Program, cert: Certificate, io: CliIo): string {
  const counts = layerInstructionCounts(p);
  const rows = p.layers.map((l, i) => [l.name, l.op, l.shape, l.macs, counts[i]!, l.weightBytes, cert.layers[i]?.cycles ?? 0]);
  rows.push([io.color.bold('total'), '', '', cert.macs, p.instructions.length, p.layers.reduce((a, l) => a + l.weightBytes, 0), cert.cycles]);
  return table(['layer', 'op', 'shape', 'MACs', 'instructions', 'weight bytes', 'cycles'], rows, io);
}

export function memoryTable(cert: Certificate, io: CliIo): string {
  const rows = BUFFER_LIST.map((b) => [b, bytes(cert.peakBytes[b]), bytes(cert.capacityBytes[b])]);
  rows.push(['dram', bytes(cert.peakBytes.dram), '']);
  return table(['memory', 'peak', 'capacity'], rows, io);
}

/** One sample's output values for --json (run, sim): an array, or of several outputs an object of one array per output name; 6 decimals. */
export function outputsJson(p: Program, codes: Int8Array): number[] | Record<string, number[]> {
  const values = Array.from(dequantizeOutput(p, codes), (v) => Math.round(v * 1e6) / 1e6);
  return p.outputs.length > 1 ? Object.fromEntries(outputParts(p).map(({ t, offset, size }) => [t.name, values.slice(offset, offset + size)])) : values;
}
