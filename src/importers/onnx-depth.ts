// SPDX-License-Identifier: MIT
/**
 * How deep an ONNX file nests its recursive messages, read from the wire format with an explicit
 * stack, before protobufjs's recursive decoder runs (a few thousand If bodies one inside another
 * overflowed its stack: "not a valid ONNX protobuf (Maximum call stack size exceeded)").
 *
 * Only the fields through which ONNX messages recurse are entered: the model's graph and its
 * training_info graphs, a graph's nodes, a node's attributes, an attribute's graphs (If/Loop/Scan
 * bodies) and type, a function's nodes, and a type's element types (sequence, map, optional). Everything else, raw tensor data included, is
 * skipped by its length, so the scan is one pass over the bytes.
 */

type Kind = 'model' | 'training' | 'graph' | 'node' | 'attribute' | 'function' | 'valueInfo' | 'type' | 'elem';

/** field number → the message kind it holds, for the fields that lead to recursion (onnx.proto3). */
const ENTER: Record<Kind, Readonly<Record<number, Kind>>> = {
  // training_info 20: TrainingInfoProto, whose initialization 1 and algorithm 2 are graphs
  model: { 7: 'graph', 20: 'training', 25: 'function' },
  training: { 1: 'graph', 2: 'graph' },
  graph: { 1: 'node', 11: 'valueInfo', 12: 'valueInfo', 13: 'valueInfo' },
  node: { 5: 'attribute' },
  attribute: { 6: 'graph', 11: 'graph', 14: 'type', 15: 'type' },
  function: { 7: 'node' },
  valueInfo: { 2: 'type' },
  // TypeProto: sequence_type 4, map_type 5, optional_type 9; each holds its element's TypeProto
  type: { 4: 'elem', 5: 'elem', 9: 'elem' },
  // Sequence.elem_type 1, Map.value_type 2, Optional.elem_type 1
  elem: { 1: 'type', 2: 'type' },
};

export interface OnnxNesting {
  /** Graphs inside graphs: 1 for a model without subgraphs. */
  graphs: number;
  /** Types inside types (a sequence of sequences of …): 0 for plain tensors. */
  types: number;
}

/** The deepest nesting of graphs and of types in `bytes`; stops early once either passes `limit`. Malformed bytes end the scan (the decoder reports them). */
export function onnxNesting(bytes: Uint8Array, limit: number): OnnxNesting {
  const stack: { kind: Kind; end: number; graphs: number; types: number }[] = [{ kind: 'model', end: bytes.length, graphs: 0, types: 0 }];
  const deepest: OnnxNesting = { graphs: 0, types: 0 };
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (pos >= bytes.length) return -1;
      const b = bytes[pos++]!;
      if (shift < 49) v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
    return -1;
  };
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (pos >= top.end) {
      stack.pop();
      continue;
    }
    const key = varint();
    if (key < 0) break;
    const wire = key % 8;
    const fieldNo = Math.floor(key / 8);
    if (wire === 0) {
      if (varint() < 0) break;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const len = varint();
      if (len < 0 || pos + len > top.end) break;
      const kind = ENTER[top.kind][fieldNo];
      if (kind === undefined) pos += len;
      else {
        const graphs = top.graphs + (kind === 'graph' ? 1 : 0);
        const types = top.types + (kind === 'type' ? 1 : 0);
        deepest.graphs = Math.max(deepest.graphs, graphs);
        deepest.types = Math.max(deepest.types, types);
        if (graphs > limit || types > limit) return deepest;
        stack.push({ kind, end: pos + len, graphs, types });
      }
    } else break; // groups (3, 4) and unknown wire types: malformed for ONNX
    if (pos > top.end) break;
  }
  return deepest;
}
