// SPDX-License-Identifier: MIT
/** loadModel: check the file's size, sniff its format (TF.js Layers or graph model, ONNX, nnchip JSON), dispatch to one importer, verify the Graph. */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { containerCount, fmtInt, escapeControls, MAX_JSON_DEPTH, nestedDeeperThan, NnchipError, shortName, whyUnreadable, withFile, shownValue } from '../diagnostics/error.js';
import type { Graph } from '../ir/graph.js';
import { expandSoftmaxes, softmaxName } from '../ir/softmax.js';
import { checkGraph } from '../ir/verify.js';
import { isUtf16, UTF16_HINT, UTF16_TEXT } from '../util/text.js';
import { duplicateKey, withoutBom } from '../util/json-text.js';
import { checkTensorSizes, DEFAULT_LIMITS, maxDecodedValues, type Limits } from './limits.js';
import { importNnchipJson } from './nnchip-json.js';
import { importOnnx } from './onnx.js';
import { chooseOutputs, type ModelChoice } from './outputs.js';
import { fillInputShape } from './input-shape.js';
import { importTfjsGraph } from './tfjs-graph.js';
import { importTfjsLayers } from './tfjs-layers.js';
import { importTopology, looksLikeTopology, splitLayerSelector } from './topology.js';

/** Model files larger than these are refused before reading (ONNX may hold its weights inline). */
const MAX_JSON_BYTES = 256 * 1024 * 1024;
const MAX_ONNX_BYTES = 1024 * 1024 * 1024;

/** The file's bytes, after checking it is a regular file within the size limits. */
function readChecked(path: string, limits: Limits, cap: number): Buffer {
  const file = basename(path);
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new NnchipError('NN101', 'is not a file', { file: path });
    size = st.size;
  } catch (e) {
    if (e instanceof NnchipError) throw e;
    throw new NnchipError('NN101', `cannot be read (${whyUnreadable(e, path)})`, { file: path });
  }
  const max = Math.min(cap, limits.maxMemory);
  if (size > max) throw new NnchipError('NN109', `the file is ${fmtInt(size)} bytes; a model file over ${fmtInt(max)} bytes is refused`, { file });
  return readFileSync(path);
}

function parseJson(bytes: Buffer, file: string, limits: Limits): Record<string, unknown> {
  let json: unknown;
  // a UTF-8 byte order mark (Windows editors write one) failed as an invisible "Unexpected token"
  const text = withoutBom(bytes.toString('utf8'));
  const maxContainers = maxDecodedValues(limits);
  if (containerCount(text, maxContainers) > maxContainers) throw new NnchipError('NN109', `holds over ${fmtInt(maxContainers)} JSON objects and arrays (${fmtInt(bytes.length)} bytes): over --max-memory`, { file });
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new NnchipError('NN102', `invalid JSON (${(e as Error).message.split('\n')[0]})`, { file });
  }
  // a key given twice: JSON keeps the last, so {"units": 3, "units": 300} was read one way, silently
  const twice = duplicateKey(text);
  if (twice !== undefined) throw new NnchipError('NN107', `"${shortName(twice.key)}" is given twice in one object${twice.at === '' ? '' : ` (at ${shortName(twice.at)})`}; JSON keeps the last, so which is meant is not said`, { file });
  if (nestedDeeperThan(json)) throw new NnchipError('NN107', `nests arrays or objects over ${MAX_JSON_DEPTH} levels deep`, { file });
  // tfjs's *-weights_manifest.json (face-api.js ships its models so) lists shards, not layers
  const manifest = Array.isArray(json) && json.length > 0 && json.every((g) => typeof g === 'object' && g !== null && 'paths' in g && 'weights' in g);
  if (manifest) throw new NnchipError('NN103', 'is a TF.js weights manifest alone: it lists weight shards, not the layers that use them (no "modelTopology")', { file, hint: 'name the model.json that holds both "modelTopology" and "weightsManifest" (tf.LayersModel.save writes one)' });
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new NnchipError('NN103', 'the top level is not a JSON object', { file });
  return json as Record<string, unknown>;
}

