// SPDX-License-Identifier: MIT
/**
 * `nnchip sim <model>`: cycles, MACs, stalls, memory traffic and peaks of one inference on the
 * configured array; `--prove` checks the cost is input-independent and writes certificate.json;
 * budgets (`--max-*`) make it a CI gate (exit code 4 when over).
 */
import { basename, join } from 'node:path';
import { createRequire } from 'node:module';
import type { Command } from 'commander';
import { EXIT } from '../../diagnostics/codes.js';
import { NnchipError } from '../../diagnostics/error.js';
import { bufferBytes, CONFIG_FIELD_DOCS, DEFAULT_CONFIG, type ArrayConfig } from '../../isa/config.js';
import { hashProgram } from '../../isa/cost.js';
import { outputsToModelLayout } from '../../isa/layout.js';
import { batchOf, dequantizeOutput, outputParts, quantizeBatches, tensorSize, type Program } from '../../isa/program.js';
import { BUFFER_LIST, WORK_UNITS } from '../../isa/spec.js';
import { checkOutput, writeDirAtomic, writeFileAtomic, type OutputOptions } from '../../util/atomic-write.js';
import type { ProveReport, SimMode, SimResult, SimStats, SimulateFn } from '../../../sim/index.js';
import { checkSimHeap, manyRunsSimulate, simulateWasm, stepModeSimulate } from '../simulate-wasm.js';
import type { CliContext } from '../context.js';
import { examples, MODEL_OR_PROGRAM_INPUTS } from '../help.js';
import { isProgramPath, modelStem } from '../model-path.js';
import { flagCount, flagQuantity } from '../flag-numbers.js';
import { addCompileOptions, limitsFrom, type CompileFlags } from '../options.js';
import { addForceOption, outputOptions, type ForceFlag } from '../output-flags.js';
import { bytes, fmtInt, outputsJson, table } from '../render.js';
import { LONG_RUN_INSTRUCTIONS, stepsFor } from '../progress.js';
import { loweredProgram } from '../program-file.js';
import { didYouMean } from '../../diagnostics/suggest.js';

interface SimFlags extends CompileFlags, ForceFlag {
  readonly mode?: string;
  readonly input?: string;
  readonly prove?: boolean;
  readonly samples?: string;
  readonly out?: string;
  readonly maxCycles?: string;
  readonly maxSram?: string;
  readonly maxDramBytes?: string;
  readonly maxLatencyUs?: string;
  readonly vcd?: string;
  readonly vcdCycles?: string;
  readonly json?: boolean;
  readonly codes?: boolean;
  readonly topology?: string;
  readonly csvDir?: string;
}

export function simHelp(): string {
  const width = Math.max(...Object.keys(CONFIG_FIELD_DOCS).map((k) => k.length));
  const fields = (Object.keys(CONFIG_FIELD_DOCS) as (keyof ArrayConfig)[]).map((k) => `  ${k.padEnd(width)}  ${String(DEFAULT_CONFIG[k]).padStart(5)}  ${CONFIG_FIELD_DOCS[k]}`);
  return `
Machine configuration: --config file.json holds any subset of these fields (defaults shown);
--array RxC overrides rows and cols.
${fields.join('\n')}

Stall causes (cycles, per layer and in total): token wait <channel> — an idle unit's next
instruction waits for that dependency token; queue full <unit> — fetch waits for room in that
unit's instruction queue; unit busy <unit> — an instruction that has arrived waits for its unit to
finish the previous one; starved <unit> — an idle unit's next instruction is not fetched yet.

Budgets: --max-cycles (cycles of one inference), --max-sram (bytes of the five on-chip buffers the
program occupies, summed), --max-dram-bytes (external memory bytes read + written), --max-latency-us
(cycles at clockMhz). Each exceeded budget is printed with its excess.

Exit codes: 0 within every budget (and, with --prove, the certificate holds); 4 over a budget or a
failed proof; 1 bad input file, 2 usage, 3 unsupported model, 6 output not written (as every
nnchip command).`;
}

function positive(text: string | undefined, flag: string, integer = true): number | undefined {
  if (text === undefined) return undefined;
  const n = integer ? flagCount(text, flag) : flagQuantity(text, flag);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isSafeInteger(n))) throw new NnchipError('NN801', `${flag} "${text}" is not a positive ${integer ? 'integer' : 'number'}`);
  return n;
}

