/**
 * Models as torch 0.3–1.x exported them (libonnx-testdata's pytorch-converted / pytorch-operator sets):
 * unnamed nodes, opset 6's broadcast attribute, opset 9's Slice attributes. The reference values are
 * onnxruntime's where it reads the opset (7 and later) and hand-computed below it (ONNX Runtime reads no opset 6).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { failure } from '../../helpers/errors.js';
import { buildOnnx, ortRun, weights, writeOnnx, type ModelSpec } from '../../helpers/onnx-models.js';

const load = (spec: ModelSpec) => loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-old-torch-')), buildOnnx(spec)));

describe('ONNX models of old torch exporters', () => {
  test('two unnamed opset-9 Slices each keep their own starts and ends (they shared one name, the last one\'s)', async () => {
    const spec: ModelSpec = {
      input: [1, 4, 3, 3], output: [1, 9], opset: 9,
      nodes: [
        { op: 'Slice', inputs: ['x'], outputs: ['a'], name: '', attrs: { axes: { ints: [1] }, starts: { ints: [0] }, ends: { ints: [3] } } },
        { op: 'Slice', inputs: ['a'], outputs: ['b'], name: '', attrs: { axes: { ints: [1] }, starts: { ints: [2] }, ends: { ints: [3] } } },
        { op: 'Flatten', inputs: ['b'], outputs: ['y'], name: '' },
      ],
    };
    const x = weights(36, 7);
    const [want] = await ortRun(buildOnnx(spec), [1, 4, 3, 3], [x]);
    expect(Array.from(want!)).toEqual(Array.from(x.slice(18, 27)));
    expect(Array.from(evaluateOutput(load(spec), x), Math.fround)).toEqual(Array.from(want!));
  });
});
