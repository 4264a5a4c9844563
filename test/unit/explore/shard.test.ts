/** merge(shards) = the unsharded sweep, byte for byte, for many shard counts; and merges that must refuse. */
import { describe, expect, test } from 'vitest';
import { NnchipError } from '../../../src/diagnostics/error.js';
import type { Grid } from '../../../src/explore/grid.js';
import { exploreCsv, exploreJson, parseExploreJson, resultOf } from '../../../src/explore/results.js';
import { parseShard } from '../../../src/explore/shard-spec.js';
import { mergeShards, parseShardJsonl, shardFileName, shardJsonl } from '../../../src/explore/shard.js';
import { sweep, type SweepInput, type SweepRun } from '../../../src/explore/sweep.js';
import { randomMlp, randomSamples } from '../../helpers/random-graph.js';

const graph = randomMlp([30, 20, 7], 11);
// 0.25 KiB on 4x8 leaves acc 32 B, under two 32-byte entries (double-buffered accumulators) → infeasible points too
const grid: Grid = { arrays: [{ rows: 2, cols: 2 }, { rows: 4, cols: 8 }, { rows: 8, cols: 4 }], sramKiB: [0.25, 2], bandwidth: [2, 8, 32] };
const input: SweepInput = { model: 'mlp30', graph, calibration: { samples: randomSamples(8, 30, 5) }, grid };
const whole = resultOf(sweep(input));
const wholeJson = exploreJson(whole);
const wholeCsv = exploreCsv(whole);

function errorLine(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof NnchipError) return e.format();
    throw e;
  }
  return 'no error';
}

/** The shard files as a batch job would leave them: JSON-lines text, read back. */
function shardTexts(count: number): string[] {
  return Array.from({ length: count }, (_, i) => shardJsonl(sweep(input, { shard: { index: i, count } })));
}

describe('merge(shards) = unsharded', () => {
  test('the grid has both feasible and infeasible points', () => {
    expect(whole.points.length).toBe(3 * 2 * 3 + 1);
    expect(whole.points.some((p) => p.feasible)).toBe(true);
    expect(whole.points.some((p) => !p.feasible)).toBe(true);
  });

  test.each([1, 2, 3, 4, 7, 18, 25])('%i shards merge to identical explore.json and explore.csv bytes', (count) => {
    const texts = shardTexts(count);
    const runs = texts.map((t, i) => parseShardJsonl(t, `s${i}.jsonl`)).reverse(); // order of the files does not matter
    const merged = mergeShards(runs);
    expect(exploreJson(merged)).toBe(wholeJson);
    expect(exploreCsv(merged)).toBe(wholeCsv);
  });

  test('every point lands in exactly one shard (index mod N)', () => {
    const runs = Array.from({ length: 4 }, (_, i) => sweep(input, { shard: { index: i, count: 4 } }));
    expect(runs.map((r) => r.points.map((p) => p.index))).toEqual([
      [0, 4, 8, 12, 16],
      [1, 5, 9, 13, 17],
      [2, 6, 10, 14, 18], // 18: the base machine
      [3, 7, 11, 15],
    ]);
  });

  test('explore.json reads back to the same result', () => {
    expect(exploreJson(parseExploreJson(wholeJson, 'explore.json'))).toBe(wholeJson);
  });

  test('a size or cycle count of 0 in explore.json is refused (its log-scale chart looped for ever on log 0 and aborted)', () => {
    for (const key of ['sramBytes', 'cycles', 'pes']) {
      const edited = wholeJson.replace(new RegExp(`"${key}": ?\\d+`), `"${key}":0`);
      expect(edited).not.toBe(wholeJson);
      expect(() => parseExploreJson(edited, 'explore.json')).toThrow(new RegExp(`"${key}" is 0; expected a positive number`));
    }
  });
});

