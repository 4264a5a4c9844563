// SPDX-License-Identifier: MIT
/**
 * renderReport: one self-contained HTML page about a compiled Program (layers, instructions,
 * certificate, memory map, roofline, and the explore Pareto plot when given). No scripts, no
 * external resources (a CSP forbids fetches), no timestamps: equal inputs give equal bytes.
 */
import { formatListing } from '../isa/asm.js';
import { bufferBytes, depthOf } from '../isa/config.js';
import { certify, emptyTally, layerOfInstruction, tallyInstruction, type Certificate } from '../isa/cost.js';
import type { Program, Region } from '../isa/program.js';
import { BUFFER_LIST, entryBytes, OPCODE_LIST, WORK_UNITS, type Instruction, type Opcode } from '../isa/spec.js';
import { colorOf, layerBarChart, memoryMapChart, paretoChart, rooflineChart, type MemorySpace } from './charts.js';
import { esc, figures, fmtBytes, fmtFixed, fmtInt, htmlTable, pct, STYLE, type Cell } from './html.js';
import { frontPoints, type ExploreResult } from './results.js';

export interface ReportInput {
  /** The model's name as the user knows it (shown in the title). */
  readonly model: string;
  readonly program: Program;
  /** Computed with certify() when absent. */
  readonly certificate?: Certificate;
  readonly explore?: ExploreResult;
  /** Where the quantization scales came from, e.g. "200 samples from calibration.json". */
  readonly calibration?: string;
}

export interface LayerStats {
  readonly name: string;
  readonly op: string;
  readonly shape: string;
  readonly macs: number;
  readonly weightBytes: number;
  readonly cycles: number;
  readonly utilization: number;
  readonly instructions: Readonly<Record<Opcode, number>>;
  readonly dramBytes: number;
  /** MACs per DRAM byte moved by the layer's loads and stores. */
  readonly intensity: number;
  /** MACs per cycle over the layer's span. */
  readonly achieved: number;
}

/** Bytes one instruction moves over the DRAM channels (load: rows × entry width; store: rows × C). */
export function dramBytesOf(insn: Instruction, cfg: Program['config']): number {
  const tally = emptyTally();
  tallyInstruction(insn, cfg, tally);
  return tally.dramBytesRead + tally.dramBytesWritten;
}

/** Per-layer figures; instructions belong to layers as the certificate counts them (layerOfInstruction). */
export function layerStats(program: Program, cert: Certificate = certify(program)): LayerStats[] {
  const owner = program.instructions.map((_, i) => layerOfInstruction(program, i));
  return program.layers.map((l, li) => {
    const counts = Object.fromEntries(OPCODE_LIST.map((o) => [o, 0])) as Record<Opcode, number>;
    let dramBytes = 0;
    program.instructions.forEach((insn, i) => {
      if (owner[i] !== li) return;
      counts[insn.op]++;
      dramBytes += dramBytesOf(insn, program.config);
    });
    const cost = cert.layers[li];
    const cycles = cost?.cycles ?? 0;
    return {
      name: l.name,
      op: l.op,
      shape: l.shape,
      macs: l.macs,
      weightBytes: l.weightBytes,
      cycles,
      utilization: cost?.utilization ?? 0,
      instructions: counts,
      dramBytes,
      intensity: dramBytes === 0 ? Infinity : l.macs / dramBytes,
      achieved: cycles === 0 ? 0 : l.macs / cycles,
    };
  });
}


function layersSection(stats: readonly LayerStats[], program: Program, cert: Certificate): string {
  const ops = OPCODE_LIST.filter((o) => o !== 'halt');
  // a fused op's label (conv3x3+relu+maxpool2x2) may wrap after each +, so the table fits the page
  const opCell = (op: string): Cell => ({ html: `<span class="wrap">${esc(op).replaceAll('+', '+<wbr>')}</span>` });
  const rows: Cell[][] = stats.map((s) => [s.name, opCell(s.op), s.shape, s.macs, s.weightBytes, ...ops.map((o) => s.instructions[o]), s.cycles, pct(s.utilization)]);
  rows.push(['total', '', '', cert.macs, stats.reduce((a, s) => a + s.weightBytes, 0), ...ops.map((o) => cert.instructions[o]), cert.cycles, pct(cert.utilization)]);
  const table = htmlTable(['layer', 'op', 'shape', 'MACs', 'weight bytes', ...ops, 'cycles', 'utilization'], rows, 'layers');
  const chart = `<figure>${layerBarChart(stats)}<figcaption>Cycles per layer (the span from its first instruction's start to its last one's end, so DMA overlap is included). Utilization = MACs / (cycles × ${program.config.rows}·${program.config.cols} PEs).</figcaption></figure>`;
  return `<h2 id="sec-layers">Layers and their instructions</h2>\n<p class="note">Instruction counts by opcode per layer; the total row counts the whole program (sync and halt included).</p>\n${table}\n${chart}`;
}

