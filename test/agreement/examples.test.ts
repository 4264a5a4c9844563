/**
 * One table: every shipped example × every input class, on every software back end —
 * reference interpreter = simulator (fast and, on a small array, step) = WASM (SIMD and scalar),
 * bit for bit, with identical cycle counts and memory-address traces across inputs (constant cost).
 * The RTL joins the same table in test/cosim.
 */
import { describe, expect, test } from 'vitest';
import { runWasm } from '../../src/backends/wasm/instance.js';
import { loadModel } from '../../src/importers/index.js';
import { certify } from '../../src/isa/cost.js';
import { interpret } from '../../src/isa/interpret.js';
import { quantizeInput, type Program } from '../../src/isa/program.js';
import { simulate } from '../../sim/index.js';
import { calibrationSamples, compileGraph } from '../helpers/compile.js';
import { rng } from '../helpers/random-graph.js';

const ex = (rel: string): string => new URL(`../../examples/${rel}`, import.meta.url).pathname;
const EXAMPLES = [
  { name: 'digits-mlp', model: ex('digits-mlp/model.json'), cal: ex('digits-mlp/calibration.json'), array: { rows: 8, cols: 8 } },
  { name: 'digits-cnn', model: ex('digits-cnn/model.json'), cal: ex('digits-cnn/calibration.json'), array: { rows: 8, cols: 8 } },
  { name: 'digits-onnx', model: ex('digits-onnx/model.onnx'), cal: ex('digits-onnx/calibration.json'), array: { rows: 4, cols: 8 } },
  { name: 'tiny', model: ex('tiny/tiny.nnchip.json'), cal: null, array: { rows: 2, cols: 3 } },
];

function inputClasses(p: Program, real: Float32Array | undefined): [string, Int8Array][] {
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

describe.each(EXAMPLES)('$name', ({ model, cal, array }) => {
  const samples = cal === null ? null : calibrationSamples(cal);
  const program = compileGraph(loadModel(model), samples ?? [new Float32Array(4).fill(0.5), new Float32Array(4).fill(-0.5)], array);
  const inputs = inputClasses(program, samples?.[0]);

  test('ref = sim = wasm (SIMD, scalar) on every input class; cycles and traces do not depend on data', async () => {
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
  });
});
