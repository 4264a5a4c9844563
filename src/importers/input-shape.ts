// SPDX-License-Identifier: MIT
/**
 * The model's one input: NN116 for several (or none), and --input-shape: the sizes of its input a model leaves to run time (a fully convolutional network's H and W, a detector
 * taking any image size, a recurrent net's sequence length), named by the user. nnchip compiles a model for one input
 * size, so each unknown size must be given; a size the model fixes must be given as it is. The sizes come without the
 * batch, in the model's own order: [C, H, W] of an ONNX image, [H, W, C] of a TF.js one, [T, F] of a sequence.
 */
import { NnchipError, shownValue, type ErrorSite } from '../diagnostics/error.js';

/**
 * The input's sizes (without the batch; null where the model leaves one to run time) with --input-shape's filled in:
 * NN116 when a size stays unknown (naming the flag), when --input-shape has another count of sizes, or when it
 * contradicts one the model fixes.
 */
export function fillInputShape(declared: readonly (number | null)[], given: readonly number[] | undefined, site: ErrorSite, what = 'the input'): number[] {
  const shown = shownValue(declared.map((d) => d ?? '?')).replaceAll('"', '');
  if (given === undefined) {
    if (declared.every((d) => d !== null)) return declared as number[];
    const example = declared.map((d) => d ?? 'N').join(',');
    throw new NnchipError('NN116', `${what} ${shown} (without the batch) leaves sizes to run time; nnchip compiles a model for one input size`, { ...site, hint: `name them: --input-shape ${example}, each N the size to compile for (or re-export the model with them fixed)` });
  }
  const hint = `give one size for each of ${shown}, those the model fixes as they are (e.g. --input-shape ${declared.map((d) => d ?? 'N').join(',')})`;
  if (given.length !== declared.length) throw new NnchipError('NN116', `--input-shape ${given.join(',')} has ${given.length} sizes; ${what} ${shown} has ${declared.length} (without the batch)`, { ...site, hint });
  const clash = declared.findIndex((d, i) => d !== null && d !== given[i]);
  if (clash >= 0) throw new NnchipError('NN116', `--input-shape ${given.join(',')} gives ${given[clash]} for size ${clash + 1} of ${what} ${shown}, which the model fixes at ${declared[clash]}`, { ...site, hint });
  return [...given];
}

/**
 * NN116 unless the model has exactly one input (`names`: those its chosen output reads; `note`: what the format says of
 * the others); of several, the hint says how to compile an output that reads one of them.
 */
export function checkOneInput(names: readonly string[], site: ErrorSite, note = ''): void {
  if (names.length === 1) return;
  const hint = names.length > 1 ? { hint: 'compile an output that reads one of them (--output-name), or re-export the model with one input' } : {};
  throw new NnchipError('NN116', `the model has ${names.length} inputs (${names.map((n) => `"${n}"`).join(', ')}); nnchip supports exactly one${note}`, { ...site, ...hint });
}
