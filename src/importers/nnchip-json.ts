// SPDX-License-Identifier: MIT
/**
 * nnchip's own JSON model format (docs/nnchip-model.schema.json): a sequential list of layers
 * with inline float weights, for hand-written and test models.
 *   {"format": "nnchip-model", "version": 1, "name": "tiny", "input": {"shape": [4]},
 *    "layers": [{"name": "fc1", "op": "dense", "activation": "relu",
 *                "kernel": [[...units...] × inputs], "bias": [...units...]}, ...]}
 */
import { basename } from 'node:path';
import { NnchipError, shortName, shownValue } from '../diagnostics/error.js';
import { availableChoices } from '../diagnostics/suggest.js';
import type { Activation, Graph, Node, Tensor } from '../ir/graph.js';
import { TABLE_FUNCTIONS, type TableActivation, type TableFunction } from '../ir/activations.js';
import { checkedElements, type Limits } from './limits.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const SUPPORTED_NNCHIP_OPS = ['dense', 'relu', 'relu6', 'flatten', 'dropout', 'softmax', ...TABLE_FUNCTIONS] as const;
const ACTS: readonly string[] = ['linear', 'relu', 'relu6', 'softmax', ...TABLE_FUNCTIONS];
/** Every field a layer may have (docs/nnchip-model.schema.json). */
const LAYER_FIELDS: readonly string[] = ['name', 'op', 'activation', 'alpha', 'beta', 'slopes', 'kernel', 'bias'];

/** A table function named by a layer, with its optional "alpha", "beta" and (prelu) "slopes" fields. */
function tableActivation(fn: TableFunction, raw: Record<string, unknown>, site: { file: string; layer: string }): TableActivation {
  const num = (k: string): number | undefined => {
    const v = raw[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) throw new NnchipError('NN107', `${k} is ${shownValue(v)}; expected a number`, site);
    return v;
  };
  const slopes = raw['slopes'];
  if (fn === 'prelu' && (!Array.isArray(slopes) || slopes.length === 0 || slopes.some((s) => typeof s !== 'number' || !Number.isFinite(s)))) throw new NnchipError('NN107', 'prelu needs "slopes": a list of numbers, one per channel', site);
  const [alpha, beta] = [num('alpha'), num('beta')];
  // rsqrt's alpha is the ε under its root: at 0 or below, 1/√(v + ε) is infinite or NaN near v = 0
  if (fn === 'rsqrt' && alpha !== undefined && !(alpha > 0)) throw new NnchipError('NN107', `rsqrt's alpha (its epsilon) is ${alpha}; expected a positive number`, site);
  return { fn, ...(alpha === undefined ? {} : { alpha }), ...(beta === undefined ? {} : { beta }), ...(fn === 'prelu' ? { slopes: slopes as number[] } : {}) };
}
const isTableName = (s: unknown): s is TableFunction => (TABLE_FUNCTIONS as readonly unknown[]).includes(s);

/** Nested numeric array → Tensor (row-major), checking it is rectangular and numeric. */
function toTensor(v: unknown, site: { file: string; layer: string }, what: string, limits: Limits): Tensor {
  const shape: number[] = [];
  for (let x = v; Array.isArray(x); x = x[0]) shape.push(x.length);
  checkedElements(shape, limits, site, what);
  const data: number[] = [];
  const walk = (x: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof x !== 'number') throw new NnchipError('NN107', `${what} contains ${shownValue(x)}, not a number`, site);
      data.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) throw new NnchipError('NN201', `${what} is not a rectangular array of shape ${shownValue(shape)}`, site);
    for (const e of x) walk(e, depth + 1);
  };
  walk(v, 0);
  return { shape, data: Float32Array.from(data) };
}