function rooflineSection(stats: readonly LayerStats[], program: Program): string {
  const { rows, cols, dramBytesPerCycle } = program.config;
  const chart = rooflineChart({ peak: rows * cols, bandwidth: dramBytesPerCycle, layers: stats.map((s) => ({ name: s.name, intensity: s.intensity, achieved: s.achieved })) });
  const table = htmlTable(
    ['layer', 'DRAM bytes', 'MACs / byte', 'MACs / cycle', 'attainable', 'bound'],
    stats.map((s) => {
      const roof = Math.min(rows * cols, dramBytesPerCycle * s.intensity);
      return [s.name, s.dramBytes, Number.isFinite(s.intensity) ? fmtFixed(s.intensity, 2) : '∞', fmtFixed(s.achieved, 2), fmtFixed(roof, 2), s.intensity < (rows * cols) / dramBytesPerCycle ? 'memory' : 'compute'];
    }),
  );
  const caption = `Roofline of the ${rows}×${cols} array: compute peak ${fmtInt(rows * cols)} MACs/cycle; DRAM ${fmtInt(dramBytesPerCycle)} bytes/cycle per channel (reads and writes have one channel each). Each layer sits at its MACs per DRAM byte (loads + stores) and its achieved MACs per cycle.`;
  return `<h2 id="sec-roofline">Roofline</h2>\n<figure>${chart}<figcaption>${esc(caption)}</figcaption></figure>\n${table}`;
}

export interface RegionBlock {
  readonly name: string;
  readonly start: number;
  readonly size: number;
  /** How many memory-map regions the block merges (e.g. one per weight tile). */
  readonly pieces: number;
}

/** Consecutive regions of one name (in address order) drawn as one block: one per tile would be a blur. */
export function coalesceRegions(regions: readonly Region[]): RegionBlock[] {
  const blocks: RegionBlock[] = [];
  for (const r of [...regions].sort((a, b) => a.start - b.start)) {
    const last = blocks[blocks.length - 1];
    if (last !== undefined && last.name === r.name) blocks[blocks.length - 1] = { ...last, size: Math.max(last.size, r.start + r.size - last.start), pieces: last.pieces + 1 };
    else blocks.push({ name: r.name, start: r.start, size: r.size, pieces: 1 });
  }
  return blocks;
}

interface SpaceBlocks extends MemorySpace {
  readonly regions: readonly RegionBlock[];
}

function memorySection(program: Program, cert: Certificate): string {
  const cfg = program.config;
  const blocksOf = (space: Region['space']): RegionBlock[] => coalesceRegions(program.memoryMap.filter((r) => r.space === space));
  const spaces: SpaceBlocks[] = [
    { space: 'dram', capacity: program.dramSize, unitBytes: 1, regions: blocksOf('dram') },
    ...BUFFER_LIST.map((b) => ({ space: b, capacity: depthOf(cfg, b), unitBytes: entryBytes(b, cfg.rows, cfg.cols), regions: blocksOf(b) })),
  ];
  const regionRows: Cell[][] = spaces.flatMap((s) =>
    s.regions.map((r, i) => [{ html: `<span class="swatch" style="background:${colorOf(i)}"></span>${esc(s.space)}` }, { html: `<span class="wrap">${esc(r.name)}</span>` }, r.pieces, r.start, r.size, fmtBytes(r.size * s.unitBytes)]),
  );
  const usage = htmlTable(
    ['memory', 'entry width', 'capacity', 'peak use', 'reads', 'writes'],
    BUFFER_LIST.map((b) => [b, `${entryBytes(b, cfg.rows, cfg.cols)} B`, fmtBytes(bufferBytes(cfg, b)), fmtBytes(cert.peakBytes[b]), cert.sramReads[b], cert.sramWrites[b]]),
  );
  const caption = 'Each strip is one memory at full capacity (DRAM: the bytes the program uses); colored blocks are the regions of the static memory map, consecutive regions of one name drawn as one block.';
  const table = htmlTable(['memory', 'region', 'pieces', 'start', 'size (entries; bytes for dram)', 'bytes'], regionRows);
  return `<h2 id="sec-memory">Memory map</h2>\n<figure>${memoryMapChart(spaces)}<figcaption>${esc(caption)}</figcaption></figure>\n${usage}\n<details><summary>Regions (${program.memoryMap.length} in the memory map)</summary>${table}</details>`;
}

