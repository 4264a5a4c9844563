// SPDX-License-Identifier: MIT
/**
 * ONNX nodes the output does not read are dropped before conversion, as ONNX Runtime drops them
 * (src/importers/onnx-prune.ts): an op nnchip lacks in a dead branch, or an initializer over
 * --max-params that only such a branch reads, no longer refuses the model, and 40,000 dead nodes
 * are not converted (they were, and lowered into the program: 20.6 s, 486 MB). A damaged dead
 * node is still refused, as onnxruntime refuses it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DEFAULT_LIMITS, loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { expectClose } from '../../helpers/close.js';
import { failure } from '../../helpers/errors.js';
import { buildOnnx, ortRun, weights, writeOnnx, type NodeSpec } from '../../helpers/onnx-models.js';
import { GraphBuilder } from '../../helpers/tfjs-graph-builder.js';
import { randomSamples } from '../../helpers/random-graph.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-onnx-prune-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const LIVE: NodeSpec[] = [
  { op: 'Gemm', name: 'fc1', inputs: ['x', 'W1', 'b1'], outputs: ['h'] },
  { op: 'Relu', name: 'relu', inputs: ['h'], outputs: ['r'] },
  { op: 'Gemm', name: 'fc2', inputs: ['r', 'W2', 'b2'], outputs: ['y'] },
];
const INITS = { W1: { dims: [6, 4], data: weights(24, 1) }, b1: { dims: [4], data: weights(4, 2) }, W2: { dims: [4, 3], data: weights(12, 3) }, b2: { dims: [3], data: weights(3, 4) } };
const model = (name: string, dead: NodeSpec[], inits: Record<string, { dims: number[]; data: ArrayLike<number> }> = {}): string =>
  writeOnnx(work, buildOnnx({ input: [1, 6], output: [1, 3], outputName: 'y', nodes: [...dead, ...LIVE], inits: { ...INITS, ...inits } }), `${name}.onnx`);

describe('nodes the output does not read', () => {
  test('an unsupported op (Sin, Einsum) and an initializer over --max-params in a dead branch: dropped; the graph = onnxruntime', async () => {
    const path = model('dead-branch', [
      { op: 'Sin', name: 'sin', inputs: ['x'], outputs: ['s'] },
      { op: 'MatMul', name: 'big', inputs: ['s', 'Huge'], outputs: ['m'] },
      { op: 'Relu', name: 'after', inputs: ['h'], outputs: ['unread'] },
    ], { Huge: { dims: [6, 500], data: new Float32Array(3000) } });
    // the live weights are 43; the dead initializer alone is 3,000
    const graph = loadModel(path, { ...DEFAULT_LIMITS, maxParams: 1000 });
    expect(graph.nodes.map((n) => n.name)).not.toContain('after');
    expect(graph.nodes.length).toBeLessThanOrEqual(3);
    const inputs = randomSamples(4, 6, 5, -1, 1);
    const want = await ortRun(path, [1, 6], inputs);
    inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!, 1e-5));
  });

  test('40,000 nodes nothing reads are not converted', () => {
    const chain: NodeSpec[] = Array.from({ length: 40_000 }, (_, i) => ({ op: 'Relu', name: `dead${i}`, inputs: [i === 0 ? 'x' : `d${i - 1}`], outputs: [`d${i}`] }));
    const path = model('dead-chain', chain);
    // converted, they took 1.6 s to load (and 20 s to lower); bench/, not a test, times things
    const graph = loadModel(path);
    expect(graph.nodes.length).toBeLessThanOrEqual(3);
  });

  test('a damaged dead node is still refused (onnxruntime refuses it too): no op type, a tensor defined twice', () => {
    expect(failure(() => loadModel(model('dead-no-op', [{ op: '', name: 'what', inputs: ['x'], outputs: ['s'] }]))).format()).toMatch(/NN107: dead-no-op.onnx: layer "what": node 0 has no op type/);
    expect(failure(() => loadModel(model('dead-twice', [{ op: 'Sin', name: 'sin', inputs: ['x'], outputs: ['s'] }, { op: 'Cos', name: 'cos', inputs: ['x'], outputs: ['s'] }]))).format()).toMatch(/NN202: dead-twice.onnx: layer "sin": tensor "s" is produced twice/);
  });
});

describe('TF.js graph models, the same way', () => {
  test('the output chosen reads its nodes only: a dead branch\'s unsupported op and its weights over --max-params are dropped; = TF.js', async () => {
    const b = new GraphBuilder([6], 3);
    const dead = b.op('Sin', [b.op('MatMul', ['x', b.constant([6, 500])])]);
    const out = b.op('Relu', [b.op('MatMul', ['x', b.constant([6, 3])])]);
    const path = b.save(join(work, 'tfjs-dead-branch'));
    // the output's weights are 18; the dead branch's Const alone 3,000 (counted and decoded before)
    const graph = loadModel(path, { ...DEFAULT_LIMITS, maxParams: 1000 }, { output: out });
    expect(graph.nodes.map((n) => n.name)).not.toContain(dead);
    const run = await b.tfjsRunner(out);
    for (const x of randomSamples(4, 6, 9, -1, 1)) expectClose(evaluateOutput(graph, x), run(x), 1e-5);
  });
});
