// SPDX-License-Identifier: MIT
/**
 * `nnchip run <model> --input <file> [--backend ref|sim|wasm|rtl]`: outputs for each sample, in
 * the model's own layout, printed as they are computed (memory stays flat however many samples).
 */
import type { Command } from 'commander';
import { NnchipError } from '../../diagnostics/error.js';
import { modelDims, outputsToModelLayout } from '../../isa/layout.js';
import { batchOf, dequantizeOutput, outputParts, outputSize, quantizeBatches, splitOutputs, type DramTensor, type Program } from '../../isa/program.js';
import type { CliContext } from '../context.js';
import { programInputSpec, readSamples } from '../data.js';
import { maxOf } from '../../ir/graph.js';
import { examples, MODEL_OR_PROGRAM_INPUTS } from '../help.js';
import { loweredProgram } from '../program-file.js';
import { isProgramPath } from '../model-path.js';
import { addCompileOptions, type CompileFlags } from '../options.js';
import { RUNNERS } from '../runners.js';
import { availableChoices } from '../../diagnostics/suggest.js';
import { outputsJson } from '../render.js';

export type RunFlags = CompileFlags & { input: string; backend: string; json?: boolean; simulator?: string };

/** Inferences handed to a back end at once: few enough to keep memory flat, many enough that wasm instantiates rarely (rtl gets them all: one simulator run). */
const CHUNK = 2048;

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

/** What one sample's output is: its shape and layout as the model gives it. */
export interface OutputView {
  readonly shape: readonly number[];
  /** 'chw' / 'hwc' for feature maps; absent for vectors. */
  readonly layout?: 'chw' | 'hwc';
}

/** What one output of one sample is (a batched program's shapes start with the batch). */
export function outputView(p: Program, t: DramTensor = p.outputs[0]!): OutputView {
  const perSample = batchOf(p) > 1 ? t.shape.slice(1) : t.shape;
  return { shape: modelDims(perSample, t.layout), ...(perSample.length === 3 ? { layout: t.layout ?? 'hwc' } : {}) };
}

/** A feature map's description for the text output: its sizes and order. */
const mapText = (view: OutputView): string => `a ${view.shape.join('×')} feature map, ${view.layout === 'chw' ? 'channel-major (C×H×W)' : 'pixel-major (H×W×C)'}`;

/** Growable int8 storage: every sample's raw codes for the JSON "raw" field, one byte each. */
class Codes {
  private data = new Int8Array(1024);
  length = 0;
  push(codes: Int8Array): void {
    if (this.length + codes.length > this.data.length) {
      const bigger = new Int8Array(Math.max(this.data.length * 2, this.length + codes.length));
      bigger.set(this.data.subarray(0, this.length));
      this.data = bigger;
    }
    this.data.set(codes, this.length);
    this.length += codes.length;
  }
  /** The stored samples of `size` codes as JSON array text, a piece at a time. */
  *json(size: number): Generator<string> {
    const rows: string[] = [];
    for (let at = 0; at < this.length; at += size) {
      rows.push(`[${this.data.subarray(at, at + size).join(',')}]`);
      if (rows.length === 4096 || at + size >= this.length) yield rows.splice(0).join(',') + (at + size < this.length ? ',' : '');
    }
  }
}

/** Per-sample result text (or JSON pieces), written as each chunk of samples finishes. */
export function printer(p: Program, flags: RunFlags, ctx: CliContext, warnings: readonly string[]): { sample: (i: number, codes: Int8Array, cycles?: number) => string; end: () => void } {
  const view = outputView(p);
  const parts = outputParts(p);
  const views = parts.map((part) => outputView(p, part.t));
  const several = parts.length > 1;
  const b = batchOf(p);
  if (flags.json) {
    const raw = new Codes();
    const cycles: number[] = [];
    // several outputs: their names, shapes and layouts, and each sample's values an object by name
    const head = several
      ? { backend: flags.backend, names: parts.map((part) => part.t.name), shapes: views.map((v) => v.shape), layouts: views.map((v) => v.layout ?? null) }
      : { backend: flags.backend, shape: view.shape, ...(view.layout === undefined ? {} : { layout: view.layout }) };
    // printed with the first result: a back end failing before it leaves stdout empty, not half a document
    const open = JSON.stringify(head).slice(0, -1) + ',"outputs":[';
    return {
      sample: (i, codes, c) => {
        raw.push(codes);
        if (c !== undefined) cycles.push(c);
        return (i > 0 ? ',' : open) + JSON.stringify(outputsJson(p, codes));
      },
      end: () => {
        ctx.io.stdout('],"raw":[');
        for (const piece of raw.json(outputSize(p) / b)) ctx.io.stdout(piece);
        ctx.io.stdout(
          ']' +
            (cycles.length > 0 ? `,"cycles":${JSON.stringify(cycles)}` : '') +
            (b > 1 ? `,"batch":${b}` : '') +
            (warnings.length > 0 ? `,"warnings":${JSON.stringify(warnings)}` : '') +
            '}\n',
        );
      },
    };
  }
  if (several) {
    // one line per output under each sample's line: its name, its argmax (a vector) or sizes (a map), its values
    const header = `outputs: ${parts.map(({ t }, k) => `${t.name} (${views[k]!.layout === undefined ? views[k]!.shape.join('×') : mapText(views[k]!)})`).join(', ')}\n`;
    return {
      sample: (i, codes, c) => {
        const values = Array.from(dequantizeOutput(p, codes), round);
        const lines = parts.map(({ t, offset, size }, k) => {
          const o = values.slice(offset, offset + size);
          const v = views[k]!;
          return `  ${t.name}: ${v.layout === undefined ? `argmax ${o.indexOf(maxOf(o))}` : v.shape.join('×')}  [${o.map((x) => x.toFixed(3)).join(', ')}]\n`;
        });
        return `${i === 0 ? header : ''}sample ${i}:${c !== undefined ? `  ${c} cycles` : ''}\n${lines.join('')}`;
      },
      end: () => undefined,
    };
  }
  const header = view.layout === undefined ? '' : `output: ${mapText(view)}, as the model gives it\n`;
  return {
    sample: (i, codes, c) => {
      const o = Array.from(dequantizeOutput(p, codes), round);
      const cyc = c !== undefined ? `  ${c} cycles${b > 1 ? ` (batch of ${b})` : ''}` : '';
      const what = view.layout === undefined ? `argmax ${o.indexOf(maxOf(o))}` : view.shape.join('×');
      return `${i === 0 ? header : ''}sample ${i}: ${what}${cyc}  [${o.map((v) => v.toFixed(3)).join(', ')}]\n`;
    },
    end: () => undefined,
  };
}