function certificateSection(program: Program, cert: Certificate): string {
  const cfg = program.config;
  const units = htmlTable(['unit', 'busy cycles', 'busy'], WORK_UNITS.map((u) => [u, cert.busyCycles[u], pct(cert.cycles === 0 ? 0 : cert.busyCycles[u] / cert.cycles)]));
  const insns = htmlTable(['opcode', 'count'], OPCODE_LIST.map((o) => [o, cert.instructions[o]]));
  const config = htmlTable(['config field', 'value'], Object.entries(cfg).map(([k, v]) => [k, String(v)]));
  const figs = figures([
    ['MACs (model)', fmtInt(cert.macs)],
    ['MACs (array, with padding)', fmtInt(cert.arrayMacs)],
    ['DRAM bytes read', fmtInt(cert.dramBytesRead)],
    ['DRAM bytes written', fmtInt(cert.dramBytesWritten)],
    ['DRAM bytes used', fmtInt(cert.peakBytes.dram)],
    ['instructions', fmtInt(program.instructions.length)],
  ]);
  return `<h2 id="sec-certificate">Certificate</h2>\n<p class="note">Static figures, the same for every input (the simulator must reproduce them). Program sha256 <code>${esc(cert.programHash)}</code>.</p>\n${figs}\n<div style="display:flex;gap:28px;flex-wrap:wrap;align-items:flex-start">${units}${insns}${config}</div>`;
}

function exploreSection(r: ExploreResult, program: Program): string {
  const cfg = program.config;
  const feasible = r.points.filter((p) => p.feasible && p.cycles !== null);
  const front = new Set(r.pareto);
  const isChosen = (p: (typeof feasible)[number]): boolean =>
    p.rows === cfg.rows && p.cols === cfg.cols && p.bandwidth === cfg.dramBytesPerCycle && p.depths.actDepth === cfg.actDepth && p.depths.wgtDepth === cfg.wgtDepth && p.depths.accDepth === cfg.accDepth && p.depths.qntDepth === cfg.qntDepth && p.depths.outDepth === cfg.outDepth;
  const scatter = feasible.map((p) => ({
    index: p.index,
    label: `${p.rows}x${p.cols}, ${p.sramKiB} KiB SRAM, ${p.bandwidth} B/cycle: ${fmtInt(p.cycles ?? 0)} cycles, ${pct(p.utilization ?? 0)} utilization${front.has(p.index) ? ' (Pareto)' : ''}`,
    pes: p.pes,
    sramBytes: p.sramBytes,
    cycles: p.cycles ?? 0,
    pareto: front.has(p.index),
    chosen: isChosen(p),
  }));
  const chart = scatter.length === 0 ? '<p class="note">No feasible point to plot.</p>' : `<figure>${paretoChart(scatter)}<figcaption>Every feasible point; filled points are the Pareto front (no other point is as good on cycles per sample, logic LUTs, SRAM bytes and DRAM bandwidth and strictly better on one). A ring marks this report's configuration when it is on the grid.</figcaption></figure>`;
  const rows = frontPoints(r).map((p): Cell[] => [`${p.rows}x${p.cols}${p.base ? ' (base machine)' : ''}`, p.pes, fmtInt(p.areaLuts ?? 0), fmtBytes(p.sramBytes), `${p.bandwidth} B/cycle`, p.thresholdPasses, p.batch, p.cycles ?? 0, fmtFixed(p.latencyUs ?? 0, 2), pct(p.utilization ?? 0)]);
  const infeasible = r.points.length - feasible.length;
  const base = r.points.find((p) => p.base);
  const baseText = base === undefined ? '' : ` The base machine (${base.rows}x${base.cols}, ${fmtBytes(base.sramBytes)} SRAM, ${base.bandwidth} B/cycle) is point ${base.index}: ${base.feasible ? `${fmtInt(base.cycles ?? 0)} cycles, ${front.has(base.index) ? 'on' : 'not on'} the front` : `infeasible (${base.error ?? ''})`}.`;
  const note = `${r.points.length} points (the grid of ${r.meta.grid.arrays.length} arrays × ${r.meta.grid.sramKiB.length} SRAM sizes × ${r.meta.grid.bandwidth.length} bandwidths × ${r.meta.grid.thresholdPasses?.length ?? 1} threshold passes × ${r.meta.grid.batch?.length ?? 1} batch sizes, then the base machine) for model ${r.meta.model}; ${infeasible} infeasible; ${r.pareto.length} on the Pareto front (cycles per sample, logic LUTs, SRAM bytes, DRAM bytes/cycle).${baseText}`;
  return `<h2 id="sec-explore">Design-space exploration</h2>\n<p class="note">${esc(note)}</p>\n${chart}\n${htmlTable(['array', 'PEs', 'logic LUTs', 'SRAM', 'DRAM bandwidth', 'thr. passes', 'batch', 'cycles', 'latency µs', 'utilization'], rows, 'pareto')}`;
}

