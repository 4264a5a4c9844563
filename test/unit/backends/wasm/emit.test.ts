/**
 * The module itself: valid (wabt and the engine), no imports, the documented exports, memory =
 * the certificate's requirement and unable to grow, constants in data segments, identical bytes
 * across builds, and a clear error for an invalid program.
 */
import wabtInit from 'wabt';
import { describe, expect, test } from 'vitest';
import { denseProgram } from '../../../helpers/dense-program.js';
import { buildWasm, emitWasm } from '../../../../src/backends/wasm/emit.js';
import { instantiate, webAssembly } from '../../../../src/backends/wasm/instance.js';
import { packConstants } from '../../../../src/backends/wasm/plan/ops.js';
import { GUARD_BYTES, PAGE_BYTES } from '../../../../src/backends/wasm/plan/memory.js';
import { SPACES } from '../../../../src/isa/spec.js';
import { certify } from '../../../../src/isa/cost.js';
import { makeConfig } from '../../../../src/isa/config.js';
import type { Program } from '../../../../src/isa/program.js';
import { NO_TOKENS } from '../../../../src/isa/spec.js';
import { compileDigitsMlp } from '../../../helpers/compile.js';
import { randomCnn } from '../../../helpers/random-cnn.js';
import { randomSamples } from '../../../helpers/random-graph.js';
import { compileGraph } from '../../../helpers/compile.js';
import { randomProgram } from './random-program.js';
import { toBiasForm } from './bias-form.js';

const wabt = await wabtInit();
const digits = compileDigitsMlp().program;
const cnn = compileGraph(randomCnn(4), randomSamples(4, 9 * 8 * 3, 4), { rows: 4, cols: 4 });
const dense = denseProgram({ m: 9, k: 40, n: 24, config: makeConfig({ rows: 8, cols: 8 }), seed: 1 });
const biasRandom = randomProgram(7, undefined, { bias: true });
const PROGRAMS: [string, Program][] = [['digits MLP', digits], ['random CNN', cnn], ['dense 9x40x24', dense], ['dense 9x40x24, bias matmuls', toBiasForm(dense)], ['random program', randomProgram(7)], ['random program with bias matmuls', biasRandom]];
const BUILDS = [true, false].map((simd) => ({ simd }));

function wabtValidate(bytes: Uint8Array): void {
  const m = wabt.readWasm(bytes, { simd: true, bulk_memory: true });
  try {
    m.validate();
  } finally {
    m.destroy();
  }
}

test('the programs with bias matmuls have some', () => {
  for (const p of [toBiasForm(dense), biasRandom]) expect(p.instructions.some((i) => i.op === 'matmul' && i.bias === 1)).toBe(true);
});

describe.each(PROGRAMS)('%s', (_, p) => {
  test.each(BUILDS)('valid for wabt and the engine, no imports, documented exports (simd: $simd)', async (opts) => {
    const bytes = emitWasm(p, opts);
    expect(() => wabtValidate(bytes)).not.toThrow();
    expect(webAssembly().validate(bytes)).toBe(true);
    const m = await instantiate(bytes);
    expect(m.imports).toEqual([]);
    for (const name of ['memory', 'run', 'input_offset', 'input_length', 'input_scale', 'input_zero_point', 'output_offset', 'output_length', 'output_scale', 'output_zero_point']) expect(m.exports[name], name).toBeDefined();
    expect(m.global('input_scale')).toBe(p.input.scale); // f64: exact
    expect(m.global('output_zero_point')).toBe(p.outputs[0]!.zp);
    expect(m.global('input_length')).toBe(p.input.rows * p.input.rowBytes);
  });

  test('memory = the requirement, fixed: no growth while running, and it cannot grow', async () => {
    const b = buildWasm(p, { simd: true });
    const cert = certify(p);
    const used = SPACES.reduce((a, s) => a + b.plan.bytes[s], 0);
    expect(b.plan.end).toBeGreaterThanOrEqual(used + GUARD_BYTES);
    expect(b.plan.pages).toBe(Math.ceil(b.plan.end / PAGE_BYTES));
    for (const s of SPACES) expect(b.plan.bytes[s]).toBeGreaterThanOrEqual(cert.peakBytes[s]);
    const m = await instantiate(b.bytes);
    const before = m.exports.memory.buffer.byteLength;
    expect(before).toBe(b.plan.pages * PAGE_BYTES);
    m.runRaw(new Int8Array(p.input.rows * p.input.rowBytes).fill(5));
    expect(m.exports.memory.buffer.byteLength).toBe(before);
    expect(() => m.exports.memory.grow(1)).toThrow();
  });

  test('two builds give identical bytes', () => {
    for (const opts of BUILDS) expect(emitWasm(p, opts)).toEqual(emitWasm(p, opts));
  });
});

describe('memory plan of compiled programs', () => {
  test.each([['digits MLP', digits], ['random CNN', cnn]] as const)('%s: every space gets exactly the certificate peak', (_, p) => {
    const b = buildWasm(p, { simd: true });
    const cert = certify(p);
    for (const s of SPACES) expect(b.plan.bytes[s], s).toBe(cert.peakBytes[s]);
  });

  test.each(BUILDS)('the constants are in the module at their DRAM addresses before the first run, GEMM-only weights packed (simd: $simd)', async (opts) => {
    const b = buildWasm(digits, opts);
    expect(b.packed.length).toBe(opts.simd ? b.stats.gemms : 0);
    const m = await instantiate(b.bytes);
    const got = new Uint8Array(m.exports.memory.buffer, 0, digits.constants.length);
    expect(Buffer.from(got).equals(Buffer.from(packConstants(digits.constants, b.packed, digits.config.cols)))).toBe(true);
  });

  test('the digits MLP runs as one fused GEMM per column tile, weights read in place', () => {
    const { stats } = buildWasm(digits, { simd: true });
    const tiles = digits.instructions.filter((i) => i.op === 'threshold').length;
    expect(stats.gemms).toBe(tiles);
    expect(stats.weightsFromDram).toBe(stats.matmuls);
  });
});

describe('errors', () => {
  test('an invalid program is refused with NN404', () => {
    const bad: Program = { ...dense, instructions: [{ op: 'sync', ...NO_TOKENS }], insnLayer: [0] };
    expect(() => emitWasm(bad)).toThrow(expect.objectContaining({ code: 'NN404', message: expect.stringMatching(/halt/) }));
  });
  test('runRaw: an input or an output array of the wrong length is NN303', async () => {
    const m = await instantiate(emitWasm(dense));
    const codes = new Int8Array(dense.input.rows * dense.input.rowBytes);
    const out = m.runRaw(codes);
    expect(() => m.runRaw(codes.subarray(1))).toThrow(expect.objectContaining({ code: 'NN303' }));
    expect(() => m.runRaw(codes, new Int8Array(out.length + 1))).toThrow(expect.objectContaining({ code: 'NN303', message: expect.stringMatching(/output array/) }));
  });
});
