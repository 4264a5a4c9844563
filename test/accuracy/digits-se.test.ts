// SPDX-License-Identifier: MIT
/**
 * Squeeze-excite on real digits: the shipped PyTorch CNN with two SE blocks (examples/digits-se-onnx:
 * a Sigmoid gate after a ReLU map, torchvision's Hardsigmoid gate after a Hardswish map), exported
 * to ONNX, lowered to int8, classifies the held-out digits within 1 point of onnxruntime-node, and
 * ref = sim = WASM on five of those digits (the RTL: test/cosim/channel-mul.test.ts).
 */
import { expect, test } from 'vitest';
import { loadDigits } from '../../examples/digits-data.mjs';
import { loadModel } from '../../src/importers/index.js';
import { quantizeInput } from '../../src/isa/program.js';
import { expectSoftwareBackendsAgree } from '../helpers/agreement.js';
import { argmax, calibrationSamples, compileGraph, int8Predict } from '../helpers/compile.js';
import { ortRun } from '../helpers/onnx-models.js';

const ex = (rel: string): string => new URL(`../../examples/${rel}`, import.meta.url).pathname;
const accuracy = (pred: readonly number[], labels: readonly number[]): number => pred.filter((p, i) => p === labels[i]).length / labels.length;

test('digits-se-onnx (two squeeze-excite blocks) on the held-out digits (2,004 images): int8 within 1 point of onnxruntime', async () => {
  const heldOut = loadDigits('test');
  const model = ex('digits-se-onnx/model.onnx');
  const graph = loadModel(model);
  expect(graph.nodes.filter((n) => n.op === 'channelMul')).toHaveLength(2);
  const floatAcc = accuracy((await ortRun(model, [1, 1, 28, 28], heldOut.inputs)).map(argmax), heldOut.labels);
  const program = compileGraph(graph, calibrationSamples(ex('digits-se-onnx/calibration.json')));
  const intAcc = accuracy(await int8Predict(program, heldOut.inputs), heldOut.labels);
  await expectSoftwareBackendsAgree(program, heldOut.inputs.slice(0, 5).map((x, i) => [`held-out digit ${heldOut.labels[i]}`, quantizeInput(program, x)]));
  expect(floatAcc).toBeGreaterThan(0.95);
  expect(Math.abs(intAcc - floatAcc)).toBeLessThanOrEqual(0.01);
}, 300_000);
