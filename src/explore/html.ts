// SPDX-License-Identifier: MIT
/** HTML building blocks for the report: escaping, locale-free number formats, tables. Strings only. */
import { fmtInt as fmtIntExact } from '../diagnostics/error.js';

/** Escape text for element content and for double- or single-quoted attribute values. */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 1234567.4 → "1,234,567": rounded, then the messages' thousands separators (no Intl for safe integers, so the bytes do not depend on the ICU build). */
export const fmtInt = (n: number): string => fmtIntExact(Math.round(n));

export function fmtFixed(n: number, digits: number): string {
  const [whole = '0', frac] = Math.abs(n).toFixed(digits).split('.');
  return (n < 0 ? '-' : '') + fmtInt(Number(whole)) + (frac === undefined ? '' : `.${frac}`);
}

export const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

/** A cell is escaped text, or `{ html }` already built by the caller (e.g. an inline SVG swatch). */
export type Cell = string | number | { readonly html: string };

const cell = (c: Cell): string => (typeof c === 'object' ? c.html : typeof c === 'number' ? fmtInt(c) : esc(c));

export function htmlTable(head: readonly string[], rows: readonly (readonly Cell[])[], cls = ''): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`).join('\n');
  // the wrapper scrolls a table wider than the page instead of letting it overflow the layout
  return `<div class="table"><table${cls === '' ? '' : ` class="${esc(cls)}"`}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** Most figure cards in one row; more than this are spread evenly over rows, so no card sits alone. */
const FIGURES_PER_ROW = 6;

/** Key figures as a definition grid. */
export function figures(items: readonly (readonly [string, string])[]): string {
  const columns = Math.ceil(items.length / Math.ceil(items.length / FIGURES_PER_ROW));
  return `<dl class="figures" style="--columns:${columns}">${items.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>`;
}

export const STYLE = `
:root { --ink: #1d2330; --muted: #5b6475; --line: #d8dde6; --accent: #2f6fdf; --accent2: #e0793a; --bg: #fbfcfe; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
main { max-width: 1040px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
p.sub, p.note, figcaption { color: var(--muted); margin: 4px 0 12px; }
div.table { overflow-x: auto; margin: 8px 0 16px; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { background: #eef2f8; font-weight: 600; }
span.wrap { white-space: normal; }
td:first-child, th:first-child { text-align: left; }
dl.figures { display: grid; grid-template-columns: repeat(var(--columns), minmax(0, 1fr)); gap: 10px; margin: 12px 0; }
@media (max-width: 760px) { dl.figures { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
dl.figures div { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
dt { color: var(--muted); font-size: 12px; }
dd { margin: 2px 0 0; font-size: 17px; font-weight: 600; font-variant-numeric: tabular-nums; }
figure { margin: 12px 0 20px; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px; }
svg { width: 100%; height: auto; display: block; font: 12px system-ui, sans-serif; }
svg text { fill: var(--ink); }
svg .axis { stroke: #9aa3b2; stroke-width: 1; }
svg .grid { stroke: #e6e9ef; stroke-width: 1; }
svg .bar rect.total { fill: #b9cdf3; }
svg .bar rect.useful { fill: var(--accent); }
svg .roof { stroke: var(--accent2); stroke-width: 2.5; fill: none; }
svg .roof-point { fill: var(--accent); stroke: #fff; stroke-width: 1.5; }
svg .point { fill: #fff; stroke: #8a93a3; stroke-width: 1.2; }
svg .point.pareto { fill: var(--accent); stroke: #1c4ea8; }
svg .chosen { fill: none; stroke: var(--accent2); stroke-width: 2.5; }
svg .space-bg { fill: #f1f3f7; stroke: #c6ccd6; }
svg .region { stroke: #fff; stroke-width: 0.5; }
svg .muted { fill: var(--muted); }
details { margin: 8px 0; }
summary { cursor: pointer; color: var(--accent); }
pre { background: #f4f6fa; border: 1px solid var(--line); padding: 10px; overflow: auto; max-height: 520px; font: 12px/1.35 ui-monospace, Menlo, Consolas, monospace; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
`;
