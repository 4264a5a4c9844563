/**
 * A weight tile's rows past its last non-zero one are zeros, and a wgt slot keeps them once a load
 * wrote them: the slot's next tile loads only the rows either tile may hold a weight in
 * (lower-emit-slots.ts wgtSlotOf). A slot of unknown contents (never loaded) is loaded whole. The
 * program computes what it computes with every load whole, in fewer cycles.
 */
import { describe, expect, test } from 'vitest';
import { makeConfig } from '../../../src/isa/config.js';
import { certify } from '../../../src/isa/cost.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput, type Program } from '../../../src/isa/program.js';
import { LOAD_BUFFERS, type Instruction } from '../../../src/isa/spec.js';
import { compile } from '../../../src/passes/pipeline.js';
import { expectSimExact } from '../../helpers/agreement.js';
import { randomSamples } from '../../helpers/random-graph.js';
import { RESIDUAL_INPUT, residualCnn } from '../../helpers/residual-cnn.js';

const SIZE = RESIDUAL_INPUT.reduce((a, b) => a * b, 1);
const isWgtLoad = (i: Instruction): boolean => i.op === 'load' && i.buf === LOAD_BUFFERS.wgt;

/** The same program with every load of weight tiles writing whole tiles (the rows past a tile's last weight are zeros in DRAM; a global pool's loads of its map's pixels stay). */
function wholeTiles(p: Program): Program {
  const R = p.config.rows;
  return { ...p, instructions: p.instructions.map((i) => (i.op === 'load' && isWgtLoad(i) && i.dram < p.constants.length ? { ...i, rows: Math.ceil(i.rows / R) * R } : i)) };
}

describe('weight loads write the rows a tile may hold a weight in', () => {
  // 6 channels on 8 rows: each channel tile's last rows are zero; with latency, groups of tiles per load
  test.each([0, 20])('residual CNN of 6 channels on 8x8, DRAM latency %i: shorter loads, the same outputs, fewer cycles, exact', (dramLatency) => {
    const p = compile(residualCnn(6), { config: makeConfig({ rows: 8, cols: 8, dramLatency }), calibration: { samples: randomSamples(4, SIZE, 3, -1, 1) }, verify: true }).program;
    const loads = p.instructions.filter((i) => isWgtLoad(i) && i.op === 'load' && i.dram < p.constants.length);
    expect(loads.some((l) => l.op === 'load' && l.rows % 8 !== 0)).toBe(true);
    // every slot's first load writes it whole
    const seen = new Set<number>();
    for (const l of loads) if (l.op === 'load') {
      for (let s = l.sram; s < l.sram + l.rows; s += 8) if (!seen.has(s)) expect(l.sram + l.rows, `slot at ${s} first loaded`).toBeGreaterThanOrEqual(s + 8);
      for (let s = l.sram; s < l.sram + l.rows; s += 8) seen.add(s);
    }
    const whole = wholeTiles(p);
    for (const sample of randomSamples(3, SIZE, 11, -1, 1)) {
      const x = quantizeInput(p, sample);
      expect(Array.from(interpret(p, x))).toEqual(Array.from(interpret(whole, x)));
      expectSimExact(p, x);
    }
    expect(certify(p).cycles).toBeLessThanOrEqual(certify(whole).cycles);
  });
});
