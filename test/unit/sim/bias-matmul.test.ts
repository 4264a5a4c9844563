/**
 * The matmul bias bit (docs/isa.md): every row starts from acc entry `acc` as the matmul found it,
 * read with row 0 and held for the others (row 0 overwrites it). Fast mode (plain JS and the
 * WebAssembly GEMM), step mode (its held bias register) and the reference interpreter agree on
 * every output, cycle, counter and the address trace; a bias matmul computes what loading the bias
 * into every row and accumulating does, with rows − 1 fewer acc reads; random programs with bias
 * matmuls (some with accumulating ones on top) agree on the whole DRAM and every acc entry; and
 * `nnchip sim` runs a hand-written listing with `bias=1`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { wasmGemm } from '../../../src/backends/wasm/gemm-module.js';
import { captureIo } from '../../../src/cli/context.js';
import { main } from '../../../src/cli/main.js';
import { wasmTraceKernels } from '../../../src/cli/trace-kernels.js';
import { EXIT } from '../../../src/diagnostics/codes.js';
import { listingProgram } from '../../helpers/listing-program.js';
import { makeConfig } from '../../../src/isa/config.js';
import { certify } from '../../../src/isa/cost.js';
import { interpret } from '../../../src/isa/interpret.js';
import { serializeProgram, type Program } from '../../../src/isa/program.js';
import { simulate } from '../../../sim/index.js';
import { certificateFigures } from '../../../sim/prove.js';
import { rng } from '../../helpers/random-graph.js';
import { biasRandomProgram } from './bias-program.js';
import { expectSameRun } from './same-run.js';

const SEED = Number(process.env['FC_SEED'] ?? 20261206);

interface Chain {
  readonly R: number;
  readonly C: number;
  readonly rows: number;
  /** The acc entry of the bias and of the chain's row 0. */
  readonly at: number;
  /** Accumulating matmuls after the bias one, onto the same rows. */
  readonly extra: number;
}

/**
 * A dense tile with its bias: loaded once into acc entry `at` and started from by a bias matmul
 * (`replicated`: loaded into every row with stride 0 and accumulated onto, as before the bias
 * bit), then `extra` accumulating matmuls, a threshold and a store. Biases anywhere in int32, so
 * the sums wrap.
 */
function biasChain(l: Chain, seed: number, replicated = false): Program {
  const { R, C, rows, at, extra } = l;
  const tiles = 1 + extra;
  const [Q, B] = [0, 4 * C];
  const W = B + 4 * C;
  const IN = W + tiles * R * C;
  const OUT = IN + rows * R;
  const r = rng(seed);
  const constants = new Uint8Array(IN);
  const view = new DataView(constants.buffer);
  for (let c = 0; c < C; c++) {
    view.setUint16(Q + 4 * c, 2 ** 14 + c, true);
    constants[Q + 4 * c + 2] = 22;
    view.setInt32(B + 4 * c, r() < 0.3 ? 2 ** 31 - 1 - Math.floor(r() * 3000) : Math.floor(r() * 6000) - 3000, true);
  }
  for (let i = 0; i < tiles * R * C; i++) constants[W + i] = Math.floor(r() * 256);
  const matmuls = Array.from({ length: tiles }, (_, k) => {
    const mode = k > 0 || replicated ? 'accumulate=1' : 'accumulate=0 bias=1';
    return `matmul wgt=${k * R} act=0 actStride=1 acc=${at} rows=${rows} ${mode} inner=${rows} actOuter=0${k === 0 ? ' | popPrev' : ''}`;
  });
  const asm = [
    `load buf=3 sram=0 rows=1 dram=${Q} stride=0`,
    `load buf=2 sram=${at} rows=${replicated ? rows : 1} dram=${B} stride=0`,
    `load buf=0 sram=0 rows=${rows} dram=${IN} stride=${R}`,
    `load buf=1 sram=0 rows=${tiles * R} dram=${W} stride=${C} | pushNext`,
    ...matmuls,
    `threshold acc=${at} out=0 qnt=0 rows=${rows} zp=0 lo=-128 hi=127 table=0 steps=0 poolH=0 poolW=0 | pushNext`,
    `store sram=0 rows=${rows} dram=${OUT} stride=${C} | popPrev`,
    'halt',
  ].join('\n');
  return listingProgram(asm, makeConfig({ rows: R, cols: C, dramBytesPerCycle: 8, dramLatency: 3, actDepth: 64, wgtDepth: 64, accDepth: 64, outDepth: 64 }), constants, { IN: IN, inRows: rows, OUT: OUT, outRows: rows });
}

