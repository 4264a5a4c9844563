// SPDX-License-Identifier: MIT
/**
 * Inline SVG charts for the report: per-layer bars, the roofline, the memory map and the explore
 * scatter. Pure string builders with fixed-precision coordinates, so equal inputs give equal bytes.
 */
import { maxOf, minOf } from '../ir/graph.js';
import { esc, fmtBytes, fmtInt, pct } from './html.js';

const n1 = (x: number): string => (Math.round(x * 10) / 10).toFixed(1);
const PALETTE = ['#2f6fdf', '#e0793a', '#3aa876', '#b2509e', '#c9a227', '#4aa3c3', '#d0525e', '#7a62d0', '#6d8a3a', '#8a6248'];
export const colorOf = (i: number): string => PALETTE[i % PALETTE.length]!;

const clip = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** A number for axis labels: 1200 → 1.2k, 3000000 → 3M, 0.25 → 0.25. */
export function short(v: number): string {
  const abs = Math.abs(v);
  const trim = (x: number): string => String(Number(x.toPrecision(3)));
  if (abs >= 1e9) return `${trim(v / 1e9)}G`;
  if (abs >= 1e6) return `${trim(v / 1e6)}M`;
  if (abs >= 1e4) return `${trim(v / 1e3)}k`;
  return Number.isInteger(v) ? String(v) : trim(v);
}

interface Axis {
  readonly px: (v: number) => number;
  readonly ticks: readonly number[];
}

/** Log axis over [lo, hi] mapped to pixels [a, b]; ticks at 1-2-5 steps (or decades when crowded). */
function logAxis(lo: number, hi: number, a: number, b: number, base2 = false): Axis {
  // a value of 0 (a hand-edited explore.json) put log(0) = −∞ in the tick loop, which never ended
  if (!(lo > 0 && Number.isFinite(lo) && Number.isFinite(hi) && hi >= lo)) [lo, hi] = [1, 10];
  const l0 = Math.log(lo);
  const span = Math.log(hi) - l0 || 1;
  const px = (v: number): number => a + ((Math.log(v) - l0) / span) * (b - a);
  const ticks: number[] = [];
  if (base2) {
    for (let e = Math.ceil(Math.log2(lo) - 1e-9); 2 ** e <= hi * (1 + 1e-9); e++) ticks.push(2 ** e);
    return { px, ticks: ticks.length > 8 ? ticks.filter((_, i) => i % 2 === 0) : ticks };
  }
  for (let e = Math.floor(Math.log10(lo)) - 1; 10 ** e <= hi; e++) for (const m of [1, 2, 5]) ticks.push(m * 10 ** e);
  const inside = ticks.filter((t) => t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)).map((t) => Number(t.toPrecision(6)));
  return { px, ticks: inside.length > 8 ? inside.filter((t) => /^1(0*)$|^0\.0*1$/.test(String(t))) : inside };
}

function linearAxis(hi: number, a: number, b: number): Axis {
  const max = hi > 0 ? hi : 1;
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const top = Math.ceil(max / step) * step;
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  return { px: (v) => a + (v / top) * (b - a), ticks };
}

const svgOpen = (id: string, w: number, h: number, label: string): string =>
  `<svg id="${esc(id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(label)}">`;

export interface LayerBar {
  readonly name: string;
  readonly cycles: number;
  readonly utilization: number;
}

