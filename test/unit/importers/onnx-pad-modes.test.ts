/**
 * Pad mode reflect and edge (nn.ReflectionPad2d, nn.ReplicationPad2d, Conv2d padding_mode): the float
 * graph equals ONNX Runtime, and the int8 program copies input codes (every output within half a
 * quantization step of onnxruntime's, the simulator bit-exact) at odd sizes, 1-D signals, pads 1–3 on
 * each side; the copies: interior, one per padded line and column, one per corner pixel.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadModel } from '../../../src/importers/index.js';
import { evaluateOutput } from '../../../src/ir/evaluate.js';
import { interpret } from '../../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput } from '../../../src/isa/program.js';
import { mirrored, padCopies } from '../../../src/passes/pad-mirror.js';
import { expectSimExact } from '../../helpers/agreement.js';
import { expectClose } from '../../helpers/close.js';
import { compileGraph } from '../../helpers/compile.js';
import { failure } from '../../helpers/errors.js';
import { buildOnnx, ortRun, writeOnnx } from '../../helpers/onnx-models.js';
import { randomSamples } from '../../helpers/random-graph.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-pad-modes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** [mode, input dims, ONNX pads (begins then ends of every axis)] */
const CASES: [string, number[], number[]][] = [
  ['reflect', [1, 2, 5, 7], [0, 0, 1, 1, 0, 0, 1, 1]],
  ['reflect', [1, 3, 4, 3], [0, 0, 3, 2, 0, 0, 2, 1]],
  ['reflect', [1, 1, 7, 4], [0, 0, 0, 3, 0, 0, 2, 0]],
  ['reflect', [1, 2, 6], [0, 0, 3, 0, 0, 5]],
  ['edge', [1, 2, 5, 7], [0, 0, 2, 3, 0, 0, 1, 2]],
  ['edge', [1, 3, 1, 3], [0, 0, 3, 1, 0, 0, 3, 3]],
  ['edge', [1, 1, 2, 9], [0, 0, 1, 0, 0, 0, 0, 1]],
  ['edge', [1, 2, 6], [0, 0, 2, 0, 0, 3]],
];

const padModel = (mode: string, dims: number[], pads: number[], opset: number): Uint8Array => {
  const out = dims.map((d, i) => d + pads[i]! + pads[i + dims.length]!);
  const attrs = opset < 11 ? { mode: { s: mode }, pads: { ints: pads } } : { mode: { s: mode } };
  const inputs = opset < 11 ? ['x'] : ['x', 'pads'];
  return buildOnnx({ input: ['N', ...dims.slice(1)], output: ['N', ...out.slice(1)], nodes: [{ op: 'Pad', inputs, outputs: ['y'], attrs }], opset, ...(opset < 11 ? {} : { inits: { pads: { dims: [pads.length], data: pads, int64: true } } }) });
};

describe('Pad mode reflect / edge', () => {
  test.each(CASES.flatMap((c) => [11, 18].map((opset) => [...c, opset] as const)))('%s %j pads %j (opset %i): float = onnxruntime; int8 copies the codes', async (mode, dims, pads, opset) => {
    const bytes = padModel(mode, dims, pads, opset);
    const path = writeOnnx(mkdtempSync(join(dir, 'm-')), bytes);
    const graph = loadModel(path);
    expect(graph.nodes.map((n) => n.op)).toEqual(['pad']);
    const size = dims.reduce((a, b) => a * b, 1);
    const samples = randomSamples(8, size, 3, -2, 2);
    const want = await ortRun(path, dims, samples);
    samples.forEach((x, i) => {
      const hwc = evaluateOutput(graph, x);
      const pixels = hwc.length / dims[1]!;
      expectClose(Float64Array.from(hwc, (_, j) => hwc[(j % pixels) * dims[1]! + Math.floor(j / pixels)]!), want[i]!);
    });
    const program = compileGraph(graph, samples);
    const step = program.outputs[0]!.scale;
    samples.forEach((x, i) => {
      const got = dequantizeOutput(program, interpret(program, quantizeInput(program, x)));
      const pixels = got.length / dims[1]!;
      got.forEach((v, j) => expect(Math.abs(v - want[i]![(j % dims[1]!) * pixels + Math.floor(j / dims[1]!)]!)).toBeLessThanOrEqual(step / 2 + 1e-6));
    });
    expectSimExact(program, quantizeInput(program, samples[0]!));
  });

  test('reflection pads as wide as the map are refused in one line (ONNX Runtime refuses them too); wrap by name', () => {
    const wide = padModel('reflect', [1, 2, 3, 5], [0, 0, 3, 0, 0, 0, 0, 0], 13);
    expect(failure(() => loadModel(writeOnnx(mkdtempSync(join(dir, 'w-')), wide))).format()).toMatch(/NN203: .*reflection pads \[3,0,0,0\] must be smaller than the map \[3, 5\] they reflect/);
    const wrap = padModel('wrap', [1, 2, 3, 5], [0, 0, 1, 0, 0, 0, 0, 0], 19);
    expect(failure(() => loadModel(writeOnnx(mkdtempSync(join(dir, 'w-')), wrap))).format()).toMatch(/NN110: .*wrap/);
  });

  test('the copies cover every padded pixel once, each reading its mirrored pixel inside the map', () => {
    for (const mode of ['reflect', 'edge'] as const) {
      const [h, w, pads] = [4, 5, [3, 1, 2, 3] as const];
      const [oh, ow] = [h + pads[0] + pads[2], w + pads[1] + pads[3]];
      const seen = new Array<number>(oh * ow).fill(0);
      const copies = padCopies(pads, h, w, mode);
      expect(copies).toHaveLength(1 + 5 + 4 + 5 * 4);
      for (const c of copies)
        for (let y = 0; y < c.size[0]; y++)
          for (let x = 0; x < c.size[1]; x++) {
            const [oy, ox, iy, ix] = [c.at[0] + y, c.at[1] + x, c.from[0] + y, c.from[1] + x];
            seen[oy * ow + ox]!++;
            expect([iy, ix]).toEqual([mirrored(oy - pads[0], h, mode), mirrored(ox - pads[1], w, mode)]);
            expect(iy >= 0 && iy < h && ix >= 0 && ix < w).toBe(true);
          }
      expect(seen.every((s) => s === 1)).toBe(true);
    }
    expect([-3, -2, -1, 0, 4, 5, 6].map((p) => mirrored(p, 5, 'reflect'))).toEqual([3, 2, 1, 0, 4, 3, 2]);
    expect([-2, 0, 4, 6].map((p) => mirrored(p, 5, 'edge'))).toEqual([0, 0, 4, 4]);
  });
});
