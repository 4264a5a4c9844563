// SPDX-License-Identifier: MIT
/**
 * The program validator: compiled programs pass it; a loaded Program is frozen and owns its bytes;
 * each rule (extent, halt, token channels, deadlock, races) refuses the program that breaks it.
 */
import { describe, expect, test } from 'vitest';
import { NnchipError } from '../../../src/diagnostics/error.js';
import { loadModel } from '../../../src/importers/index.js';
import { checkOrdering } from '../../../src/isa/ordering.js';
import { serializeProgram, type Program } from '../../../src/isa/program.js';
import { NO_TOKENS, type Instruction } from '../../../src/isa/spec.js';
import { deserializeProgram, validateProgram } from '../../../src/isa/validate.js';
import { calibrationSamples, compileDigitsMlp, compileGraph } from '../../helpers/compile.js';
import { randomCnn } from '../../helpers/random-cnn.js';
import { randomMlp, randomSamples, rng } from '../../helpers/random-graph.js';

const TINY = new URL('../../../examples/tiny/tiny.nnchip.json', import.meta.url).pathname;
const tiny = (): Program => compileGraph(loadModel(TINY), [new Float32Array(4).fill(0.5), new Float32Array(4).fill(-0.5)], { rows: 2, cols: 3 });
const edit = (p: Program, i: number, change: Partial<Record<string, unknown>>): Instruction[] => p.instructions.map((insn, j) => (j === i ? ({ ...insn, ...change } as Instruction) : insn));

