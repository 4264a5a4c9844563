/**
 * Fast mode's values from the compiled program (sim/compiled-values.ts, the WebAssembly back end
 * injected as SimOptions.compiled, as the CLI does): on race-free programs, once the program has
 * run machineRunsBeforeCompiling(p) times on the event-driven machine, the outputs come from the
 * compiled program and equal the machine's and the reference interpreter's, with the same cycles,
 * counters and trace; a program with a race (isa/ordering.ts) never takes that path, so its
 * values stay the machine's concurrent semantics (test/property/sim-races.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { compiledWasm } from '../../src/cli/compiled-wasm.js';
import { wasmGemm } from '../../src/backends/wasm/gemm-module.js';
import { loadModel } from '../../src/importers/index.js';
import { makeConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { checkOrdering } from '../../src/isa/ordering.js';
import { tensorSize, type Program } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';
import { prove, simulate, type CompiledProgramFactory, type SimOptions } from '../../sim/index.js';
import { machineRunsBeforeCompiling, MIN_MACHINE_RUNS } from '../../sim/compiled-values.js';
import { inputClasses } from '../helpers/agreement.js';
import { calibrationSamples, compileGraph } from '../helpers/compile.js';
import { rng } from '../helpers/random-graph.js';
import { scheduledRandomProgram } from '../helpers/scheduled-program.js';
import { racyRandomProgram, strippedMlp } from '../helpers/racy-program.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261204);

/** compiledWasm, counting the programs it builds and the runs it serves. */
function counting(): { factory: CompiledProgramFactory; builds: number; runs: number } {
  const c = {
    builds: 0,
    runs: 0,
    factory: (p: Program) => {
      c.builds++;
      const run = compiledWasm(p);
      return (x: Int8Array) => (c.runs++, run(x));
    },
  };
  return c;
}

const randomInput = (p: Program, r: () => number): Int8Array => Int8Array.from({ length: tensorSize(p.input) }, () => Math.floor(r() * 256) - 128);

/**
 * Runs every input through fast mode with the compiled program injected (after the machine's
 * runs on the first input), and requires the outputs, cycles, counters and trace of each to equal
 * the machine path's (plain JS and WebAssembly GEMM) and the reference interpreter's.
 */
function expectCompiledAgrees(p: Program, inputs: readonly Int8Array[]): { builds: number; runs: number } {
  const c = counting();
  const opts: SimOptions = { gemm: wasmGemm, compiled: c.factory };
  expect(machineRunsBeforeCompiling(p)).toBeLessThan(1000);
  for (let k = 0; k < machineRunsBeforeCompiling(p); k++) simulate(p, inputs[0]!, opts);
  expect(c.builds).toBe(0);
  for (const x of inputs) {
    const viaCompiled = simulate(p, x, opts);
    const machine = simulate(p, x);
    expect(Array.from(viaCompiled.output)).toEqual(Array.from(machine.output));
    expect(Array.from(viaCompiled.output)).toEqual(Array.from(interpret(p, x)));
    expect([viaCompiled.cycles, viaCompiled.traceHash, viaCompiled.stats]).toEqual([machine.cycles, machine.traceHash, machine.stats]);
  }
  return c;
}

test('random race-free programs: fast (compiled) = fast (machine) = interpret; outputs, cycles, counters, trace', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 1, max: 8 }), (seed, queueDepth) => {
      const { p, x } = scheduledRandomProgram(seed, queueDepth);
      expect(checkOrdering(p.instructions, p.config)).toBeNull();
      const r = rng(seed + 1);
      const c = expectCompiledAgrees(p, [x, randomInput(p, r), new Int8Array(tensorSize(p.input)).fill(-128), new Int8Array(tensorSize(p.input)).fill(127)]);
      expect([c.builds, c.runs]).toEqual([1, 4]);
    }),
    { numRuns: 60, seed: SEED },
  );
});

const ex = (rel: string): string => new URL(`../../examples/${rel}`, import.meta.url).pathname;
const EXAMPLES = [
  { name: 'digits-mlp', model: ex('digits-mlp/model.json'), cal: ex('digits-mlp/calibration.json'), array: { rows: 8, cols: 8 }, batch: 1 },
  { name: 'digits-mlp batch 8', model: ex('digits-mlp/model.json'), cal: ex('digits-mlp/calibration.json'), array: { rows: 4, cols: 4 }, batch: 8 },
  { name: 'digits-cnn', model: ex('digits-cnn/model.json'), cal: ex('digits-cnn/calibration.json'), array: { rows: 8, cols: 8 }, batch: 1 },
  // GEMMs over taps (plan/ops.ts fuseTaps): the convolutions' windows and the dense layer's K tiles over the flattened map
  { name: 'digits-cnn 4x4', model: ex('digits-cnn/model.json'), cal: ex('digits-cnn/calibration.json'), array: { rows: 4, cols: 4 }, batch: 1 },
  { name: 'digits-onnx', model: ex('digits-onnx/model.onnx'), cal: ex('digits-onnx/calibration.json'), array: { rows: 4, cols: 8 }, batch: 1 },
  { name: 'digits-activations', model: ex('digits-activations/model.json'), cal: ex('digits-activations/calibration.json'), array: { rows: 4, cols: 4 }, batch: 1 },
  { name: 'tiny', model: ex('tiny/tiny.nnchip.json'), cal: null, array: { rows: 2, cols: 3 }, batch: 1 },
];