/** One horizontal bar per layer: length = cycles; the dark part = cycles × utilization (useful PE time). */
export function layerBarChart(layers: readonly LayerBar[]): string {
  const W = 760;
  const x0 = 170;
  const x1 = 560;
  const rowH = 26;
  const top = 30;
  const H = top + layers.length * rowH + 34;
  const axis = linearAxis(Math.max(0, ...layers.map((l) => l.cycles)), x0, x1);
  const yAxis = top + layers.length * rowH + 4;
  const parts = [svgOpen('layer-chart', W, H, 'cycles and utilization per layer')];
  parts.push(`<rect x="${x0}" y="8" width="12" height="10" class="legend-total" fill="#b9cdf3"/><text x="${x0 + 16}" y="17">cycles</text>`);
  parts.push(`<rect x="${x0 + 70}" y="8" width="12" height="10" fill="#2f6fdf"/><text x="${x0 + 86}" y="17">cycles × utilization (useful PE work)</text>`);
  for (const t of axis.ticks) {
    parts.push(`<line class="grid" x1="${n1(axis.px(t))}" y1="${top - 4}" x2="${n1(axis.px(t))}" y2="${yAxis}"/>`);
    parts.push(`<text x="${n1(axis.px(t))}" y="${yAxis + 16}" text-anchor="middle" class="muted">${esc(short(t))}</text>`);
  }
  layers.forEach((l, i) => {
    const y = top + i * rowH;
    const w = axis.px(l.cycles) - x0;
    const tip = `${l.name}: ${fmtInt(l.cycles)} cycles, ${pct(l.utilization)} utilization`;
    parts.push(
      `<g class="bar" data-layer="${esc(l.name)}" data-cycles="${l.cycles}" data-utilization="${l.utilization}"><title>${esc(tip)}</title>` +
        `<text x="${x0 - 8}" y="${y + 13}" text-anchor="end">${esc(clip(l.name, 24))}</text>` +
        `<rect class="total" x="${x0}" y="${y + 1}" width="${n1(Math.max(w, 1))}" height="16" rx="2"/>` +
        `<rect class="useful" x="${x0}" y="${y + 1}" width="${n1(Math.max(w * l.utilization, 0))}" height="16" rx="2"/>` +
        `<text x="${n1(x0 + Math.max(w, 1) + 6)}" y="${y + 13}">${esc(`${fmtInt(l.cycles)} cyc · ${pct(l.utilization)}`)}</text></g>`,
    );
  });
  parts.push(`<line class="axis" x1="${x0}" y1="${yAxis}" x2="${x1}" y2="${yAxis}"/>`);
  return parts.join('\n') + '\n</svg>';
}

