// SPDX-License-Identifier: MIT
/**
 * Batching (passes/batch.ts): a program compiled for B samples per inference computes, for every
 * sample, exactly the codes the B = 1 program computes for it alone — and the simulator (fast and
 * step), the WASM builds and the certificate agree on the batched program as on any other. The
 * oracle is the unbatched program run through the interpreter.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { emitWasm } from '../../src/backends/wasm/emit.js';
import { instantiate } from '../../src/backends/wasm/instance.js';
import { NnchipError } from '../../src/diagnostics/error.js';
import { makeConfig, type ArrayConfig } from '../../src/isa/config.js';
import { certify } from '../../src/isa/cost.js';
import { interpret } from '../../src/isa/interpret.js';
import { quantizeBatches, quantizeInput, serializeProgram, splitOutputs, type Program } from '../../src/isa/program.js';
import { deserializeProgram } from '../../src/isa/validate.js';
import { scheduleTimes } from '../../src/isa/timing.js';
import { LOAD_BUFFERS } from '../../src/isa/spec.js';
import { compile } from '../../src/passes/pipeline.js';
import { loadModel } from '../../src/importers/index.js';
import { simulate } from '../../sim/index.js';
import { calibrationSamples, compileDigitsMlp } from '../helpers/compile.js';
import { builder, randomCnn } from '../helpers/random-cnn.js';
import { randomMlp, randomSamples } from '../helpers/random-graph.js';

const SEED = Number(process.env['FC_SEED'] ?? 20251123);

/** Per-sample codes of the batched program, padding included in the last inference. */
function batchedCodes(p: Program, samples: readonly Float32Array[] | readonly number[][]): Int8Array[] {
  return splitOutputs(p, quantizeBatches(p, samples).map((codes) => interpret(p, codes)), samples.length);
}

