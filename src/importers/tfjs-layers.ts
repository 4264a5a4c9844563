// SPDX-License-Identifier: MIT
/**
 * TF.js Layers format (model.json with modelTopology + weightsManifest, .bin shards read by tfjs-weights.ts)
 * → Graph. Sequential and functional ("Model"/"Functional") topologies. Knows the file format
 * and nothing else: shapes are checked by ir/verify.ts, lowering by the passes.
 */
import { basename, dirname } from 'node:path';
import { NnchipError, withFile, shownValue } from '../diagnostics/error.js';
import { foldInputReshapes, type Graph, type GraphInput, type Node, type Tensor } from '../ir/graph.js';
import { inferShape } from '../ir/ops.js';
import { checkedElements, type Limits } from './limits.js';
import { chooseOutputs, neededBy, type ModelChoice } from './outputs.js';
import { checkOneInput, fillInputShape } from './input-shape.js';
import type { Constant } from './tfjs-layer.js';
import { layerToNodes, type LayerContext, type LayerEntry } from './tfjs-layer-ops.js';
import { readTfjsWeights } from './tfjs-weights.js';
import { recurrentOwners } from './tfjs-recurrent.js';
import { channelsFirstLayer, declaresChannelsFirst, layoutPermute } from './tfjs-channels-first.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export { SUPPORTED_TFJS_LAYERS } from './tfjs-layer-ops.js';

/**
 * The tensor a reference [layer, node, tensor] names: the layer's own name for its first output, `layer:k`
 * for output k (a recurrent layer's states under return_state; it was read as the first output, silently).
 */
const outputName = (layer: string, index: unknown): string => (typeof index === 'number' && index > 0 ? `${layer}:${index}` : layer);

/** A short description of a JSON value for an error line (bounded in depth and length: files may nest without end). */
function brief(v: unknown, depth = 0): string {
  if (depth > 2) return '…';
  if (Array.isArray(v)) return `[${v.slice(0, 4).map((e) => brief(e, depth + 1)).join(',')}${v.length > 4 ? ',…' : ''}]`;
  if (isObj(v)) return typeof v['class_name'] === 'string' ? v['class_name'].slice(0, 40) : '{…}';
  return (JSON.stringify(v) ?? String(v)).slice(0, 40);
}

/**
 * Inbound tensor names of a functional layer: tfjs writes [[["name", 0, 0, {}], ...]]. Keras 3 writes
 * {args, kwargs}, whose args may hold constants beside the tensors (its operations on constants, `x / 255.0`:
 * class Add, Subtract, Multiply, TrueDivide of module keras.src.ops.numpy): then `constants` has one entry
 * per argument (tfjs-layer.ts `Constant`).
 */
function inboundOf(layer: Json, file: string, name: string, call = 0, refName: RefName = callName): { inbound: string[]; constants?: Constant[] } {
  const nodes = layer['inbound_nodes'];
  if (nodes === undefined) return { inbound: [] };
  if (!Array.isArray(nodes)) throw new NnchipError('NN107', 'inbound_nodes is not a list', { file, layer: name });
  const first = nodes[call] as unknown;
  // Keras 3 writes {args: [tensor]} or, for multi-input layers, {args: [[tensor, tensor]]}
  const args = isObj(first) && Array.isArray(first['args']) ? (first['args'] as unknown[]).flatMap((a) => (Array.isArray(a) && a.every(isObj) ? a : [a])) : [];
  const list = Array.isArray(first) ? first : args;
  // [layer, node, tensor] (tfjs, Keras 2) or a keras_history of them (Keras 3): the tensor out of that call of the layer
  const ref = (r: unknown): string | undefined => (Array.isArray(r) && typeof r[0] === 'string' ? outputName(refName(r[0], r[1]), r[2]) : undefined);
  const tensorName = (e: unknown): string | undefined =>
    Array.isArray(first) && Array.isArray(e) ? ref(e) : isObj(e) && isObj(e['config']) && Array.isArray(e['config']['keras_history']) ? (ref(e['config']['keras_history']) ?? String(e['config']['keras_history'][0])) : undefined;
  if (Array.isArray(first) || list.every((e) => tensorName(e) !== undefined)) {
    return {
      inbound: list.map((e) => {
        const t = tensorName(e);
        if (t === undefined) throw new NnchipError('NN107', 'cannot read an inbound node', { file, layer: name });
        return t;
      }),
    };
  }
  // Keras 3 operations on constants: numbers, `__tensor__` values (preprocess_input's per-channel mean), or other arguments
  const constants = list.map((e): Constant => {
    if (tensorName(e) !== undefined) return null;
    if (typeof e === 'number') return [e];
    const value = isObj(e) && e['class_name'] === '__tensor__' && isObj(e['config']) ? e['config']['value'] : undefined;
    const flat = Array.isArray(value) ? (value as unknown[]).flat(8) : [];
    return flat.length > 0 && flat.every((v) => typeof v === 'number') ? (flat as number[]) : brief(e);
  });
  return { inbound: list.flatMap((e) => tensorName(e) ?? []), constants };
}

