// SPDX-License-Identifier: MIT
/** The placeholder filler: every placeholder needs a value, every value needs a placeholder. */
import { describe, expect, test } from 'vitest';
import { fillTemplate, placeholdersOf } from '../../../../src/backends/verilog/fill-template.js';

describe('fillTemplate', () => {
  test('fills every occurrence', () => {
    expect(fillTemplate('t', 'a {{X}} b {{Y_2}} {{X}}', { X: 1, Y_2: 'two' })).toBe('a 1 b two 1');
  });

  test('leaves Verilog replications alone', () => {
    const v = "assign z = {{16{x[31]}}, x} | {{(W-1){1'b0}}, 1'b1} | {W{1'b0}};";
    expect(placeholdersOf(v)).toEqual([]);
    expect(fillTemplate('t', v, {})).toBe(v);
  });

  test('fails on a placeholder without a value', () => {
    expect(() => fillTemplate('t.v', 'x = {{MISSING}};', {})).toThrow(/t\.v.*MISSING/);
  });

  test('fails on a value that no placeholder uses', () => {
    expect(() => fillTemplate('t.v', 'x = {{A}};', { A: 1, B: 2 })).toThrow(/t\.v.*B/);
  });
});
