/**
 * Step mode: the PE registers hold what docs/hardware.md says at each cycle (read back from the
 * VCD), and step mode = fast mode (outputs, cycles, trace hash, every counter) on small programs.
 */
import { describe, expect, test } from 'vitest';
import { NnchipError } from '../../../src/diagnostics/error.js';
import { makeConfig } from '../../../src/isa/config.js';
import { createState, execute, interpret } from '../../../src/isa/interpret.js';
import { initialDram, type Program } from '../../../src/isa/program.js';
import { NO_TOKENS } from '../../../src/isa/spec.js';
import { scheduleTimes } from '../../../src/isa/timing.js';
import { compile } from '../../../src/passes/pipeline.js';
import { hoistLoads, insertTokens } from '../../../src/passes/schedule.js';
import { simulate, type SimResult } from '../../../sim/index.js';
import { randomMlp, randomSamples, rng } from '../../helpers/random-graph.js';
import { randomProgram } from '../backends/wasm/random-program.js';
import { oneTile } from './one-tile.js';
import { expectSameRun } from './same-run.js';
import { readVcd } from './vcd-reader.js';

function vcdOf(p: Program, x: Int8Array, maxCycles?: number): { text: string; result: SimResult } {
  const chunks: string[] = [];
  const result = simulate(p, x, { mode: 'step', vcd: { write: (s) => void chunks.push(s), ...(maxCycles === undefined ? {} : { maxCycles }) } });
  return { text: chunks.join(''), result };
}

/** Random codes for a program's input. */
function codes(p: Program, seed: number): Int8Array {
  const r = rng(seed);
  return Int8Array.from({ length: p.input.rows * p.input.rowBytes }, () => Math.floor(r() * 256) - 128);
}


describe('the PE array, register by register (read back from the VCD)', () => {
  const layer = { R: 3, C: 4, M: 5, L: 2, B: 4 };
  const p = oneTile(layer, 7, 0);
  const x = codes(p, 3);
  const { text } = vcdOf(p, x);
  const vcd = readVcd(text);
  const P = 1e6 / p.config.clockMhz; // ps per cycle
  const s = scheduleTimes(p.instructions, p.config).timings[4]!.start; // the matmul
  const wAt = 8 * layer.C;
  const at = (cycle: number): number => (cycle + 1) * P; // registers after the edge ending `cycle`

  test('declares clk, the controller and pe_<r>_<c>_w/ws/a/psum for every PE', () => {
    expect(vcd.timescale).toBe('1ps');
    for (const name of ['nnchip.clk', 'nnchip.pc', 'nnchip.load_state', 'nnchip.compute_state', 'nnchip.store_state', 'nnchip.tok_l2c']) expect(vcd.widths.has(name), name).toBe(true);
    for (let r = 0; r < layer.R; r++) for (let c = 0; c < layer.C; c++) for (const reg of ['w', 'ws', 'a', 'psum']) expect(vcd.widths.has(`nnchip.array.pe_${r}_${c}_${reg}`)).toBe(true);
  });

  test('the preload writes PE(r, c)\'s shadow on cycle 1 + r + c; the swap bit, one cycle ahead of act row 0, makes it active on cycle R + r + c', () => {
    for (let r = 0; r < layer.R; r++) {
      for (let c = 0; c < layer.C; c++) {
        const w = (p.constants[wAt + r * layer.C + c]! << 24) >> 24;
        expect(vcd.signedAt(`nnchip.array.pe_${r}_${c}_ws`, at(s + 1 + r + c))).toBe(w);
        expect(vcd.signedAt(`nnchip.array.pe_${r}_${c}_ws`, at(s + r + c))).toBe(0); // the first tile: the shadow was empty
        expect(vcd.signedAt(`nnchip.array.pe_${r}_${c}_w`, at(s + layer.R + r + c))).toBe(w);
        expect(vcd.signedAt(`nnchip.array.pe_${r}_${c}_w`, at(s + layer.R + r + c - 1))).toBe(0);
      }
    }
  });

  test('PE(r, c) works on row m at cycle R + 1 + m + r + c: activation passes right, the bottom psum is the column sum', () => {
    const ref = createState(p.config, initialDram(p, x));
    for (const insn of p.instructions.slice(0, 5)) execute(ref, insn, p.config); // through the matmul (accumulate = 0)
    for (let m = 0; m < layer.M; m++) {
      for (let c = 0; c < layer.C; c++) {
        for (let r = 0; r < layer.R; r++) expect(vcd.signedAt(`nnchip.array.pe_${r}_${c}_a`, at(s + layer.R + 1 + m + r + c))).toBe(x[m * layer.R + r]);
        const bottom = at(s + layer.R + 1 + m + layer.R - 1 + c);
        expect(vcd.signedAt(`nnchip.array.pe_${layer.R - 1}_${c}_psum`, bottom)).toBe(ref.acc[m * layer.C + c]);
      }
    }
  });

  test('the clock toggles every half period and the dump ends after the last cycle', () => {
    expect(vcd.valueAt('nnchip.clk', 3 * P + P / 2)).toBe(0);
    expect(vcd.valueAt('nnchip.clk', 4 * P)).toBe(1);
    expect(vcd.lastTime).toBe(simulate(p, x).cycles * P);
  });

  test('--vcd-cycles cuts the dump', () => {
    const cut = readVcd(vcdOf(p, x, 10).text);
    expect(cut.lastTime).toBe(10 * P);
  });
});

