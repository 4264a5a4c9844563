// SPDX-License-Identifier: MIT
/**
 * prove()'s random inputs are the seeded generator's draws in order, input after input, each
 * floor(u·256) − 128: certificates list them by index, so changing how they are drawn changes
 * which inputs a proof tried.
 */
import { expect, test } from 'vitest';
import { proofInputs } from '../../../sim/prove.js';
import { mulberry32 } from '../../../src/util/prng.js';
import type { Program } from '../../../src/isa/program.js';

test('random proof inputs: the seeded draws in order, after the zero, max and min inputs', () => {
  const n = 37;
  const p = { input: { shape: [n] } } as unknown as Program;
  for (const seed of [1, 7, 20261203]) {
    const inputs = proofInputs(p, [Int8Array.of(5)], 5, seed);
    expect(inputs.map((x) => x.kind)).toEqual(['zero', 'max', 'min', 'random', 'random', 'random', 'random', 'random', 'sample']);
    const rand = mulberry32(seed);
    for (const x of inputs.filter((i) => i.kind === 'random')) {
      const drawn = Array.from({ length: n }, () => Math.floor(rand() * 256) - 128);
      expect(Array.from(x.codes)).toEqual(drawn);
    }
    expect(inputs[1]!.codes.every((v) => v === 127) && inputs[2]!.codes.every((v) => v === -128) && inputs[0]!.codes.every((v) => v === 0)).toBe(true);
  }
});
