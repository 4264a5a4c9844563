// SPDX-License-Identifier: MIT
/** Human views of results (tables, colors). Formatting only: no logic, no file access. */
import Table from 'cli-table3';
import { layerInstructionCounts, type Certificate } from '../isa/cost.js';
import type { Program } from '../isa/program.js';
import type { CliIo } from './context.js';
import { BUFFER_LIST } from '../isa/spec.js';

/** 1234567 → "1,234,567", as toLocaleString('en-US') writes it, without loading the locale data (20 ms at start) for integers. */
export const fmtInt = (n: number): string => (Number.isSafeInteger(n) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : n.toLocaleString('en-US'));

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

export function table(head: string[], rows: (string | number)[][], io: CliIo): string {
  const t = new Table({
    head: head.map((h) => io.color.bold(h)),
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const r of rows) t.push(r.map((c) => (typeof c === 'number' ? fmtInt(c) : c)));
  return t.toString() + '\n';
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