describe('merges that must refuse', () => {
  const runs: SweepRun[] = shardTexts(3).map((t) => parseShardJsonl(t, 'x.jsonl'));

  test('a missing shard', () => {
    expect(() => mergeShards([runs[0]!, runs[2]!])).toThrow(/NN502|shard 1 of 3 missing/);
  });

  test('a shard given twice', () => {
    expect(() => mergeShards([...runs, runs[1]!])).toThrow(/given twice/);
  });

  test('shards of a different sweep (other calibration)', () => {
    const other = sweep({ ...input, calibration: { samples: randomSamples(8, 30, 6) } }, { shard: { index: 1, count: 3 } });
    expect(() => mergeShards([runs[0]!, other, runs[2]!])).toThrow(/different sweep/);
  });

  test('shards of a different --max-instructions (explore had no such limit: every point used the default)', () => {
    const limited = { ...input, maxInstructions: 200 };
    const run = sweep(limited);
    const refused = run.points.filter((p) => p.error?.startsWith('NN406'));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.error).toMatch(/over the limit of 200 \(--max-instructions\)/);
    expect(run.points.filter((p) => p.feasible).length).toBeLessThan(whole.points.filter((p) => p.feasible).length);
    // the limit is part of the sweep: it reads back, and shards of another limit do not merge
    const text = shardJsonl(sweep(limited, { shard: { index: 1, count: 3 } }));
    expect(parseShardJsonl(text, 'x.jsonl').meta.maxInstructions).toBe(200);
    expect(() => mergeShards([runs[0]!, parseShardJsonl(text, 'x.jsonl'), runs[2]!])).toThrow(/different sweep/);
    expect(exploreJson(parseExploreJson(exploreJson(resultOf(run)), 'explore.json'))).toBe(exploreJson(resultOf(run)));
  });

  test('shards cut a different number of ways', () => {
    const other = sweep(input, { shard: { index: 1, count: 2 } });
    expect(() => mergeShards([runs[0]!, other])).toThrow(/cut 3 and 2 ways/);
  });

  test('a truncated shard file (a point line lost)', () => {
    const text = shardJsonl(sweep(input, { shard: { index: 0, count: 3 } }));
    const cut = text.split('\n').slice(0, -2).join('\n');
    expect(() => mergeShards([parseShardJsonl(cut, 'cut.jsonl'), runs[1]!, runs[2]!])).toThrow(/grid point 18 missing/);
  });

  test('a corrupt line names the file and the line', () => {
    const text = shardTexts(1)[0]!.replace(/"cycles":\d+/, '"cycles":"fast"');
    expect(errorLine(() => parseShardJsonl(text, 'bad.jsonl'))).toMatch(/^error NN502: bad\.jsonl: line 2: "cycles" is not a number — /);
    expect(() => parseShardJsonl('{"format":"something else"}', 'other.jsonl')).toThrow(/not "nnchip-explore-shard"/);
    expect(() => parseShardJsonl('', 'empty.jsonl')).toThrow(/empty/);
  });

  test('a point count that is not the grid\'s (a count of 10^15 was allocated: NN901 "Invalid array length")', () => {
    const text = shardTexts(1)[0]!;
    const total = /"totalPoints":(\d+)/.exec(text)![1];
    for (const wrong of ['1000000000000000', String(Number(total) + 1)]) {
      expect(errorLine(() => parseShardJsonl(text.replace(/"totalPoints":\d+/, `"totalPoints":${wrong}`), 'count.jsonl'))).toMatch(new RegExp(`^error NN502: count\\.jsonl: line 1: "totalPoints" is ${wrong} but the grid has ${total} points — `));
    }
  });

  test('a point filed in the wrong shard', () => {
    const lines = shardTexts(2)[0]!.split('\n');
    const moved = [lines[0]!.replace('"index":0,"count":2', '"index":1,"count":2'), ...lines.slice(1)].join('\n');
    expect(() => parseShardJsonl(moved, 'moved.jsonl')).toThrow(/does not belong to shard 1\/2/);
  });
});

describe('--shard i/N', () => {
  test.each([
    ['0/1', 0, 1],
    ['3/16', 3, 16],
    [' 15 / 16 ', 15, 16],
  ])('%s', (text, index, count) => expect(parseShard(text)).toEqual({ index, count }));

  test.each(['16/16', '1/0', '-1/4', 'a/b', '2', '1/2/3'])('%s is refused', (text) => expect(() => parseShard(text)).toThrow(/NN801|must be i\/N/));

  test('file names sort in shard order', () => {
    expect(shardFileName({ shard: { index: 3, count: 16 } })).toBe('explore-shard-0003-of-0016.jsonl');
    expect(shardFileName({ shard: { index: 7, count: 100000 } })).toBe('explore-shard-00007-of-100000.jsonl');
  });
});