export function register(program: Command, ctx: CliContext): void {
  addCompileOptions(
    program
      .command('run')
      .description('run a model (or a lowered program) on input samples with one back end')
      .argument('<model>', MODEL_OR_PROGRAM_INPUTS)
      .requiredOption('--input <file>', 'JSON: an array of samples or {"inputs": [...]}; each sample flat, or nested exactly in the model input shape ([C, H, W] for ONNX maps) (required)')
      .option('--backend <name>', `back end: ${Object.keys(RUNNERS).join(', ')} — ref the reference interpreter (the semantics), wasm the WebAssembly module, sim the cycle-accurate simulator, rtl the generated Verilog in a simulator (slow); sim and rtl also print each inference's cycles, and all four give the same outputs`, 'ref')
      .option('--simulator <name>', 'rtl back end only: iverilog or verilator', 'iverilog')
      .option('--json', 'print {"backend", "shape", "layout"?, "outputs", "raw"[, "cycles"][, "batch"][, "warnings"]} as JSON: "outputs" the values in the model\'s layout, "raw" the int8 output codes, "cycles" per inference (sim, rtl), "batch" the samples per inference when over 1; a model of several outputs gives "names", "shapes" and "layouts" instead of "shape" and "layout", each sample\'s "outputs" an object by name and its "raw" every output\'s codes one after the other')
      .addHelpText(
        'after',
        examples([
          ['nnchip run examples/digits-mlp --input examples/digits-mlp/calibration.json', 'outputs of the reference interpreter'],
          ['nnchip run digits-mlp.nnchip --input examples/digits-mlp/calibration.json --backend sim --json', 'a lowered folder on the simulator, as JSON'],
        ]),
      ),
  ).action(async (model: string, flags: RunFlags, command: Command) => {
    const runner = Object.hasOwn(RUNNERS, flags.backend) ? RUNNERS[flags.backend] : undefined;
    if (runner === undefined) throw new NnchipError('NN801', `unknown backend "${flags.backend}" (${availableChoices(flags.backend, Object.keys(RUNNERS))})`);
    // a simulator named for another back end would be ignored: the user meant the RTL
    if (flags.backend !== 'rtl' && command.getOptionValueSource('simulator') === 'cli') throw new NnchipError('NN801', `--simulator ${flags.simulator} runs the generated Verilog: add --backend rtl (the ${flags.backend} back end uses no simulator)`);
    // the compiler loads only for a model: a lowered program needs none of it
    const compiled = isProgramPath(model) ? null : (await import('../load-program.js')).compiledProgram(model, flags, ctx);
    const p = compiled?.program ?? loweredProgram(model, flags, ctx.command ?? 'run');
    if (flags.backend === 'sim') (await import('../simulate-wasm.js')).checkSimHeap(p, undefined, model); // names the model; the simulator's own check then passes
    const samples = readSamples(flags.input, programInputSpec(p));
    const out = printer(p, flags, ctx, compiled?.calibrationWarnings ?? []);
    const b = batchOf(p);
    const step = flags.backend === 'rtl' ? samples.count : CHUNK * b;
    const opts = { ctx, debug: program.opts()['debug'] === true, simulator: flags.simulator ?? 'iverilog' };
    for (let first = 0; first < samples.count; first += step) {
      const group = Array.from({ length: Math.min(step, samples.count - first) }, (_, j) => samples.sample(first + j));
      const result = await runner(p, quantizeBatches(p, group), opts);
      const text = splitOutputs(p, result.raw, group.length).map((codes, j) =>
        // cycles are per inference; with a batch, each sample reports its inference's count
        out.sample(first + j, outputsToModelLayout(p, codes), result.cycles?.[Math.floor(j / b)]),
      );
      ctx.io.stdout(text.join(''));
    }
    out.end();
  });
}
