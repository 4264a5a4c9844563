/** Pareto fronts on hand-checked grids, the SRAM → depth mapping by hand, and front properties (fast-check). */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { gridPoints, sramBytes, sramDepths } from '../../../src/explore/grid.js';
import { dominates, paretoFront } from '../../../src/explore/pareto.js';
import { summarize } from '../../../src/explore/results.js';
import type { PointResult, SweepMeta } from '../../../src/explore/sweep.js';
import { DEFAULT_CONFIG } from '../../../src/isa/config.js';

/** fast-check prints the seed of a failure; FC_SEED=<n> replays it. */
const FC = process.env['FC_SEED'] === undefined ? {} : { seed: Number(process.env['FC_SEED']) };

type P = { name: string; cycles: number; pes: number; sram: number };
const OBJ = [(p: P) => p.cycles, (p: P) => p.pes, (p: P) => p.sram];

describe('paretoFront on a hand-checked grid', () => {
  // Six designs; the reason each one is on or off the front is written beside it.
  const a = { name: 'a', cycles: 1000, pes: 16, sram: 16 }; // fewest PEs and least SRAM: nothing beats it on both
  const b = { name: 'b', cycles: 400, pes: 64, sram: 16 }; // faster than a, and no design with ≤ 64 PEs is faster
  const c = { name: 'c', cycles: 400, pes: 64, sram: 64 }; // b has equal cycles and PEs and less SRAM → dominated
  const d = { name: 'd', cycles: 150, pes: 256, sram: 64 }; // the only design under 400 cycles with ≤ 256 PEs
  const e = { name: 'e', cycles: 160, pes: 256, sram: 64 }; // d is 10 cycles faster with the same PEs and SRAM → dominated
  const f = { name: 'f', cycles: 150, pes: 1024, sram: 16 }; // as fast as d with less SRAM (but more PEs): not dominated
  const all = [a, b, c, d, e, f];

  test('keeps exactly the non-dominated designs, in input order', () => {
    expect(paretoFront(all, OBJ).map((p) => p.name)).toEqual(['a', 'b', 'd', 'f']);
  });

  test('dominance is strict: equal figures do not dominate, and ties both stay', () => {
    expect(dominates(b, c, OBJ)).toBe(true);
    expect(dominates(c, b, OBJ)).toBe(false);
    expect(dominates(d, f, OBJ)).toBe(false);
    const twin = { ...b, name: 'b2' };
    expect(dominates(b, twin, OBJ)).toBe(false);
    expect(paretoFront([b, twin, c], OBJ).map((p) => p.name)).toEqual(['b', 'b2']);
  });

  test('one objective: the front is the minimum (all of its ties)', () => {
    expect(paretoFront([5, 3, 9, 3].map((v, i) => ({ v, i })), [(x) => x.v]).map((x) => x.i)).toEqual([1, 3]);
  });
});

describe('summarize: the front of a sweep ignores infeasible points', () => {
  const meta: SweepMeta = { model: 'hand', fingerprint: 'x', base: DEFAULT_CONFIG, grid: { arrays: [{ rows: 4, cols: 4 }, { rows: 8, cols: 8 }], sramKiB: [1, 2], bandwidth: [8] }, totalPoints: 4 };
  const point = (index: number, pes: number, sram: number, cycles: number | null): PointResult => ({
    index,
    rows: Math.sqrt(pes),
    cols: Math.sqrt(pes),
    pes,
    sramKiB: sram / 1024,
    sramBytes: sram,
    depths: { actDepth: 1, wgtDepth: 1, accDepth: 1, qntDepth: 1, outDepth: 1 },
    bandwidth: 8,
    thresholdPasses: 1,
    batch: 1,
    base: false,
    areaLuts: 200 * pes, // area grows with PEs, so the reasoning below is in PEs
    feasible: cycles !== null,
    cycles,
    latencyUs: cycles === null ? null : cycles / 100,
    macs: cycles === null ? null : 100,
    utilization: cycles === null ? null : 100 / (cycles * pes),
    dramBytesRead: cycles === null ? null : 1,
    dramBytesWritten: cycles === null ? null : 1,
    peakSramBytes: cycles === null ? null : 1,
    layerCycles: cycles === null ? null : [cycles],
    programHash: cycles === null ? null : 'h',
    error: cycles === null ? 'NN403: does not fit' : null,
  });

  test('an infeasible small design cannot knock out a feasible one', () => {
    // 0: 4x4 with 1 KiB does not fit; were it counted, its null cycles must not read as 0.
    // 1: 4x4 with 2 KiB, 900 cycles — fewest PEs among feasible points → on the front.
    // 2: 8x8 with 1 KiB, 300 cycles — least SRAM among feasible points → on the front.
    // 3: 8x8 with 2 KiB, 300 cycles — point 2 matches its cycles and PEs with less SRAM → dominated.
    const r = summarize(meta, [point(3, 64, 2048, 300), point(0, 16, 1024, null), point(2, 64, 1024, 300), point(1, 16, 2048, 900)]);
    expect(r.pareto).toEqual([1, 2]);
    expect(r.points.map((p) => p.index)).toEqual([0, 1, 2, 3]);
  });

  test('a sweep missing a point is a bug, not a result', () => {
    expect(() => summarize(meta, [point(0, 16, 1024, 5)])).toThrow(/NN901|exactly once/);
  });
});

