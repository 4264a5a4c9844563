/**
 * torch.onnx.export stores equal initializers once and re-creates every copy with an `Identity`
 * (an untrained ResNet-8 exports its all-zero folded BatchNorm biases that way): such an Identity
 * of a constant is itself a constant, and the model = onnxruntime-node within 1e-4.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { expectClose } from '../helpers/close.js';
import { buildOnnx, ortRun, weights, writeOnnx, type ModelSpec } from '../helpers/onnx-models.js';
import { randomSamples } from '../helpers/random-graph.js';

test('Identity of an initializer (PyTorch-deduplicated weights and biases) is a constant', async () => {
  const spec: ModelSpec = {
    input: [1, 4, 6, 6], output: [1, 64],
    inits: { K: { dims: [4, 4, 3, 3], data: weights(144, 31) }, B: { dims: [4], data: new Float32Array(4) } },
    nodes: [
      { op: 'Identity', inputs: ['B'], outputs: ['B_copy'] },
      { op: 'Identity', inputs: ['K'], outputs: ['K_copy'] },
      { op: 'Identity', inputs: ['K_copy'], outputs: ['K_copy_copy'] },
      { op: 'Conv', inputs: ['x', 'K', 'B'], outputs: ['c1'], attrs: { pads: { ints: [1, 1, 1, 1] } } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Conv', inputs: ['r1', 'K_copy_copy', 'B_copy'], outputs: ['c2'], attrs: { strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } } },
      { op: 'Flatten', inputs: ['c2'], outputs: ['y'] },
    ],
  };
  const bytes = buildOnnx(spec);
  const graph = loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-onnx-identity-')), bytes));
  expect(graph.nodes.map((n) => n.op)).toEqual(['conv2d', 'activation', 'conv2d', 'flatten']);
  const samples = randomSamples(4, 4 * 6 * 6, 7, -1, 2);
  const want = await ortRun(bytes, [1, 4, 6, 6], samples);
  samples.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!));
});
