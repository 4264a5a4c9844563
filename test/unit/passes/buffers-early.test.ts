/**
 * Buffer feasibility (NN403) is decided from shapes before calibration evaluates the float model,
 * and the tiling fits SCALE-Sim-sized buffers: AlexNet's first layer on 32×32 with 64 kB buffers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { NnchipError } from '../../../src/diagnostics/error.js';
import { loadModel } from '../../../src/importers/index.js';
import { DEFAULT_LIMITS } from '../../../src/importers/limits.js';
import { layerGraph, parseTopology, syntheticCalibration } from '../../../src/importers/topology.js';
import { makeConfig } from '../../../src/isa/config.js';
import type { Calibration } from '../../../src/passes/quantize.js';
import { compile } from '../../../src/passes/pipeline.js';

const ex = (rel: string): string => new URL(`../../../examples/${rel}`, import.meta.url).pathname;

/** A calibration that fails the moment anything reads it. */
const untouchable = { get samples(): never { throw new Error('calibration was read'); } } as unknown as Calibration;

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return e instanceof NnchipError ? e.code : (e as Error).message;
  }
  return 'compiled';
};

describe('buffer feasibility before calibration', () => {
  test('an act buffer too small for one output line is refused without reading the calibration', () => {
    const graph = loadModel(ex('digits-cnn/model.json'));
    expect(codeOf(() => compile(graph, { config: makeConfig({ actDepth: 20 }), calibration: untouchable }))).toBe('NN403');
    expect(codeOf(() => compile(graph, { config: makeConfig({ accDepth: 1, outDepth: 1 }), calibration: untouchable }))).toBe('NN403');
    // buffers that fit: calibration comes next
    expect(codeOf(() => compile(graph, { config: makeConfig(), calibration: untouchable }))).toBe('calibration was read');
  });

  test('a batch whose one sample (784 inputs: 98 entries of 8) does not fit is refused before calibration too', () => {
    const graph = loadModel(ex('digits-mlp/model.json'));
    expect(codeOf(() => compile(graph, { config: makeConfig({ actDepth: 50 }), calibration: untouchable, batch: 64 }))).toBe('NN403');
  });

  test("AlexNet Conv1 on 32x32 fits 64 kB act, wgt, acc and out buffers", () => {
    const file = 'examples/topologies/alexnet.csv';
    const layer = parseTopology(readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8'), file).layers.find((l) => l.name === 'Conv1')!;
    const graph = layerGraph(layer, DEFAULT_LIMITS, file);
    const kb64 = { actDepth: 65536 / 32, wgtDepth: 65536 / 32, accDepth: 65536 / (4 * 32), outDepth: 65536 / 32 };
    const { program } = compile(graph, { config: makeConfig({ rows: 32, cols: 32, ...kb64 }), calibration: syntheticCalibration(224 * 224 * 3) });
    expect(program.memoryMap.find((r) => r.space === 'act')!.size).toBeLessThanOrEqual(kb64.actDepth);
  });
});
