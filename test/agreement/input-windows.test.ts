/**
 * Programs whose input is stored as its first convolution's windows (passes/window-input.ts):
 * the first convolution takes ⌈kh·kw·c / R⌉ matmuls per tile and column tile; reference
 * interpreter = simulator (fast and step) = WASM (SIMD and scalar) = the certificate, on the
 * shipped MNIST CNN and on convolutions with stride, dilation and padding, whose outputs also equal
 * the tap-by-tap lowering's; the cost model keeps the plain input where the windows do not pay.
 */
import { describe, expect, test } from 'vitest';
import { buildWasm } from '../../src/backends/wasm/emit.js';
import { webAssembly } from '../../src/backends/wasm/instance.js';
import { loadModel } from '../../src/importers/index.js';
import type { Graph, Pads } from '../../src/ir/graph.js';
import { makeConfig, type ArrayConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput, type Program } from '../../src/isa/program.js';
import type { InputWindowsChoice } from '../../src/passes/lower.js';
import { compile } from '../../src/passes/pipeline.js';
import { certify } from '../../src/isa/cost.js';
import { expectSimExact, expectSoftwareBackendsAgree, inputClasses } from '../helpers/agreement.js';
import { calibrationSamples } from '../helpers/compile.js';
import { builder } from '../helpers/random-cnn.js';
import { randomSamples } from '../helpers/random-graph.js';

const example = (rel: string): string => new URL(`../../examples/${rel}`, import.meta.url).pathname;

const matmulsOf = (p: Program, layer: string): number => {
  const li = p.layers.findIndex((l) => l.name === layer);
  return p.instructions.filter((insn, i) => insn.op === 'matmul' && p.insnLayer[i] === li).length;
};
const thresholdsOf = (p: Program, layer: string): number => {
  const li = p.layers.findIndex((l) => l.name === layer);
  return p.instructions.filter((insn, i) => insn.op === 'threshold' && p.insnLayer[i] === li).length;
};

describe('the MNIST CNN (examples/digits-cnn) on 8x8', () => {
  const graph = loadModel(example('digits-cnn/model.json'));
  const samples = calibrationSamples(example('digits-cnn/calibration.json'));
  const compileOn = (cfg: Partial<ArrayConfig>, inputWindows: InputWindowsChoice = 'auto'): Program => compile(graph, { config: makeConfig({ rows: 8, cols: 8, ...cfg }), calibration: { samples }, inputWindows }).program;
  // the layout itself, wherever it applies (the cost model's choice is tested below)
  const p = compileOn({}, 'always');

  test('stores its input as conv_1\'s 3x3 windows: 2 matmuls (⌈9 / 8⌉) per tile, the windows named in the memory map', () => {
    expect(p.input.windows).toMatchObject({ kernel: [3, 3], strides: [1, 1], rows: 26 * 26, width: 26 });
    // one column tile (8 channels): one threshold per tile
    expect(matmulsOf(p, 'conv_1')).toBe(2 * thresholdsOf(p, 'conv_1'));
    expect(p.memoryMap.some((r) => r.space === 'dram' && /windows \(im2col: 9 codes per output pixel; the input has 784\)/.test(r.name))).toBe(true);
  });

  test('interpret = sim (fast, step) = WASM (SIMD, scalar) = certificate on every input class', async () => {
    const classes = inputClasses(p, Float32Array.from(samples[0]!));
    await expectSoftwareBackendsAgree(p, classes);
    expectSimExact(p, classes[0]![1]);
  });

  test('the WASM module\'s float entry (run_f32: quantize the values as given, then the windows in run()) = quantizeInput → interpret → dequantizeOutput', async () => {
    const { instance } = await webAssembly().instantiate(buildWasm(p, { simd: true }).bytes, {});
    const x = instance.exports as Record<string, unknown>;
    const buffer = (x['memory'] as { buffer: ArrayBuffer }).buffer;
    const g = (name: string): number => (x[name] as { value: number }).value;
    for (const sample of samples.slice(0, 3)) {
      new Float32Array(buffer, g('input_floats'), 784).set(sample);
      (x['run_f32'] as () => void)();
      const want = dequantizeOutput(p, interpret(p, quantizeInput(p, Float32Array.from(sample))));
      expect(Array.from(new Float32Array(buffer, g('output_floats'), want.length))).toEqual(Array.from(Float32Array.from(want)));
    }
  });

  test('at 1 DRAM byte per cycle the windows (9× the input) do not pay: the input stays plain', () => {
    expect(compileOn({ dramBytesPerCycle: 1 }).input.windows).toBeUndefined();
  });

  test.each([{}, { dramBytesPerCycle: 4096, dramLatency: 0 }, { rows: 16, cols: 4 }])('the cost model keeps the faster form (%o)', (cfg) => {
    const [auto, windowed, plain] = (['auto', 'always', 'never'] as const).map((choice) => compileOn(cfg, choice));
    expect(plain!.input.windows).toBeUndefined();
    expect(windowed!.input.windows).toBeDefined();
    const faster = certify(windowed!).cycles < certify(plain!).cycles ? windowed! : plain!;
    expect(auto!.input.windows).toEqual(faster.input.windows);
  });
});

