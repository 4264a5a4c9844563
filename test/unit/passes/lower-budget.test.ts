// SPDX-License-Identifier: MIT
/**
 * A batch's instructions are bounded from the shapes before anything is lowered (passes/lower-budget.ts):
 * the floor never exceeds what the lowering emits, it is not vacuous, and a batch over the limit is
 * refused (NN308) in well under a second without reading the calibration, naming the largest batch
 * the limit allows.
 */
import { fmtInt } from '../../../src/diagnostics/error.js';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { NnchipError } from '../../../src/diagnostics/error.js';
import { loadModel } from '../../../src/importers/index.js';
import { DEFAULT_LIMITS } from '../../../src/importers/limits.js';
import { makeConfig, type ArrayConfig } from '../../../src/isa/config.js';
import { checkBatchBudget, COMPILER_BYTES_PER_INSTRUCTION, instructionFloor } from '../../../src/passes/lower-budget.js';
import { compile, quantizeGraph } from '../../../src/passes/pipeline.js';
import type { Calibration } from '../../../src/passes/quantize.js';
import { calibrationSamples } from '../../helpers/compile.js';
import { randomCnn } from '../../helpers/random-cnn.js';
import { randomMlp, randomSamples } from '../../helpers/random-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20251204);
const ex = (rel: string): string => new URL(`../../../examples/${rel}`, import.meta.url).pathname;
const untouchable = { get samples(): never { throw new Error('calibration was read'); } } as unknown as Calibration;

/** The floor of the batched GemmOps and the instructions the lowering really emits. */
function floorAndCount(graph: ReturnType<typeof loadModel>, calibration: Calibration, config: ArrayConfig, batch: number): [number, number] {
  const q = quantizeGraph(graph, calibration, false, batch);
  const { program } = compile(graph, { config, calibration, batch });
  return [instructionFloor(q.gemm, config), program.instructions.length];
}

describe('the instruction floor of a batch', () => {
  test('the digits CNN and MLP: under the emitted count, and within a factor of 3 of it', () => {
    const calibration = { samples: calibrationSamples().slice(0, 8) };
    for (const model of ['digits-cnn/model.json', 'digits-mlp/model.json']) {
      const graph = loadModel(ex(model));
      for (const batch of [2, 64]) {
        const [floor, count] = floorAndCount(graph, calibration, makeConfig(), batch);
        expect(floor).toBeLessThanOrEqual(count);
        expect(3 * floor).toBeGreaterThan(count);
      }
    }
  });

  test('fast-check MLPs and CNNs × batches × machines: never over the emitted count', () => {
    const machines: Partial<ArrayConfig>[] = [{ rows: 1, cols: 1 }, { rows: 3, cols: 5 }, { rows: 4, cols: 4, accDepth: 6, outDepth: 6 }, { rows: 8, cols: 2, actDepth: 64 }];
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 2, maxLength: 4 }), fc.integer({ min: 2, max: 40 }), fc.constantFrom(...machines), fc.integer({ min: 0, max: 2 ** 30 }), (sizes, batch, shape, seed) => {
        const random = randomMlp(sizes, seed, ['relu', 'linear']);
        // a pruned first layer: its all-zero weight tiles issue no matmul, so the floor does not count them
        const graph = { ...random, nodes: random.nodes.map((n, i) => (i === 0 && n.op === 'dense' ? { ...n, kernel: { ...n.kernel, data: n.kernel.data.map((w, j) => (j % sizes[1]! < sizes[1]! / 2 ? 0 : w)) } } : n)) };
        const [floor, count] = floorAndCount(graph, { samples: randomSamples(4, sizes[0]!, seed + 1, -1, 1) }, makeConfig(shape), batch);
        expect(floor).toBeLessThanOrEqual(count);
      }),
      { seed: SEED, numRuns: 25 },
    );
    // a layer pruned to one column of weights: its 8 × 8 weight tiles but one issue no matmul
    const random = randomMlp([64, 64, 4], 5);
    const pruned = { ...random, nodes: random.nodes.map((n, i) => (i === 0 && n.op === 'dense' ? { ...n, kernel: { ...n.kernel, data: n.kernel.data.map((w, j) => (j % 64 === 0 ? w : 0)) } } : n)) };
    const [floor, count] = floorAndCount(pruned, { samples: randomSamples(4, 64, 6, -1, 1) }, makeConfig(), 16);
    expect(floor).toBeLessThanOrEqual(count);
    for (const seed of [1, 2, 3]) {
      for (const shape of [{ rows: 4, cols: 4 }, { rows: 8, cols: 8 }]) {
        const [floor, count] = floorAndCount(randomCnn(seed), { samples: randomSamples(4, 9 * 8 * 3, seed, -1, 1) }, makeConfig(shape), 3);
        expect(floor).toBeLessThanOrEqual(count);
      }
    }
  });
});

