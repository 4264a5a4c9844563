/**
 * One differential fuzz case on a random machine (test/fuzz/onnx-new-ops, tfjs-new-layers): compile the
 * model for its array, then hold int8 reference = simulator = WASM (SIMD, scalar) and measure how far the
 * dequantized outputs lie from the independent float runtime's.
 */
import { expect } from 'vitest';
import { runWasm } from '../../src/backends/wasm/instance.js';
import { NnchipError } from '../../src/diagnostics/error.js';
import { loadModel } from '../../src/importers/index.js';
import type { Graph } from '../../src/ir/graph.js';
import { makeConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { dequantizeOutput, quantizeInput, type Program } from '../../src/isa/program.js';
import { compile } from '../../src/passes/pipeline.js';
import { simulate } from '../../sim/index.js';

/** Cases checked, machine refusals by code, and cases by body. */
export interface FuzzTally {
  checked: number;
  readonly refused: Map<string, number>;
  readonly bodies: Map<string, number>;
}

export const newTally = (): FuzzTally => ({ checked: 0, refused: new Map(), bodies: new Map() });

export const tallyLine = (name: string, t: FuzzTally): string =>
  `${name}: ${t.checked} models checked (${[...t.bodies].map(([b, n]) => `${b} ${n}`).join(', ')}); refused ${[...t.refused].map(([c, n]) => `${c}×${n}`).join(' ') || 'none'}`;

/** The machine of a case: its array and whether its act/out buffers are small (lines read in chunks). */
export interface CaseMachine {
  readonly rows: number;
  readonly cols: number;
  readonly small: boolean;
}

/**
 * The model at `path` compiled for the case's machine; null when the machine is too small for a layer
 * (an NN4xx refusal is honest: tallied by code), or when `allowed` matches the one-line refusal ("NNxxx message",
 * tallied by the message's head). Any other refusal of these models fails the case.
 */
export function compileCase(path: string, o: CaseMachine, samples: readonly ArrayLike<number>[], tally: FuzzTally, allowed?: readonly RegExp[]): { graph: Graph; p: Program } | null {
  try {
    const graph = loadModel(path);
    const config = makeConfig({ rows: o.rows, cols: o.cols, ...(o.small ? { actDepth: 64, outDepth: 16 } : {}) });
    return { graph, p: compile(graph, { config, calibration: { samples } }).program };
  } catch (e) {
    if (!(e instanceof NnchipError)) throw e;
    const line = `${e.code} ${e.message}`;
    if (allowed === undefined) {
      if (!/^NN4/.test(e.code)) throw new Error(`${line} on ${JSON.stringify(o)}`);
      tally.refused.set(e.code, (tally.refused.get(e.code) ?? 0) + 1);
      return null;
    }
    expect(line.split('\n'), 'one line').toHaveLength(1);
    if (!allowed.some((r) => r.test(line))) throw new Error(`${line} on ${JSON.stringify(o)}`);
    const key = `${e.code} ${e.message.replace(/\(.*$/, '').replace(/\d+(\.\d+)?/g, '#').trim()}`;
    tally.refused.set(key, (tally.refused.get(key) ?? 0) + 1);
    return null;
  }
}

/** The program's output in the model's own order (a channel-major map, held [H, W, C], read back channel-major). */
export function modelOrder(p: Program, hwc: ArrayLike<number>): Float64Array {
  const shape = p.outputs[0]!.shape;
  if (p.outputs[0]!.layout !== 'chw' || shape.length !== 3) return Float64Array.from(hwc);
  const [h, w, c] = shape as [number, number, number];
  return Float64Array.from({ length: h * w * c }, (_, j) => hwc[(j % (h * w)) * c + Math.floor(j / (h * w))]!);
}

/**
 * Int8 on every back end: the simulator and WASM (SIMD and scalar) equal the reference interpreter on
 * each sample; returns the worst distance of its dequantized outputs from `want` and want's spread.
 */
export async function int8Agreement(p: Program, samples: readonly ArrayLike<number>[], want: readonly ArrayLike<number>[], what: string): Promise<{ worst: number; spread: number }> {
  const codes = samples.map((s) => quantizeInput(p, s));
  const [simd, scalar] = await Promise.all([runWasm(p, codes, { simd: true }), runWasm(p, codes, { simd: false })]);
  const all = want.flatMap((v) => Array.from(v));
  const spread = Math.max(...all) - Math.min(...all);
  let worst = 0;
  codes.forEach((x, i) => {
    const ref = interpret(p, x);
    expect(Array.from(simulate(p, x, { trace: false }).output), `sim ${what}`).toEqual(Array.from(ref));
    expect(Array.from(simd[i]!), 'wasm simd').toEqual(Array.from(ref));
    expect(Array.from(scalar[i]!), 'wasm scalar').toEqual(Array.from(ref));
    const got = modelOrder(p, dequantizeOutput(p, ref));
    for (let j = 0; j < got.length; j++) worst = Math.max(worst, Math.abs(got[j]! - want[i]![j]!));
  });
  return { worst, spread };
}
