// SPDX-License-Identifier: MIT
/**
 * A model of several outputs, one chosen (--output-name): the machine and the program format have one output,
 * so the importers compile the one the user names and drop what only the others read. Without --output-name,
 * such a model is refused with its outputs' names and how to pick one.
 */
import { NnchipError, shortName, type ErrorSite } from '../diagnostics/error.js';
import { didYouMean } from '../diagnostics/suggest.js';

/** What loadModel passes the importers: the output --output-name named, and the input sizes --input-shape gave (input-shape.ts), if any. */
export interface ModelChoice {
  readonly output?: string | undefined;
  readonly inputShape?: readonly number[] | undefined;
}

/** Names as an error lists them: the first 8, then how many more. */
export function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 8).map(shortName).join(', ');
  return names.length > 8 ? `${shown}, … (${names.length} in all)` : shown;
}

/**
 * The output to compile: the only one, or the one `wanted` names (among `names`, or an alias such as a
 * signature's key, mapped to its name). Refused: several outputs and none named, or a name the model has not.
 */
export function chooseOutput(listed: readonly string[], wanted: string | undefined, site: ErrorSite, aliases: ReadonlyMap<string, string> = new Map()): string {
  // a tensor listed as an output twice (Keras `outputs=[y, y]`, a signature's two keys of one node) is one output
  const names = [...new Set(listed)];
  if (wanted === undefined) {
    if (names.length === 1) return names[0]!;
    throw new NnchipError('NN110', `the model has ${names.length} outputs (${listNames(names)}); nnchip compiles one: choose it with --output-name ${shortName(names[0]!)}`, {
      ...site,
      hint: `name one of them with --output-name <name>; each output is a model of its own (compile them one by one)`,
    });
  }
  if (names.includes(wanted)) return wanted;
  const alias = aliases.get(wanted);
  if (alias !== undefined && names.includes(alias)) return alias;
  const what = names.length === 1 ? `the model's only output is ${shortName(names[0]!)}` : `the model's outputs are ${listNames(names)}`;
  throw new NnchipError('NN801', `--output-name "${shortName(wanted)}" is not an output of the model: ${what}${didYouMean(wanted, [...names, ...aliases.keys()])}`, { ...site, hint: 'name one of the outputs listed' });
}

/**
 * The names `target` reads, directly or through others, with itself: `reads(name)` is what the producer of
 * `name` reads (undefined for a graph input or a constant). Nothing the chosen output needs is dropped.
 */
export function neededBy(target: string, reads: (name: string) => readonly string[] | undefined): Set<string> {
  const seen = new Set<string>([target]);
  const todo = [target];
  while (todo.length > 0) {
    for (const r of reads(todo.pop()!) ?? []) {
      if (seen.has(r)) continue;
      seen.add(r);
      todo.push(r);
    }
  }
  return seen;
}

/** What of an ONNX graph this file reads: its outputs' names. */
interface OnnxGraphLike {
  output?: ({ name?: string | null } | null)[] | null;
}

/** The ONNX output chosen (its name, returned), alone in `g.output`; onnx-prune.ts then drops the nodes it does not read. */
export function onnxForOutput<G extends OnnxGraphLike>(g: G, wanted: string | undefined, file: string): string {
  const names = (g.output ?? []).map((o) => o?.name ?? '');
  if (names.length === 0) throw new NnchipError('NN110', 'the model has 0 outputs; nnchip supports exactly one', { file });
  const out = chooseOutput(names, wanted, { file });
  g.output = (g.output ?? []).filter((o) => (o?.name ?? '') === out);
  return out;
}
