// SPDX-License-Identifier: MIT
/**
 * Computed maps stored packed (passes/pack-taps.ts): the residual CNN of 4 channels on a 16x16,
 * whose stores of 16 lanes overlap the pixels after theirs (test/agreement/packed-tensors.test.ts),
 * run in Icarus: the store unit writes its rows in order, as the ISA says, bit- and cycle-exact.
 */
import { describe, expect, test } from 'vitest';
import { packedRegions, packedResidual } from '../helpers/packed-tensors.js';
import { expectRtlExact, haveTools } from './tools.js';

describe.skipIf(!haveTools('iverilog', 'vvp'))('packed computed maps, in Icarus', () => {
  test('bit- and cycle-exact', () => {
    const p = packedResidual();
    expect(packedRegions(p).length).toBeGreaterThan(0);
    return expectRtlExact(p, 'iverilog', 23, 'packed maps, iverilog');
  }, 300_000);
});
