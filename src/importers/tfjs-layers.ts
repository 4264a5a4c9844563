// SPDX-License-Identifier: MIT
/**
 * TF.js Layers format (model.json with modelTopology + weightsManifest, float32 .bin shards)
 * → Graph. Sequential and functional ("Model"/"Functional") topologies. Knows the file format
 * and nothing else: shapes are checked by ir/verify.ts, lowering by the passes.
 */
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { NnchipError } from '../diagnostics/error.js';
import type { Activation, Graph, Node, Tensor } from '../ir/graph.js';
import { checkBytes, checkedElements, type Limits } from './limits.js';
import { resolveInside } from './safe-path.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export const SUPPORTED_TFJS_LAYERS = ['InputLayer', 'Dense', 'Activation', 'ReLU', 'Flatten', 'Dropout', 'Softmax'] as const;
const ACTIVATIONS: Record<string, Activation | 'softmax'> = { linear: 'linear', relu: 'relu', relu6: 'relu6', softmax: 'softmax' };

interface WeightSpec {
  readonly name: string;
  readonly shape: number[];
  readonly offset: number; // element offset into the group's float data
}

interface LayerEntry {
  readonly className: string;
  readonly name: string;
  readonly config: Json;
  readonly inbound: string[];
}

/** Read every weight group; the manifest is checked against the shard sizes before any allocation. */
function readWeights(manifest: unknown, modelFile: string, limits: Limits): Map<string, Tensor> {
  const file = basename(modelFile);
  const site = { file };
  if (!Array.isArray(manifest)) throw new NnchipError('NN107', 'weightsManifest is missing or not a list', site);
  const tensors = new Map<string, Tensor>();
  let totalParams = 0;
  for (const group of manifest) {
    if (!isObj(group) || !Array.isArray(group['paths']) || !Array.isArray(group['weights'])) throw new NnchipError('NN107', 'a weightsManifest entry needs "paths" and "weights" lists', site);
    const specs: WeightSpec[] = [];
    let elements = 0;
    for (const w of group['weights'] as unknown[]) {
      if (!isObj(w) || typeof w['name'] !== 'string') throw new NnchipError('NN107', 'a weight entry has no name', site);
      const name = w['name'];
      if (w['dtype'] !== 'float32') throw new NnchipError('NN106', `weight "${name}" has dtype ${JSON.stringify(w['dtype'])}`, site);
      if (w['quantization'] !== undefined) throw new NnchipError('NN106', `weight "${name}" is stored quantized`, site);
      const n = checkedElements(w['shape'], limits, site, `weight "${name}"`);
      specs.push({ name, shape: w['shape'] as number[], offset: elements });
      elements += n;
      totalParams += n;
      if (totalParams > limits.maxParams) throw new NnchipError('NN109', `the model has over ${limits.maxParams} weights (--max-params)`, site);
    }
    const paths = (group['paths'] as unknown[]).map((p) => resolveInside(dirname(modelFile), p as string, file));
    const sizes = paths.map((p) => statSync(p).size);
    const have = sizes.reduce((a, b) => a + b, 0);
    const need = elements * 4;
    if (have !== need) {
      const names = (group['paths'] as string[]).join(', ');
      throw new NnchipError('NN105', `weight shards ${names} hold ${have} bytes but the manifest declares ${need} (${have < need ? 'short' : 'too long'})`, site);
    }
    checkBytes(need, limits, site, 'the weight group');
    const bytes = new Uint8Array(need);
    let at = 0;
    paths.forEach((p, i) => {
      const fd = openSync(p, 'r');
      try {
        at += readSync(fd, bytes, at, sizes[i]!, 0);
      } finally {
        closeSync(fd);
      }
    });
    const floats = new Float32Array(bytes.buffer, 0, elements);
    for (const s of specs) {
      const n = s.shape.reduce((a, b) => a * b, 1);
      tensors.set(s.name, { shape: s.shape, data: floats.subarray(s.offset, s.offset + n) });
    }
  }
  return tensors;
}