/** Every float a node carries must be finite (weights, biases, batch-norm factors). */
function checkFinite(g: Graph, file: string): void {
  for (const n of g.nodes) {
    const arrays: [string, ArrayLike<number> | undefined][] =
      n.op === 'dense' || n.op === 'conv2d' ? [['kernel', n.kernel.data], ['bias', n.bias?.data]] : n.op === 'batchNorm' ? [['scale', n.scale], ['offset', n.offset]] : [];
    for (const [what, data] of arrays) {
      if (data === undefined) continue;
      const bad = firstNonFinite(data);
      if (bad >= 0) throw new NnchipError('NN108', `${what} element ${bad} is ${data[bad]}`, { file, layer: n.name });
    }
  }
}

/** The index of the first element that is not a finite number, or -1 (a loop: findIndex called a closure per weight, 70 ms for a million). */
function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

/**
 * Layer and tensor names with control characters as visible escapes (escapeControls): names are
 * printed in layer tables, disassembly and reports and written into program files, and a newline or
 * ESC in one forged output lines and terminal sequences (errors escaped them already).
 */
function printableNames(g: Graph): Graph {
  const names = [g.name, ...g.inputs.map((i) => i.name), ...g.outputs, ...(g.outputNames ?? []), ...g.nodes.flatMap((n) => [n.name, n.output, ...n.inputs])];
  if (names.every((t) => escapeControls(t) === t)) return g;
  const e = escapeControls;
  return {
    ...g,
    name: e(g.name),
    inputs: g.inputs.map((i) => ({ ...i, name: e(i.name) })),
    outputs: g.outputs.map(e),
    ...(g.outputNames === undefined ? {} : { outputNames: g.outputNames.map(e) }),
    nodes: g.nodes.map((n) => ({ ...n, name: e(n.name), output: e(n.output), inputs: n.inputs.map(e) })),
    ...(g.rangeHints === undefined ? {} : { rangeHints: new Map([...g.rangeHints].map(([t, h]) => [e(t), h])) }),
  };
}

/** A TF.js graph model (tfjs-converter's GraphDef JSON) rather than a Layers model. */
function isGraphModel(json: Record<string, unknown>): boolean {
  const t = json['modelTopology'];
  return json['format'] === 'graph-model' || (typeof t === 'object' && t !== null && Array.isArray((t as Record<string, unknown>)['node']));
}

