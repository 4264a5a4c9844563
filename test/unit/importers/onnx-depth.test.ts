/**
 * The nesting of an ONNX file is measured from its bytes before protobufjs's recursive decoder runs
 * (src/importers/onnx-depth.ts), through every field protobufjs decodes that holds a graph: If bodies in
 * the main graph, and the graphs of a ModelProto's training_info (initialization, algorithm).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { NnchipError } from '../../../src/diagnostics/error.js';
import { loadModel } from '../../../src/importers/index.js';
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
