// SPDX-License-Identifier: MIT
/**
 * How deep an ONNX file nests its recursive messages, read from the wire format with an explicit
 * stack, before protobufjs's recursive decoder runs (a few thousand If bodies one inside another
 * overflowed its stack: "not a valid ONNX protobuf (Maximum call stack size exceeded)").
 *
 * Only the fields through which ONNX messages recurse are entered: the model's graph and its
 * training_info graphs, a graph's nodes, a node's attributes, an attribute's graphs (If/Loop/Scan
 * bodies) and type, a function's nodes, and a type's element types (sequence, map, optional); and tensors (initializers,
 * attribute values), whose values are counted. Everything else, raw tensor data included, is skipped by its length, so
 * the scan is one pass over the bytes.
 *
 * It also counts the values the decoder would make objects of: each field of those messages, and each element of a
 * packed list of integers (int64s become objects). 20 million empty nodes (a 40 MB file, 2 bytes each) took protobufjs
 * two minutes and 5 GB, then V8's heap abort; such a file is refused before decoding.
 */

type Kind = 'model' | 'training' | 'graph' | 'node' | 'attribute' | 'function' | 'valueInfo' | 'type' | 'elem' | 'tensor' | 'sparse';

/** field number → the message kind it holds, for the fields that lead to recursion (onnx.proto3). */
const ENTER: Record<Kind, Readonly<Record<number, Kind>>> = {
  // training_info 20: TrainingInfoProto, whose initialization 1 and algorithm 2 are graphs
  model: { 7: 'graph', 20: 'training', 25: 'function' },
  training: { 1: 'graph', 2: 'graph' },
  // initializer 5, sparse_initializer 15
  graph: { 1: 'node', 5: 'tensor', 11: 'valueInfo', 12: 'valueInfo', 13: 'valueInfo', 15: 'sparse' },
  node: { 5: 'attribute' },
  // t 5, tensors 10, sparse_tensor 22, sparse_tensors 23
  attribute: { 5: 'tensor', 6: 'graph', 10: 'tensor', 11: 'graph', 14: 'type', 15: 'type', 22: 'sparse', 23: 'sparse' },
  function: { 7: 'node' },
  valueInfo: { 2: 'type' },
  // TypeProto: sequence_type 4, map_type 5, optional_type 9; each holds its element's TypeProto
  type: { 4: 'elem', 5: 'elem', 9: 'elem' },
  // Sequence.elem_type 1, Map.value_type 2, Optional.elem_type 1
  elem: { 1: 'type', 2: 'type' },
  // TensorProto: nothing further (raw_data, names and the like are skipped); SparseTensorProto: values 1, indices 2
  tensor: {},
  sparse: { 1: 'tensor', 2: 'tensor' },
};

/** Packed lists of varints, whose every element the decoder makes a number or an int64 object of: TensorProto's dims 1,
 * int32_data 5, int64_data 7, uint64_data 11; AttributeProto's ints 8. */
const PACKED_VARINTS: Partial<Record<Kind, ReadonlySet<number>>> = { tensor: new Set([1, 5, 7, 11]), attribute: new Set([8]) };

export interface OnnxNesting {
  /** Graphs inside graphs: 1 for a model without subgraphs. */
  graphs: number;
  /** Types inside types (a sequence of sequences of …): 0 for plain tensors. */
  types: number;
  /** Fields and packed integers the decoder would make values of (counted until past the limit). */
  values: number;
}

/**
 * The deepest nesting of graphs and of types in `bytes`, and the values decoding makes; stops early once a nesting
 * passes `limit` or the values pass `maxValues`. Malformed bytes end the scan (the decoder reports them).
 */
export function onnxNesting(bytes: Uint8Array, limit: number, maxValues = Infinity): OnnxNesting {
  const stack: { kind: Kind; end: number; graphs: number; types: number }[] = [{ kind: 'model', end: bytes.length, graphs: 0, types: 0 }];
  const deepest: OnnxNesting = { graphs: 0, types: 0, values: 0 };
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
    if (++deepest.values > maxValues) return deepest;
    if (wire === 0) {
      if (varint() < 0) break;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const len = varint();
      if (len < 0 || pos + len > top.end) break;
      const kind = ENTER[top.kind][fieldNo];
      if (PACKED_VARINTS[top.kind]?.has(fieldNo) === true) {
        // one element per byte that ends a varint
        for (let i = pos; i < pos + len; i++) if (bytes[i]! < 0x80) deepest.values++;
        if (deepest.values > maxValues) return deepest;
        pos += len;
      } else if (kind === undefined) pos += len;
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
