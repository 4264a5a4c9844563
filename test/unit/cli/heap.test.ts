// SPDX-License-Identifier: MIT
/**
 * The CLI refuses a program that would not fit node's heap in a back end (NN406, cli/heap.ts), before
 * building anything: an 8.4M-instruction program ran over 300 s in sim at the heap's edge, a larger
 * one ended in V8's heap abort; wasm and verilog take more per instruction than sim.
 */
import { fmtInt } from '../../../src/diagnostics/error.js';
import { getHeapStatistics } from 'node:v8';
import { describe, expect, test } from 'vitest';
import { checkHeap, HEAP_BYTES_PER_INSTRUCTION } from '../../../src/cli/heap.js';
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
    expect(e.detail).toBe(`simulating its ${fmtInt(n)} instructions takes about ${fmtInt(Math.ceil(need / 2 ** 20))} MB, over 90% of node's heap (${fmtInt(Math.ceil((need / 0.9 - 1) / 2 ** 20))} MB)`);
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

  test.each(['read', 'sim', 'wasm', 'verilog'] as const)('%s: refused at 90%% of the heap, its own bytes per instruction', (what) => {
    const need = n * HEAP_BYTES_PER_INSTRUCTION[what];
    expect(failure(() => checkHeap(program, what, need / 0.9 - 1)).code).toBe('NN406');
    expect(() => checkHeap(program, what, need / 0.9)).not.toThrow();
  });

  test('a .nnp is checked before its instructions are decoded (the count is its code section over 16 bytes)', () => {
    expect(() => checkHeap(2 ** 24, 'read', 2 ** 24 * HEAP_BYTES_PER_INSTRUCTION.read)).toThrow(/reading its 16,777,216 instructions takes about/);
  });
});