describe.each(EXAMPLES)('shipped example $name', ({ model, cal, array, batch }) => {
  const samples = cal === null ? null : calibrationSamples(cal);
  const graph = loadModel(model);
  const program = batch === 1 ? compileGraph(graph, samples ?? [new Float32Array(4).fill(0.5), new Float32Array(4).fill(-0.5)], array) : compile(graph, { config: makeConfig(array), calibration: { samples: samples! }, batch }).program;

  test('fast (compiled) = fast (machine) = interpret on every input class', () => {
    const inputs = batch === 1 ? inputClasses(program, samples?.[0]).map(([, x]) => x) : [new Int8Array(tensorSize(program.input)), randomInput(program, rng(batch))];
    const c = expectCompiledAgrees(program, inputs);
    expect(c.runs).toBe(inputs.length);
  });

  test('prove() with the compiled program injected: step = machine on the first input, compiled = interpret on the rest', () => {
    const c = counting();
    // 3 corner inputs, then random ones: the machine's runs and 6 more
    const randomInputs = machineRunsBeforeCompiling(program) - 3 + 6;
    const proof = prove(program, [], { randomInputs, stepCheck: true, simulate: (p, x, o) => simulate(p, x, { ...o, gemm: wasmGemm, compiled: c.factory }) });
    expect(proof.problems).toEqual([]);
    expect(c.runs).toBe(6);
  });
});

describe('programs with a race never take the compiled path', () => {
  test('random programs with no tokens: compiled only when isa/ordering.ts finds no race, and outputs = the machine', () => {
    let racy = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 0, max: 30 }), (seed, dramLatency) => {
        const p = racyRandomProgram(seed, dramLatency);
        const x = randomInput(p, rng(seed));
        const c = counting();
        expect(machineRunsBeforeCompiling(p)).toBeLessThan(1000);
        const machine = Array.from(simulate(p, x, { trace: false }).output);
        for (let k = 0; k <= machineRunsBeforeCompiling(p) + 1; k++) expect(Array.from(simulate(p, x, { trace: false, gemm: wasmGemm, compiled: c.factory }).output)).toEqual(machine);
        const hasRace = checkOrdering(p.instructions, p.config) !== null;
        if (hasRace) racy++;
        expect(c.builds).toBe(hasRace ? 0 : 1);
      }),
      { numRuns: 40, seed: SEED },
    );
    expect(racy).toBeGreaterThan(20);
  });

  test('a compiled MLP with its tokens stripped keeps computing something else than the reference', () => {
    const { p, racy, x } = strippedMlp();
    const c = counting();
    for (let k = 0; k <= machineRunsBeforeCompiling(racy) + 2; k++) expect(Array.from(simulate(racy, x, { compiled: c.factory }).output)).not.toEqual(Array.from(interpret(racy, x)));
    expect(c.builds).toBe(0);
    for (let k = 0; k <= machineRunsBeforeCompiling(p) + 2; k++) expect(Array.from(simulate(p, x, { compiled: c.factory }).output)).toEqual(Array.from(interpret(p, x)));
    expect(c.builds).toBe(1);
  });

  test('step mode never takes it', () => {
    const { p, x } = scheduledRandomProgram(7, 2);
    const c = counting();
    for (let k = 0; k <= machineRunsBeforeCompiling(p) + 2; k++) simulate(p, x, { mode: 'step', compiled: c.factory });
    expect(c.builds).toBe(0);
  });
});

test('a factory that cannot build leaves the values to the machine, and is not asked again', () => {
  const { p, x } = scheduledRandomProgram(11, 3);
  let asked = 0;
  const failing: CompiledProgramFactory = () => {
    asked++;
    throw new RangeError('WebAssembly.Memory(): could not allocate memory');
  };
  for (let k = 0; k <= machineRunsBeforeCompiling(p) + 3; k++) expect(Array.from(simulate(p, x, { compiled: failing }).output)).toEqual(Array.from(interpret(p, x)));
  expect(asked).toBe(1);
});

test('when building pays: never before MIN_MACHINE_RUNS machine runs; sooner for a program heavy in real MACs per instruction; never when its array MACs (padding included) outweigh them', () => {
  const { p } = scheduledRandomProgram(5, 2);
  const light = machineRunsBeforeCompiling(p);
  expect(light).toBeGreaterThanOrEqual(MIN_MACHINE_RUNS);
  expect(p.instructions.some((i) => i.op === 'matmul')).toBe(true);
  expect(machineRunsBeforeCompiling({ ...p, config: { ...p.config, rows: 4096, cols: 4096 } })).toBe(Infinity);
  const heavy = machineRunsBeforeCompiling({ ...p, layers: [{ name: 'big', op: 'dense', shape: '', firstInsn: 0, insnCount: p.instructions.length, macs: 1e9, weightBytes: 0 }] });
  expect(heavy).toBe(MIN_MACHINE_RUNS);
  expect(light).toBeGreaterThan(heavy);
});