describe('a batch over the limit is refused before calibration and lowering', () => {
  const codeOf = (f: () => unknown): NnchipError | string => {
    try {
      f();
    } catch (e) {
      return e instanceof NnchipError ? e : (e as Error).message;
    }
    return 'compiled';
  };

  test('the digits CNN at batch 65536 (minutes and gigabytes before): NN308 before calibration, the largest batch named', () => {
    const graph = loadModel(ex('digits-cnn/model.json'));
    const e = codeOf(() => compile(graph, { config: makeConfig(), calibration: untouchable, batch: 65536 }));
    expect(e).toBeInstanceOf(NnchipError);
    const err = e as NnchipError;
    expect(err.code).toBe('NN308');
    expect(err.detail).toContain(`over the limit of ${fmtInt(DEFAULT_LIMITS.maxMemory)} (--max-memory)`);
    const largest = Number(/the largest batch within it is (\d+)/.exec(err.detail)?.[1]);
    expect(largest).toBeGreaterThan(1);
    expect(readFileSync(new URL('../../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ')).toContain(`the MNIST CNN on the default machine takes up to ${largest.toLocaleString('en-US')})`);
    // the named batch passes, one more does not; a larger --max-memory admits more
    const q = quantizeGraph(graph, { samples: calibrationSamples().slice(0, 2) }, false, 2);
    expect(() => checkBatchBudget(q.batched, largest, makeConfig(), DEFAULT_LIMITS.maxMemory)).not.toThrow();
    expect(codeOf(() => checkBatchBudget(q.batched, largest + 1, makeConfig(), DEFAULT_LIMITS.maxMemory))).toHaveProperty('code', 'NN308');
    expect(() => checkBatchBudget(q.batched, largest + 1, makeConfig(), 2 * DEFAULT_LIMITS.maxMemory)).not.toThrow();
    // within the limit: calibration comes next
    expect(codeOf(() => compile(graph, { config: makeConfig(), calibration: untouchable, batch: largest }))).toBe('calibration was read');
  });

  test('the digits MLP: the limit follows --max-memory, COMPILER_BYTES_PER_INSTRUCTION bytes per instruction of the floor', () => {
    const graph = loadModel(ex('digits-mlp/model.json'));
    const q = quantizeGraph(graph, { samples: calibrationSamples().slice(0, 2) }, false, 64);
    const floor = instructionFloor(q.gemm, makeConfig());
    const maxMemory = floor * COMPILER_BYTES_PER_INSTRUCTION;
    expect(() => checkBatchBudget(q.batched, 64, makeConfig(), maxMemory)).not.toThrow();
    const e = codeOf(() => compile(graph, { config: makeConfig(), calibration: untouchable, batch: 64, maxMemory: maxMemory - 1 }));
    expect(e).toHaveProperty('code', 'NN308');
    expect((e as NnchipError).detail).toMatch(/the largest batch within it is (\d+)/);
    expect(Number(/within it is (\d+)/.exec((e as NnchipError).detail)![1])).toBeLessThan(64);
  });
});
