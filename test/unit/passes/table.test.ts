/**
 * Step tables (threshold table mode) are exact: for every accumulator value in the reachable range
 * (exhaustively, not sampled) the table gives quantize(f(dequantize(acc))), for every table
 * function at several accumulator scales and output quantizations.
 */
import { describe, expect, test } from 'vitest';
import { applyTable, TABLE_FUNCTIONS, tableName, type TableActivation } from '../../../src/ir/activations.js';
import type { ExprStep } from '../../../src/ir/expression.js';
import { quantizeToInt8, tableStep } from '../../../src/isa/numerics.js';
import { channelTable, channelTables, MAX_STEPS, reachable } from '../../../src/passes/table.js';
import { failure } from '../../helpers/errors.js';
import type { QuantParams } from '../../../src/passes/quantize.js';

const PARAMS: Partial<Record<(typeof TABLE_FUNCTIONS)[number], Partial<TableActivation>[]>> = {
  leakyrelu: [{ alpha: 0.01 }, { alpha: 0.3 }, { alpha: -0.5 }],
  prelu: [{ slopes: [0.25, -0.1, 2] }],
  elu: [{}, { alpha: 0.5 }],
  hardsigmoid: [{}, { alpha: 1 / 6, beta: 0.5 }],
  thresholdedrelu: [{ alpha: 1 }, { alpha: -0.5 }],
  rsqrt: [{ alpha: 1e-5 }, { alpha: 0.5 }],
};

/** Output quantization as calibration would choose it: the function's range over the inputs, 255 steps. */
function outParams(act: TableActivation, xlo: number, xhi: number, c: number): QuantParams {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i <= 1000; i++) {
    const y = applyTable(act, xlo + ((xhi - xlo) * i) / 1000, c);
    lo = Math.min(lo, y);
    hi = Math.max(hi, y);
  }
  const scale = (hi - lo) / 255 || 1;
  return { scale, zp: Math.round(-128 - lo / scale) };
}

/** The ISA's table-mode walk over one channel's table (isa/numerics.ts tableStep). */
function lookup(thresholds: readonly number[], codes: readonly number[]): (a: number) => number {
  const lanes = new Int32Array(2 * thresholds.length);
  thresholds.forEach((t, i) => ((lanes[2 * i] = t), (lanes[2 * i + 1] = codes[i]!)));
  return (a) => tableStep(a, lanes, 0, 1, thresholds.length);
}

