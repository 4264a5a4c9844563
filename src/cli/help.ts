// SPDX-License-Identifier: MIT
/** Words every command's --help shares: which inputs it takes, and how its examples are laid out. */

/** What a `<model>` argument may be (every importer, and the folder form). */
export const MODEL_INPUTS =
  'the model: a TF.js Layers model.json (weight shards beside it), an ONNX .onnx file, an nnchip JSON model (*.nnchip.json), or a folder holding one model.json or model.onnx';

/** What `<model>` may be for commands that also run an already lowered program. */
export const MODEL_OR_PROGRAM_INPUTS = `${MODEL_INPUTS}; or a lowered folder (written by \`nnchip lower\`) or its program.nnp`;

/** What a `<program>` argument may be. */
export const PROGRAM_INPUTS = 'a lowered folder written by `nnchip lower` (it holds program.nnp), or its program.nnp';

/** The "Examples:" block after a command's options: each entry is [command line, what it does]. */
export function examples(lines: readonly (readonly [string, string])[]): string {
  const width = Math.max(...lines.map(([cmd]) => cmd.length));
  return `\nExamples:\n${lines.map(([cmd, what]) => `  ${cmd.padEnd(width)}  ${what}`.trimEnd()).join('\n')}\n`;
}
