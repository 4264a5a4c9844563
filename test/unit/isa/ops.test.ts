/**
 * The op records (src/isa/ops) are the one per-opcode table: complete for the Opcode union (a
 * missing record or backend entry is a compile error, checked here by tsc through @ts-expect-error),
 * and the loops over them reach every opcode. A bad load-buffer number is an error, never `act`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { makeConfig } from '../../../src/isa/config.js';
import { emptyTally, tallyInstruction } from '../../../src/isa/cost.js';
import { checkProgram } from '../../../src/isa/interpret.js';
import { OPS, UNIT_OF, type OpDef } from '../../../src/isa/ops/index.js';
import { halt } from '../../../src/isa/ops/halt.js';
import { load } from '../../../src/isa/ops/load.js';
import { matmul } from '../../../src/isa/ops/matmul.js';
import { store } from '../../../src/isa/ops/store.js';
import { sync } from '../../../src/isa/ops/sync.js';
import { encodePoolGeometry, poolOf, poolRow, tableSteps, threshold } from '../../../src/isa/ops/threshold.js';
import { FORMATS, isLoadBuffer, LOAD_BUFFERS, loadBufferOf, NO_TOKENS, OPCODE_LIST, type Opcode } from '../../../src/isa/spec.js';
import { compile } from '../../../src/passes/pipeline.js';
import { randomMlp, randomSamples } from '../../helpers/random-graph.js';

describe('op records', () => {
  test('there is one record per opcode, and FORMATS and UNIT_OF are read off them', () => {
    expect(Object.keys(OPS)).toEqual(OPCODE_LIST);
    for (const op of OPCODE_LIST) {
      expect(OPS[op].fields).toBe(FORMATS[op]);
      expect(UNIT_OF[op]).toBe(OPS[op].unit);
      expect(OPS[op].semantics.length, op).toBeGreaterThan(0);
    }
  });

  test('a table that leaves out an opcode does not compile', () => {
    // @ts-expect-error `halt` is missing: the mapped type over Opcode requires every record
    const missing: { [O in Opcode]: OpDef<O> } = { load, store, matmul, threshold, sync };
    const complete: { [O in Opcode]: OpDef<O> } = { load, store, matmul, threshold, sync, halt };
    expect(Object.keys(missing).length + 1).toBe(Object.keys(complete).length);
  });

  test('a load-buffer number names a buffer or is an error (no silent fallback to act)', () => {
    for (const [name, id] of Object.entries(LOAD_BUFFERS)) expect(loadBufferOf(id)).toBe(name);
    expect(isLoadBuffer(4)).toBe(false);
    expect(() => loadBufferOf(4)).toThrow(/NN901|internal error: load names buffer 4/);
    const cfg = makeConfig({ rows: 2, cols: 2 });
    const bad = { op: 'load', ...NO_TOKENS, buf: 4, sram: 0, rows: 1, dram: 0, stride: 0 } as const;
    expect(() => tallyInstruction(bad, cfg, emptyTally())).toThrow(/load names buffer 4/);
  });

  test('no source falls back to a buffer name (`?? \'act\'`): loadBufferOf is the one accessor', () => {
    const files = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : []));
    const root = resolve(import.meta.dirname, '../../..');
    const offenders = [...files(join(root, 'src')), ...files(join(root, 'sim'))].filter((f) => /\?\?\s*'(act|wgt|acc|qnt|out)'/.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  test('checkProgram names a bad load buffer before anything runs the program', () => {
    const p = compile(randomMlp([4, 3], 3), { config: makeConfig({ rows: 2, cols: 2 }), calibration: { samples: randomSamples(4, 4, 5) } }).program;
    const i = p.instructions.findIndex((x) => x.op === 'load');
    const broken = { ...p, instructions: p.instructions.map((x, k) => (k === i ? { ...x, buf: 5 } : x)) };
    expect(checkProgram(broken)).toBe(`instruction ${i} (load) names buffer 5`);
  });
});

describe('pooling threshold window geometry (steps field, POOL_GEOMETRY)', () => {
  const base = { op: 'threshold', ...NO_TOKENS, acc: 0, out: 0, qnt: 0, rows: 4, zp: 0, lo: -128, hi: 127 } as const;
  // a 3×3 stride-2 pool with one line and one entry of padding above and left, over lines of 4 entries
  const resnetLike = { ...base, table: 4, poolH: 2, poolW: 2, steps: encodePoolGeometry({ overlapH: 1, overlapW: 1, padTop: 1, padLeft: 1 }) };

  test('all zeros is the tiling window (stride = window, no padding), as before the field carried it', () => {
    expect(poolOf({ ...base, table: 6, poolH: 1, poolW: 2, steps: 0 })).toEqual({ kh: 2, kw: 3, sh: 2, sw: 3, padTop: 0, padLeft: 0, line: 6, pw: 2 });
  });

  test('overlapping windows from a padding read the edge for their padded taps (the ISA semantics, by hand)', () => {
    const p = poolOf(resnetLike)!;
    expect([p.sh, p.sw, p.padTop, p.padLeft, p.pw]).toEqual([2, 2, 1, 1, 2]);
    const taps = (m: number): number[] => [0, 1, 2].flatMap((ky) => [0, 1, 2].map((kx) => poolRow(p, m, ky, kx)));
    // pooled pixel (0, 0): lines −1, 0, 1 → 0, 0, 1 and entries −1, 0, 1 → 0, 0, 1
    expect(taps(0)).toEqual([0, 0, 1, 0, 0, 1, 4, 4, 5]);
    // pooled pixel (0, 1): entries 1, 2, 3
    expect(taps(1)).toEqual([1, 2, 3, 1, 2, 3, 5, 6, 7]);
    // pooled pixel (1, 0): lines 1, 2, 3
    expect(taps(2)).toEqual([4, 4, 5, 8, 8, 9, 12, 12, 13]);
  });

  test('a pooling threshold is in requantize mode whatever its steps field holds', () => {
    expect(tableSteps(resnetLike)).toBe(0);
    expect(tableSteps({ ...resnetLike, poolH: 0, poolW: 0 })).toBe(resnetLike.steps);
  });

  test('checkProgram refuses a stride below 1, a padding as large as the window, and a line that holds no window', () => {
    const p = compile(randomMlp([4, 3], 3), { config: makeConfig({ rows: 2, cols: 2 }), calibration: { samples: randomSamples(4, 4, 5) } }).program;
    const i = p.instructions.findIndex((x) => x.op === 'threshold');
    const withThreshold = (t: object): typeof p => ({ ...p, instructions: p.instructions.map((x, k) => (k === i ? { ...x, ...t } : x)) });
    const pool = { acc: 0, rows: 1, poolH: 1, poolW: 1, table: 2 };
    expect(checkProgram(withThreshold({ ...pool, steps: encodePoolGeometry({ overlapH: 2, overlapW: 0, padTop: 0, padLeft: 0 }) }))).toMatch(/stride 0x2/);
    expect(checkProgram(withThreshold({ ...pool, steps: encodePoolGeometry({ overlapH: 0, overlapW: 0, padTop: 2, padLeft: 0 }) }))).toMatch(/padding 2 above/);
    expect(checkProgram(withThreshold({ ...pool, table: 1, steps: 0 }))).toMatch(/lines of 1 acc entries/);
    expect(checkProgram(withThreshold({ ...pool, steps: encodePoolGeometry({ overlapH: 1, overlapW: 1, padTop: 1, padLeft: 1 }) }))).toBeNull();
  });
});