describe('step tables are exact over the whole reachable accumulator range', () => {
  // and `expr` functions (ir/expression.ts), whose turning points are found numerically: Swish with β 1.5, exp(−x²), |x − 0.25|,
  // x·relu6(x + 3)/6 − 0.2·x, 1/(1 + |x|), a narrow dip: x + 3·exp(−(x/0.05)²)
  const E = (steps: ExprStep[]): TableActivation => ({ fn: 'expr', expr: steps });
  const x = { op: 'x' } as const;
  const k = (value: number): ExprStep => ({ op: 'const', value });
  const EXPRS = [
    E([x, k(1.5), { op: 'mul', args: [0, 1] }, { op: 'sigmoid', args: [2] }, { op: 'mul', args: [0, 3] }]),
    E([x, { op: 'mul', args: [0, 0] }, { op: 'neg', args: [1] }, { op: 'exp', args: [2] }]),
    E([x, k(0.25), { op: 'sub', args: [0, 1] }, { op: 'abs', args: [2] }]),
    E([x, k(3), { op: 'add', args: [0, 1] }, { op: 'clip', args: [2], p: [0, 6] }, { op: 'mul', args: [0, 3] }, k(6), { op: 'div', args: [4, 5] }, k(0.2), { op: 'mul', args: [0, 7] }, { op: 'sub', args: [6, 8] }]),
    E([x, { op: 'abs', args: [0] }, k(1), { op: 'add', args: [1, 2] }, { op: 'div', args: [2, 3] }]),
    E([x, k(0.05), { op: 'div', args: [0, 1] }, { op: 'mul', args: [2, 2] }, { op: 'neg', args: [3] }, { op: 'exp', args: [4] }, k(3), { op: 'mul', args: [5, 6] }, { op: 'add', args: [0, 7] }]),
  ];
  const cases = [...TABLE_FUNCTIONS.flatMap((fn) => (PARAMS[fn] ?? [{}]).map((p) => ({ fn, ...p }) as TableActivation)), ...EXPRS];
  // accumulator scales: coarse (few values per unit) to fine (~40 000 accumulator values per unit)
  test.each(cases.map((a) => [a.fn === 'expr' ? tableName(a) : JSON.stringify(a), a] as const))('%s', (_, act) => {
    for (const accScale of [0.37, 0.05, 1 / 512, 2.5e-5]) {
      for (const c of act.fn === 'prelu' ? [0, 1, 2] : [0]) {
        const span = Math.min(300_000, Math.ceil(8 / accScale));
        const range = [-span - 17, span + 5] as const;
        const out = outParams(act, range[0] * accScale, range[1] * accScale, c);
        const t = channelTable(act, c, accScale, out, range);
        for (let i = 1; i < t.thresholds.length; i++) expect(t.thresholds[i]!).toBeGreaterThan(t.thresholds[i - 1]!);
        expect(t.thresholds.length).toBeLessThanOrEqual(1023);
        const get = lookup(t.thresholds, t.codes);
        let wrong = 0;
        for (let a = range[0]; a <= range[1]; a++) if (get(a) !== quantizeToInt8(applyTable(act, a * accScale, c), out.scale, out.zp)) wrong++;
        expect(wrong, `accScale ${accScale}, channel ${c}`).toBe(0);
      }
    }
  });

  test('where f is undefined (NaN: Sqrt, Log, a fractional Pow of negative accumulators, reachable in int8 past where the float model goes) it is taken as 0: a few steps, exact elsewhere', () => {
    const x = { op: 'x' } as const;
    const k = (value: number): ExprStep => ({ op: 'const', value });
    const E = (steps: ExprStep[]): TableActivation => ({ fn: 'expr', expr: steps });
    const undefinedBelow = [
      E([x, { op: 'sqrt', args: [0] }]),
      E([x, { op: 'log', args: [0] }]),
      E([x, k(1.5), { op: 'pow', args: [0, 1] }]),
      E([x, k(0.3), { op: 'sub', args: [0, 1] }, { op: 'log', args: [2] }]),
      E([x, k(0.7), { op: 'add', args: [0, 1] }, { op: 'sqrt', args: [2] }]),
    ];
    for (const act of undefinedBelow) {
      for (const accScale of [0.05, 1 / 512, 2.5e-5]) {
        const span = Math.min(300_000, Math.ceil(4 / accScale));
        const range = [-span, span] as const;
        const out = { scale: 4 / 255, zp: -128 };
        const t = channelTable(act, 0, accScale, out, range);
        expect(t.thresholds.length, `${tableName(act)} at ${accScale}`).toBeLessThanOrEqual(1023);
        const get = lookup(t.thresholds, t.codes);
        let wrong = 0;
        for (let a = range[0]; a <= range[1]; a++) {
          const y = applyTable(act, a * accScale, 0);
          if (get(a) !== quantizeToInt8(Number.isNaN(y) ? 0 : y, out.scale, out.zp)) wrong++;
        }
        expect(wrong, `${tableName(act)} at ${accScale}`).toBe(0);
      }
    }
    // all of int32 reachable (the adders can wrap): still a few steps, found in moments
    expect(channelTable(undefinedBelow[0]!, 0, 1e-6, { scale: 4 / 255, zp: -128 }, [-(2 ** 31), 2 ** 31 - 1]).thresholds.length).toBeLessThan(300);
  });

  test('the reachable range is the bias plus each weight times the extreme int8 inputs, or all of int32 when the adders can wrap', () => {
    expect(reachable(10, [3, -2])).toEqual([10 - 128 * 3 - 2 * 127, 10 + 127 * 3 + 2 * 128]);
    expect(reachable(0, Array(140_000).fill(127))).toEqual([-(2 ** 31), 2 ** 31 - 1]);
  });

  test('a function that turns too often for the threshold unit: NN304 in one line, at its layer, with a hint about the function (not the rescale factor)', () => {
    // a tent map folded six times, |...||x| − 8| − 4| ... − 1/8|: 128 linear pieces over [−16, 16], each
    // crossing many output codes
    const fold: ExprStep[] = [{ op: 'x' }, { op: 'abs', args: [0] }];
    for (const c of [8, 4, 2, 1, 0.5, 0.25]) {
      const at = fold.length;
      fold.push({ op: 'const', value: c }, { op: 'sub', args: [at - 1, at] }, { op: 'abs', args: [at + 1] });
    }
    const act: TableActivation = { fn: 'expr', expr: fold };
    const line = failure(() => channelTables('tent', act, [1 / 4096], { scale: 0.25 / 255, zp: -128 }, [[-16 * 4096, 16 * 4096]])).format();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(new RegExp(`^error NN304: layer "tent": the expr table needs \\d+ steps; the threshold unit takes at most ${MAX_STEPS} — the function turns too often`));
  });
});
