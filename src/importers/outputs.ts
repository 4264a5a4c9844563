// SPDX-License-Identifier: MIT
/**
 * A model's outputs: all of them (a detector's scores and boxes, a pose model's heatmaps and offsets: one
 * program stores each where its layer leaves it), or those --output-name names (one, or several separated by
 * commas; of a TF.js graph model any node, to compile the network before an in-graph decoding). The importers
 * drop what no chosen output reads.
 */
import { listNames, NnchipError, shortName, type ErrorSite } from '../diagnostics/error.js';
import { didYouMean } from '../diagnostics/suggest.js';

/** What loadModel passes the importers: the outputs --output-name named (one, or several separated by commas), and the input sizes --input-shape gave (input-shape.ts), if any. */
export interface ModelChoice {
  readonly output?: string | undefined;
  readonly inputShape?: readonly number[] | undefined;
  /** 'compute': a final softmax is computed, its outputs probabilities (default 'drop': the compiler drops it, logits out). */
  readonly finalSoftmax?: 'drop' | 'compute' | undefined;
}

/**
 * The names --output-name gives: the whole text when it is one name (of `known`, or the only one given),
 * else its comma-separated parts, each once, in the order given.
 */
function namesWanted(wanted: string, known: (name: string) => boolean): string[] {
  if (known(wanted) || !wanted.includes(',')) return [wanted];
  return [...new Set(wanted.split(',').map((s) => s.trim()))];
}

/**
 * The outputs to compile, in the model's order: all of them, or those `wanted` names (among `names`, or an
 * alias such as a signature's key, mapped to its name; several separated by commas, in the order named).
 * Refused: a name the model has not (how many a program holds, the compiler checks: passes/pipeline.ts).
 */
export function chooseOutputs(listed: readonly string[], wanted: string | undefined, site: ErrorSite, aliases: ReadonlyMap<string, string> = new Map(), inner: (name: string) => boolean = () => false): string[] {
  // a tensor listed as an output twice (Keras `outputs=[y, y]`, a signature's two keys of one node) is one output
  const names = [...new Set(listed)];
  const pick = (w: string): string => (!names.includes(w) && !aliases.has(w) && inner(w) ? w : chosenName(names, w, site, aliases));
  return wanted === undefined ? names : [...new Set(namesWanted(wanted, (n) => names.includes(n) || aliases.has(n) || inner(n)).map(pick))];
}

/** Graph.outputNames: the names the model gives its outputs, where one differs from its IR tensor's. */
export function modelOutputNames(names: readonly string[], tensors: readonly string[]): { outputNames?: readonly string[] } {
  return names.some((n, i) => n !== tensors[i]) ? { outputNames: names } : {};
}

/** The output one name of --output-name means: one of `names`, or the output an alias stands for; else NN801. */
function chosenName(names: readonly string[], wanted: string, site: ErrorSite, aliases: ReadonlyMap<string, string>): string {
  if (names.includes(wanted)) return wanted;
  const alias = aliases.get(wanted);
  if (alias !== undefined && names.includes(alias)) return alias;
  const what = names.length === 1 ? `the model's only output is ${shortName(names[0]!)}` : `the model's outputs are ${listNames(names)}`;
  throw new NnchipError('NN801', `--output-name "${shortName(wanted)}" is not an output of the model: ${what}${didYouMean(wanted, [...names, ...aliases.keys()])}`, { ...site, hint: 'name one of the outputs listed (several: separated by commas)' });
}

/**
 * The names the targets read, directly or through others, with themselves: `reads(name)` is what the producer of
 * `name` reads (undefined for a graph input or a constant). Nothing a chosen output needs is dropped.
 */
export function neededBy(targets: readonly string[], reads: (name: string) => readonly string[] | undefined): Set<string> {
  const seen = new Set<string>(targets);
  const todo = [...targets];
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

/** The ONNX outputs chosen (their names, returned), alone in `g.output`; onnx-prune.ts then drops the nodes none reads. */
export function onnxForOutputs<G extends OnnxGraphLike>(g: G, wanted: string | undefined, file: string): string[] {
  const names = (g.output ?? []).map((o) => o?.name ?? '');
  if (names.length === 0) throw new NnchipError('NN110', 'the model has 0 outputs; nnchip compiles at least one', { file });
  const outs = chooseOutputs(names, wanted, { file });
  g.output = outs.map((name) => (g.output ?? []).find((o) => (o?.name ?? '') === name)!);
  return outs;
}

/**
 * A refusal of ops some outputs of a model of several do not read, told how to compile those alone: the error with
 * "or compile only the outputs that read none of them: --output-name a,b" after its hint. `clean`: the outputs that
 * read no refused op. Unchanged when every output, or none, reads one.
 */
export function withCleanOutputs(e: NnchipError, outputs: readonly string[], clean: readonly string[]): NnchipError {
  if (clean.length === 0 || clean.length === outputs.length) return e;
  const hint = `${e.hint.replace(/\.$/, '')}; or compile only the outputs that read none of them: --output-name ${clean.map(shortName).join(',')}`;
  return new NnchipError(e.code, e.detail, { ...(e.file === undefined ? {} : { file: e.file }), ...(e.layer === undefined ? {} : { layer: e.layer }), hint });
}