/** ONNX by extension, or by its first byte (field 1, ir_version, as a varint: 0x08) when not JSON. */
function looksLikeOnnx(path: string, bytes: Buffer): boolean {
  const first = bytes.findIndex((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf);
  // "{" opens no ONNX protobuf (field 15, a group): a JSON model named .onnx is read as the JSON it is
  // (it was "not a valid ONNX protobuf (invalid wire type 4 at offset 118)")
  if (bytes[first] === 0x7b) return false;
  return /\.onnx$/i.test(path) || bytes[first] === 0x08;
}

/**
 * Files that are a container or another framework's model, by their first bytes: each was "not an
 * ONNX model (decoding found no graph with nodes)" or "binary data that is neither ONNX nor JSON".
 */
const FOREIGN: readonly { magic: readonly number[]; at?: number; what: string; hint: string }[] = [
  { magic: [0x1f, 0x8b], what: 'is gzip-compressed', hint: 'decompress it first (gunzip, or tar -xzf for a .tar.gz) and name the model file inside' },
  { magic: [0x50, 0x4b, 0x03, 0x04], what: 'is a zip archive (a PyTorch .pt, a Keras .keras or a zipped export)', hint: 'unzip it and name the model file inside, or export the model to ONNX or TF.js' },
  { magic: [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], what: 'is an HDF5 file (a Keras .h5 model)', hint: 'convert it: tensorflowjs_converter --input_format keras model.h5 out/ (then name out/model.json), or export to ONNX' },
  { magic: [0x54, 0x46, 0x4c, 0x33], at: 4, what: 'is a TensorFlow Lite model', hint: 'nnchip reads TF.js, ONNX and nnchip JSON models: convert the original model (tf2onnx, tensorflowjs_converter)' },
];

/** An empty file, or one FOREIGN names: refused by what it is, before any parser quotes its bytes. */
function checkKnownFormat(bytes: Buffer, file: string): void {
  if (bytes.length === 0) throw new NnchipError('NN107', 'is empty (0 bytes)', { file, hint: 'the export or download was cut short; re-export or re-download the model' });
  const f = FOREIGN.find(({ magic, at = 0 }) => magic.every((b, i) => bytes[at + i] === b));
  if (f !== undefined) throw new NnchipError('NN103', f.what, { file, hint: f.hint });
}

/** Control bytes other than whitespace in the first 64: not text (a JSON error would quote them as garbage). */
function looksBinary(bytes: Buffer): boolean {
  for (let i = 0; i < Math.min(64, bytes.length); i++) {
    const b = bytes[i]!;
    if (b < 0x09 || (b > 0x0d && b < 0x20) || b === 0x7f) return true;
  }
  return false;
}

/** `choice.output`: which output of a model of several to compile (--output-name); the graph keeps only what it reads. */
export function loadModel(selector: string, limits: Limits = DEFAULT_LIMITS, choice: ModelChoice = {}): Graph {
  try {
    return loadChosen(selector, limits, choice);
  } catch (e) {
    // a layer that does not fit the sizes --input-shape gave: those sizes, not the model, are what to change
    if (!(e instanceof NnchipError) || e.code !== 'NN203' || choice.inputShape === undefined) throw e;
    const site = { ...(e.file === undefined ? {} : { file: e.file }), ...(e.layer === undefined ? {} : { layer: e.layer }) };
    throw new NnchipError('NN203', e.detail, { ...site, hint: `--input-shape ${choice.inputShape.join(',')} may be too small for this layer, or not divisible by its strides: try other sizes` });
  }
}

function loadChosen(selector: string, limits: Limits, choice: ModelChoice): Graph {
  const { path, layer } = splitLayerSelector(selector);
  const file = basename(path);
  const bytes = readChecked(path, limits, /\.onnx$/i.test(path) ? MAX_ONNX_BYTES : MAX_JSON_BYTES);
  checkKnownFormat(bytes, file);
  let graph: Graph;
  // ONNX and TF.js choose the output themselves; a TF.js graph model's output node may be an Identity, whose
  // IR tensor is its input's: checked against graph.outputs here, --output-name Identity_1 was "not an output"
  let chosenByImporter = true;
  if (looksLikeTopology(path, bytes)) [graph, chosenByImporter] = [importTopology(bytes, path, limits, layer), false];
  else if (looksLikeOnnx(path, bytes)) graph = importOnnx(bytes, path, limits, choice);
  else {
    if (isUtf16(bytes)) throw new NnchipError('NN102', UTF16_TEXT, { file, hint: UTF16_HINT });
    if (looksBinary(bytes)) throw new NnchipError('NN103', 'holds binary data that is neither ONNX nor JSON (a weight shard?)', { file, hint: 'name the model file: a TF.js model.json, a .onnx model or an nnchip JSON model' });
    const json = parseJson(bytes, file, limits);
    if ('modelTopology' in json) graph = isGraphModel(json) ? importTfjsGraph(json, path, limits, choice) : importTfjsLayers(json, path, limits, choice);
    else if (json['format'] === 'nnchip-model') {
      [graph, chosenByImporter] = [importNnchipJson(json, path, limits), false];
      // its input's sizes are all fixed: --input-shape may only repeat them
      fillInputShape(graph.inputs[0]?.shape ?? [], choice.inputShape, { file }, 'the input');
    }
    else throw new NnchipError('NN103', 'neither a TF.js model.json (Layers or graph model: no "modelTopology"), an ONNX model, nor an nnchip model ("format": "nnchip-model")', { file });
  }
  // the other formats have one output: --output-name may name it, nothing else
  if (choice.output !== undefined && !chosenByImporter) chooseOutputs(graph.outputs, choice.output, { file });
  checkFinite(graph, file);
  const shapes = withFile(file, () => checkGraph(graph));
  checkTensorSizes(graph.inputs.map((i) => i.shape), graph.nodes.map((n) => ({ layer: n.name, shape: shapes.get(n.output) ?? [] })), limits, file);
  return printableNames(choice.finalSoftmax === 'compute' ? computedSoftmaxes(graph, file) : graph);
}

/** --final-softmax compute: every softmax computed (ir/softmax.ts), the last too, which the compiler otherwise drops. */
function computedSoftmaxes(graph: Graph, file: string): Graph {
  return expandSoftmaxes(graph, () => true, (n, rank) => {
    throw new NnchipError('NN110', `${softmaxName(n)} of a ${rank}-D tensor cannot be computed: only over a vector's features or a map's channels`, { file, layer: n.name, hint: 'leave the final softmax dropped (--final-softmax drop, the default: outputs are logits)' });
  });
}

export { DEFAULT_LIMITS, type Limits };
