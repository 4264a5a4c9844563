// SPDX-License-Identifier: MIT
/**
 * Which ONNX opsets nnchip reads, and why the ones after 18 are safe: every op nnchip converts
 * that opsets 19 and 20 changed has been re-read against the new definition (notes below).
 */
import { basename } from 'node:path';
import { NnchipError } from '../diagnostics/error.js';
import { toInt } from './onnx-tensors.js';

/** Opsets 1 to 10: read as 11 (onnx-upgrade.ts); below 7 only the ops of LEGACY_READ in their later forms. */
export const ONNX_OPSETS = { min: 1, max: 20 } as const;

/**
 * The ops a model below opset 7 may hold: those whose opset-1–6 forms differ from opset 7's only in attributes
 * nnchip ignores (consumed_inputs, is_test) or reads where they are. Below 7, Add/Sub/Mul/Div/Pow broadcast by their
 * `broadcast`/`axis` attributes: taken without `axis` (equal shapes, or `broadcast` 1 aligning B with A's trailing
 * axes, as opset 7's numpy rule does: torch 0.3's `x + 1`) or with one that names that alignment (ranks known from
 * the graph's inputs and initializers), NN115 with another. Reshape holds its shape in an
 * attribute before 5, Pad its `paddings` before 2, Cast's `to` is a string before 6, PRelu's slope is one value or
 * one per channel as [C] (read as such: onnx-ops-activations.ts), ReduceMean/Sum/Max differ only in taking no
 * negative axes, and Upsample and the recurrent ops had other definitions: any other op, or one of those forms,
 * is NN115 with onnx's own converter.
 */
const LEGACY_READ = new Set([
  'Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LRN', 'BatchNormalization', 'InstanceNormalization',
  'Relu', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'HardSigmoid', 'Sigmoid', 'Tanh', 'Softplus', 'Softsign', 'Softmax', 'LogSoftmax', 'Dropout', 'Flatten',
  'Concat', 'Sum', 'Mean', 'Max', 'Min', 'ReduceMean', 'ReduceSum', 'ReduceMax', 'Clip', 'Identity', 'Constant', 'Squeeze', 'Unsqueeze', 'Transpose', 'MatMul', 'Gemm',
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Abs', 'Neg', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Slice', 'Split', 'Gather', 'Reshape', 'Pad', 'Cast',
]);

/**
 * NN115 for a node of a model below opset 7 in a form nnchip does not read (LEGACY_READ), else null. `layer` names
 * the node as the converter would (an unnamed node, as torch 0.3 wrote them, is "<op>_<index>").
 */
export function legacyForm(n: { opType?: string | null; name?: string | null; input?: readonly string[] | null; attribute?: readonly { name?: string | null; i?: unknown; type?: unknown }[] | null }, opset: number, file: string, layer: string, rankOf: (tensor: string) => number | undefined = () => undefined): NnchipError | null {
  if (opset >= 7) return null;
  const op = n.opType ?? '';
  const has = (name: string): boolean => (n.attribute ?? []).some((a) => a.name === name);
  // an axis that puts B on A's last axes (torch 0.3's x + y of [N, K] and [K]) is the suffix alignment numpy's rule makes
  const [rankA, rankB] = [rankOf(n.input?.[0] ?? ''), rankOf(n.input?.[1] ?? '')];
  const axis = Number((n.attribute ?? []).find((a) => a.name === 'axis')?.i ?? NaN);
  const suffix = rankA !== undefined && rankB !== undefined && (axis === rankA - rankB || axis === -rankB);
  const broadcasts = ['Add', 'Sub', 'Mul', 'Div', 'Pow'].includes(op) && has('axis') && !suffix;
  const old = broadcasts || (op === 'Reshape' && (n.input ?? []).length < 2) || (op === 'Pad' && has('paddings')) || (op === 'Cast' && opset < 6);
  if (LEGACY_READ.has(op) && !old) return null;
  const why = broadcasts ? 'broadcasts B from its axis attribute' : LEGACY_READ.has(op) ? 'is in its form before opset 6' : 'is read only from opset 7';
  return new NnchipError('NN115', `op ${op} of an opset-${opset} model ${why}`, { file, layer, hint: convertHint(file) });
}

/** The rank of each graph input (as declared) and initializer, for legacyForm's broadcasting axis. */
export function declaredRanks(g: { input?: readonly { name?: string | null; type?: { tensorType?: { shape?: { dim?: readonly unknown[] | null } | null } | null } | null }[] | null; initializer?: readonly { name?: string | null; dims?: readonly unknown[] | null }[] | null }): (tensor: string) => number | undefined {
  const ranks = new Map<string, number>();
  for (const v of g.input ?? []) if (v.type?.tensorType?.shape?.dim) ranks.set(v.name ?? '', v.type.tensorType.shape.dim.length);
  for (const t of g.initializer ?? []) ranks.set(t.name ?? '', (t.dims ?? []).length);
  return (tensor) => ranks.get(tensor);
}

/** onnx's own converter to a newer opset, as a command. */
const convertHint = (file: string): string => `convert it with onnx: import onnx; from onnx import version_converter; onnx.save(version_converter.convert_version(onnx.load('${basename(file)}'), 11), 'model-11.onnx')`;