describe('validateProgram', () => {
  test.each([
    ['digits MLP 8x8', () => compileDigitsMlp().program],
    ['digits MLP 4x16, batch 2', () => compileDigitsMlp({ rows: 4, cols: 16, actDepth: 8192 }, 2).program],
    ['digits CNN 8x8', () => compileGraph(loadModel(new URL('../../../examples/digits-cnn/model.json', import.meta.url).pathname), calibrationSamples(new URL('../../../examples/digits-cnn/calibration.json', import.meta.url).pathname).slice(0, 8))],
    ['digits CNN 4x4, two acc banks', () => compileGraph(loadModel(new URL('../../../examples/digits-cnn/model.json', import.meta.url).pathname), calibrationSamples(new URL('../../../examples/digits-cnn/calibration.json', import.meta.url).pathname).slice(0, 8), { rows: 4, cols: 4, accBanks: 2 })],
    ['tiny 2x3', tiny],
    ['random CNN 4x4, batch 2 (samples stacked with a border between them)', () => compileGraph(randomCnn(3), randomSamples(2, 9 * 8 * 3, 3), { rows: 4, cols: 4 }, 2)],
  ])('accepts what the compiler produces: %s', (_, make) => {
    const p = make();
    expect(() => validateProgram(p)).not.toThrow();
  });

  test('accepts random networks compiled for random machines (no false alarm on what the compiler emits)', () => {
    let checked = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const r = rng(seed);
      const side = (): number => 1 + Math.floor(r() * 9);
      const config = { rows: side(), cols: side(), queueDepth: 1 + Math.floor(r() * 4), dramLatency: Math.floor(r() * 5), accBanks: seed % 4 < 2 ? 1 : 2 };
      const graph = seed % 2 === 0 ? randomCnn(seed, 9, 8, 1 + (seed % 3)) : randomMlp([1 + Math.floor(r() * 20), 1 + Math.floor(r() * 20), 1 + Math.floor(r() * 9)], seed, ['relu', 'linear']);
      let program: Program;
      try {
        program = compileGraph(graph, randomSamples(4, graph.inputs[0]!.shape.reduce((a, b) => a * b, 1), seed, -1, 1), config);
      } catch (e) {
        if (e instanceof NnchipError && e.code === 'NN403') continue; // does not fit: the compiler's answer
        throw e;
      }
      expect(() => validateProgram(program), `seed ${seed}, ${JSON.stringify(config)}`).not.toThrow();
      checked++;
    }
    expect(checked).toBeGreaterThan(16);
  });

  test('a loaded Program is frozen to its leaves and owns its constants, also when read from a Buffer', () => {
    const bytes = serializeProgram(tiny());
    const file = Buffer.from(bytes);
    const p = deserializeProgram(file, 'tiny.nnp');
    for (const part of [p, p.config, p.instructions, p.instructions[0], p.input, p.input.shape, p.layers, p.layers[0], p.memoryMap, p.notes]) expect(Object.isFrozen(part)).toBe(true);
    expect(Object.getPrototypeOf(p.constants)).toBe(Uint8Array.prototype);
    expect(p.constants.buffer).not.toBe(file.buffer);
    file.fill(0);
    expect(Buffer.from(serializeProgram(p)).equals(Buffer.from(bytes))).toBe(true);
  });

  test('with two acc banks, a requantize-mode threshold that reads across the halves is refused; one that stays in its half, or a table-mode one, is not', () => {
    const p = compileGraph(loadModel(new URL('../../../examples/digits-cnn/model.json', import.meta.url).pathname), calibrationSamples(new URL('../../../examples/digits-cnn/calibration.json', import.meta.url).pathname).slice(0, 8), { rows: 4, cols: 4, accBanks: 2 });
    const split = p.config.accDepth / 2;
    const i = p.instructions.findIndex((insn) => insn.op === 'threshold' && insn.acc === 0 && insn.poolH === 0 && insn.steps === 0 && insn.rows > 1);
    expect(i).toBeGreaterThanOrEqual(0);
    const rows = (p.instructions[i] as Extract<Instruction, { op: 'threshold' }>).rows;
    const at = (acc: number, more: Partial<Record<string, unknown>> = {}): Program => ({ ...p, instructions: edit(p, i, { acc, ...more }) });
    expect(() => validateProgram(at(split - rows + 1))).toThrow(/reads acc\[\d+, \d+\) across the acc banks' boundary at 512 \(accBanks 2\)/);
    expect(() => validateProgram(at(split - rows))).not.toThrow(/boundary/);
    expect(() => validateProgram(at(split - rows + 1, { steps: 1, table: 0 }))).not.toThrow(/boundary/);
    expect(() => validateProgram({ ...at(split - rows + 1), config: { ...p.config, accBanks: 1 } })).not.toThrow(/boundary/);
  });

  test('DRAM larger than anything the program touches is refused', () => {
    const p = tiny();
    expect(() => validateProgram({ ...p, dramSize: p.dramSize + 1 })).toThrow(/exceeds the \d+ bytes the program uses/);
  });

  test('a memory-map region grows DRAM only by the unused lanes of a last pixel (under max(R, C) bytes), not by bytes nothing touches', () => {
    // 16x4: the output's pixels are 16 bytes apart and its store writes 4 of them, so its region ends past the bytes written
    const p = compileGraph(loadModel(TINY), [new Float32Array(4).fill(0.5), new Float32Array(4).fill(-0.5)], { rows: 16, cols: 4 });
    const last = Math.max(...p.memoryMap.filter((r) => r.space === 'dram').map((r) => r.start + r.size));
    expect(last).toBe(p.dramSize);
    expect(() => validateProgram(p)).not.toThrow();
    const unused = (size: number): Program => ({ ...p, dramSize: size, memoryMap: [...p.memoryMap, { space: 'dram', name: 'unused', start: 0, size }] });
    expect(() => validateProgram(unused(2 ** 30))).toThrow(/dramSize 1073741824 exceeds the \d+ bytes the program uses \(memory-map region "unused" reaches byte 1073741824, but no instruction or tensor touches/);
    expect(() => validateProgram(unused(p.dramSize + 16))).toThrow(/exceeds/);
  });

  test('a batched input whose samples are not whole, half described, or past the end is refused', () => {
    const p = compileGraph(randomCnn(3), randomSamples(2, 9 * 8 * 3, 3), { rows: 4, cols: 4 }, 2);
    const x = p.input;
    expect(x.sampleRows).toBe(9 * 8);
    const { sampleStride: _, ...half } = x;
    expect(() => validateProgram({ ...p, input: half })).toThrow(/one of sampleRows and sampleStride without the other/);
    expect(() => validateProgram({ ...p, input: { ...x, sampleRows: 9 * 8 + 1 } })).toThrow(/not whole samples/);
    expect(() => validateProgram({ ...p, input: { ...x, sampleStride: p.dramSize } })).toThrow(/beyond dramSize/);
  });

  test('an output tensor whose rows do not hold its shape is refused', () => {
    const p = tiny();
    expect(() => validateProgram({ ...p, outputs: [{ ...p.outputs[0]!, shape: [p.outputs[0]!.rows * p.outputs[0]!.rowBytes + 1] }] })).toThrow(/do not hold its shape/);
  });
});

describe('checkOrdering', () => {
  test('the compiled program is ordered', () => {
    const p = tiny();
    expect(checkOrdering(p.instructions, p.config)).toBeNull();
  });

  test('a halt before the end', () => {
    const p = tiny();
    expect(checkOrdering(p.instructions.map((insn, i) => (i === 3 ? { op: 'halt', ...NO_TOKENS } : insn)), p.config)).toMatch(/halt before the end/);
  });

  test('a token flag for a channel the unit does not have (halt: fetch has no neighbours); a load popping the store unit with no store push deadlocks', () => {
    const p = tiny();
    const halt = p.instructions.findIndex((i) => i.op === 'halt');
    expect(checkOrdering(edit(p, halt, { popPrev: true }), p.config)).toMatch(/sets popPrev, but its unit has no previous unit/);
    // the units form a ring (load → compute → store → load): a load's previous unit is the store unit
    const load = p.instructions.findIndex((i) => i.op === 'load');
    expect(checkOrdering(edit(p, load, { popPrev: true }), p.config)).toMatch(/pops storeToLoad before any matching push: the program would deadlock/);
  });

  test('a pop with no earlier push deadlocks', () => {
    const p = tiny();
    const first = p.instructions.findIndex((i) => i.op === 'matmul');
    const insns = p.instructions.map((insn, j) => (j < first && insn.op === 'load' ? { ...insn, pushNext: false } : insn));
    expect(checkOrdering(insns, p.config)).toMatch(/pops loadToCompute before any matching push: the program would deadlock/);
  });

  test('a program with almost no tokens is refused once the unordered pairs exceed the budget', () => {
    const p = tiny();
    // loads into distinct act entries and syncs: nothing conflicts, but nothing is ordered either
    const insns: Instruction[] = [];
    for (let i = 0; i < 5000; i++) insns.push({ op: 'load', ...NO_TOKENS, buf: 0, sram: i, rows: 1, dram: 2 * i, stride: 0 }, { op: 'sync', ...NO_TOKENS });
    insns.push({ op: 'halt', ...NO_TOKENS });
    expect(checkOrdering(insns, p.config)).toMatch(/^more than 20000000 instruction pairs run unordered/);
    expect(checkOrdering(insns.slice(-2001), p.config)).toBeNull();
  });

  test('every dropped pop of the compiled program that was needed leaves a race', () => {
    const p = tiny();
    let races = 0;
    for (const [i, insn] of p.instructions.entries()) {
      for (const flag of ['popPrev', 'popNext'] as const) {
        if (!insn[flag]) continue;
        const problem = checkOrdering(edit(p, i, { [flag]: false }), p.config);
        // dropping a pop shifts the pairing of later pops: a race or a deadlock, never silence
        expect(problem, `instruction ${i} without ${flag}`).not.toBeNull();
        if (problem !== null && /no token ordering them/.test(problem)) races++;
      }
    }
    expect(races).toBeGreaterThan(0);
  });
});
