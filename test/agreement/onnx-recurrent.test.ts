// SPDX-License-Identifier: MIT
/**
 * ONNX LSTM, GRU and RNN unrolled over their steps (onnx-ops-recurrent.ts → ir/recurrent.ts) against
 * onnxruntime: the models torch.onnx.export writes (test/fixtures/recurrent-onnx/export.py: forward and
 * bidirectional, two layers, Y read through Squeeze / Transpose / Gather, Y_h through Gather or
 * Transpose + Reshape, the steps-first input) and hand-built nodes torch never writes (GRU
 * linear_before_reset 0, direction reverse, constant initial states, RNN Relu). The float graph
 * within 1e-5; the int8 program on 8x8 the same on the reference interpreter and the simulator and
 * within 5% of the output spread.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../src/importers/index.js';
import { DEFAULT_LIMITS } from '../../src/ir/limits.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import { expectInt8NearFloat } from '../helpers/agreement.js';
import { expectClose } from '../helpers/close.js';
import { compileGraph } from '../helpers/compile.js';
import { ortRun, writeOnnx } from '../helpers/onnx-models.js';
import { recurrentModel } from '../helpers/onnx-recurrent.js';
import { randomSamples } from '../helpers/random-graph.js';

const DIR = join(import.meta.dirname, '../fixtures/recurrent-onnx');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.onnx')).sort();
const SHAPES: Record<string, number[]> = {
  'lstm-last': [1, 5, 3], 'lstm-hn': [1, 6, 3], 'lstm-tmajor': [5, 1, 3], 'gru-seq': [1, 4, 3],
  'gru-bi-hn': [1, 5, 2], 'rnn-bi-seq': [1, 4, 3], 'lstm-bi': [1, 5, 2], 'lstm-2': [1, 6, 3],
};

async function agree(model: string | Uint8Array, path: string, dims: number[]): Promise<void> {
  const graph = loadModel(path);
  const inputs = randomSamples(8, dims.reduce((a, b) => a * b, 1), 3, -2, 2);
  const want = (await ortRun(model, dims, inputs)).map((w) => Array.from(w));
  inputs.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!, 1e-5));
  expect(Math.max(...want.map((w, i) => Math.abs(w[0]! - want[(i + 1) % want.length]![0]!)))).toBeGreaterThan(0.01);
  expectInt8NearFloat(compileGraph(graph, inputs, { rows: 8, cols: 8 }), inputs, want);
}

describe('torch-exported recurrent models = onnxruntime', () => {
  test('every model of export.py is here', () => expect([...new Set(FILES.map((f) => f.replace(/-op\d+\.onnx$/, '')))].sort()).toEqual(Object.keys(SHAPES).sort()));
  test.each(FILES)('%s', async (file) => {
    const path = join(DIR, file);
    await agree(path, path, SHAPES[file.replace(/-op\d+\.onnx$/, '')]!);
  });
});

const single = recurrentModel;

describe('hand-built recurrent nodes = onnxruntime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-onnx-rnn-'));
  const CASES: [string, () => Uint8Array, number[]][] = [
    ['GRU linear_before_reset 0, Y_h', () => single('GRU', [5, 3, 4], {}), [5, 1, 3]],
    ['GRU linear_before_reset 1, reverse, constant initial_h, Y', () => single('GRU', [4, 3, 3], { linear_before_reset: { i: 1 }, direction: { s: 'reverse' } }, { initialH: true, which: 0 }), [4, 1, 3]],
    ['LSTM reverse, constant initial_h and initial_c, Y_c', () => single('LSTM', [4, 2, 3], { direction: { s: 'reverse' } }, { initialH: true, initialC: true, which: 2 }), [4, 1, 2]],
    ['LSTM bidirectional, Y', () => single('LSTM', [3, 2, 3], { direction: { s: 'bidirectional' } }, { dirs: 2, which: 0 }), [3, 1, 2]],
    ['RNN Relu, Y_h', () => single('RNN', [5, 3, 4], { activations: { strings: ['Relu'] } }, { seed: 5 }), [5, 1, 3]],
  ];
  test.each(CASES)('%s', async (name, build, dims) => {
    const bytes = build();
    await agree(bytes, writeOnnx(dir, bytes, `${name.replace(/\W+/g, '-')}.onnx`), dims);
  });
});

describe('refused in one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-onnx-rnn-'));
  const refusal = (bytes: Uint8Array, limits = DEFAULT_LIMITS): string => {
    try {
      loadModel(writeOnnx(dir, bytes), limits);
    } catch (e) {
      return (e as Error).message;
    }
    return 'loaded';
  };
  test('a sequence of dynamic length (torch dynamic_axes on the steps) names the fix', () => {
    expect(refusal(single('LSTM', [5, 3, 4], {}, { input: ['T', 1, 3] }))).toMatch(/dimension 0, the steps of a recurrent op's sequence \[T, 1, F\], is dynamic \("T"\); a recurrent layer is unrolled over a fixed number of steps/);
  });
  test('steps × units over --max-params: NN109 with the figure (the initializers fit)', () => {
    // 5 steps × 4 gates × (3 + 4) × 4 = 560 weights unrolled; W, R and B hold 144
    expect(refusal(single('LSTM', [5, 3, 4], {}), { ...DEFAULT_LIMITS, maxParams: 559 })).toMatch(/unrolling 5 steps of LSTM\(4\) on 3 features gives 560 weights, over the limit of 559 \(--max-params\)/);
    expect(refusal(single('LSTM', [5, 3, 4], {}), { ...DEFAULT_LIMITS, maxParams: 560 })).toBe('loaded');
  });
  test('clip and layout 1', () => {
    expect(refusal(single('GRU', [4, 3, 3], { clip: { f: 3 } }))).toMatch(/GRU: clip is not supported/);
    expect(refusal(single('GRU', [4, 3, 3], { layout: { i: 1 } }))).toMatch(/layout 1 \(batch first\) is not supported/);
  });
});
