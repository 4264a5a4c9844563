/**
 * The nesting of an ONNX file is measured from its bytes before protobufjs's recursive decoder runs
 * (src/importers/onnx-depth.ts), through every field protobufjs decodes that holds a graph: If bodies in
 * the main graph, and the graphs of a ModelProto's training_info (initialization, algorithm). So is the
 * number of values decoding would make (fields of graphs, nodes, attributes and tensors; elements of packed
 * integer lists): 20 million empty nodes in 40 MB took two minutes and 5 GB, then V8's heap abort.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { NnchipError } from '../../../src/diagnostics/error.js';
import { loadModel } from '../../../src/importers/index.js';
import { DEFAULT_LIMITS, maxDecodedValues } from '../../../src/importers/limits.js';
import { onnxNesting } from '../../../src/importers/onnx-depth.js';

const varint = (n: number): number[] => {
  const o: number[] = [];
  for (; n > 127; n >>>= 7) o.push((n & 127) | 128);
  o.push(n);
  return o;
};
const field = (no: number, bytes: Uint8Array): Buffer => Buffer.concat([Buffer.from(varint((no << 3) | 2)), Buffer.from(varint(bytes.length)), bytes]);
const str = (no: number, s: string): Buffer => field(no, Buffer.from(s));
/** An If node whose then_branch holds an If node … `depth` deep (NodeProto 5 attribute → AttributeProto 6 g → GraphProto 1 node). */
function nestedIf(depth: number): Buffer {
  let node = Buffer.concat([str(1, 'x'), str(2, 'x'), str(4, 'Identity')]);
  for (let i = 0; i < depth; i++) node = Buffer.concat([str(1, 'c'), str(2, 'y'), str(3, `if${i}`), str(4, 'If'), field(5, Buffer.concat([str(1, 'then_branch'), field(6, field(1, node)), Buffer.from([160, 1, 5])]))]);
  return node;
}

describe('ONNX nesting measured from the bytes', () => {
  test.each([
    ['the main graph', (g: Buffer) => field(7, g)],
    ['training_info initialization (ModelProto 20, TrainingInfoProto 1)', (g: Buffer) => field(20, field(1, g))],
    ['training_info algorithm (TrainingInfoProto 2)', (g: Buffer) => field(20, field(2, g))],
  ])('If bodies nested 3,000 deep in %s: refused by their depth before decoding', (_, wrap) => {
    const bytes = wrap(field(1, nestedIf(3000)));
    expect(onnxNesting(bytes, 64).graphs).toBeGreaterThan(64);
    const path = join(mkdtempSync(join(tmpdir(), 'nnchip-onnx-depth-')), 'model.onnx');
    writeFileSync(path, bytes);
    let error: unknown;
    try {
      loadModel(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NnchipError);
    expect((error as NnchipError).format()).toMatch(/nests subgraphs \(If\/Loop\/Scan bodies\) over 64 levels deep/);
  });
});

describe('ONNX values counted from the bytes', () => {
  const packed = (no: number, values: number[]): Buffer => field(no, Buffer.from(values.flatMap(varint)));
  // GraphProto fields: node 1 (empty), initializer 5 (a TensorProto: dims 1, int64_data 7), sparse_initializer 15
  const parts = fc.oneof(
    fc.nat(3000).map((n) => ({ bytes: Buffer.concat(Array.from({ length: n }, () => field(1, Buffer.alloc(0)))), atLeast: n })),
    fc.array(fc.nat(2 ** 40), { maxLength: 3000 }).map((v) => ({ bytes: field(5, packed(7, v)), atLeast: v.length })),
    fc.array(fc.nat(300), { maxLength: 3000 }).map((v) => ({ bytes: field(15, field(1, packed(1, v))), atLeast: v.length })),
    fc.nat(3000).map((n) => ({ bytes: field(1, Buffer.concat(Array.from({ length: n }, () => str(1, 'x')))), atLeast: n })),
  );

  test('every node, every field and every packed integer counts: never fewer than the file holds', () => {
    fc.assert(
      fc.property(fc.array(parts, { minLength: 1, maxLength: 3 }), (ps) => {
        const bytes = field(7, Buffer.concat(ps.map((p) => p.bytes)));
        const want = ps.reduce((a, p) => a + p.atLeast, 0);
        expect(onnxNesting(bytes, 64).values).toBeGreaterThanOrEqual(want);
        // the count stops once past the limit
        expect(onnxNesting(bytes, 64, 10).values).toBeLessThanOrEqual(Math.max(11, 10 + 3000));
      }),
      { seed: 14, numRuns: 100 },
    );
  });

  test('more values than --max-memory allows: NN109 before decoding; the shipped models are far below', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-onnx-values-'));
    const path = join(dir, 'model.onnx');
    const limits = { ...DEFAULT_LIMITS, maxMemory: 256 * 1000 };
    writeFileSync(path, field(7, Buffer.concat(Array.from({ length: 2000 }, () => field(1, Buffer.alloc(0))))));
    let error: unknown;
    try {
      loadModel(path, limits);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NnchipError);
    expect((error as NnchipError).code).toBe('NN109');
    expect((error as NnchipError).detail).toMatch(/^holds over 1,000 nodes, names and values to decode/);
    expect(maxDecodedValues(DEFAULT_LIMITS)).toBe(8_388_608);
    const digits = new URL('../../../examples/digits-onnx/model.onnx', import.meta.url).pathname;
    // at 1 MB its decoded values are far below the limit (3,906); 256 KB is under what its tensors take to compile (728 KB, NN109)
    expect(loadModel(digits, { ...limits, maxMemory: 1000 * 1000 }).nodes.length).toBeGreaterThan(3);
  });
});