interface ConvCase { h: number; w: number; c: number; k: number; stride: number; dilation: number; pads: Pads; rows: number }

const CASES: ConvCase[] = [
  { h: 13, w: 11, c: 3, k: 5, stride: 2, dilation: 1, pads: [2, 1, 2, 2], rows: 16 },
  { h: 12, w: 12, c: 2, k: 3, stride: 1, dilation: 2, pads: [2, 2, 2, 2], rows: 8 },
  { h: 20, w: 17, c: 3, k: 7, stride: 3, dilation: 1, pads: [3, 3, 3, 3], rows: 32 },
];

function convGraph(cc: ConvCase): Graph {
  const b = builder(cc.k + cc.c);
  const conv = b.add({ name: 'conv', op: 'conv2d', inputs: ['input'], output: 'conv', kernel: b.tensor([cc.k, cc.k, cc.c, 6], 0.6), bias: b.tensor([6], 0.2), strides: [cc.stride, cc.stride], dilations: [cc.dilation, cc.dilation], pads: cc.pads, depthwise: false, activation: 'relu' });
  const next = b.add({ name: 'next', op: 'conv2d', inputs: [conv], output: 'next', kernel: b.tensor([3, 3, 6, 4], 0.6), bias: b.tensor([4], 0.2), strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'linear' });
  return { name: 'windows', inputs: [{ name: 'input', shape: [cc.h, cc.w, cc.c] }], nodes: b.nodes, outputs: [next], notes: [] };
}

describe('windowed convolutions with stride, dilation and padding', () => {
  test.each(CASES)('outputs equal the tap-by-tap lowering; all software back ends agree (%o)', async (cc) => {
    const g = convGraph(cc);
    const calibration = { samples: randomSamples(4, cc.h * cc.w * cc.c, 7, -1, 1) };
    const p = compile(g, { config: makeConfig({ rows: cc.rows, cols: 8, dramBytesPerCycle: 4096, dramLatency: 0 }), calibration, verify: true, inputWindows: 'always' }).program;
    expect(p.input.windows).toMatchObject({ kernel: [cc.k, cc.k], strides: [cc.stride, cc.stride], dilations: [cc.dilation, cc.dilation], pads: [cc.pads[0], cc.pads[1]] });
    expect(matmulsOf(p, 'conv')).toBe(Math.ceil((cc.k * cc.k * cc.c) / cc.rows) * thresholdsOf(p, 'conv'));
    // one row: neither windows nor packing, one matmul per tap
    const ref = compile(g, { config: makeConfig({ rows: 1, cols: 8 }), calibration }).program;
    expect(ref.input.windows).toBeUndefined();
    const inputs = randomSamples(2, cc.h * cc.w * cc.c, 9, -1.5, 1.5);
    for (const x of inputs) expect(Array.from(interpret(p, quantizeInput(p, x)))).toEqual(Array.from(interpret(ref, quantizeInput(ref, x))));
    await expectSoftwareBackendsAgree(p, inputClasses(p, Float32Array.from(inputs[0]!)));
    expectSimExact(p, quantizeInput(p, inputs[1]!));
  });
});