/** Inbound tensor names of a functional layer: tfjs writes [[["name", 0, 0, {}], ...]]. */
function inboundOf(layer: Json, file: string, name: string): string[] {
  const nodes = layer['inbound_nodes'];
  if (nodes === undefined) return [];
  if (!Array.isArray(nodes)) throw new NnchipError('NN107', 'inbound_nodes is not a list', { file, layer: name });
  if (nodes.length > 1) throw new NnchipError('NN110', 'the layer is applied more than once (shared layers are not supported yet)', { file, layer: name });
  const first = nodes[0] as unknown;
  const list = Array.isArray(first) ? first : isObj(first) && Array.isArray(first['args']) ? (first['args'] as unknown[]) : [];
  return list.map((e) => {
    if (Array.isArray(e) && typeof e[0] === 'string') return e[0];
    if (isObj(e) && isObj(e['config']) && Array.isArray(e['config']['keras_history'])) return String(e['config']['keras_history'][0]);
    throw new NnchipError('NN107', 'cannot read an inbound node', { file, layer: name });
  });
}

function layerList(topology: Json, file: string): { layers: LayerEntry[]; functional: boolean; outputs: string[] } {
  let model = topology;
  if (isObj(model['model_config'])) model = model['model_config'];
  const className = model['class_name'];
  const config = model['config'];
  const functional = className === 'Model' || className === 'Functional';
  if (className !== 'Sequential' && !functional) throw new NnchipError('NN103', `modelTopology class ${JSON.stringify(className)} is not Sequential or Model`, { file });
  const rawLayers = Array.isArray(config) ? config : isObj(config) ? config['layers'] : undefined;
  if (!Array.isArray(rawLayers) || rawLayers.length === 0) throw new NnchipError('NN107', 'the topology has no layers list', { file });
  const layers = rawLayers.map((l, i): LayerEntry => {
    if (!isObj(l) || typeof l['class_name'] !== 'string' || !isObj(l['config'])) throw new NnchipError('NN107', `layer ${i} has no class_name/config`, { file });
    const name = typeof l['config']['name'] === 'string' ? l['config']['name'] : typeof l['name'] === 'string' ? l['name'] : `layer_${i}`;
    return { className: l['class_name'], name, config: l['config'], inbound: functional ? inboundOf(l, file, name) : [] };
  });
  const ends = (key: string): string[] => {
    const v = isObj(config) ? config[key] : undefined;
    return Array.isArray(v) ? v.map((e) => String(Array.isArray(e) ? e[0] : e)) : [];
  };
  return { layers, functional, outputs: ends('output_layers') };
}

function inputShapeOf(cfg: Json): number[] | undefined {
  const s = cfg['batch_input_shape'] ?? cfg['batchInputShape'] ?? cfg['batch_shape'];
  if (Array.isArray(s)) return s.slice(1) as number[];
  const t = cfg['input_shape'] ?? cfg['inputShape'];
  return Array.isArray(t) ? (t as number[]) : undefined;
}

function findWeight(weights: Map<string, Tensor>, layer: string, kind: string): Tensor | undefined {
  const exact = weights.get(`${layer}/${kind}`);
  if (exact) return exact;
  for (const [name, t] of weights) if (name.endsWith(`/${layer}/${kind}`)) return t;
  return undefined;
}

