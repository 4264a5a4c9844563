// SPDX-License-Identifier: MIT
/**
 * JSON files are measured before JSON.parse builds them: a model.json of 30 million `{}` (90 MB) took 5 GB and 100 s,
 * a program header of as many the same. containerCount counts the objects and arrays a text opens (never those
 * inside strings), and the model, program and explore readers refuse more than their limit.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { containerCount, NnchipError } from '../../../src/diagnostics/error.js';
import { DEFAULT_LIMITS } from '../../../src/importers/limits.js';
import { loadModel } from '../../../src/importers/index.js';
import { parseJson as parseExploreJson } from '../../../src/explore/codec.js';
import { deserializeProgram } from '../../../src/isa/validate.js';
import { failure } from '../../helpers/errors.js';

/** The objects and arrays of a parsed JSON value (JSON.parse's count). */
function containers(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  return 1 + (Array.isArray(v) ? v : Object.values(v)).reduce((a: number, x) => a + containers(x), 0);
}

describe('containerCount', () => {
  test('equals the objects and arrays JSON.parse makes, whatever the strings hold', () => {
    const json = fc.jsonValue({ maxDepth: 5 }).chain((v) => fc.tuple(fc.constant(v), fc.string()));
    fc.assert(
      fc.property(json, ([v, s]) => {
        const text = JSON.stringify({ [`{[${s}`]: v, note: `"[{\\"${s}` });
        expect(containerCount(text, Infinity)).toBe(containers(JSON.parse(text)));
        // and it stops just past the limit
        expect(containerCount(text, 0)).toBe(1);
      }),
      { seed: 14, numRuns: 300 },
    );
  });

  test('a model.json of more objects than --max-memory allows is NN109 before parsing', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nnchip-containers-')), 'model.json');
    writeFileSync(path, `{"modelTopology": {"class_name": "Sequential", "config": {"layers": [${Array(5000).fill('{}').join(',')}]}}, "weightsManifest": []}`);
    const e = failure(() => loadModel(path, { ...DEFAULT_LIMITS, maxMemory: 256 * 4000 }));
    expect(e.code).toBe('NN109');
    expect(e.detail).toMatch(/^holds over 4,000 JSON objects and arrays/);
  });

  test('a program header of over 4,194,304 objects and arrays is NN404 before parsing', () => {
    const base = readFileSync(new URL('../../bad-inputs/nnp-missing-token/program.nnp', import.meta.url));
    const length = base.readUInt32LE(8);
    const header = base.subarray(12, 12 + length).toString().replace('"notes":[', `"notes":[${Array(2 ** 22 + 1).fill('{}').join(',')},`);
    const text = Buffer.from(header.replace(/,\]/, ']'));
    const file = Buffer.concat([base.subarray(0, 8), Buffer.from(Uint32Array.of(text.length).buffer), text, base.subarray(12 + length)]);
    let error: unknown;
    try {
      deserializeProgram(file, 'big.nnp');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NnchipError);
    expect((error as NnchipError).detail).toBe('the program header holds over 4,194,304 objects and arrays');
  });

  test('an explore file of over 8,388,608 objects and arrays (a sweep of 1,000,000 points has about 3.4 million) is NN502', () => {
    const e = failure(() => parseExploreJson(`{"format": "nnchip-explore", "points": [${Array(2 ** 23 + 1).fill('{}').join(',')}]}`, 'explore.json', 'explore.json'));
    expect(e.code).toBe('NN502');
    expect(e.detail).toMatch(/holds over 8,388,608 objects and arrays/);
    expect(parseExploreJson('{"format": "nnchip-explore", "points": [{}, {}]}', 'explore.json', 'explore.json')).toEqual({ format: 'nnchip-explore', points: [{}, {}] });
  });
});