/** Instruction listings beyond this many lines are cut (the full listing is program.asm from `nnchip lower`). */
export const MAX_LISTING = 20_000;

function listingSection(program: Program): string {
  const n = program.instructions.length;
  const shown = program.instructions.slice(0, MAX_LISTING);
  const comments = new Map(program.layers.map((l) => [l.firstInsn, `layer ${l.name}: ${l.op} ${l.shape}`]));
  const cut = n > MAX_LISTING ? `<p class="note">First ${fmtInt(MAX_LISTING)} of ${fmtInt(n)} instructions; \`nnchip lower\` writes the whole listing to program.asm.</p>` : '';
  return `<h2 id="sec-listing">Program listing</h2>\n<details><summary>Show all ${fmtInt(n)} instructions</summary>${cut}<pre>${esc(formatListing(shown, { comments }))}</pre></details>`;
}

/** The whole report as one HTML document. */
export function renderReport(input: ReportInput): string {
  const { program } = input;
  const cert = input.certificate ?? certify(program);
  const cfg = program.config;
  const stats = layerStats(program, cert);
  const title = `nnchip report: ${input.model} on a ${cfg.rows}×${cfg.cols} array`;
  const sub = [`${cfg.rows}×${cfg.cols} PEs at ${cfg.clockMhz} MHz`, `DRAM ${cfg.dramBytesPerCycle} B/cycle, latency ${cfg.dramLatency} cycles`, input.calibration === undefined ? '' : `calibration: ${input.calibration}`].filter(Boolean).join(' · ');
  const headline = figures([
    ['cycles per inference', fmtInt(cert.cycles)],
    ['latency', `${fmtFixed(cert.cycles / cfg.clockMhz, 2)} µs`],
    ['utilization', pct(cert.utilization)],
    ['MACs', fmtInt(cert.macs)],
    ['DRAM traffic', fmtBytes(cert.dramBytesRead + cert.dramBytesWritten)],
    ['SRAM', fmtBytes(BUFFER_LIST.reduce((a, b) => a + cert.capacityBytes[b], 0))],
  ]);
  const sections = [layersSection(stats, program, cert), rooflineSection(stats, program), memorySection(program, cert), certificateSection(program, cert), input.explore === undefined ? '' : exploreSection(input.explore, program), listingSection(program)];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${esc(title)}</h1>
<p class="sub">${esc(sub)}</p>
${headline}
${sections.filter(Boolean).join('\n')}
<p class="note">Generated by nnchip from the program alone: every figure is static (the certificate), identical for every input.</p>
</main>
</body>
</html>
`;
}
