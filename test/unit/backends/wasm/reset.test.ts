/**
 * plan/reset.ts closeBufferGaps: zero runs in the on-chip buffers close together become one
 * memory.fill (each is a call out of the module); DRAM runs never merge, since DRAM between them
 * holds constants and input rows. The digits CNN on 8x8 had 676 runs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { buildWasm } from '../../../../src/backends/wasm/emit.js';
import { planMemory } from '../../../../src/backends/wasm/plan/memory.js';
import { closeBufferGaps, resetPlan, ZERO_GAP } from '../../../../src/backends/wasm/plan/reset.js';
import { loadModel } from '../../../../src/importers/index.js';
import { makeConfig } from '../../../../src/isa/config.js';
import { interpret } from '../../../../src/isa/interpret.js';
import { compile } from '../../../../src/passes/pipeline.js';
import { instantiate } from '../../../../src/backends/wasm/instance.js';

const ex = (rel: string): string => new URL(`../../../../examples/${rel}`, import.meta.url).pathname;

describe('closeBufferGaps', () => {
  const plan = { base: { dram: 0, act: 1000, wgt: 2000, acc: 3000, qnt: 9000, out: 9100 }, bytes: { dram: 1000, act: 1000, wgt: 1000, acc: 6000, qnt: 100, out: 500 } } as unknown as Parameters<typeof closeBufferGaps>[1];
  test('buffer runs at most ZERO_GAP apart merge, across buffers too; farther ones do not', () => {
    const runs = [{ start: 1000, end: 1010 }, { start: 1500, end: 1600 }, { start: 2600, end: 2610 }, { start: 2610 + ZERO_GAP + 1, end: 4000 }];
    expect(closeBufferGaps(runs, plan)).toEqual([{ start: 1000, end: 2610 }, { start: 2610 + ZERO_GAP + 1, end: 4000 }]);
  });
  test('a DRAM run never merges with the next, nor a run past the buffers', () => {
    const runs = [{ start: 900, end: 990 }, { start: 1000, end: 1010 }, { start: 9590, end: 9600 }, { start: 9610, end: 9620 }];
    expect(closeBufferGaps(runs, plan)).toEqual([{ start: 900, end: 990 }, { start: 1000, end: 1010 }, { start: 9590, end: 9600 }, { start: 9610, end: 9620 }]);
  });
});

test('digits CNN on 8x8: a few fills instead of hundreds, GEMMs over taps, outputs = interpret on repeated runs', async () => {
  const cal = (JSON.parse(readFileSync(ex('digits-cnn/calibration.json'), 'utf8')) as { inputs: number[][] }).inputs;
  const p = compile(loadModel(ex('digits-cnn/model.json')), { config: makeConfig({ rows: 8, cols: 8 }), calibration: { samples: cal.slice(0, 8).map((x) => Float32Array.from(x.flat(Infinity as 1) as number[])) } }).program;
  expect(resetPlan(p, planMemory(p)).zero.length).toBeLessThan(10);
  const build = buildWasm(p);
  expect(build.stats.tapGemms).toBeGreaterThan(0);
  const m = await instantiate(build.bytes);
  for (let s = 0; s < 3; s++) {
    const x = Int8Array.from({ length: p.input.rows * p.input.rowBytes }, (_, i) => ((i * 37 + s * 101) % 256) - 128);
    expect(Array.from(m.runRaw(x))).toEqual(Array.from(interpret(p, x)));
  }
});
