// SPDX-License-Identifier: MIT
/** The input classes every agreement test runs, and the one check that the software back ends agree on them. */
import { expect } from 'vitest';
import { runWasm } from '../../src/backends/wasm/instance.js';
import { certify } from '../../src/isa/cost.js';
import { interpret } from '../../src/isa/interpret.js';
import { dequantizeOutput, outputParts, quantizeInput, type Program } from '../../src/isa/program.js';
import { certificateFigures } from '../../sim/prove.js';
import { simulate } from '../../sim/index.js';
import { basename, dirname } from 'node:path';
import { loadModel } from '../../src/importers/index.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import type { Graph } from '../../src/ir/graph.js';
import { checkGraph } from '../../src/ir/verify.js';
import { makeConfig } from '../../src/isa/config.js';
import { compile } from '../../src/passes/pipeline.js';
import { expectClose } from './close.js';
import { buildOnnx, ortRun, writeOnnx, type ModelSpec } from './onnx-models.js';
import { randomSamples, rng } from './random-graph.js';

/** random, all-zero, all-min and all-max codes, and (when given) a real sample quantized. */
export function inputClasses(p: Program, real: Float32Array | undefined): [string, Int8Array][] {
  const n = p.input.rows * p.input.rowBytes;
  const r = rng(n);
  const classes: [string, Int8Array][] = [
    ['random', Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128)],
    ['zero', new Int8Array(n)],
    ['min', new Int8Array(n).fill(-128)],
    ['max', new Int8Array(n).fill(127)],
  ];
  if (real !== undefined) classes.push(['real', quantizeInput(p, real)]);
  return classes;
}

/** ref = sim = WASM (SIMD, scalar) on every input; cycles equal the certificate's; one address trace for all inputs. */
export async function expectSoftwareBackendsAgree(program: Program, inputs: readonly [string, Int8Array][]): Promise<void> {
  const cert = certify(program);
  const codes = inputs.map(([, x]) => x);
  const [simd, scalar] = await Promise.all([runWasm(program, codes, { simd: true }), runWasm(program, codes, { simd: false })]);
  const hashes = new Set<string>();
  inputs.forEach(([label, x], i) => {
    const want = Array.from(interpret(program, x));
    const sim = simulate(program, x, { mode: 'fast', trace: true });
    expect(Array.from(sim.output), `sim, ${label}`).toEqual(want);
    expect(Array.from(simd[i]!), `wasm simd, ${label}`).toEqual(want);
    expect(Array.from(scalar[i]!), `wasm scalar, ${label}`).toEqual(want);
    expect(sim.cycles, label).toBe(cert.cycles);
    hashes.add(sim.traceHash ?? '');
  });
  expect(hashes.size).toBe(1);
}

/** One input: fast sim = interpret, step mode = fast mode (cycles, trace, counters), every certificate figure = the simulated one. */
export function expectSimExact(program: Program, x: Int8Array): void {
  const fast = simulate(program, x);
  const step = simulate(program, x, { mode: 'step' });
  expect(Array.from(fast.output)).toEqual(Array.from(interpret(program, x)));
  expect([step.cycles, step.traceHash, step.stats]).toEqual([fast.cycles, fast.traceHash, fast.stats]);
  expect(certificateFigures(certify(program), fast).filter((f) => !f.ok)).toEqual([]);
}

/**
 * Int8 against an independent float runtime on the first `count` inputs: the simulator = the reference
 * interpreter, and each dequantized output within `fraction` of want's spread.
 */
export function expectInt8NearFloat(program: Program, inputs: readonly ArrayLike<number>[], want: readonly (readonly number[])[], fraction = 0.05, count = 3): void {
  // each output against its own spread (a program of several outputs: theirs one after the other)
  const ranges = outputParts(program).map(({ offset, size }) => {
    const values = want.flatMap((w) => w.slice(offset, offset + size));
    return { offset, size, range: Math.max(...values) - Math.min(...values) };
  });
  for (const [i, x] of inputs.slice(0, count).entries()) {
    const codes = quantizeInput(program, x);
    const ref = interpret(program, codes);
    expect(Array.from(simulate(program, codes, { trace: false }).output)).toEqual(Array.from(ref));
    const values = dequantizeOutput(program, ref);
    expect(values.length).toBe(want[i]!.length);
    for (const { offset, size, range } of ranges) for (let j = offset; j < offset + size; j++) expect(Math.abs(values[j]! - want[i]![j]!)).toBeLessThan(fraction * range);
  }
}

/** A runtime's output in the IR's order: a channel-major map ([C, H, W], as ONNX lays it out) pixel-major, [H, W, C]. */
export function pixelMajor(graph: Graph, v: Float32Array): Float32Array {
  const shape = checkGraph(graph).get(graph.outputs[0]!)!;
  if (graph.outputLayouts?.[0] !== 'chw' || shape.length !== 3) return v;
  const pixels = shape[0]! * shape[1]!;
  const c = v.length / pixels;
  return Float32Array.from(v, (_, j) => v[(j % c) * pixels + Math.floor(j / c)]!);
}

/**
 * An ONNX model built by test/helpers/onnx-models.ts, written to `path`, against onnxruntime: the float IR within 1e-4
 * on 24 uniform samples, reference = sim = WASM on 4x4 and 8x8 over every input class, int8 within `fraction` of the
 * runtime's spread. Returns the imported graph for the caller's own checks.
 */
export async function expectOnnxAgreement(spec: ModelSpec, path: string, fraction: number): Promise<Graph> {
  const bytes = buildOnnx(spec);
  const graph = loadModel(writeOnnx(dirname(path), bytes, basename(path)));
  const dims = spec.input as number[];
  const samples = randomSamples(24, dims.reduce((a, b) => a * b, 1), 5, -1, 1);
  const want = (await ortRun(bytes, dims, samples)).map((v) => pixelMajor(graph, v));
  samples.forEach((x, i) => expectClose(evaluateOutput(graph, x), want[i]!, 1e-4));
  for (const [rows, cols] of [[4, 4], [8, 8]] as const) {
    const { program } = compile(graph, { config: makeConfig({ rows, cols }), calibration: { samples }, verify: true });
    await expectSoftwareBackendsAgree(program, inputClasses(program, samples[20]));
    expectInt8NearFloat(program, samples, want.map((v) => Array.from(v)), fraction, 8);
  }
  return graph;
}
