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
import { threshold } from '../../../src/isa/ops/threshold.js';
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
