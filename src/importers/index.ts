// SPDX-License-Identifier: MIT
/** loadModel: check the file's size, sniff its format, dispatch to one importer, verify the Graph. */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { NnchipError } from '../diagnostics/error.js';
import type { Graph } from '../ir/graph.js';
import { checkGraph } from '../ir/verify.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import { importNnchipJson } from './nnchip-json.js';
import { importTfjsLayers } from './tfjs-layers.js';

/** Model description files (JSON) larger than this are refused before reading. */
const MAX_JSON_BYTES = 256 * 1024 * 1024;

function readJson(path: string, limits: Limits): Record<string, unknown> {
  const file = basename(path);
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new NnchipError('NN101', 'is not a file', { file: path });
    size = st.size;
  } catch (e) {
    if (e instanceof NnchipError) throw e;
    throw new NnchipError('NN101', 'cannot be read (no such file?)', { file: path });
  }
  if (size > Math.min(MAX_JSON_BYTES, limits.maxMemory)) throw new NnchipError('NN109', `the file is ${size} bytes; model JSON over ${Math.min(MAX_JSON_BYTES, limits.maxMemory)} bytes is refused`, { file });
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new NnchipError('NN102', `invalid JSON (${(e as Error).message.split('\n')[0]})`, { file });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new NnchipError('NN103', 'the top level is not a JSON object', { file });
  return json as Record<string, unknown>;
}

function checkFinite(g: Graph, file: string): void {
  for (const n of g.nodes) {
    if (n.op !== 'dense') continue;
    for (const [what, t] of [['kernel', n.kernel], ['bias', n.bias]] as const) {
      if (t === null) continue;
      const bad = t.data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new NnchipError('NN108', `${what} element ${bad} is ${t.data[bad]}`, { file, layer: n.name });
    }
  }
}

export function loadModel(path: string, limits: Limits = DEFAULT_LIMITS): Graph {
  const file = basename(path);
  if (/\.onnx$/i.test(path)) throw new NnchipError('NN103', 'ONNX import is not available yet in this version', { file });
  const json = readJson(path, limits);
  let graph: Graph;
  if ('modelTopology' in json) graph = importTfjsLayers(json, path, limits);
  else if (json['format'] === 'nnchip-model') graph = importNnchipJson(json, path, limits);
  else throw new NnchipError('NN103', 'neither a TF.js Layers model.json (no "modelTopology") nor an nnchip model ("format": "nnchip-model")', { file });
  checkFinite(graph, file);
  try {
    checkGraph(graph);
  } catch (e) {
    if (e instanceof NnchipError && e.file === undefined) throw new NnchipError(e.code, e.detail, { file, ...(e.layer === undefined ? {} : { layer: e.layer }) });
    throw e;
  }
  return graph;
}

export { DEFAULT_LIMITS, type Limits };