/**
 * The tensor a call of a layer makes. A layer applied more than once (a shared layer: one Conv2D applied to two
 * tensors, a nested model applied twice) has one inbound node per call, and a tensor reference [layer, node, tensor]
 * names the call: call 0 keeps the layer's name, call k is `layer@k` (reading the weights of `layer`; its output j
 * then `layer@k:j`, outputName).
 */
const callName = (layer: string, node: unknown): string => (typeof node === 'number' && Number.isInteger(node) && node > 0 ? `${layer}@${node}` : layer);
type RefName = typeof callName;

/**
 * The tensor a reference [layer, node, tensor] names, in a model's config. tfjs and Keras 2 count a built nested
 * model's own construction as its node 0 (its first call is node 1: Keras 2's `_should_skip_first_node`), which they
 * do not write in its `inbound_nodes`. Keras 3 counts the written calls alone in `inbound_nodes`, but still starts a
 * nested Functional's count at 1 in `output_layers` (its `node_reindexing_map`; a Sequential's at 0).
 */
function refNamer(rawLayers: readonly unknown[], keras3: boolean, outputs = false): RefName {
  // Keras 2 skips it for a model that has an input (a Sequential given no input shape is built only when first called)
  const built = (l: Json): boolean => {
    if (l['class_name'] !== 'Sequential') return true;
    if (keras3) return false;
    const first = (Array.isArray(l['config']) ? l['config'] : isObj(l['config']) && Array.isArray(l['config']['layers']) ? l['config']['layers'] : [])[0] as unknown;
    return isObj(first) && (first['class_name'] === 'InputLayer' || (isObj(first['config']) && Array.isArray(first['config']['batch_input_shape'] ?? first['config']['batch_shape'])));
  };
  if (keras3 && !outputs) return callName;
  const models = new Set(rawLayers.flatMap((l) => (isObj(l) && isModelClass(l['class_name']) && built(l) && isObj(l['config']) && typeof l['config']['name'] === 'string' ? [l['config']['name']] : [])));
  return (layer, node) => callName(layer, models.has(layer) && typeof node === 'number' && node >= 1 ? node - 1 : node);
}

/** How many times a functional layer is applied (its inbound nodes; 1 for an InputLayer or a Sequential's layer). */
function callsOf(layer: Json, file: string, name: string): number {
  const nodes = layer['inbound_nodes'];
  if (nodes === undefined) return 1;
  if (!Array.isArray(nodes)) throw new NnchipError('NN107', 'inbound_nodes is not a list', { file, layer: name });
  if (nodes.length > MAX_CALLS) throw new NnchipError('NN110', `the layer is applied ${nodes.length} times; nnchip supports at most ${MAX_CALLS}`, { file, layer: name });
  return Math.max(1, nodes.length);
}
/** A shared layer applied more often than this is refused (each call is its own copy of the layer in the graph). */
const MAX_CALLS = 64;

/**
 * The layer names of `output_layers`: Keras 2 and tfjs write a list of [name, node, tensor]; Keras 3 a
 * structure of them (one model output: the bare [name, node, tensor] in some versions; dict outputs).
 */
