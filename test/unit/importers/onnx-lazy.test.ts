// SPDX-License-Identifier: MIT
/**
 * onnx-proto (protobufjs' generated code, 12 ms to require) loads only once an ONNX model is read:
 * every `lower` of another format and every `sim` load the importers without needing it. A fresh
 * node imports dist/'s importers (the global setup builds dist/) and reads the require cache.
 */
import { spawnSync } from 'node:child_process';
import { expect, test } from 'vitest';

const importers = new URL('../../../dist/src/importers/index.js', import.meta.url).pathname;
const model = (p: string): string => new URL(`../../../examples/${p}`, import.meta.url).pathname;

/** Whether onnx-proto is in node's require cache after loading each model, in order, in one fresh process. */
function protoLoadedAfter(models: readonly string[]): boolean[] {
  const script = `
import { createRequire } from 'node:module';
const { loadModel } = await import(${JSON.stringify(importers)});
const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/onnx-proto/'));
const seen = [loaded()];
for (const m of ${JSON.stringify(models)}) (loadModel(m), seen.push(loaded()));
console.log(JSON.stringify(seen));
`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as boolean[];
}

test('onnx-proto is required by the first ONNX model, not by the importers or a TF.js model', () => {
  expect(protoLoadedAfter([model('digits-mlp/model.json'), model('digits-onnx/model.onnx'), model('digits-mlp/model.json')])).toEqual([false, false, true, true]);
}, 30_000);
