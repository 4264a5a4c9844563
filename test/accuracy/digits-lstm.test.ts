/**
 * A recurrent layer on real digits: the shipped examples/digits-lstm (an LSTM(16) reading each 28×28
 * digit row by row, 28 steps, then a softmax Dense; trained by its committed train.mjs), unrolled and
 * lowered to int8, classifies the held-out digits within 1 point of TF.js, with ref = sim = WASM on
 * five of those digits.
 */
import { describe, expect, test } from 'vitest';
import { loadDigits } from '../../examples/digits-data.mjs';
import { loadModel } from '../../src/importers/index.js';
import { quantizeInput } from '../../src/isa/program.js';
import { expectSoftwareBackendsAgree } from '../helpers/agreement.js';
import { argmax, calibrationSamples, compileGraph, int8Predict } from '../helpers/compile.js';
import { loadTfjsFromFiles, tfjsPredict } from '../helpers/tfjs-models.js';

const ex = (rel: string): string => new URL(`../../examples/${rel}`, import.meta.url).pathname;
const accuracy = (pred: readonly number[], labels: readonly number[]): number => pred.filter((p, i) => p === labels[i]).length / labels.length;
const heldOut = loadDigits('test');

describe('an LSTM on the held-out MNIST digits (2,004 images)', () => {
  test('digits-lstm (28 steps of 28 pixels, LSTM(16), Dense): int8 within 1 point of TF.js', async () => {
    const model = await loadTfjsFromFiles(ex('digits-lstm/model.json'));
    const floatAcc = accuracy(tfjsPredict(model, heldOut.inputs).map(argmax), heldOut.labels);
    const graph = loadModel(ex('digits-lstm/model.json'));
    // 28 steps, each its own 4 gates and 3 products (step 0: 2)
    expect(graph.nodes.filter((n) => n.op === 'channelMul').length).toBe(28 * 3 - 1);
    const program = compileGraph(graph, calibrationSamples(ex('digits-lstm/calibration.json')));
    const intAcc = accuracy(await int8Predict(program, heldOut.inputs), heldOut.labels);
    await expectSoftwareBackendsAgree(program, heldOut.inputs.slice(0, 5).map((x, i) => [`held-out digit ${heldOut.labels[i]}`, quantizeInput(program, x)]));
    expect(floatAcc).toBeGreaterThan(0.85);
    expect(Math.abs(intAcc - floatAcc)).toBeLessThanOrEqual(0.01);
  }, 300_000);
});
