/**
 * ONNX conformance: every backend node test (libonnx-testdata) of every op nnchip claims, and every
 * model of its pytorch-converted / pytorch-operator sets (exported from torch.nn modules and torch
 * operators), adapted to single samples (onnx-node.ts). Each either passes — float IR within 1e-4 of the reference
 * output, int8 within the tolerance docs/numerics.md justifies — or is refused with exactly the
 * error recorded in expected-refusals.json. The int8 program runs on the reference interpreter and the fast simulator,
 * which must agree bit for bit. A model of several outputs compiles the first, the one
 * the expected values are of (--output-name). UPDATE_REFUSALS=1 rewrites that table (review its diff).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { NnchipError } from '../../src/diagnostics/error.js';
import { loadModel } from '../../src/importers/index.js';
import { evaluateOutput } from '../../src/ir/evaluate.js';
import type { Graph } from '../../src/ir/graph.js';
import { checkGraph } from '../../src/ir/verify.js';
import { interpret } from '../../src/isa/interpret.js';
import { dequantize, quantizeToInt8 } from '../../src/isa/numerics.js';
import { dequantizeOutput, quantizeInput, type Program } from '../../src/isa/program.js';
import { simulate } from '../../sim/index.js';
import { compileGraph } from '../helpers/compile.js';
import { adapt, claimedNodeTests, NODE_TESTS, pytorchModelTests, type NodeTest } from './onnx-node.js';
import { IN_CI } from '../helpers/ci.js';

const TABLE = join(import.meta.dirname, 'expected-refusals.json');
const refusals = JSON.parse(readFileSync(TABLE, 'utf8')) as Record<string, string>;
const found: Record<string, string> = {};
const nodeTests = claimedNodeTests();
const pytorchTests = pytorchModelTests();
const tests = [...nodeTests, ...pytorchTests];
const work = mkdtempSync(join(tmpdir(), 'nnchip-conformance-'));

/** int8 tolerance (docs/numerics.md, "Conformance tolerance"): 2 output LSBs plus 2 % of the largest |output|. */
function int8Tolerance(program: Program, expected: ArrayLike<number>): number {
  const peak = Math.max(0, ...Array.from(expected, Math.abs).filter((v) => !Number.isNaN(v)));
  return 2 * program.outputs[0]!.scale + 0.02 * peak;
}

/** An [H, W, C] map's values in the channel-major order of the model's own NCHW output. */
function modelOrder(graph: Graph, v: Float64Array): Float64Array {
  const shape = checkGraph(graph).get(graph.outputs[0]!)!;
  if (graph.outputLayouts?.[0] !== 'chw' || shape.length !== 3) return v;
  const [h, w, c] = shape as [number, number, number];
  return Float64Array.from({ length: v.length }, (_, i) => v[(i % (h * w)) * c + Math.floor(i / (h * w))]!);
}

/**
 * The program's output as the model's: a final softmax / log-softmax nnchip dropped (its outputs are the
 * logits, docs/numerics.md) applied on the host to each run of its channels, as a caller of the chip would.
 */
function hostSoftmax(graph: Graph, v: Float64Array): Float64Array {
  const s = graph.nodes.find((n) => n.op === 'activation' && (n.fn === 'softmax' || n.fn === 'logsoftmax'));
  if (s?.op !== 'activation') return v;
  const c = checkGraph(graph).get(s.inputs[0]!)!.at(-1)!;
  const y = new Float64Array(v.length);
  for (let p = 0; p < v.length; p += c) {
    const row = v.subarray(p, p + c);
    const max = Math.max(...row);
    const sum = row.reduce((a, x) => a + Math.exp(x - max), 0);
    row.forEach((x, j) => (y[p + j] = s.fn === 'softmax' ? Math.exp(x - max) / sum : x - max - Math.log(sum)));
  }
  return y;
}

/**
 * Programs up to this size also run on the fast simulator: all but the two 1-megapixel / 220,000-sample dilated
 * max pools of pytorch-converted (160,000 and 780,000 instructions, 30–40 s each there; test/agreement covers large programs).
 */
const SIMULATED_INSTRUCTIONS = 50_000;

interface Outcome {
  /** the first NnchipError, formatted; absent: compiled and ran */
  refusal?: string;
  /** worst float error (relative, floor 1) over the samples the importer took, even if compiling was refused */
  float: number;
  /** the float error allowed: 1e-4, or the expected output type's own rounding (FLOAT16 2^-11: nnchip computes in float32) */
  floatTol: number;
  /** worst int8 error minus its tolerance (≤ 0 passes) */
  int8: number;
  /** worst int8 error in output LSBs */
  lsb: number;
}