function tensorRefs(v: unknown, file: string, refName: RefName = callName, depth = 0): string[] {
  if (depth > 16) throw new NnchipError('NN107', 'output_layers is nested over 16 deep', { file });
  if (Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && typeof v[1] === 'number') return [outputName(refName(v[0], v[1]), v[2])];
  if (Array.isArray(v)) return v.flatMap((e) => tensorRefs(e, file, refName, depth + 1));
  if (isObj(v)) return Object.values(v).flatMap((e) => tensorRefs(e, file, refName, depth + 1));
  return v === undefined || v === null ? [] : [String(v)];
}

/** Layers unrolled over the steps of their sequence (ir/recurrent.ts). */
const RECURRENT_LAYERS = new Set(['LSTM', 'GRU', 'SimpleRNN', 'Bidirectional']);
const isModelClass = (c: unknown): boolean => c === 'Sequential' || c === 'Model' || c === 'Functional';
/** Models nested deeper than this are refused (Teachable Machine nests two). */
const MAX_NESTING = 32;

/** A model's raw layer list (Sequential: config is the list or holds it; functional: config.layers). */
function rawLayersOf(config: unknown, file: string, name?: string): unknown[] {
  const raw = Array.isArray(config) ? config : isObj(config) ? config['layers'] : undefined;
  if (!Array.isArray(raw) || raw.length === 0) throw new NnchipError('NN107', name === undefined ? 'the topology has no layers list' : 'the nested model has no layers list', { file, ...(name === undefined ? {} : { layer: name }) });
  return raw;
}

function entryOf(l: unknown, i: number, file: string): { className: string; name: string; config: Json; raw: Json } {
  if (!isObj(l) || typeof l['class_name'] !== 'string' || !isObj(l['config'])) throw new NnchipError('NN107', `layer ${i} has no class_name/config`, { file });
  const name = typeof l['config']['name'] === 'string' ? l['config']['name'] : typeof l['name'] === 'string' ? l['name'] : `layer_${i}`;
  return { className: l['class_name'], name, config: l['config'], raw: l };
}

/**
 * A model used as a layer of another (tfjs writes Teachable Machine's models so: a Sequential of a
 * Sequential holding a functional MobileNet, and a Sequential head), inlined as functional entries:
 * its InputLayer is the tensor `from` it is applied to (none at the top: the first layer declares
 * the input), and the model's name stands for its output. Weights keep the inner layers' own names.
 * A nested model applied more than once is inlined once per call: the layers of call k are named
 * with the suffix `@k` (`suffix`) and read the weights of the layers they copy.
 */