function toNode(l: LayerEntry, input: string, weights: Map<string, Tensor>, file: string): Node | null {
  const site = { file, layer: l.name };
  const base = { name: l.name, inputs: [input], output: l.name };
  const act = (key: string): Activation | 'softmax' => {
    const a = l.config[key] ?? 'linear';
    const fn = typeof a === 'string' ? ACTIVATIONS[a] : undefined;
    if (fn === undefined) throw new NnchipError('NN110', `activation ${JSON.stringify(a)} is not supported (supported: ${Object.keys(ACTIVATIONS).join(', ')})`, site);
    return fn;
  };
  switch (l.className) {
    case 'Dense': {
      const kernel = findWeight(weights, l.name, 'kernel');
      if (!kernel) throw new NnchipError('NN201', `no weight "${l.name}/kernel" in the weightsManifest`, site);
      const useBias = l.config['use_bias'] ?? l.config['useBias'] ?? true;
      const bias = useBias ? findWeight(weights, l.name, 'bias') : undefined;
      if (useBias && !bias) throw new NnchipError('NN201', `no weight "${l.name}/bias" in the weightsManifest`, site);
      if (typeof l.config['units'] === 'number' && kernel.shape[1] !== l.config['units']) throw new NnchipError('NN201', `units is ${String(l.config['units'])} but the kernel has shape ${JSON.stringify(kernel.shape)}`, site);
      const fn = act('activation');
      // a softmax activation is split off by expandSoftmax
      return { ...base, op: 'dense', kernel, bias: bias ?? null, activation: fn === 'softmax' ? 'linear' : fn };
    }
    case 'Activation':
      return { ...base, op: 'activation', fn: act('activation') };
    case 'Softmax':
      return { ...base, op: 'activation', fn: 'softmax' };
    case 'ReLU': {
      const max = l.config['max_value'] ?? l.config['maxValue'];
      if (max !== undefined && max !== null && max !== 6) throw new NnchipError('NN110', `ReLU with max_value ${String(max)} (only none or 6)`, site);
      return { ...base, op: 'activation', fn: max === 6 ? 'relu6' : 'relu' };
    }
    case 'Flatten':
      return { ...base, op: 'flatten' };
    case 'Dropout':
      return { ...base, op: 'identity' };
    case 'InputLayer':
      return null;
    default:
      throw new NnchipError('NN110', `layer type ${l.className} is not supported (supported: ${SUPPORTED_TFJS_LAYERS.join(', ')})`, site);
  }
}

/** Dense with activation softmax: split into dense(linear) + activation(softmax) so passes see it. */
function expandSoftmax(node: Node, l: LayerEntry): Node[] {
  if (node.op !== 'dense' || l.config['activation'] !== 'softmax') return [node];
  return [
    { ...node, output: `${node.name}/logits` },
    { name: `${node.name}/softmax`, op: 'activation', fn: 'softmax', inputs: [`${node.name}/logits`], output: node.name },
  ];
}

export function importTfjsLayers(json: Json, modelFile: string, limits: Limits): Graph {
  const file = basename(modelFile);
  if (!isObj(json['modelTopology'])) throw new NnchipError('NN107', 'modelTopology is missing', { file });
  const { layers, functional, outputs } = layerList(json['modelTopology'], file);
  const weights = readWeights(json['weightsManifest'], modelFile, limits);
  const graphInputs: { name: string; shape: number[] }[] = [];
  const nodes: Node[] = [];
  let prev = '';
  for (const l of layers) {
    if (l.className === 'InputLayer' || (!functional && graphInputs.length === 0)) {
      const shape = inputShapeOf(l.config);
      if (shape === undefined || shape.some((d) => typeof d !== 'number')) throw new NnchipError('NN107', 'the input shape is missing or not fully known', { file, layer: l.name });
      const inputName = l.className === 'InputLayer' ? l.name : 'input';
      graphInputs.push({ name: inputName, shape });
      prev = inputName;
      if (l.className === 'InputLayer') continue;
    }
    const input = functional ? l.inbound : [prev];
    if (input.length !== 1) throw new NnchipError('NN110', `the layer has ${input.length} inputs (multi-input layers are not supported yet)`, { file, layer: l.name });
    const node = toNode(l, input[0]!, weights, file);
    if (node === null) continue;
    nodes.push(...expandSoftmax(node, l));
    prev = node.name;
  }
  if (graphInputs.length !== 1) throw new NnchipError('NN110', `the model has ${graphInputs.length} inputs; nnchip supports exactly one`, { file });
  const outs = functional && outputs.length > 0 ? outputs : [prev];
  if (outs.length !== 1) throw new NnchipError('NN110', `the model has ${outs.length} outputs; nnchip supports exactly one`, { file });
  const name = typeof (json['modelTopology'] as Json)['name'] === 'string' ? String((json['modelTopology'] as Json)['name']) : basename(dirname(modelFile));
  return { name, inputs: graphInputs, nodes, outputs: outs, notes: [] };
}
