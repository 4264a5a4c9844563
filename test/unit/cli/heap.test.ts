// SPDX-License-Identifier: MIT
/**
 * The CLI refuses a program that would not fit node's heap in a back end (NN406, cli/heap.ts), before
 * building anything: an 8.4M-instruction program ran over 300 s in sim at the heap's edge, a larger
 * one ended in V8's heap abort; wasm and verilog take more per instruction than sim.
 */
import { getHeapStatistics } from 'node:v8';
import { describe, expect, test } from 'vitest';
import { fmtInt } from '../../../src/diagnostics/error.js';
import { checkHeap, HEAP_BASE_BYTES, HEAP_BYTES_PER_INSTRUCTION, oldSpaceBytes } from '../../../src/cli/heap.js';
import { checkSimHeap, SIM_BYTES_PER_INSTRUCTION, simulateWasm } from '../../../src/cli/simulate-wasm.js';
import { tensorSize, type Program } from '../../../src/isa/program.js';
import { compileDigitsMlp } from '../../helpers/compile.js';
import { failure } from '../../helpers/errors.js';

describe('a simulation larger than the heap is refused before it starts', () => {
  const { program } = compileDigitsMlp();
  const n = program.instructions.length;

  test('the bound: 90% of the heap, HEAP_BASE_BYTES + SIM_BYTES_PER_INSTRUCTION per instruction', () => {
    const need = HEAP_BASE_BYTES + n * SIM_BYTES_PER_INSTRUCTION;
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
    const need = HEAP_BASE_BYTES + n * HEAP_BYTES_PER_INSTRUCTION[what];
    expect(failure(() => checkHeap(program, what, need / 0.9 - 1)).code).toBe('NN406');
    expect(() => checkHeap(program, what, need / 0.9)).not.toThrow();
  });

  test('a .nnp is checked before its instructions are decoded (the count is its code section over 16 bytes)', () => {
    expect(() => checkHeap(2 ** 24, 'read', HEAP_BASE_BYTES + 2 ** 24 * HEAP_BYTES_PER_INSTRUCTION.read)).toThrow(/reading its 16,777,216 instructions takes about/);
  });
});

describe('at tiny heaps (node --max-old-space-size=40) a ~100k-instruction program is refused, not ended by V8', () => {
  const MIB = 2 ** 20;
  test("the heap is V8's old space: heap_size_limit adds three 16 MB semi-spaces (88 MB reported for 40)", () => {
    expect(oldSpaceBytes(88 * MIB, ['--max-old-space-size=40'])).toBe(40 * MIB);
    expect(oldSpaceBytes(88 * MIB, ['--max_old_space_size', '40'])).toBe(40 * MIB);
    expect(oldSpaceBytes(4144 * MIB, [])).toBe(4096 * MIB);
    expect(oldSpaceBytes(4096 * MIB + 3 * MIB, ['--max-semi-space-size=1'])).toBe(4096 * MIB);
  });

  // measured on a 99,628-instruction program (a 224×224 dense layer on 1x1): the least old space that
  // works is disasm 37 MB, sim 55, wasm 61, verilog 90; at 40 MB sim/verilog hit V8's abort (the check passed)
  test.each([
    ['read', 37],
    ['sim', 55],
    ['wasm', 61],
    ['verilog', 90],
  ] as const)('%s of 99,628 instructions: refused below the %i MB it was measured to need', (what, mb) => {
    const at = (old: number): number => oldSpaceBytes((old + 48) * MIB, [`--max-old-space-size=${old}`]);
    expect(failure(() => checkHeap(99_628, what, at(mb - 1))).code).toBe('NN406');
    expect(failure(() => checkHeap(99_628, what, at(40))).code).toBe('NN406');
  });
});