function inlineModel(className: string, config: Json, name: string | undefined, from: string | undefined, file: string, depth: number, keras3: boolean, suffix = ''): { layers: LayerEntry[]; output: string; outputs?: string[] } {
  if (depth > MAX_NESTING) throw new NnchipError('NN107', `models are nested over ${MAX_NESTING} deep`, { file, ...(name === undefined ? {} : { layer: name }) });
  const raw = rawLayersOf(config, file, name);
  const layers: LayerEntry[] = [];
  // a copy of a layer for a later call (or a later call of the model holding it) reads the weights of the first
  const entry = (e: { className: string; name: string; config: Json }, own: string, inbound: string[], constants?: readonly Constant[]): LayerEntry =>
    ({ className: e.className, name: own, config: e.config, inbound, ...(constants === undefined ? {} : { constants }), ...(own === e.name ? {} : { weightsOf: e.name }) });
  if (className === 'Sequential') {
    let prev = from;
    raw.forEach((l, i) => {
      const e = entryOf(l, i, file);
      if (e.className === 'InputLayer') {
        if (prev === undefined) layers.push({ className: 'InputLayer', name: e.name, config: e.config, inbound: [] });
        prev ??= e.name;
        return;
      }
      if (isModelClass(e.className)) {
        const inner = inlineModel(e.className, e.config, e.name, prev, file, depth + 1, keras3, suffix);
        for (const l of inner.layers) layers.push(l);
        prev = inner.output;
        return;
      }
      if (prev === undefined) layers.push({ className: 'InputLayer', name: (prev = 'input'), config: e.config, inbound: [] }); // the first layer's batch_input_shape
      layers.push(entry(e, e.name + suffix, [prev]));
      prev = e.name + suffix;
    });
    if (prev === undefined) throw new NnchipError('NN107', 'the nested model has no layers', { file, ...(name === undefined ? {} : { layer: name }) });
    return { layers, output: prev };
  }
  // functional: inner names are renamed to what they stand for outside (its input, nested models' outputs)
  const inputLayers = raw.filter((l) => isObj(l) && l['class_name'] === 'InputLayer').length;
  if (from !== undefined && inputLayers > 1) throw new NnchipError('NN110', `the nested model has ${inputLayers} inputs; nnchip inlines nested models of one input`, { file, ...(name === undefined ? {} : { layer: name }) });
  const alias = new Map<string, string>();
  const refName = refNamer(raw, keras3);
  // a copy's tensors: `layer@k` for `layer`, `layer@k:j` for its output j
  const rename = (t: string): string => alias.get(t) ?? t.replace(/(:\d+)?$/, (j) => suffix + j);
  raw.forEach((l, i) => {
    const e = entryOf(l, i, file);
    if (e.className === 'InputLayer' && from !== undefined) {
      alias.set(e.name, from);
      return;
    }
    const calls = e.className === 'InputLayer' ? 1 : callsOf(e.raw, file, e.name);
    for (let k = 0; k < calls; k++) {
      const own = callName(e.name, k);
      const read = e.className === 'InputLayer' ? { inbound: [] } : inboundOf(e.raw, file, e.name, k, refName);
      const inbound = read.inbound.map(rename);
      if (isModelClass(e.className)) {
        if (inbound.length !== 1) throw new NnchipError('NN110', `the nested model reads ${inbound.length} tensors; nnchip inlines nested models of one input`, { file, layer: e.name });
        const inner = inlineModel(e.className, e.config, e.name, inbound[0], file, depth + 1, keras3, (k > 0 ? `@${k}` : '') + suffix);
        for (const l of inner.layers) layers.push(l);
        alias.set(own, inner.output);
        continue;
      }
      layers.push(entry(e, own + suffix, inbound, read.constants));
    }
  });
  const outs = tensorRefs(config['output_layers'], file, refNamer(raw, keras3, true));
  // the top-level model's outputs are all kept: --output-name chooses one (importTfjsLayers)
  if (outs.length === 0 || (outs.length > 1 && name !== undefined)) throw new NnchipError('NN110', `the model has ${outs.length} outputs; nnchip supports exactly one`, { file, ...(name === undefined ? {} : { layer: name }) });
  return { layers: inOrder(layers, file), output: rename(outs[0]!), outputs: outs.map(rename) };
}

/**
 * Layers in an order where each comes after the layers it reads. Keras and tfjs list a model's layers by the depth of
 * their deepest call, so a shared layer's first call may read a tensor of a layer listed after it (a Dense applied to
 * the input and to another Dense's output): such a call is moved after what it reads. Otherwise the order is kept.
 */
function inOrder(layers: LayerEntry[], file: string): LayerEntry[] {
  const made = new Set(layers.map((l) => l.name));
  const done = new Set<string>();
  const out: LayerEntry[] = [];
  let waiting = layers;
  while (waiting.length > 0) {
    const next: LayerEntry[] = [];
    for (const l of waiting) {
      // output j of a layer (`layer:j`, outputName) is ready with the layer
      if (l.inbound.map((t) => (made.has(t) ? t : t.replace(/:\d+$/, ''))).every((t) => done.has(t) || !made.has(t))) {
        out.push(l);
        done.add(l.name);
      } else next.push(l);
    }
    if (next.length === waiting.length) throw new NnchipError('NN202', 'the layers read each other in a cycle', { file, layer: next[0]!.name });
    waiting = next;
  }
  return out;
}