describe('a batched program computes every sample as the unbatched one does', () => {
  test('the digits MLP, batch 5 and 64 (its buffers tile the batch), on 8x8 and 4x8', () => {
    const samples = calibrationSamples().slice(0, 13);
    for (const shape of [{ rows: 8, cols: 8 }, { rows: 4, cols: 8 }]) {
      const single = compileDigitsMlp(shape).program;
      const want = samples.map((x) => Array.from(interpret(single, quantizeInput(single, x))));
      for (const batch of [5, 64]) {
        const { program } = compile(compileDigitsMlp(shape).graph, { config: makeConfig(shape), calibration: { samples: calibrationSamples() }, batch });
        expect(program.input.shape).toEqual([batch, 784]);
        expect(program.outputs[0]!.shape).toEqual([batch, 10]);
        expect(batchedCodes(program, samples).map((o) => Array.from(o))).toEqual(want);
        // one weight preload serves the whole tile of samples: far fewer cycles per sample
        expect(scheduleTimes(program.instructions, program.config).cycles / batch).toBeLessThan(scheduleTimes(single.instructions, single.config).cycles / 2);
      }
    }
  });

  test('fast-check MLPs × batches × machines: per-sample codes, sim = interpret, certificate = simulated counters', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 2, maxLength: 4 }),
        fc.integer({ min: 2, max: 9 }),
        // (dramLatency 0: a batch of vectors loads channel tile by channel tile, lower-emit.ts)
        fc.constantFrom<Partial<ArrayConfig>>({ rows: 1, cols: 1 }, { rows: 3, cols: 5 }, { rows: 4, cols: 4, accDepth: 6, outDepth: 6 }, { rows: 8, cols: 2, actDepth: 16 }, { rows: 3, cols: 5, dramLatency: 0 }, { rows: 4, cols: 4, accDepth: 6, outDepth: 6, dramLatency: 0, dramBytesPerCycle: 64 }),
        fc.integer({ min: 0, max: 2 ** 30 }),
        (sizes, batch, shape, seed) => {
          const graph = randomMlp(sizes, seed, ['relu', 'relu6', 'linear']);
          const cal = { samples: randomSamples(8, sizes[0]!, seed + 1, -1, 1) };
          const config = makeConfig(shape);
          let single: Program;
          let batched: Program;
          try {
            single = compile(graph, { config, calibration: cal }).program;
            batched = compile(graph, { config, calibration: cal, batch }).program;
          } catch (e) {
            if (e instanceof NnchipError && e.code === 'NN403') return; // buffers too small for this network
            throw e;
          }
          const samples = randomSamples(batch + 2, sizes[0]!, seed + 2, -2, 2);
          expect(batchedCodes(batched, samples).map((o) => Array.from(o))).toEqual(samples.map((x) => Array.from(interpret(single, quantizeInput(single, x)))));
          const codes = quantizeBatches(batched, samples)[0]!;
          const fast = simulate(batched, codes);
          const step = simulate(batched, codes, { mode: 'step' });
          expect(Array.from(fast.output)).toEqual(Array.from(interpret(batched, codes)));
          expect(Array.from(step.output)).toEqual(Array.from(fast.output));
          expect([step.cycles, step.traceHash]).toEqual([fast.cycles, fast.traceHash]);
          const cert = certify(batched);
          expect(cert.cycles).toBe(fast.cycles);
          expect(cert.macs).toBe(batch * certify(single).macs);
        },
      ),
      { seed: SEED, numRuns: 40 },
    );
  });

  test('with DRAM of no latency a batch of vectors loads channel tile by channel tile, the first matmul after the first: the same codes, in fewer cycles; WASM = interpret', async () => {
    const samples = calibrationSamples().slice(0, 64);
    const machine = { rows: 8, cols: 8, dramBytesPerCycle: 4096, dramLatency: 0, actDepth: 65536, accDepth: 65536, outDepth: 65536, wgtDepth: 65536 };
    const compiled = (shape: Partial<ArrayConfig>): Program => compile(compileDigitsMlp().graph, { config: makeConfig(shape), calibration: { samples: calibrationSamples() }, batch: 64 }).program;
    const [tiled, whole] = [compiled(machine), compiled({ ...machine, dramLatency: 1 })];
    // the 784 inputs: 98 channel tiles of 8, each one load of the 64 samples (with latency: one load of all)
    const actLoads = (p: Program): number[] => p.instructions.filter((i, n) => p.insnLayer[n] === 0 && i.op === 'load' && i.buf === LOAD_BUFFERS.act).map((i) => (i.op === 'load' ? i.rows : 0));
    expect(actLoads(tiled)).toEqual(Array.from({ length: 98 }, () => 64));
    expect(actLoads(whole)).toEqual([98 * 64]);
    const first = (p: Program): number => scheduleTimes(p.instructions, p.config).timings[p.instructions.findIndex((i) => i.op === 'matmul')]!.start;
    expect(first(tiled)).toBeLessThan(200);
    expect(first(whole)).toBeGreaterThan(98 * 64);
    expect(scheduleTimes(tiled.instructions, tiled.config).cycles).toBeLessThan(scheduleTimes(whole.instructions, whole.config).cycles);
    const codes = quantizeBatches(tiled, samples)[0]!;
    expect(batchedCodes(tiled, samples)).toEqual(batchedCodes(whole, samples));
    const want = Array.from(interpret(tiled, codes));
    expect(Array.from(simulate(tiled, codes, { mode: 'step' }).output)).toEqual(want);
    for (const simd of [true, false]) expect(Array.from((await instantiate(emitWasm(tiled, { simd }))).runRaw(codes))).toEqual(want);
  });

  test('WASM (SIMD and scalar) = interpret on a batched program', async () => {
    const { program } = compile(compileDigitsMlp().graph, { config: makeConfig({ rows: 16, cols: 16 }), calibration: { samples: calibrationSamples() }, batch: 32 });
    const codes = quantizeBatches(program, calibrationSamples().slice(0, 32))[0]!;
    const want = Array.from(interpret(program, codes));
    for (const simd of [true, false]) expect(Array.from((await instantiate(emitWasm(program, { simd }))).runRaw(codes))).toEqual(want);
  });

  test('WASM (SIMD and scalar) = interpret on a batched convolutional network (its samples stacked with a border between them)', async () => {
    const graph = randomCnn(8);
    const cal = { samples: randomSamples(4, 9 * 8 * 3, 8, -1, 1) };
    const { program } = compile(graph, { config: makeConfig({ rows: 4, cols: 4 }), calibration: cal, batch: 3 });
    const samples = randomSamples(3, 9 * 8 * 3, 10, -2, 2);
    const codes = quantizeBatches(program, samples)[0]!;
    const want = Array.from(interpret(program, codes));
    for (const simd of [true, false]) {
      const wasm = await instantiate(emitWasm(program, { simd }));
      expect(Array.from(wasm.runRaw(codes))).toEqual(want);
    }
  });

  test('a batch whose stacked tensors outgrow the DRAM a program addresses is refused (NN306), not an invalid program', () => {
    // DS-CNN: over 100 kB of stacked tensors per sample
    const graph = loadModel(new URL('../../examples/ds-cnn/model.json', import.meta.url).pathname);
    const cal = { inputRange: [0, 1] as [number, number] };
    expect(() => compile(graph, { config: makeConfig({}), calibration: cal, batch: 65536 })).toThrow(expect.objectContaining({ code: 'NN306', message: expect.stringMatching(/a batch of 65536 needs over \d+ bytes of DRAM/) }));
  });

  test('the batch survives the .nnp container', () => {
    const { program } = compile(compileDigitsMlp().graph, { config: makeConfig({}), calibration: { samples: calibrationSamples() }, batch: 3 });
    const back = deserializeProgram(serializeProgram(program));
    expect(back.batch).toBe(3);
    expect(back.input.shape).toEqual([3, 784]);
    expect(serializeProgram(back)).toEqual(serializeProgram(program));
  });

  test('convolutional networks (every op the lowering knows) × batches × machines: per-sample codes, sim = interpret, certificate = simulated counters', () => {
    const machines: Partial<ArrayConfig>[] = [{}, { rows: 4, cols: 4 }, { rows: 8, cols: 8, actDepth: 64, accDepth: 32, outDepth: 32 }, { rows: 3, cols: 5 }, { rows: 4, cols: 4, dramLatency: 0 }];
    for (const seed of [7, 8, 9]) {
      const graph = randomCnn(seed);
      const cal = { samples: randomSamples(4, 9 * 8 * 3, seed, -1, 1) };
      for (const shape of machines) {
        const config = makeConfig(shape);
        const single = compile(graph, { config, calibration: cal }).program;
        for (const batch of [2, 3]) {
          const batched = compile(graph, { config, calibration: cal, batch }).program;
          expect(batched.input.shape).toEqual([batch, ...single.input.shape]);
          expect(batched.outputs[0]!.shape).toEqual([batch, ...single.outputs[0]!.shape]);
          const samples = randomSamples(batch + 1, 9 * 8 * 3, seed + 2, -2, 2);
          expect(batchedCodes(batched, samples).map((o) => Array.from(o))).toEqual(samples.map((x) => Array.from(interpret(single, quantizeInput(single, x)))));
          const codes = quantizeBatches(batched, samples)[0]!;
          const fast = simulate(batched, codes);
          const step = simulate(batched, codes, { mode: 'step' });
          expect(Array.from(fast.output)).toEqual(Array.from(interpret(batched, codes)));
          expect([step.cycles, step.traceHash, Array.from(step.output)]).toEqual([fast.cycles, fast.traceHash, Array.from(fast.output)]);
          const cert = certify(batched);
          expect(cert.cycles).toBe(fast.cycles);
          expect(cert.macs).toBe(batch * certify(single).macs);
        }
      }
    }
  });
  test('an overlapping, padded max pool (3×3/2, as ResNet\'s stem) in a batch: left unfused (its windows would cross into the next sample), per-sample codes', () => {
    const b = builder(31);
    const c1 = b.add({ name: 'c1', op: 'conv2d', inputs: ['input'], output: 'c1', kernel: b.tensor([3, 3, 2, 4], 0.5), bias: b.tensor([4], 0.2), strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'relu' });
    const mp = b.add({ name: 'mp', op: 'pool2d', kind: 'max', size: [3, 3], strides: [2, 2], pads: [1, 1, 0, 0], inputs: [c1], output: 'mp' });
    const graph = { name: 'stem', inputs: [{ name: 'input', shape: [9, 9, 2] }], nodes: b.nodes, outputs: [mp], notes: [] };
    const cal = { samples: randomSamples(4, 9 * 9 * 2, 32, -1, 1) };
    const config = makeConfig({ rows: 8, cols: 8 });
    const single = compile(graph, { config, calibration: cal }).program;
    // alone, the pool folds into the conv's threshold
    expect(single.instructions.some((i) => i.op === 'threshold' && i.poolH > 0)).toBe(true);
    const batched = compile(graph, { config, calibration: cal, batch: 3 }).program;
    expect(batched.instructions.some((i) => i.op === 'threshold' && i.poolH > 0)).toBe(false);
    const samples = randomSamples(4, 9 * 9 * 2, 33, -2, 2);
    expect(batchedCodes(batched, samples).map((o) => Array.from(o))).toEqual(samples.map((x) => Array.from(interpret(single, quantizeInput(single, x)))));
  });
});
