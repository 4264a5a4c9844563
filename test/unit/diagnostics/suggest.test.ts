import { describe, expect, test } from 'vitest';
import { availableChoices, didYouMean, editDistance, similar } from '../../../src/diagnostics/suggest.js';

describe('did you mean (commander\'s rule, for option values)', () => {
  test.each([
    ['sim', 'sim', 0],
    ['sm', 'sim', 1],
    ['smi', 'sim', 1], // a swap of neighbours is one edit
    ['icebraker', 'icebreaker', 1],
    ['', 'ref', 3],
    ['kitten', 'sitting', 3],
  ])('editDistance(%j, %j) = %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  test('the nearest candidates at distance 3 or less that keep over 40% of the word, ties all named', () => {
    expect(similar('sm', ['ref', 'wasm', 'sim', 'rtl'])).toEqual(['sim']);
    expect(similar('SIM', ['ref', 'wasm', 'sim', 'rtl'])).toEqual(['sim']);
    expect(similar('icebraker', ['icebreaker', 'hx8k-breakout'])).toEqual(['icebreaker']);
    expect(similar('ic40', ['ice40', 'ecp5', 'asic', 'generic'])).toEqual(['ice40']);
    expect(similar('de0-nano', ['icebreaker', 'hx8k-breakout'])).toEqual([]);
    expect(similar('pool', ['tables', 'pooling'])).toEqual(['pooling']); // three edits, 4 of 7 letters kept
    expect(similar('pl', ['tables', 'pooling'])).toEqual([]); // 2 of 7 kept: not a typo
    expect(similar('x', ['fast', 'step'])).toEqual([]);
    expect(similar('sep', ['step', 'sip'])).toEqual(['step', 'sip']);
  });

  test('the text inside an error\'s parentheses', () => {
    expect(availableChoices('sm', ['ref', 'wasm', 'sim', 'rtl'])).toBe('available: ref, wasm, sim, rtl; did you mean sim?');
    expect(availableChoices('constructor', ['ref', 'wasm', 'sim', 'rtl'])).toBe('available: ref, wasm, sim, rtl');
    expect(availableChoices('tabels', ['tables', 'pooling'], ', comma-separated')).toBe('available: tables, pooling, comma-separated; did you mean tables?');
    expect(didYouMean('sep', ['step', 'sip'])).toBe('; did you mean one of step, sip?');
  });

  test('a name of a million characters is compared by length first: no table of its size (it took seconds and gigabytes)', () => {
    const word = 'x'.repeat(1_000_000);
    expect(similar(word, ['dense', 'relu', 'conv2d', 'x'.repeat(999_999).slice(0, 10)])).toEqual([]);
    expect(similar(`${'x'.repeat(30)}`, ['x'.repeat(29), 'x'.repeat(33)])).toEqual(['x'.repeat(29)]);
  });
});