function layerList(topology: Json, file: string): { layers: LayerEntry[]; functional: boolean; outputs: string[] } {
  let model = topology;
  if (isObj(model['model_config'])) model = model['model_config'];
  const className = model['class_name'];
  const config = model['config'];
  const functional = className === 'Model' || className === 'Functional';
  if (className !== 'Sequential' && !functional) throw new NnchipError('NN103', `modelTopology class ${shownValue(className)} is not Sequential or Model`, { file });
  const rawLayers = rawLayersOf(config, file);
  const nested = rawLayers.some((l) => isObj(l) && isModelClass(l['class_name']));
  const inlined = nested ? inlineModel(className, Array.isArray(config) ? { layers: config } : (config as Json), undefined, undefined, file, 0, writerOf(topology) === 'keras3') : undefined;
  const layers =
    inlined?.layers ??
    (functional
      ? inOrder(
          rawLayers.flatMap((l, i): LayerEntry[] => {
            const e = entryOf(l, i, file);
            return Array.from({ length: callsOf(e.raw, file, e.name) }, (_, k) => ({ className: e.className, name: callName(e.name, k), config: e.config, ...inboundOf(e.raw, file, e.name, k), ...(k > 0 ? { weightsOf: e.name } : {}) }));
          }),
          file,
        )
      : rawLayers.map((l, i): LayerEntry => {
          const e = entryOf(l, i, file);
          return { className: e.className, name: e.name, config: e.config, inbound: [] };
        }));
  const seen = new Set<string>();
  for (const l of layers) {
    if (seen.has(l.name)) throw new NnchipError('NN202', 'the layer name is used twice; names must be unique', { file, layer: l.name });
    seen.add(l.name);
  }
  return inlined === undefined ? { layers, functional, outputs: isObj(config) ? tensorRefs(config['output_layers'], file) : [] } : { layers, functional: true, outputs: inlined.outputs ?? [inlined.output] };
}

/** How many axes the input declares (without the batch): 2 for a sequence [L, C]. */
function declaredRank(cfg: Json): number {
  const s = cfg['batch_input_shape'] ?? cfg['batchInputShape'] ?? cfg['batch_shape'];
  const t = cfg['input_shape'] ?? cfg['inputShape'];
  return Array.isArray(s) ? s.length - 1 : Array.isArray(t) ? t.length : 0;
}

/** The declared input sizes without the batch (null where left to run time), as written. */
function rawInputShapeOf(cfg: Json): unknown[] | undefined {
  const s = cfg['batch_input_shape'] ?? cfg['batchInputShape'] ?? cfg['batch_shape'];
  const t = cfg['input_shape'] ?? cfg['inputShape'];
  return Array.isArray(s) ? s.slice(1) : Array.isArray(t) ? [...t] : undefined;
}

/**
 * Weights keyed `layer/kind` by the layer that owns them. Writers name a weight by its layer (tfjs:
 * `conv1/kernel`), or by a path ending in the layer's name (Keras 3: `seq/dense/kernel`, `inner/inner_dense/kernel`;
 * a wrapper's inner layer through `aliases`). A layer name may itself hold '/' and end like another's (Keras 2's
 * DenseNet: `conv1/bn` and `bn`): a path belongs to the longest layer name it ends with, so `…/conv1/bn/gamma` is
 * never `bn`'s gamma. An exact `layer/kind` name wins over a longer path.
 */
export function weightsByLayer(weights: ReadonlyMap<string, Tensor>, layerNames: ReadonlySet<string>, aliases: ReadonlyMap<string, string> = new Map()): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const pathed: [string, string, Tensor][] = [];
  for (const [name, t] of weights) {
    const cut = name.lastIndexOf('/');
    if (cut <= 0) continue;
    const owner = name.slice(0, cut);
    if (layerNames.has(owner)) out.set(name, t);
    else pathed.push([owner, name.slice(cut + 1), t]);
  }
  for (const [path, kind, t] of pathed) {
    const owner = `/${path}`;
    // the longest '/'-suffix of the path that is a layer's name
    for (let at = owner.indexOf('/'); at >= 0; at = owner.indexOf('/', at + 1)) {
      const suffix = owner.slice(at + 1);
      const layer = aliases.get(suffix) ?? suffix;
      if (!layerNames.has(layer)) continue;
      const key = `${layer}/${kind}`;
      if (!out.has(key)) out.set(key, t);
      break;
    }
  }
  return out;
}

/** Keras 3 marks every layer with `module` and writes keras_version 3.x; tfjs writes "tfjs-layers x.y.z"; Python Keras 2 "2.x". */
function writerOf(topology: Json): LayerContext['writer'] {
  const version = String(topology['keras_version'] ?? '');
  const model = isObj(topology['model_config']) ? topology['model_config'] : topology;
  if (version.startsWith('3.') || typeof model['module'] === 'string') return 'keras3';
  return version.startsWith('tfjs') || version === '' ? 'tfjs' : 'keras2';
}