describe('--sram-kib → buffer depths', () => {
  test('16 KiB on 8x8, by hand from the shares and entry widths', () => {
    // act ½ of 16384 B in 8-byte entries; wgt ¼ in 8-byte rows of C int8; acc ⅛ in 32-byte (8 × int32) entries;
    // qnt 1/16 in 32-byte entries; out 1/16 in 8-byte entries.
    expect(sramDepths(16, { rows: 8, cols: 8 })).toEqual({ actDepth: 8192 / 8, wgtDepth: 4096 / 8, accDepth: 2048 / 32, qntDepth: 1024 / 32, outDepth: 1024 / 8 });
  });

  test('a non-square array uses R-wide act entries and C-wide others; depths floor', () => {
    // 3 KiB on 4x16: act 1536 B / 4; wgt 768 B / 16; acc 384 B / 64; qnt 192 B / 64; out 192 B / 16
    expect(sramDepths(3, { rows: 4, cols: 16 })).toEqual({ actDepth: 384, wgtDepth: 48, accDepth: 6, qntDepth: 3, outDepth: 12 });
    // 1 KiB on 16x16: acc gets 128 B, under one 64-byte entry twice → floor(128/64) = 2; qnt 64 B → 1
    expect(sramDepths(1, { rows: 16, cols: 16 })).toMatchObject({ accDepth: 2, qntDepth: 1 });
  });

  test('depths clamp to 1 … 65536 entries, and sramBytes reports what the clamped buffers hold', () => {
    expect(sramDepths(0.0625, { rows: 32, cols: 32 })).toMatchObject({ accDepth: 1, qntDepth: 1 });
    expect(sramDepths(1024 * 1024, { rows: 1, cols: 1 }).actDepth).toBe(65536);
    const [p] = gridPoints({ arrays: [{ rows: 8, cols: 8 }], sramKiB: [16], bandwidth: [4] }, DEFAULT_CONFIG);
    expect(sramBytes(p!.config!)).toBe(16 * 1024); // every share divides exactly at 8x8
  });

  test('grid order: arrays outermost, then SRAM, then bandwidth; the base config fills the rest and is the last point', () => {
    const pts = gridPoints({ arrays: [{ rows: 2, cols: 2 }, { rows: 4, cols: 4 }], sramKiB: [1, 2], bandwidth: [4, 8, 16] }, { ...DEFAULT_CONFIG, dramLatency: 7 });
    expect(pts).toHaveLength(2 * 2 * 3 + 1);
    expect(pts.map((p) => p.base)).toEqual([...Array<boolean>(12).fill(false), true]);
    expect(pts[12]!.config).toEqual({ ...DEFAULT_CONFIG, dramLatency: 7 });
    expect(pts.map((p) => `${p.rows}:${p.sramKiB}:${p.bandwidth}`).slice(0, 4)).toEqual(['2:1:4', '2:1:8', '2:1:16', '2:2:4']);
    expect(pts.every((p, i) => p.index === i && p.config!.dramLatency === 7 && p.config!.dramBytesPerCycle === p.bandwidth)).toBe(true);
  });
});

describe('front properties (fast-check)', () => {
  const arbPoints = fc.array(fc.record({ name: fc.string(), cycles: fc.integer({ min: 1, max: 20 }), pes: fc.integer({ min: 1, max: 6 }), sram: fc.integer({ min: 1, max: 6 }) }), { maxLength: 40 });

  test('nothing on the front is dominated, and everything off it is dominated by a front member', () => {
    fc.assert(
      fc.property(arbPoints, (pts) => {
        const front = paretoFront(pts, OBJ);
        for (const p of front) expect(pts.some((q) => dominates(q, p, OBJ))).toBe(false);
        for (const p of pts.filter((q) => !front.includes(q))) expect(front.some((q) => dominates(q, p, OBJ))).toBe(true);
      }),
      FC,
    );
  });

  test('the front does not depend on input order', () => {
    fc.assert(
      fc.property(arbPoints, fc.func(fc.integer()), (pts, key) => {
        const shuffled = [...pts].sort((x, y) => key(x) - key(y));
        expect(new Set(paretoFront(shuffled, OBJ))).toEqual(new Set(paretoFront(pts, OBJ)));
      }),
      FC,
    );
  });
});