/**
 * The newest ONNX IR (file format) version nnchip accepts: what onnxruntime 1.30 reads. Newer IR
 * versions so far only added element types (which nnchip refuses by name) and fields nnchip does not
 * read, and onnx.helper.make_model writes the installed onnx's newest IR whatever the opset, so any
 * known one is taken; a version past every release (999999, a damaged or hand-edited file) is
 * refused as onnxruntime refuses it ("Unsupported model IR version"), not read in hope.
 */
export const ONNX_IR_MAX = 13;

/** NN115 for an IR version no ONNX release has written (above ONNX_IR_MAX, or below 1). */
export function checkIrVersion(ir: number, file: string): void {
  if (ir >= 0 && ir <= ONNX_IR_MAX) return; // 0: an old exporter that left the field unset (onnxruntime takes it too)
  throw new NnchipError('NN115', `ONNX IR version ${ir} is not one nnchip knows (it reads IR versions up to ${ONNX_IR_MAX}, as onnxruntime 1.30 does)`, {
    file,
    hint: `re-export the model with a released onnx and an opset from ${ONNX_OPSETS.min} to ${ONNX_OPSETS.max}; if only the field is wrong, set it: m = onnx.load(path); m.ir_version = 9; onnx.save(m, path)`,
  });
}

/** The ops each opset after 18 added or changed (ONNX docs/Changelog.md, "Version N of the default ONNX operator set"). */
export const ONNX_OPSET_CHANGES: Readonly<Record<number, readonly string[]>> = {
  19: ['AveragePool', 'Cast', 'CastLike', 'Constant', 'DeformConv', 'DequantizeLinear', 'Equal', 'Identity', 'If', 'Loop', 'Pad', 'QuantizeLinear', 'Reshape', 'Resize', 'Scan', 'Shape', 'Size'],
  20: ['AffineGrid', 'ConstantOfShape', 'DFT', 'Gelu', 'GridSample', 'ImageDecoder', 'IsInf', 'IsNaN', 'ReduceMax', 'ReduceMin', 'RegexFullMatch', 'StringConcat', 'StringSplit'],
};

/** Changed ops nnchip converts, and what the change means to its converter. */
export const ONNX_CHANGES_REVIEWED: Readonly<Record<string, string>> = {
  AveragePool: '19 adds dilations: dilations other than 1 are refused for average pooling',
  Cast: '19 adds 8-bit float types and `saturate` (for them only): only Casts between FLOAT, FLOAT16, BFLOAT16 and DOUBLE (identities) and Casts of constants to those or to integers are taken',
  Constant: '19 adds 8-bit float types: only float32 and integer constants are read',
  Identity: '19 adds 8-bit float types: float32 tensors only',
  Pad: '19 adds mode "wrap": refused by name, as reflect and edge',
  ReduceMax: '20 adds bool and 8-bit inputs: float32 tensors only',
  Reshape: '19 adds 8-bit float types: float32 tensors only',
  Resize: '19 adds coordinate_transformation_mode "half_pixel_symmetric": not a replicating mode, refused',
  Gelu: '20 adds the op (approximate none or tanh): a step table',
  QuantizeLinear: '19 adds 8-bit float types and `saturate` (for them only): only INT8/UINT8 outputs are read (onnx-quant.ts)',
  DequantizeLinear: '19 adds 8-bit float types: only INT8/UINT8/INT32 inputs are read (onnx-quant.ts)',
};

/** The model's ai.onnx opset, after its IR version is checked (NN115 for either past what nnchip reads; NN107 for a malformed list). */
export function modelOpset(model: { irVersion?: unknown; opsetImport?: readonly { domain?: string | null; version?: unknown }[] | null }, file: string): number {
  checkIrVersion(toInt(model.irVersion ?? 0, { file }, 'the IR version'), file);
  const entries = (model.opsetImport ?? []).filter((o) => o.domain === '' || o.domain === 'ai.onnx' || o.domain === null || o.domain === undefined);
  // two versions of the default domain: the first was taken, silently
  if (entries.length > 1) throw new NnchipError('NN107', `the model imports the ai.onnx opset ${entries.length} times (${entries.map((o) => String(o.version)).join(', ')})`, { file });
  const entry = entries[0];
  if (entry === undefined) throw new NnchipError('NN107', 'the model declares no ai.onnx opset (opset_import)', { file });
  const v = toInt(entry.version ?? 0, { file }, 'the opset version');
  if (v < ONNX_OPSETS.min || v > ONNX_OPSETS.max) throw new NnchipError('NN115', `opset ${v} is not supported (supported: ${ONNX_OPSETS.min} to ${ONNX_OPSETS.max})`, { file });
  return v;
}

/** An NN115 error for a node whose op changed after opset 18 without a review, else null. */
export function unreviewedOpsetChange(opType: string, opset: number, file: string): NnchipError | null {
  if (ONNX_CHANGES_REVIEWED[opType] !== undefined) return null;
  for (let v = 19; v <= opset; v++) {
    if (ONNX_OPSET_CHANGES[v]?.includes(opType)) return new NnchipError('NN115', `op ${opType} changed in opset ${v}, and nnchip reads it as of opset 18 (the model's opset is ${opset})`, { file });
  }
  return null;
}