/** The layer a tensor comes from: `lstm` for `lstm:1`, a recurrent layer's second output. */
function layerOf(tensor: string): string {
  return tensor.replace(/:\d+$/, '');
}

export function importTfjsLayers(json: Json, modelFile: string, limits: Limits, choice: ModelChoice = {}): Graph {
  const file = basename(modelFile);
  if (!isObj(json['modelTopology'])) throw new NnchipError('NN107', 'modelTopology is missing', { file });
  const { layers: every, functional, outputs } = layerList(json['modelTopology'], file);
  // a functional model's outputs, or those --output-name names (`layer`, `layer:j` for a layer's output j), and the layers they read
  const chosen = functional && outputs.length > 0 ? chooseOutputs(outputs, choice.output, { file }) : undefined;
  const byName = new Map(every.map((l) => [l.name, l]));
  // an output_layers entry naming no layer (or a call the layer never made): every layer was dropped as unread, then "0 inputs"
  const stray = chosen?.find((c) => !byName.has(layerOf(c)));
  if (stray !== undefined) throw new NnchipError('NN202', `model output "${stray}" is not produced by any layer (output_layers)`, { file, hint: 'output_layers must name a layer of the model, and a call of it the model makes; re-export the model' });
  const needed = chosen === undefined ? undefined : neededBy(chosen.map(layerOf), (l) => byName.get(l)?.inbound.map(layerOf));
  const layers = needed === undefined ? every : every.filter((l) => needed.has(l.name));
  // a wrapper's layer (TimeDistributed(Dense)) names its weights `<wrapper>/<inner>/kernel` in Keras 3, `<wrapper>/kernel` in tfjs
  const aliases = new Map<string, string>(every.flatMap((l) => (isObj(l.config['layer']) && isObj(l.config['layer']['config']) ? [[`${l.name}/${String(l.config['layer']['config']['name'])}`, l.name] as const] : [])));
  // a Bidirectional's two layers own their weights, a Keras 3 recurrent layer its cell's (tfjs-recurrent.ts)
  const { owners, cells } = recurrentOwners(every);
  for (const [path, owner] of cells) aliases.set(path, owner);
  // weights of every layer, needed or not: a later call of a shared layer (`layer@1`) reads its first call's
  const weights = weightsByLayer(readTfjsWeights(json['weightsManifest'], modelFile, limits), new Set([...every.map((l) => l.name), ...owners]), aliases);
  const graphInputs: GraphInput[] = [];
  const nodes: Node[] = [];
  const shapes = new Map<string, readonly number[]>();
  let sequenceInput = false;
  // maps held channels-first ([C, H, W] in the model): the image input of a model declaring channels_first, and what reads it so
  const held = new Set<string>();
  const channelsFirst = declaresChannelsFirst(layers);
  let reshapedToChw = false;
  const ctx: LayerContext = {
    file,
    limits,
    weights,
    writer: writerOf(json['modelTopology']),
    channelsFirst: (t) => held.has(t),
    shapeOf: (t) => shapes.get(t) ?? [],
    get sequenceInput() {
      return sequenceInput;
    },
  };
  let prev = '';
  for (const l of layers) {
    if (l.className === 'InputLayer' || (!functional && graphInputs.length === 0)) {
      const raw = rawInputShapeOf(l.config);
      const recurrent = layers.some((m) => RECURRENT_LAYERS.has(m.className));
      if (recurrent && choice.inputShape === undefined && raw?.length === 2 && raw[0] === null) throw new NnchipError('NN116', `the input is a sequence of unknown length ${shownValue(raw)}: a recurrent layer is unrolled over a fixed number of steps`, { file, layer: l.name, hint: `name the length: --input-shape T,${String(raw[1])} (or export the model with a fixed sequence length: input_shape [T, features])` });
      if (raw === undefined || raw.length === 0 || raw.some((d) => d !== null && typeof d !== 'number')) throw new NnchipError('NN107', 'the input shape is missing or not fully known', { file, layer: l.name });
      // sizes left to run time (null: a fully convolutional model's H and W) named by --input-shape (input-shape.ts)
      const filled = fillInputShape(raw as (number | null)[], choice.inputShape, { file, layer: l.name });
      // a [L, C] sequence (Conv1D input) is the map [1, L, C]
      const declared = filled.length === 2 ? [1, ...filled] : filled;
      checkedElements(declared, limits, { file, layer: l.name }, 'the input');
      const inputName = l.className === 'InputLayer' ? l.name : 'input';
      const image = channelsFirst && declared.length === 3 && declaredRank(l.config) === 3;
      // [C, H, W] is held as [H, W, C]; samples are read channel-major
      const shape = image ? [declared[1]!, declared[2]!, declared[0]!] : declared;
      if (image) held.add(inputName);
      graphInputs.push({ name: inputName, shape, ...(image ? { layout: 'chw' as const } : {}) });
      sequenceInput = declaredRank(l.config) === 2;
      shapes.set(inputName, shape);
      prev = inputName;
      if (l.className === 'InputLayer') continue;
    }
    const inputs = functional ? l.inbound : [prev];
    const cf = inputs.map((t) => held.has(t));
    const flip = layoutPermute(l, inputs, (t) => shapes.get(t), cf[0] === true);
    // a channels_first model reshaping its flat input (its only reader) to [C, H, W]: the input is that map, read channel-major
    const target = l.config['target_shape'];
    const chwInput = channelsFirst && l.className === 'Reshape' && inputs.length === 1 && inputs[0] === graphInputs[0]?.name && shapes.get(inputs[0]!)?.length === 1 && (!functional || layers.filter((m) => m.inbound.includes(inputs[0]!)).length === 1) && Array.isArray(target) && target.length === 3 && target.every((d) => Number.isInteger(d) && (d as number) > 0);
    if (chwInput) reshapedToChw = true;
    const read = flip !== undefined ? { entry: l, cf: flip } : chwInput ? { entry: l, cf: true } : cf.some((c) => c) ? channelsFirstLayer(l, cf, file) : { entry: l, cf: false };
    const [c, h, w] = chwInput ? (target as number[]) : [];
    const built: Node[] = flip !== undefined ? [{ name: l.name, op: 'identity', inputs, output: l.name }] : chwInput ? [{ name: l.name, op: 'reshape', inputs, output: l.name, shape: [h!, w!, c!] }] : layerToNodes(read.entry, inputs, ctx);
    if (read.cf && built.length > 0) held.add(l.name);
    for (const n of built) {
      const inShapes = n.inputs.map((t) => {
        const s = shapes.get(t);
        if (s === undefined) throw new NnchipError('NN202', `input tensor "${t}" is not produced by any earlier layer`, { file, layer: n.name });
        return s;
      });
      shapes.set(n.output, withFile(file, () => inferShape(n, inShapes)));
      nodes.push(n);
    }
    if (built.length > 0) prev = l.name;
  }
  checkOneInput(graphInputs.map((i) => i.name), { file });
  const outs = chosen ?? chooseOutputs([prev], choice.output, { file });
  const name = typeof (json['modelTopology'] as Json)['name'] === 'string' ? String((json['modelTopology'] as Json)['name']) : basename(dirname(modelFile));
  // a channels_first map out, or one flattened channel-major, is given back channel-major, as the model lays it out
  const chw = outs.map((o) => {
    const last = nodes.find((n) => n.output === o);
    return held.has(o) || (last?.op === 'flatten' && last.order === 'chw');
  });
  const layout = graphInputs[0]!.layout === 'chw' || chw.includes(true) || reshapedToChw ? { outputLayouts: chw.map((c) => (c ? ('chw' as const) : ('hwc' as const))) } : {};
  const graph = foldInputReshapes({ name, inputs: graphInputs, nodes, outputs: outs, notes: [], ...layout });
  if (!reshapedToChw) return graph;
  // the Reshape to [C, H, W] is folded into the input (its only reader): samples are read channel-major
  if (graph.inputs[0]!.shape.length !== 3) throw new NnchipError('NN110', 'a channels_first model whose flat input is reshaped to [C, H, W] and read otherwise too is not supported', { file });
  return { ...graph, inputs: [{ ...graph.inputs[0]!, layout: 'chw' }] };
}
