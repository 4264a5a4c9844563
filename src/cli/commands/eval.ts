// SPDX-License-Identifier: MIT
/** `nnchip eval <model> --data <labeled.json>`: top-1 accuracy of the float graph vs the int8 program. */
import type { Command } from 'commander';
import { NnchipError } from '../../diagnostics/error.js';
import { evaluateOutput } from '../../ir/evaluate.js';
import { interpret } from '../../isa/interpret.js';
import { batchOf, quantizeBatches, splitOutputs, tensorSize } from '../../isa/program.js';
import type { CliContext } from '../context.js';
import { programInputSpec, readSamples } from '../data.js';
import { examples, MODEL_INPUTS } from '../help.js';
import { compiledProgram } from '../load-program.js';
import { addCompileOptions, type CompileFlags } from '../options.js';

const argmax = (v: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
};

export function register(program: Command, ctx: CliContext): void {
  addCompileOptions(
    program
      .command('eval')
      .description('top-1 accuracy of the float model and of its int8 program on labeled data')
      .argument('<model>', MODEL_INPUTS)
      .requiredOption('--data <file>', 'labeled samples: JSON {"inputs": [...], "labels": [...]}, one integer class per sample (required)')
      .option('--json', 'print {"samples", "floatAccuracy", "int8Accuracy", "argmaxAgreement"[, "warnings"]} as JSON: accuracies as fractions (0 to 1), "argmaxAgreement" the share of samples where float and int8 pick the same class')
      .addHelpText(
        'after',
        examples([
          ['nnchip eval examples/digits-mlp/model.json --data out/digits-test.json', 'float vs int8 top-1 accuracy (`npm run demo` writes these 2,004 labeled digits)'],
          ['nnchip eval examples/digits-onnx --data out/digits-test.json --array 16x16 --json', 'the ONNX model, as JSON'],
        ]),
      ),
  ).action((model: string, flags: CompileFlags & { data: string; json?: boolean }) => {
    const { program: p, graph, calibrationWarnings } = compiledProgram(model, flags, ctx);
    const samples = readSamples(flags.data, programInputSpec(p));
    const { labels } = samples;
    if (labels === null) {
      throw new NnchipError('NN302', 'the data file has no "labels"', { file: flags.data, hint: 'eval needs labeled data: {"inputs": [...], "labels": [...]}, one integer class per sample' });
    }
    if (p.outputs.length > 1) {
      throw new NnchipError('NN302', `eval scores the top-1 class of one output; the model has ${p.outputs.length} (${p.outputs.map((t) => t.name).join(', ')})`, { hint: 'compile the class scores alone: add --output-name <name>' });
    }
    // a label no output can be (−1, or 5 for 2 outputs) counted as a miss: a wrong file gave a plausible 0%
    const classes = tensorSize(p.outputs[0]!) / batchOf(p);
    const outside = labels.findIndex((l) => l < 0 || l >= classes);
    if (outside >= 0) {
      throw new NnchipError('NN302', `label ${labels[outside]} of sample ${outside} is not a class of the model's ${classes} outputs (0 to ${classes - 1})`, {
        file: flags.data,
        hint: classes === 1 ? 'eval scores the top-1 of several outputs; a model of one output has no classes to score' : 'give each label as the index of its class in the model output, counting from 0',
      });
    }
    let floatOk = 0;
    let intOk = 0;
    let agree = 0;
    // one batch at a time: memory does not grow with the number of samples
    const b = batchOf(p);
    for (let first = 0; first < samples.count; first += b) {
      const group = Array.from({ length: Math.min(b, samples.count - first) }, (_, j) => samples.sample(first + j));
      const int8 = splitOutputs(p, quantizeBatches(p, group).map((codes) => interpret(p, codes)), group.length);
      group.forEach((x, j) => {
        // both argmaxes over nnchip's own (pixel-major) order: they are compared, not shown
        const f = argmax(evaluateOutput(graph, x));
        const q = argmax(int8[j]!);
        floatOk += f === labels[first + j] ? 1 : 0;
        intOk += q === labels[first + j] ? 1 : 0;
        agree += f === q ? 1 : 0;
      });
    }
    const n = samples.count;
    const result = { samples: n, floatAccuracy: floatOk / n, int8Accuracy: intOk / n, argmaxAgreement: agree / n, ...(calibrationWarnings.length > 0 ? { warnings: calibrationWarnings } : {}) };
    if (flags.json) return void ctx.io.stdout(JSON.stringify(result) + '\n');
    const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
    ctx.io.stdout(`${n} samples: float ${pct(result.floatAccuracy)}  int8 ${pct(result.int8Accuracy)}  (Δ ${(100 * (result.int8Accuracy - result.floatAccuracy)).toFixed(2)} points; argmax agreement ${pct(result.argmaxAgreement)})\n`);
  });
}
