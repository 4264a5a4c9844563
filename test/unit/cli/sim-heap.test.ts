// SPDX-License-Identifier: MIT
/**
 * The CLI's simulators refuse a program whose simulation would not fit node's heap (NN406), before
 * planning it: an 8.4M-instruction program ran over 300 s at the heap's edge, a larger one ended in
 * V8's heap abort. The bound is SIM_BYTES_PER_INSTRUCTION per instruction against V8's heap limit.
 */
import { getHeapStatistics } from 'node:v8';
import { describe, expect, test } from 'vitest';
import { checkSimHeap, SIM_BYTES_PER_INSTRUCTION, simulateWasm } from '../../../src/cli/simulate-wasm.js';
import { tensorSize, type Program } from '../../../src/isa/program.js';
import { compileDigitsMlp } from '../../helpers/compile.js';
import { failure } from '../../helpers/errors.js';

describe('a simulation larger than the heap is refused before it starts', () => {
  const { program } = compileDigitsMlp();
  const n = program.instructions.length;

  test('the bound: 90% of the heap, SIM_BYTES_PER_INSTRUCTION per instruction', () => {
    const need = n * SIM_BYTES_PER_INSTRUCTION;
    // a copy of the program object: the check remembers programs that passed
    const e = failure(() => checkSimHeap({ ...program }, need / 0.9 - 1));
    expect(e.code).toBe('NN406');
    expect(e.detail).toBe(`simulating its ${n} instructions takes about ${Math.ceil(need / 2 ** 20)} MB, more than node's heap of ${Math.ceil((need / 0.9 - 1) / 2 ** 20)} MB holds`);
    expect(e.hint).toContain('NODE_OPTIONS=--max-old-space-size=');
    expect(() => checkSimHeap({ ...program }, need / 0.9)).not.toThrow();
  });

  test('a program as long as a .nnp may be (2^24 instructions) is refused on this heap, in no time', () => {
    const long = { ...program, instructions: { length: 2 ** 24 } } as unknown as Program;
    expect(2 ** 24 * SIM_BYTES_PER_INSTRUCTION).toBeGreaterThan(0.9 * getHeapStatistics().heap_size_limit); // the premise, on this machine
    expect(failure(() => simulateWasm(long, new Int8Array(tensorSize(program.input)))).code).toBe('NN406');
    // the real program still simulates
    expect(simulateWasm(program, new Int8Array(tensorSize(program.input))).cycles).toBeGreaterThan(0);
  });
});
