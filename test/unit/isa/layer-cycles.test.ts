// SPDX-License-Identifier: MIT
/**
 * A layer's cycles in the certificate: from its first instruction's start to its last one's end,
 * but constants (weights, bias, requant parameters) it loads while the previous layer still runs
 * count from that layer's end: the lowering loads them ahead, and they wait for it.
 */
import { describe, expect, test } from 'vitest';
import { certify, layerOfInstruction } from '../../../src/isa/cost.js';
import { loadBufferOf } from '../../../src/isa/spec.js';
import { scheduleTimes } from '../../../src/isa/timing.js';
import { compileDigitsMlp } from '../../helpers/compile.js';

describe('layer cycles', () => {
  // ideal DRAM and a batch: the second layer's bias loads while the first one still streams
  const { program } = compileDigitsMlp({ rows: 8, cols: 8, dramBytesPerCycle: 4096, dramLatency: 0, actDepth: 16384, wgtDepth: 4096 }, 64);
  const { timings } = scheduleTimes(program.instructions, program.config);
  const cert = certify(program);

  test('each layer counts from its first instruction, its constants from the previous layer\'s end', () => {
    let previousEnd = -Infinity;
    program.layers.forEach((layer, l) => {
      let [first, firstAny, last] = [Infinity, Infinity, -Infinity];
      program.instructions.forEach((insn, i) => {
        if (layerOfInstruction(program, i) !== l) return;
        const { start, end } = timings[i]!;
        firstAny = Math.min(firstAny, start);
        if (!(insn.op === 'load' && loadBufferOf(insn.buf) !== 'act')) first = Math.min(first, start);
        last = Math.max(last, end);
      });
      expect(cert.layers[l]!.cycles, layer.name).toBe(last - Math.min(first, Math.max(firstAny, previousEnd)));
      // the case this rule is for: the second layer's constants load well before the first one ends
      if (l === 1) expect(previousEnd - firstAny).toBeGreaterThan(100);
      previousEnd = last;
    });
  });
});
