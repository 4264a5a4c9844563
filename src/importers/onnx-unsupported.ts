// SPDX-License-Identifier: MIT
/** One error for everything an ONNX model uses that nnchip cannot take: every op type with its count, and every refused node. */
import { NnchipError } from '../diagnostics/error.js';
import { QDQ_HINT, QOPERATOR_OPS } from './onnx-quant.js';

export interface Refusal {
  readonly name: string;
  readonly opType: string;
  /** why a supported op type was refused at this node; null: the op type itself is unsupported */
  readonly error: NnchipError | null;
}

/** null when nothing was refused; the node's own error when it is the only problem; else a summary naming all. */
export function unsupportedOps(refused: readonly Refusal[], supported: readonly string[]): NnchipError | null {
  if (refused.length === 0) return null;
  if (refused.length === 1) {
    const [r] = refused as [Refusal];
    if (r.error === null && isQOperator(r.opType)) return new NnchipError('NN110', `op ${r.opType} is not supported: ${QDQ_HINT}`, { layer: r.name });
    return r.error ?? new NnchipError('NN110', `op ${r.opType} is not supported (supported: ${supported.join(', ')})`, { layer: r.name });
  }
  const counts = new Map<string, number>();
  for (const r of refused) if (r.error === null) counts.set(r.opType, (counts.get(r.opType) ?? 0) + 1);
  const parts: string[] = [];
  if (counts.size > 0) parts.push(`unsupported ops ${[...counts].map(([op, c]) => `${op} ×${c}`).join(', ')} (supported: ${supported.join(', ')})`);
  if ([...counts.keys()].some(isQOperator)) parts.push(QDQ_HINT);
  const nodes = refused.filter((r) => r.error !== null);
  if (nodes.length > 0) parts.push(`${nodes.length} node${nodes.length > 1 ? 's' : ''} refused: ${nodes.map((r) => `layer "${r.name}": ${r.error!.detail}`).join('; ')}`);
  return new NnchipError('NN110', `the model cannot be compiled, ${refused.length} problems: ${parts.join('; ')}`);
}

/** ONNX Runtime's quantized operators (ai.onnx or com.microsoft). */
const isQOperator = (opType: string): boolean => QOPERATOR_OPS.includes(opType.replace(/^com\.microsoft\./, ''));