export interface BudgetCheck {
  readonly budget: string;
  readonly limit: number;
  readonly actual: number;
  readonly over: boolean;
}

export function budgetChecks(stats: SimStats, cycles: number, f: SimFlags): BudgetCheck[] {
  const sram = stats.peakBytes.act + stats.peakBytes.wgt + stats.peakBytes.acc + stats.peakBytes.qnt + stats.peakBytes.out;
  const rows: [string, number | undefined, number][] = [
    ['--max-cycles', positive(f.maxCycles, '--max-cycles'), cycles],
    ['--max-sram', positive(f.maxSram, '--max-sram'), sram],
    ['--max-dram-bytes', positive(f.maxDramBytes, '--max-dram-bytes'), stats.dramBytesRead + stats.dramBytesWritten],
    ['--max-latency-us', positive(f.maxLatencyUs, '--max-latency-us', false), stats.latencyUs],
  ];
  return rows.flatMap(([budget, limit, actual]) => (limit === undefined ? [] : [{ budget, limit, actual, over: actual > limit }]));
}

/** A progress bar on stderr, only on a terminal and only once `total` says the work is long. */
function progress(ctx: CliContext, label: string): { update: (done: number, total: number) => void; stop: () => void } {
  if (!ctx.io.interactive) return { update: () => undefined, stop: () => undefined };
  // cli-progress drives the terminal itself (cursor moves), so it takes the stream, not ctx.io; loaded only for a terminal
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
  const bar = new cliProgress.SingleBar({ format: `${label} [{bar}] {value}/{total}`, stream: process.stderr, clearOnComplete: true, hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  let shown = 0;
  return {
    // a step-mode run counts cycles, a proof counts inputs: the bar follows whichever reports
    update: (done, total) => {
      if (!started) bar.start(total, done);
      else if (total !== shown) bar.setTotal(total);
      bar.update(done);
      started = true;
      shown = total;
    },
    stop: () => void (started && bar.stop()),
  };
}

/** `run()` as one progress step: ended with its time, or as failed when it throws. */
async function stepped<T>(steps: ReturnType<typeof stepsFor>, run: () => Promise<T>): Promise<T> {
  try {
    const r = await run();
    steps.stop();
    return r;
  } catch (e) {
    steps.stop(true);
    throw e;
  }
}

function modeOf(f: SimFlags): SimMode {
  const mode = f.mode ?? (f.vcd !== undefined ? 'step' : 'fast');
  if (mode !== 'fast' && mode !== 'step') throw new NnchipError('NN801', `--mode "${mode}" must be fast or step${didYouMean(mode, ['fast', 'step']).replace(/^; (.*)$/, ' ($1)')}`);
  if (f.vcd !== undefined && mode !== 'step') throw new NnchipError('NN801', '--vcd needs --mode step (the register-level mode)');
  return mode;
}

/** Usage errors before any compiling or simulating. */
function validateFlags(f: SimFlags): void {
  modeOf(f);
  const random = positive(f.samples, '--samples');
  if (random !== undefined && random > MAX_RANDOM_INPUTS) throw new NnchipError('NN801', `--samples ${random} is over the limit of ${fmtInt(MAX_RANDOM_INPUTS)} (each is one whole simulation)`);
  for (const [text, flag] of [[f.samples, '--samples'], [f.maxCycles, '--max-cycles'], [f.maxSram, '--max-sram'], [f.maxDramBytes, '--max-dram-bytes'], [f.vcdCycles, '--vcd-cycles']] as const) positive(text, flag);
  positive(f.maxLatencyUs, '--max-latency-us', false);
}

/** --samples at most: each random input is one whole simulation. */
const MAX_RANDOM_INPUTS = 10_000;

/** What is kept of each --input sample's run: its cycles and its output codes in the model's layout. */
interface SampleRun {
  readonly cycles: number;
  readonly output: Int8Array;
}

interface Outcome {
  readonly primary: SimResult;
  readonly samples: SampleRun[];
  readonly proof: ProveReport | null;
}

/**
 * What simulateAll needs beyond one inference, loaded only when asked for: prove() (--prove), and
 * the compiled program's values for many runs of one program (--prove, several --input batches).
 */
interface Extras {
  readonly simulate: SimulateFn;
  readonly prove: typeof import('../../../sim/prove.js').prove | null;
}

async function extrasFor(f: SimFlags, batches: number): Promise<Extras> {
  const many = f.prove === true || batches > 1;
  const simulate = many ? await manyRunsSimulate() : modeOf(f) === 'step' ? await stepModeSimulate() : simulateWasm;
  return { simulate, prove: f.prove === true ? (await import('../../../sim/prove.js')).prove : null };
}

/** V8's longest string: the VCD is joined into one before it is written. */
const MAX_VCD_CHARS = 2 ** 29 - 24;

/**
 * Collects the VCD (a header, then one chunk per cycle: sim/vcd.ts), refusing it the moment it
 * would pass --max-memory or the longest string: a long program's waveform took minutes of step
 * mode and then crashed joining gigabytes.
 */
function vcdSink(chunks: string[], f: SimFlags): (s: string) => void {
  const limit = limitsFrom(f).maxMemory;
  const cap = Math.min(limit, MAX_VCD_CHARS);
  let chars = 0;
  // the cycles that fit with room for the note of a cut (sim/vcd.ts), the most --vcd-cycles may ask
  let fitting = 0;
  return (s) => {
    chars += s.length;
    if (chars <= cap - 1024) fitting = chunks.length;
    if (chars > cap) {
      const cycles = fitting;
      const over = cap === limit ? `the limit of ${limit} bytes (--max-memory)` : `${MAX_VCD_CHARS} characters, the longest text nnchip can write whole`;
      throw new NnchipError('NN801', `the VCD passes ${over} ${chunks.length === 0 ? 'in its header' : `after ${chunks.length - 1} cycles`}; ${cycles > 0 ? `record fewer with --vcd-cycles ${cycles}` : 'raise --max-memory'}`);
    }
    chunks.push(s);
  };
}

function simulateAll(p: Program, codes: Int8Array[], f: SimFlags, ctx: CliContext, written: OutputOptions, { simulate, prove }: Extras): Outcome {
  const mode = modeOf(f);
  const bar = progress(ctx, f.prove ? 'prove' : 'sim');
  try {
    const chunks: string[] = [];
    const vcdCycles = positive(f.vcdCycles, '--vcd-cycles');
    const vcd = f.vcd === undefined ? {} : { vcd: { write: vcdSink(chunks, f), ...(vcdCycles === undefined ? {} : { maxCycles: vcdCycles }) } };
    const onProgress = mode === 'step' ? { onProgress: bar.update } : {};
    const first = codes[0] ?? new Int8Array(tensorSize(p.input));
    const primary = simulate(p, first, { mode, ...vcd, ...onProgress });
    if (f.vcd !== undefined) writeFileAtomic(f.vcd, chunks.join(''), written);
    const samples = [primary, ...codes.slice(1).map((x) => simulate(p, x, { mode, ...onProgress }))].map((r) => ({ cycles: r.cycles, output: outputsToModelLayout(p, r.output) }));
    const randomInputs = positive(f.samples, '--samples') ?? 4;
    const proof = prove !== null ? prove(p, codes, { mode, randomInputs, onProgress: bar.update, simulate }) : null;
    return { primary, samples: codes.length > 0 ? samples : [], proof };
  } finally {
    bar.stop();
  }
}

/**
 * --input's simulated inferences at most, as --samples's: each is one whole simulation, and each kept
 * its codes, outputs and cycles, about 700 bytes: 2.6 million one-value samples (a 5 MB file) took
 * 1.9 GB, and the 256 MB a data file may be, 50 times that.
 */
const MAX_INPUT_RUNS = 65_536;

/** --input's samples as the program's input codes, one per batch (the sample reader loads only then). */
async function inputBatches(p: Program, file: string): Promise<Int8Array[]> {
  const { programInputSpec, readSamples } = await import('../data.js');
  const samples = readSamples(file, programInputSpec(p));
  const runs = Math.ceil(samples.count / batchOf(p));
  if (runs > MAX_INPUT_RUNS) {
    throw new NnchipError('NN501', `holds ${fmtInt(samples.count)} samples, ${fmtInt(runs)} inferences to simulate; sim --input simulates at most ${fmtInt(MAX_INPUT_RUNS)}`, {
      file: basename(file),
      hint: 'give sim a few samples (its cycles are the same for every input), or run them all with `nnchip run --backend sim`',
    });
  }
  return quantizeBatches(p, samples.inputs);
}

/** certificate.json: what one inference costs, how that was checked, and on which inputs. */
export function certificateJson(r: ProveReport): string {
  const { stats, ...rest } = r;
  return JSON.stringify({ ...rest, sramReads: stats.sramReads, sramWrites: stats.sramWrites, busyCycles: stats.busyCycles }, null, 2) + '\n';
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
const SHOWN_SAMPLES = 10;

function renderText(p: Program, o: Outcome, checks: BudgetCheck[], ctx: CliContext, name: string, codes: boolean): string {
  const { io } = ctx;
  const s = o.primary.stats;
  const layerRows = [...s.layers, { ...s, name: io.color.bold('total') }].map((l) => [l.name, l.cycles, l.macs, l.arrayMacs, pct(l.utilization), sum(l.stalls.tokenWait), sum(l.stalls.queueFull), l.dramBytesRead, l.dramBytesWritten]);
  const memRows = BUFFER_LIST.map((b) => [b, s.sramReads[b], s.sramWrites[b], bytes(s.peakBytes[b]), bytes(bufferBytes(p.config, b))]);
  const st = s.stalls;
  const stallRows = [
    ...(Object.keys(st.tokenWait) as (keyof typeof st.tokenWait)[]).map((ch) => [`token wait ${ch}`, st.tokenWait[ch]]),
    ...WORK_UNITS.flatMap((u) => [[`queue full ${u}`, st.queueFull[u]], [`unit busy ${u}`, st.unitBusy[u]], [`starved ${u}`, st.starved[u]]]),
  ].filter((r) => r[1] !== 0);
  const lines = [
    `${io.color.bold(name)}: array ${p.config.rows}x${p.config.cols}, ${o.primary.mode} mode, program ${hashProgram(p).slice(0, 12)}`,
    table(['layer', 'cycles', 'MACs', 'array MACs', 'utilization', 'token wait', 'queue full', 'DRAM read', 'DRAM written'], layerRows, io).trimEnd(),
    table(['buffer', 'reads', 'writes', 'peak', 'capacity'], memRows, io).trimEnd(),
    ...(stallRows.length > 0 ? [table(['stall cause', 'cycles'], stallRows, io).trimEnd()] : []),
    `one inference${batchOf(p) > 1 ? ` (a batch of ${batchOf(p)} samples, ${fmtInt(Math.round(o.primary.cycles / batchOf(p)))} cycles each)` : ''}: ${fmtInt(o.primary.cycles)} cycles = ${s.latencyUs.toFixed(2)} µs at ${p.config.clockMhz} MHz, utilization ${pct(s.utilization)}, ${bytes(s.dramBytesRead)} read + ${bytes(s.dramBytesWritten)} written to DRAM`,
    `address trace sha256 ${o.primary.traceHash ?? '-'}`,
  ];
  // values as `run` prints them (model layout, dequantized); --codes shows the int8 codes instead
  // of several outputs, each by name: `boxes [...], scores [...]`
  const shown = (r: SampleRun): string => {
    const values = codes ? Array.from(r.output, String) : Array.from(dequantizeOutput(p, r.output), (v) => v.toFixed(3));
    if (p.outputs.length === 1) return `${codes ? 'output codes' : 'output'} [${values.join(', ')}]`;
    return `${codes ? 'output codes' : 'outputs'} ${outputParts(p).map(({ t, offset, size }) => `${t.name} [${values.slice(offset, offset + size).join(', ')}]`).join(', ')}`;
  };
  o.samples.slice(0, SHOWN_SAMPLES).forEach((r, i) => lines.push(`sample ${i}: ${r.cycles} cycles, ${shown(r)}`));
  if (o.samples.length > SHOWN_SAMPLES) lines.push(`… ${o.samples.length - SHOWN_SAMPLES} more samples (all of them with --json)`);
  for (const c of checks) {
    const over = c.actual - c.limit;
    lines.push(c.over ? io.color.red(`over budget: ${c.budget} ${c.limit}: actual ${fmt(c.actual)}, over by ${fmt(over)} (${pct(over / c.limit)})`) : io.color.green(`within budget: ${c.budget} ${c.limit}: actual ${fmt(c.actual)}`));
  }
  if (o.proof !== null) {
    const r = o.proof;
    lines.push(r.ok ? io.color.green(`proved: ${r.inputsTried.length} runs agree on cycles, counters and trace; outputs equal the reference; the certificate holds`) : io.color.red(`error NN602: the cost is not proved constant — ${r.problems.length} problem(s):`));
    for (const prob of r.problems) lines.push(io.color.red(`  ${prob}`));
  }
  return lines.join('\n') + '\n';
}

const fmt = (x: number): string => (Number.isInteger(x) ? fmtInt(x) : x.toFixed(2));

export function register(program: Command, ctx: CliContext): void {
  addCompileOptions(
    addForceOption(
      program
        .command('sim')
        .description('simulate one inference cycle by cycle: cycles, MACs, stalls, memory traffic; prove constant cost; check budgets')
        .argument('[model]', `${MODEL_OR_PROGRAM_INPUTS} (none with --topology)`)
        .option('--topology <csv>', 'a SCALE-Sim topology CSV (conv or GEMM form): simulate each layer as its own program (docs/scale-sim.md) (default: none)')
        .option('--csv-dir <dir>', "write SCALE-Sim's COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv (one row per layer; with --topology also NNCHIP_VS_SCALESIM.csv, each layer's cycles beside SCALE-Sim's) (default: none)")
        .option('--mode <mode>', 'fast (event-driven) or step (every register, every cycle; slow) (default: fast, or step with --vcd)')
        .option('--input <file>', `JSON samples: simulate each, at most ${fmtInt(MAX_INPUT_RUNS)} (and include them in --prove); prints their outputs as \`run\` does (default: one all-zero input)`)
        .option('--codes', 'with --input: print the int8 output codes instead of the values')
        .option('--prove', 'simulate diverse inputs, check cost and trace are identical and match the static certificate; write certificate.json')
        .option('--samples <n>', `random inputs for --prove besides all-zero, all-max and all-min (default 4, at most ${fmtInt(MAX_RANDOM_INPUTS)})`)
        .option('-o, --out <dir>', 'where --prove writes certificate.json (default .)')
        .option('--max-cycles <n>', 'budget: cycles of one inference (default: no budget)')
        .option('--max-sram <bytes>', 'budget: on-chip buffer bytes the program occupies (default: no budget)')
        .option('--max-dram-bytes <n>', 'budget: external memory bytes read + written per inference (default: no budget)')
        .option('--max-latency-us <x>', 'budget: latency in µs at the configured clock (default: no budget)')
        .option('--vcd <file>', 'write a VCD of the PE registers and the controller for the first input (implies --mode step; default: no VCD)')
        .option('--vcd-cycles <n>', 'stop the VCD after this many cycles (default: the whole run, up to --max-memory bytes)')
        .option('--json', 'print {"model", "mode", "config", "programHash", "cycles", "latencyUs", "traceHash", "stats", "samples", "budgets", "withinBudget"[, "prove"][, "warnings"]} as JSON: "samples" one {"cycles", "outputs", "raw"} per --input batch ("outputs" of a model of several an object by output name, as `run --json` gives it), "budgets" each --max-* check, "prove" the proof (with --prove); with --topology {"topology", "form", "synthetic", "note", "config", "cycles", "scaleSimCycles", "layers"}'),
    ),
  )
    .addHelpText('after', simHelp())
    .addHelpText(
      'after',
      examples([
        ['nnchip sim examples/digits-mlp/model.json --array 16x16', 'cycles, MACs, stalls, memory traffic'],
        ['nnchip sim digits-mlp.nnchip --prove --max-cycles 30000', 'prove constant cost and check a budget (exit 4 if over)'],
        ['nnchip sim examples/tiny/tiny.nnchip.json --vcd tiny.vcd', 'a waveform of every register'],
        ['nnchip sim --topology examples/topologies/alexnet.csv --array 32x32 --csv-dir reports/', 'SCALE-Sim topology, per-layer CSV reports'],
      ]),
    )
    .action(async (model: string | undefined, flags: SimFlags) => {
      validateFlags(flags);
      if (flags.topology !== undefined) {
        const unsupported = (['prove', 'input', 'vcd', 'maxCycles', 'maxSram', 'maxDramBytes', 'maxLatencyUs', 'batch'] as const).filter((k) => flags[k] !== undefined);
        if (model !== undefined || unsupported.length > 0) throw new NnchipError('NN801', `--topology runs each layer of the file on its own and takes no ${model !== undefined ? 'model argument' : `--${unsupported[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`}`);
        const written = outputOptions(flags, flags.topology, flags.config);
        if (flags.csvDir !== undefined) checkOutput(flags.csvDir, 'folder', written);
        const { simTopology } = await import('../topology.js');
        return simTopology(flags.topology, flags, ctx, written);
      }
      if (model === undefined) throw new NnchipError('NN801', 'name a model, or a SCALE-Sim topology with --topology');
      const written = outputOptions(flags, model, flags.input, flags.calibration, flags.config);
      const certificate = join(flags.out ?? '.', 'certificate.json');
      if (flags.vcd !== undefined) checkOutput(flags.vcd, 'file', written);
      if (flags.prove === true) checkOutput(certificate, 'file', written);
      if (flags.csvDir !== undefined) checkOutput(flags.csvDir, 'folder', written);
      const json = flags.json === true;
      // progress on stderr (cli/progress.ts): on a terminal, the compile or read step; the simulation too when it is long
      const early = stepsFor(ctx.io, { json, long: false });
      early.step(`${isProgramPath(model) ? 'reading' : 'compiling'} ${basename(model)}`);
      const { compiled, p } = await stepped(early, async () => {
        // the compiler loads only for a model: a lowered program needs none of it
        const compiled = isProgramPath(model) ? null : (await import('../load-program.js')).compiledProgram(model, flags, { ...ctx, io: { ...ctx.io, stderr: (t) => ctx.io.stderr((ctx.io.interactive && !json ? '\r\x1b[K' : '') + t) } });
        const p = compiled?.program ?? loweredProgram(model, flags, ctx.command ?? 'sim');
        checkSimHeap(p, undefined, model); // here, to name the model; the simulator's own check then passes
        return { compiled, p };
      });
      const warnings = compiled?.calibrationWarnings ?? [];
      // one simulated inference per batch of samples
      const codes = flags.input === undefined ? [] : await inputBatches(p, flags.input);
      const extras = await extrasFor(flags, codes.length);
      // step mode and proofs draw their own bar on a terminal
      const bar = ctx.io.interactive && (modeOf(flags) === 'step' || flags.prove === true);
      const steps = bar ? stepsFor(ctx.io, { json: true, long: false }) : stepsFor(ctx.io, { json, long: p.instructions.length >= LONG_RUN_INSTRUCTIONS });
      steps.step(`simulating ${fmtInt(p.instructions.length)} instructions`);
      const o = await stepped(steps, async () => simulateAll(p, codes, flags, ctx, written, extras));
      const checks = budgetChecks(o.primary.stats, o.primary.cycles, flags);
      if (o.proof !== null) writeFileAtomic(certificate, certificateJson(o.proof), written);
      if (flags.csvDir !== undefined) writeDirAtomic(flags.csvDir, (await import('../scalesim-csv.js')).scaleSimCsvFiles(o.primary.stats.layers, p.config), written);
      if (checks.some((c) => c.over) || (o.proof !== null && !o.proof.ok)) ctx.exitCode = EXIT.overBudget;
      if (flags.json) {
        const { primary: r, proof } = o;
        const summary = { model: basename(model), mode: r.mode, config: p.config, programHash: hashProgram(p), cycles: r.cycles, latencyUs: r.stats.latencyUs, traceHash: r.traceHash, stats: r.stats };
        // of several outputs, each sample's "outputs" an object by name (as `run --json` gives them)
        const samples = o.samples.map((x) => ({ cycles: x.cycles, outputs: outputsJson(p, x.output), raw: Array.from(x.output) }));
        const proofJson = proof === null ? {} : { prove: { ok: proof.ok, problems: proof.problems, figures: proof.figures, inputsTried: proof.inputsTried, certificate } };
        ctx.io.stdout(JSON.stringify({ ...summary, samples, budgets: checks, withinBudget: !checks.some((c) => c.over), ...proofJson, ...(warnings.length > 0 ? { warnings } : {}) }) + '\n');
        return;
      }
      const wrote = [...(flags.vcd === undefined ? [] : [flags.vcd]), ...(o.proof === null ? [] : [certificate]), ...(flags.csvDir === undefined ? [] : [flags.csvDir])];
      ctx.io.stdout(renderText(p, o, checks, ctx, modelStem(model), flags.codes === true) + (wrote.length > 0 ? `wrote ${wrote.join(', ')}\n` : ''));
    });
}
