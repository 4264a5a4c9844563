/** A weight tensor applied at two places is stored once in DRAM and shown once in the memory map. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { makeConfig } from '../../../src/isa/config.js';
import { compile } from '../../../src/passes/pipeline.js';
import { buildOnnx, weights, writeOnnx } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';

describe('weight tying', () => {
  test('one ONNX initializer used by two Gemm nodes', () => {
    const n = 16;
    const bytes = buildOnnx({
      input: [1, n],
      output: [1, n],
      inits: { W: { dims: [n, n], data: weights(n * n, 3) } },
      nodes: [
        { op: 'Gemm', inputs: ['x', 'W'] },
        { op: 'Relu', inputs: ['t0'] },
        { op: 'Gemm', inputs: ['t1', 'W'] },
      ],
    });
    const graph = loadModel(writeOnnx(mkdtempSync(join(tmpdir(), 'nnchip-tied-')), bytes));
    const dense = graph.nodes.filter((x) => x.op === 'dense');
    expect(dense).toHaveLength(2);
    const { program } = compile(graph, { config: makeConfig({ rows: 8, cols: 8 }), calibration: { samples: randomSamples(8, n, 1) } });
    const weightRegions = program.memoryMap.filter((r) => r.space === 'dram' && r.name.startsWith('wgt:'));
    const oneCopy = (n / 8) * (n / 8) * 8 * 8; // (K/R)·(N/C) tiles of R·C int8 weights
    expect(weightRegions.map((r) => r.size)).toEqual([oneCopy]);
  });
});