/** A label's box in SVG pixels, for keeping labels of nearby points apart. */
interface Box {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

const CHAR_W = 7;

/**
 * A label beside a point at the first of four spots (right-up, right-down, left-up, left-down)
 * that overlaps no label placed so far; none free: no label (the tooltip and the table still name it).
 */
function placeLabel(text: string, cx: number, cy: number, placed: Box[]): string {
  const w = text.length * CHAR_W;
  const spots = [[cx + 8, cy - 18, 'start'], [cx + 8, cy + 4, 'start'], [cx - 8 - w, cy - 18, 'end'], [cx - 8 - w, cy + 4, 'end']] as const;
  for (const [x, y, anchor] of spots) {
    const box = { x, y, w, h: 14 };
    if (placed.some((b) => b.x < box.x + box.w && box.x < b.x + b.w && b.y < box.y + box.h && box.y < b.y + b.h)) continue;
    placed.push(box);
    return `<text x="${n1(anchor === 'start' ? x : x + w)}" y="${n1(y + 11)}" text-anchor="${anchor}">${esc(text)}</text>`;
  }
  return '';
}

export interface RooflineInput {
  /** MACs per cycle at full array use: rows · cols. */
  readonly peak: number;
  /** DRAM bytes per cycle. */
  readonly bandwidth: number;
  readonly layers: readonly { readonly name: string; readonly intensity: number; readonly achieved: number }[];
}

/** Log-log roofline: attainable MACs/cycle = min(peak, bandwidth × intensity); each layer at (intensity, achieved). */
export function rooflineChart(r: RooflineInput): string {
  const W = 760;
  const H = 380;
  const [left, right, top, bottom] = [70, 730, 20, 330];
  const ridge = r.peak / r.bandwidth;
  const pts = r.layers.filter((l) => l.intensity > 0 && Number.isFinite(l.intensity) && l.achieved > 0);
  const xs = [ridge, ...pts.map((l) => l.intensity)];
  const xa = logAxis(minOf(xs) / 4, maxOf(xs) * 4, left, right);
  const ya = logAxis(Math.min(r.peak, minOf(pts.map((l) => l.achieved))) / 4, r.peak * 2, bottom, top);
  const xlo = minOf(xs) / 4;
  const ylo = Math.min(r.peak, minOf(pts.map((l) => l.achieved))) / 4;
  const startX = Math.max(xlo, ylo / r.bandwidth);
  const parts = [svgOpen('roofline', W, H, 'roofline of the array with each layer placed on it')];
  for (const t of xa.ticks) parts.push(`<line class="grid" x1="${n1(xa.px(t))}" y1="${top}" x2="${n1(xa.px(t))}" y2="${bottom}"/><text x="${n1(xa.px(t))}" y="${bottom + 16}" text-anchor="middle" class="muted">${esc(short(t))}</text>`);
  for (const t of ya.ticks) parts.push(`<line class="grid" x1="${left}" y1="${n1(ya.px(t))}" x2="${right}" y2="${n1(ya.px(t))}"/><text x="${left - 6}" y="${n1(ya.px(t) + 4)}" text-anchor="end" class="muted">${esc(short(t))}</text>`);
  parts.push(`<line class="axis" x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}"/><line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${bottom}"/>`);
  parts.push(`<polyline class="roof" points="${n1(xa.px(startX))},${n1(ya.px(startX * r.bandwidth))} ${n1(xa.px(ridge))},${n1(ya.px(r.peak))} ${right},${n1(ya.px(r.peak))}"/>`);
  parts.push(`<text x="${right - 4}" y="${n1(ya.px(r.peak) - 6)}" text-anchor="end">compute peak ${fmtInt(r.peak)} MACs/cycle</text>`);
  parts.push(`<text x="${n1(xa.px(ridge) + 6)}" y="${n1(ya.px(r.peak) + 16)}" class="muted">ridge: ${esc(short(ridge))} MACs/byte</text>`);
  parts.push(`<text x="${n1(xa.px(startX) + 6)}" y="${n1(ya.px(startX * r.bandwidth) - 8)}" class="muted">DRAM ${fmtInt(r.bandwidth)} B/cycle</text>`);
  // the points themselves are obstacles too, so no label hides another layer's point
  const placed: Box[] = pts.map((l) => ({ x: xa.px(l.intensity) - 5, y: ya.px(l.achieved) - 5, w: 10, h: 10 }));
  for (const l of pts) {
    const cx = xa.px(l.intensity);
    const cy = ya.px(l.achieved);
    const tip = `${l.name}: ${short(l.intensity)} MACs/byte, ${short(l.achieved)} MACs/cycle`;
    const label = placeLabel(clip(l.name, 20), cx, cy, placed);
    parts.push(`<g class="roof-layer" data-layer="${esc(l.name)}"><title>${esc(tip)}</title><circle class="roof-point" cx="${n1(cx)}" cy="${n1(cy)}" r="5"/>${label}</g>`);
  }
  parts.push(`<text x="${(left + right) / 2}" y="${H - 14}" text-anchor="middle">arithmetic intensity (MACs per DRAM byte)</text>`);
  parts.push(`<text transform="translate(16 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">MACs per cycle</text>`);
  return parts.join('\n') + '\n</svg>';
}

export interface MemorySpace {
  readonly space: string;
  /** Capacity in the space's units (entries, or bytes for dram). */
  readonly capacity: number;
  readonly unitBytes: number;
  readonly regions: readonly { readonly name: string; readonly start: number; readonly size: number }[];
}

/** One strip per memory, full width = its capacity; each region drawn where the memory map puts it. */
export function memoryMapChart(spaces: readonly MemorySpace[]): string {
  const W = 760;
  const [x0, x1] = [150, 740];
  const rowH = 40;
  const H = spaces.length * rowH + 16;
  const parts = [svgOpen('memory-map', W, H, 'memory map: regions of every memory')];
  spaces.forEach((s, si) => {
    const y = 8 + si * rowH;
    const cap = Math.max(s.capacity, 1);
    const scale = (x1 - x0) / cap;
    parts.push(`<text x="${x0 - 10}" y="${y + 14}" text-anchor="end" font-weight="600">${esc(s.space)}</text>`);
    parts.push(`<text x="${x0 - 10}" y="${y + 28}" text-anchor="end" class="muted">${esc(fmtBytes(s.capacity * s.unitBytes))}</text>`);
    parts.push(`<rect class="space-bg" x="${x0}" y="${y}" width="${x1 - x0}" height="28" rx="3"><title>${esc(`${s.space}: ${fmtInt(s.capacity)} ${s.space === 'dram' ? 'bytes' : 'entries'}`)}</title></rect>`);
    s.regions.forEach((r, ri) => {
      const x = x0 + r.start * scale;
      const w = Math.max(r.size * scale, 1.5);
      const tip = `${s.space} ${r.name}: ${fmtInt(r.start)}…${fmtInt(r.start + r.size)} (${fmtBytes(r.size * s.unitBytes)})`;
      const label = w > 7 * Math.min(r.name.length, 4) ? `<text x="${n1(x + 4)}" y="${y + 18}" fill="#fff" style="fill:#fff">${esc(clip(r.name, Math.floor(w / 7)))}</text>` : '';
      parts.push(`<g class="region-g" data-space="${esc(s.space)}" data-region="${esc(r.name)}"><title>${esc(tip)}</title><rect class="region" x="${n1(x)}" y="${y}" width="${n1(w)}" height="28" fill="${colorOf(ri)}"/>${label}</g>`);
    });
  });
  return parts.join('\n') + '\n</svg>';
}

export interface ScatterPoint {
  readonly index: number;
  readonly label: string;
  readonly pes: number;
  readonly sramBytes: number;
  readonly cycles: number;
  readonly pareto: boolean;
  readonly chosen: boolean;
}

function scatterPanel(points: readonly ScatterPoint[], x: (p: ScatterPoint) => number, xName: string, left: number, right: number): string[] {
  const [top, bottom] = [20, 300];
  const xs = points.map(x);
  const ys = points.map((p) => p.cycles);
  const xa = logAxis(minOf(xs) / 1.5, maxOf(xs) * 1.5, left, right, true);
  const ya = logAxis(minOf(ys) / 1.25, maxOf(ys) * 1.25, bottom, top);
  const parts: string[] = [];
  for (const t of xa.ticks) parts.push(`<line class="grid" x1="${n1(xa.px(t))}" y1="${top}" x2="${n1(xa.px(t))}" y2="${bottom}"/><text x="${n1(xa.px(t))}" y="${bottom + 16}" text-anchor="middle" class="muted">${esc(short(t))}</text>`);
  for (const t of ya.ticks) parts.push(`<line class="grid" x1="${left}" y1="${n1(ya.px(t))}" x2="${right}" y2="${n1(ya.px(t))}"/><text x="${left - 6}" y="${n1(ya.px(t) + 4)}" text-anchor="end" class="muted">${esc(short(t))}</text>`);
  parts.push(`<line class="axis" x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}"/><line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${bottom}"/>`);
  // non-front points first so the front is drawn on top
  for (const p of [...points].sort((a, b) => Number(a.pareto) - Number(b.pareto) || a.index - b.index)) {
    const cx = n1(xa.px(x(p)));
    const cy = n1(ya.px(p.cycles));
    parts.push(`<circle class="point${p.pareto ? ' pareto' : ''}" data-index="${p.index}" cx="${cx}" cy="${cy}" r="${p.pareto ? 5 : 4}"><title>${esc(p.label)}</title></circle>`);
    if (p.chosen) parts.push(`<circle class="chosen" cx="${cx}" cy="${cy}" r="9"/>`);
  }
  parts.push(`<text x="${(left + right) / 2}" y="${bottom + 36}" text-anchor="middle">${esc(xName)}</text>`);
  return parts;
}

/** Cycles against PE count and against SRAM (both log scales); Pareto points filled, the report's array ringed. */
export function paretoChart(points: readonly ScatterPoint[]): string {
  let parts = [svgOpen('pareto-chart', 760, 350, 'explore: cycles against PE count and SRAM, Pareto front filled')];
  // concatenated, not push(...): a spread of a million points' elements throws RangeError
  parts = parts.concat(scatterPanel(points, (p) => p.pes, 'PEs (rows × cols)', 70, 370), scatterPanel(points, (p) => p.sramBytes / 1024, 'SRAM (KiB)', 440, 740));
  parts.push(`<text transform="translate(16 160) rotate(-90)" text-anchor="middle">cycles per inference</text>`);
  return parts.join('\n') + '\n</svg>';
}