/** Import and compile each distinct model of the test; the first NnchipError is the refusal. */
function run(t: NodeTest): Outcome {
  const a = adapt(t);
  const out: Outcome = { float: 0, floatTol: Math.max(1e-4, a.rounding), int8: -Infinity, lsb: 0 };
  if (a.unsplittable !== undefined) return { ...out, refusal: `not adaptable to single samples: ${a.unsplittable}` };
  const byModel = new Map<string, number[]>();
  a.models.forEach((m, i) => byModel.set(Buffer.from(m).toString('base64'), [...(byModel.get(Buffer.from(m).toString('base64')) ?? []), i]));
  try {
    for (const [key, indices] of byModel) {
      const dir = mkdtempSync(join(work, `${t.name.replaceAll('/', '_')}-`));
      writeFileSync(join(dir, 'model.onnx'), Buffer.from(key, 'base64'));
      const graph = loadModel(join(dir, 'model.onnx'), undefined, { output: a.output });
      for (const i of indices) {
        const float = modelOrder(graph, evaluateOutput(graph, a.samples[i]!));
        expect(float.length).toBe(a.expected[i]!.length);
        a.expected[i]!.forEach((v, j) => (out.float = Math.max(out.float, float[j] === v || (Number.isNaN(float[j]) && Number.isNaN(v)) ? 0 : Math.abs(float[j]! - v) / Math.max(1, Math.abs(v)))));
      }
      const program = compileGraph(graph, indices.map((i) => a.samples[i]!));
      for (const i of indices) {
        const want = a.expected[i]!;
        const codes = quantizeInput(program, a.samples[i]!);
        const reference = interpret(program, codes);
        if (program.instructions.length <= SIMULATED_INSTRUCTIONS) expect(Array.from(simulate(program, codes).output), 'fast simulator = reference interpreter').toEqual(Array.from(reference));
        const int8 = modelOrder(graph, hostSoftmax(graph, dequantizeOutput(program, reference)));
        const tol = int8Tolerance(program, want);
        // a sample on a jump (ThresholdedRelu's x = alpha exactly): its code's value lies across the jump, where the
        // program is judged against the float graph at that value (docs/numerics.md, "Conformance tolerance")
        const atCode = modelOrder(graph, evaluateOutput(graph, Float32Array.from(a.samples[i]!, (x) => dequantize(quantizeToInt8(x, program.input.scale, program.input.zp), program.input.scale, program.input.zp))));
        const ref = want.map((v, j) => (Math.abs(atCode[j]! - v) > tol ? atCode[j]! : v));
        // int8 has no NaN: where the reference is NaN (torch.sqrt of a negative) the float check above is the test
        ref.forEach((v, j) => (out.int8 = Number.isNaN(v) ? out.int8 : Math.max(out.int8, Math.abs(int8[j]! - v) - tol)));
        want.forEach((v, j) => (out.lsb = Number.isNaN(v) ? out.lsb : Math.max(out.lsb, Math.abs(int8[j]! - v) / program.outputs[0]!.scale)));
      }
    }
  } catch (e) {
    if (e instanceof NnchipError) return { ...out, refusal: e.format() };
    throw e;
  }
  return out;
}

describe.runIf(existsSync(NODE_TESTS) || IN_CI)('ONNX backend node tests of the supported ops', () => {
  test('libonnx-testdata is installed and holds node tests of the supported ops', () => {
    expect(nodeTests.length).toBeGreaterThan(150);
  });

  test('libonnx-testdata holds its PyTorch-exported models', () => {
    expect(pytorchTests.length).toBeGreaterThan(100);
  });

  test.each(tests.map((t) => [t.name, t] as const))('%s', (name, t) => {
    const result = run(t);
    // whatever the importer took, it evaluates in float as the ONNX reference does
    expect(result.float).toBeLessThanOrEqual(result.floatTol);
    if (result.refusal !== undefined) {
      found[name] = result.refusal;
      if (process.env['UPDATE_REFUSALS'] !== '1') expect(result.refusal).toBe(refusals[name] ?? '(passes: not in expected-refusals.json)');
      return;
    }
    if (process.env['UPDATE_REFUSALS'] !== '1') expect(refusals[name]).toBeUndefined();
    expect(result.int8).toBeLessThanOrEqual(0);
    if (process.env['CONFORMANCE_REPORT'] === '1') console.log(`${name} int8 margin ${result.int8} lsb ${result.lsb}`);
  });

  test('every entry of expected-refusals.json is a node test of a supported op or a PyTorch-exported model', () => {
    const names = new Set(tests.map((t) => t.name));
    expect(Object.keys(refusals).filter((n) => !names.has(n))).toEqual([]);
  });

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    if (process.env['UPDATE_REFUSALS'] === '1') writeFileSync(TABLE, `${JSON.stringify(Object.fromEntries(Object.entries(found).sort()), null, 1)}\n`);
  });
});