export function importNnchipJson(json: Json, modelFile: string, limits: Limits): Graph {
  const file = basename(modelFile);
  if (json['version'] === undefined) throw new NnchipError('NN107', 'has no "version" (expected 1)', { file });
  if (json['version'] !== 1) throw new NnchipError('NN107', `version ${shownValue(json['version']).slice(0, 40)} is not supported (expected 1)`, { file });
  const input = json['input'];
  if (!isObj(input) || !Array.isArray(input['shape'])) throw new NnchipError('NN107', 'input.shape is missing', { file });
  checkedElements(input['shape'], limits, { file }, 'input');
  if (!Array.isArray(json['layers'])) throw new NnchipError('NN107', 'layers is missing or not a list', { file });
  const nodes: Node[] = [];
  let prev = 'input';
  (json['layers'] as unknown[]).forEach((raw, i) => {
    if (!isObj(raw)) throw new NnchipError('NN107', `layer ${i} is not an object`, { file });
    const name = typeof raw['name'] === 'string' ? raw['name'] : `layer_${i}`;
    const site = { file, layer: name };
    // a misspelt field was ignored: {"op": "dense", "activaton": "relu"} lowered a linear layer, silently
    const unknown = Object.keys(raw).find((k) => !LAYER_FIELDS.includes(k));
    if (unknown !== undefined) throw new NnchipError('NN107', `layer field ${shownValue(unknown).slice(0, 80)} is not one nnchip models have (${LAYER_FIELDS.join(', ')})`, site);
    // {"op": "dense2", "kernel": …} was "a "dense2" layer has "kernel", which only dense layers take"
    const op = raw['op'];
    if (op === undefined) throw new NnchipError('NN107', `layer ${i} has no "op" (${SUPPORTED_NNCHIP_OPS.slice(0, 6).join(', ')}, …)`, site);
    if (typeof op !== 'string' || !(SUPPORTED_NNCHIP_OPS as readonly string[]).includes(op)) {
      throw new NnchipError('NN110', `op ${typeof op === 'string' ? shownValue(shortName(op)) : shownValue(op).slice(0, 40)} is not supported (${availableChoices(typeof op === 'string' ? op : '', SUPPORTED_NNCHIP_OPS)})`, site);
    }
    const denseOnly = raw['op'] === 'dense' ? undefined : (['kernel', 'bias', 'activation'] as const).find((k) => raw[k] !== undefined);
    if (denseOnly !== undefined) throw new NnchipError('NN107', `a ${shownValue(raw['op']).slice(0, 40)} layer has "${denseOnly}", which only dense layers take`, site);
    const base = { name, inputs: [prev], output: name };
    switch (raw['op']) {
      case 'dense': {
        const activation = raw['activation'] ?? 'linear';
        if (typeof activation !== 'string' || !ACTS.includes(activation)) throw new NnchipError('NN110', `activation ${shownValue(activation)} is not supported (supported: ${ACTS.join(', ')})`, site);
        const kernel = toTensor(raw['kernel'], site, 'kernel', limits);
        const bias = raw['bias'] === undefined ? null : toTensor(raw['bias'], site, 'bias', limits);
        if (activation === 'softmax') {
          nodes.push({ ...base, op: 'dense', kernel, bias, activation: 'linear', output: `${name}/logits` });
          nodes.push({ name: `${name}/softmax`, op: 'activation', fn: 'softmax', inputs: [`${name}/logits`], output: name });
        } else nodes.push({ ...base, op: 'dense', kernel, bias, activation: isTableName(activation) ? tableActivation(activation, raw, site) : (activation as Activation) });
        break;
      }
      case 'relu':
      case 'relu6':
      case 'softmax':
        nodes.push({ ...base, op: 'activation', fn: raw['op'] });
        break;
      case 'flatten':
        nodes.push({ ...base, op: 'flatten' });
        break;
      case 'dropout':
        nodes.push({ ...base, op: 'identity' });
        break;
      default:
        if (isTableName(raw['op'])) {
          nodes.push({ ...base, op: 'activation', fn: tableActivation(raw['op'], raw, site) });
          break;
        }
        throw new NnchipError('NN110', `op ${shownValue(raw['op'])} is not supported (supported: ${SUPPORTED_NNCHIP_OPS.join(', ')})`, site);
    }
    prev = name;
  });
  const name = typeof json['name'] === 'string' ? json['name'] : basename(modelFile).replace(/\.json$/, '');
  return { name, inputs: [{ name: 'input', shape: input['shape'] as number[] }], nodes, outputs: [prev], notes: [] };
}