const CASES: readonly Chain[] = [
  { R: 1, C: 1, rows: 1, at: 0, extra: 0 },
  { R: 3, C: 2, rows: 1, at: 4, extra: 2 },
  { R: 2, C: 5, rows: 4, at: 3, extra: 0 },
  { R: 4, C: 4, rows: 9, at: 5, extra: 1 },
  { R: 3, C: 7, rows: 6, at: 1, extra: 3 },
  { R: 8, C: 3, rows: 2, at: 9, extra: 2 },
];

describe('a bias matmul on a hand-written chain', () => {
  test.each(CASES)('%o: = the bias replicated and accumulated onto; fast (JS, GEMM) = step = reference; acc reads 1 not rows', (l) => {
    const p = biasChain(l, l.R * 100 + l.C * 10 + l.rows);
    const old = biasChain(l, l.R * 100 + l.C * 10 + l.rows, true);
    const r = rng(l.rows + l.at);
    const x = Int8Array.from({ length: l.rows * l.R }, () => Math.floor(r() * 256) - 128);
    const want = Array.from(interpret(old, x));
    expect(Array.from(interpret(p, x))).toEqual(want);
    expect(want.some((v) => v !== -128 && v !== 127)).toBe(true); // not all clamped away
    const fast = simulate(p, x);
    expect(Array.from(fast.output)).toEqual(want);
    expectSameRun(simulate(p, x, { gemm: wasmGemm, traceKernels: wasmTraceKernels }), fast);
    expectSameRun(simulate(p, x, { mode: 'step' }), fast);
    expect(certificateFigures(certify(p), fast).filter((f) => !f.ok)).toEqual([]);
    // the bias matmul reads its one entry; the replicated load wrote rows − 1 more entries, the accumulating matmul read them
    const before = simulate(old, x).stats;
    expect(fast.stats.sramReads.acc).toBe(before.sramReads.acc - (l.rows - 1));
    expect(fast.stats.sramWrites.acc).toBe(before.sramWrites.acc - (l.rows - 1));
    expect(fast.stats.sramReads.acc).toBe(1 + l.extra * l.rows + l.rows); // bias entry, accumulating rows, threshold rows
  });
});

describe('random programs with bias matmuls', () => {
  test('the whole DRAM and every acc entry: fast (JS, GEMM) = step = reference; cycles, counters and trace agree', () => {
    const seen = { bias: 0, biasManyRowsAccNot0: 0 };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 12 }), (seed, queueDepth, dramLatency) => {
        const { p, x } = biasRandomProgram(seed, queueDepth, dramLatency);
        for (const i of p.instructions) {
          if (i.op !== 'matmul' || !i.bias) continue;
          seen.bias++;
          if (i.rows > 1 && i.acc > 0) seen.biasManyRowsAccNot0++;
        }
        const fast = simulate(p, x);
        expect(Array.from(fast.output)).toEqual(Array.from(interpret(p, x)));
        const gemm = simulate(p, x, { gemm: wasmGemm, traceKernels: wasmTraceKernels });
        expect(Array.from(gemm.output)).toEqual(Array.from(fast.output));
        expect([gemm.cycles, gemm.traceHash, gemm.stats]).toEqual([fast.cycles, fast.traceHash, fast.stats]);
        expectSameRun(simulate(p, x, { mode: 'step' }), fast);
        expect(certificateFigures(certify(p), fast).filter((f) => !f.ok)).toEqual([]);
      }),
      { numRuns: 60, seed: SEED },
    );
    expect(seen.biasManyRowsAccNot0).toBeGreaterThan(20);
  });
});

describe('nnchip sim of a hand-written listing with bias=1', () => {
  test.each(['fast', 'step'])('--mode %s: the reference outputs, the certificate cycles, one acc read for the bias', async (mode) => {
    const l = CASES[3]!;
    const p = biasChain(l, 7);
    expect(p.instructions.filter((i) => i.op === 'matmul' && i.bias === 1)).toHaveLength(1);
    const dir = mkdtempSync(join(tmpdir(), 'nnchip-bias-'));
    const file = join(dir, 'bias.nnp');
    writeFileSync(file, serializeProgram(p));
    const sample = Array.from({ length: l.rows * l.R }, (_, k) => ((k * 37) % 200) - 100);
    writeFileSync(join(dir, 'x.json'), JSON.stringify([sample]));
    const io = captureIo();
    const code = await main(['sim', file, '--mode', mode, '--input', join(dir, 'x.json'), '--json'], io);
    expect(code, io.err.join('')).toBe(EXIT.ok);
    const j = JSON.parse(io.out.join('')) as { cycles: number; stats: { sramReads: { acc: number } }; samples: { raw: number[] }[] };
    expect(j.cycles).toBe(certify(p).cycles);
    expect(j.stats.sramReads.acc).toBe(1 + l.extra * l.rows + l.rows);
    expect(j.samples[0]!.raw).toEqual(Array.from(interpret(p, Int8Array.from(sample))));
  });
});