describe('step mode = fast mode', () => {
  const graph = randomMlp([7, 6, 3], 11);
  const cal = { samples: randomSamples(8, 7, 12) };
  const shapes = [[1, 1], [3, 5], [4, 8], [8, 3], [32, 32]] as const;
  test.each(shapes)('compiled MLP on a %ix%i array', (rows, cols) => {
    const p = compile(graph, { config: makeConfig({ rows, cols, dramLatency: 3, dramBytesPerCycle: 2, queueDepth: 2 }), calibration: cal }).program;
    const x = codes(p, rows * 100 + cols);
    const fast = simulate(p, x);
    expectSameRun(simulate(p, x, { mode: 'step' }), fast);
    expect(Array.from(fast.output)).toEqual(Array.from(interpret(p, x)));
  });

  test.each(Array.from({ length: 12 }, (_, i) => i + 1))('random program %i with compiler tokens (strided, replicating, two-level act, stores over constants)', (seed) => {
    const raw = randomProgram(seed, undefined, { tables: true });
    const list = raw.instructions.filter((i) => i.op !== 'halt').map((insn) => ({ insn: { ...insn, ...NO_TOKENS }, layer: 0 }));
    const all = [{ space: 'dram' as const, name: 'all', start: 0, size: raw.dramSize }];
    const tagged = insertTokens(hoistLoads(list, raw.config), raw.config, all);
    const p: Program = { ...raw, instructions: tagged.map((t) => t.insn), insnLayer: tagged.map(() => 0) };
    const x = codes(p, seed);
    const fast = simulate(p, x);
    expect(Array.from(fast.output)).toEqual(Array.from(interpret(p, x)));
    expectSameRun(simulate(p, x, { mode: 'step' }), fast);
  });
});

describe('options and errors', () => {
  const p = oneTile({ R: 2, C: 2, M: 1, L: 1, B: 1 }, 1);
  test('trace: false skips the hash; progress is reported in step mode', () => {
    expect(simulate(p, new Int8Array(2), { trace: false }).traceHash).toBeNull();
    const seen: number[] = [];
    simulate(p, new Int8Array(2), { mode: 'step', onProgress: (done) => void seen.push(done) });
    expect(seen[0]).toBe(0);
  });

  test('a VCD needs step mode; the input must have the program input size', () => {
    expect(() => simulate(p, new Int8Array(2), { vcd: { write: () => undefined } })).toThrow(/step/);
    expect(() => simulate(p, new Int8Array(3))).toThrow(NnchipError);
    expect(() => simulate(p, new Int8Array(3))).toThrow(/3 codes/);
  });

  test('a program that pops a token nobody pushes is rejected, not run', () => {
    const broken: Program = { ...p, instructions: p.instructions.map((i) => (i.op === 'load' ? { ...i, pushNext: false } : i)) };
    expect(() => simulate(broken, new Int8Array(2))).toThrow(/deadlock/);
  });
});
