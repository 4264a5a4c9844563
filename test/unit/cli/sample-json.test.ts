/**
 * The streaming sample reader against JSON.parse: the same numbers for any rectangular nesting and
 * any whitespace, unknown keys skipped, and every malformed file an NN302/NN307 (never a throw of
 * another kind, never a stack overflow).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MAX_DEPTH, SampleParser, type SampleCheck } from '../../../src/cli/sample-json.js';
import { NnchipError } from '../../../src/diagnostics/error.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261203);
const parse = (text: string, check: SampleCheck = () => undefined) => new SampleParser(Buffer.from(text), 'data.json').parse(check);

function codeOf(text: string): string {
  try {
    parse(text);
    return 'ok';
  } catch (e) {
    if (e instanceof NnchipError) return e.code;
    throw e;
  }
}

/** A rectangular nested array of the given dims, filled from `values`. */
function nest(values: number[], dims: number[]): unknown {
  let at = 0;
  const rec = (d: number): unknown => (d === dims.length ? values[at++] : Array.from({ length: dims[d]! }, () => rec(d + 1)));
  return rec(0);
}

describe('SampleParser', () => {
  test('any rectangular nesting gives the float32 values JSON.parse gives, and its dims', () => {
    const dims = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(dims, fc.integer({ min: 1, max: 3 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.boolean(), (d, count, x, spaced) => {
        const size = d.reduce((a, b) => a * b, 1);
        const samples = Array.from({ length: count }, (_, s) => nest(Array.from({ length: size }, (_, i) => x * (i + 1) - s), d));
        const text = JSON.stringify({ note: { skip: ['me', 1, null, true] }, inputs: samples }, null, spaced ? 2 : undefined);
        const seen: number[][] = [];
        const got = parse(text, (_i, dims) => void seen.push([...dims]));
        expect(got.entries).toBe(count);
        expect(seen).toEqual(Array.from({ length: count }, () => d));
        const flat = (JSON.parse(text) as { inputs: unknown[] }).inputs.flatMap((s) => [s].flat(Infinity) as number[]);
        expect(Array.from(got.values)).toEqual(Array.from(Float32Array.from(flat)));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  test('labels, a flat list, escaped keys', () => {
    expect(parse('{"in\\u0070uts": [[1, 2]], "labels": [3]}').labels).toEqual([3]);
    const flat = parse('[1, 2, 3]');
    expect(flat.flatList).toBe(true);
    expect(Array.from(flat.values)).toEqual([1, 2, 3]);
  });

  test('malformed files are NN302 (or NN307 for ragged samples), whatever the nesting depth', () => {
    const cases: [string, string][] = [
      ['', 'NN302'],
      ['[', 'NN302'],
      ['[[1, 2]', 'NN302'],
      ['[[1, 2]] x', 'NN302'],
      ['[[1, 2,]]', 'NN302'],
      ['[[1, 02]]', 'NN302'],
      ['[[1, "2"]]', 'NN302'],
      ['[[1, NaN]]', 'NN302'],
      ['[[1e999]]', 'NN302'],
      ['[1, [2]]', 'NN302'],
      ['{"inputs": [[1]], "x": [}', 'NN302'],
      ['{"inputs": 5}', 'NN302'],
      ['[[[1, 2], [3]]]', 'NN307'],
      ['[[[1], 2]]', 'NN307'],
      ['[[[[]], [[1]]]]', 'NN307'],
      ['['.repeat(MAX_DEPTH + 2) + '1' + ']'.repeat(MAX_DEPTH + 2), 'NN302'],
      ['{"x": ' + '['.repeat(200_000) + ']'.repeat(200_000) + ', "inputs": [[1]]}', 'ok'],
    ];
    for (const [text, code] of cases) expect(codeOf(text), text.slice(0, 40)).toBe(code);
  });

  test('a number float32 does not hold (it would be Infinity there) is NN302, flat or nested; every one it holds is read', () => {
    const FLOAT32_MAX = 3.4028234663852886e38;
    const beyond = fc.double({ min: 3.4028235677973366e38, max: 1e300, noNaN: true });
    const within = fc.double({ min: -FLOAT32_MAX, max: FLOAT32_MAX, noNaN: true });
    fc.assert(
      fc.property(beyond, fc.boolean(), fc.boolean(), within, (big, negative, nested, ok) => {
        const x = negative ? -big : big;
        const text = nested ? `{"inputs": [[[${ok}], [${x}]]]}` : `[[${ok}, ${x}]]`;
        let error: unknown;
        try {
          parse(text);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(NnchipError);
        expect((error as NnchipError).detail).toMatch(/past ±3\.4e38, the largest float32/);
        expect(parse(`[[${ok}]]`).values[0]).toBe(Math.fround(ok));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
