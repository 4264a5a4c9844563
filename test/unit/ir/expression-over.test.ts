// SPDX-License-Identifier: MIT
/**
 * An `expr` activation evaluated a step at a time over a whole array (evalExprOver, what calibration
 * runs) gives evalExpr's value at every element, bit for bit: random expressions of every unary and
 * binary op over x and constants, at ordinary values, zeros of both signs, ±∞ and NaN; and so does
 * applyTableOver for the other table activations, per channel where they have one (PReLU).
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { applyTable, applyTableOver, type TableActivation } from '../../../src/ir/activations.js';
import { EXPR_BINARY, EXPR_UNARY, evalExpr, evalExprOver, type ExprStep } from '../../../src/ir/expression.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261207);
const erf = (x: number): number => Math.tanh(1.2 * x); // any fixed function: both paths take the same one

const number = fc.oneof(fc.double({ min: -20, max: 20, noNaN: true }), fc.constantFrom(0, -0, Infinity, -Infinity, NaN, 1e-300, -3, 3));

/** A random expression: x and constants first, then steps over earlier ones (the last is the value). */
const expression: fc.Arbitrary<ExprStep[]> = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(...EXPR_UNARY), fc.constantFrom(...EXPR_BINARY), fc.nat(), fc.nat(), number, fc.tuple(number, number)), { minLength: 1, maxLength: 10 })
  .map((picks) => {
    const steps: ExprStep[] = [{ op: 'x' }];
    for (const [kind, u, b, i, j, value, [p0, p1]] of picks) {
      const [a, c] = [i % steps.length, j % steps.length];
      if (kind === 0) steps.push({ op: 'const', value });
      else if (kind === 1) steps.push({ op: u, args: [a], p: [p0, p1] }); // any parameters: a clip whose bounds cross too
      else steps.push({ op: b, args: [a, c] });
    }
    return steps;
  });

const same = (got: ArrayLike<number>, want: readonly number[]): void => want.forEach((v, i) => expect(Object.is(got[i], v), `element ${i}: ${got[i]} vs ${v}`).toBe(true));

test('evalExprOver is evalExpr at every element', () => {
  fc.assert(
    fc.property(expression, fc.array(number, { minLength: 1, maxLength: 40 }), (steps, values) => {
      const xs = Float64Array.from(values);
      const got = evalExprOver(steps, xs, erf);
      expect(got.length).toBe(xs.length);
      same(got, values.map((x) => evalExpr(steps, x, erf)));
      // the input is not written (an expression of x alone returns a copy)
      same(xs, values);
    }),
    { numRuns: 500, seed: SEED },
  );
});

test('applyTableOver is applyTable at every element, on its channel', () => {
  const tables: TableActivation[] = [{ fn: 'sigmoid' }, { fn: 'hardswish' }, { fn: 'gelu' }, { fn: 'prelu', slopes: [0.25, -0.5, 2] }, { fn: 'expr', expr: [{ op: 'x' }, { op: 'const', value: 3 }, { op: 'add', args: [0, 1] }, { op: 'clip', args: [2], p: [0, 6] }, { op: 'mul', args: [0, 3] }] }];
  fc.assert(
    fc.property(fc.constantFrom(...tables), fc.array(number, { minLength: 1, maxLength: 30 }), (a, values) => {
      same(applyTableOver(a, Float64Array.from(values)), values.map((x, i) => applyTable(a, x, i)));
    }),
    { numRuns: 200, seed: SEED },
  );
});
