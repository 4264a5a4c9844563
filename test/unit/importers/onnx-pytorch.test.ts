/**
 * Models written by PyTorch's own ONNX exporter (pytorch/export.py, torch 1.13, committed: a few KB
 * each): the ops it emits are imported, agree with onnxruntime-node in float and, compiled to int8,
 * pick the same class as onnxruntime on random inputs with a small output error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput } from '../../../src/isa/program.js';
import { expectClose } from '../../helpers/close.js';
import { argmax, compileGraph } from '../../helpers/compile.js';
import { ortRun } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';

const DIR = join(import.meta.dirname, 'pytorch');

const MODELS = [
  { file: 'lenet.onnx', dims: [1, 1, 12, 12], exporterOps: ['Sub', 'Div', 'Pad', 'AveragePool', 'Clip', 'MaxPool', 'Resize', 'ReduceMean', 'LogSoftmax'], range: [0, 1] },
  { file: 'kws1d.onnx', dims: [1, 10, 20], exporterOps: ['Conv', 'MaxPool', 'Pad', 'AveragePool', 'Flatten', 'Gemm'], range: [-1, 1] },
  { file: 'rows.onnx', dims: [1, 6, 5], exporterOps: ['MatMul', 'Add', 'Transpose', 'ReduceMean', 'Gemm'], range: [-1, 1] },
] as const;

describe('models exported by PyTorch', () => {
  test.each(MODELS)('$file: float = onnxruntime, int8 = onnxruntime top-1 on ≥ 38 of 40 inputs', async ({ file, dims, exporterOps, range }) => {
    const path = join(DIR, file);
    const ops = (onnxProto.onnx.ModelProto.decode(readFileSync(path)).graph?.node ?? []).map((n) => n.opType);
    for (const op of exporterOps) expect(ops).toContain(op);
    const graph = loadModel(path);
    const samples = randomSamples(40, (dims as readonly number[]).reduce((a, b) => a * b, 1), 17, range[0], range[1]);
    const want = await ortRun(path, [...dims], samples, true);
    samples.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
    const program = compileGraph(graph, samples.slice(0, 20));
    let agree = 0;
    let worst = 0;
    const spread = Math.max(...want.flatMap((v) => Array.from(v))) - Math.min(...want.flatMap((v) => Array.from(v)));
    samples.forEach((x, i) => {
      const got = dequantizeOutput(program, interpret(program, quantizeInput(program, x)));
      // a final log-softmax is dropped: int8 outputs are logits, log-softmax(logits) differs by a per-sample constant
      const shift = file === 'lenet.onnx' ? want[i]![0]! - got[0]! : 0;
      if (argmax(got) === argmax(want[i]!)) agree++;
      got.forEach((v, j) => (worst = Math.max(worst, Math.abs(v + shift - want[i]![j]!))));
    });
    expect(agree).toBeGreaterThanOrEqual(38);
    expect(worst / spread).toBeLessThan(0.1);
  });
});
