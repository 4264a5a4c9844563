/**
 * Fuzzing: mutated model files and calibration data make nnchip either succeed or fail with a
 * known error code — never an internal error, an uncaught exception or a hang (the ONNX base holds a
 * branch nothing reads, dropped before conversion: its mutants reach the pruning). bench/fuzz.mjs runs
 * the same property for 10,000+ cases; FUZZ_SEED reproduces a run.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../../src/cli/context.js';
import { CODES } from '../../src/diagnostics/codes.js';
import { mutate, mutationArb } from './mutate.js';
import { buildOnnx, weights } from '../helpers/onnx-models.js';

const BASE = new URL('../bad-inputs/inf-weight/', import.meta.url).pathname;
const MODEL = readFileSync(join(BASE, 'model.json'), 'utf8');
const WEIGHTS = new Float32Array(23).fill(0.25);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261123);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 300);
const KNOWN = new Set(Object.keys(CODES).filter((c) => c !== 'NN901'));
const tally = { cases: 0, ok: 0, rejected: new Map<string, number>() };

async function runCase(files: Record<string, string | Uint8Array>, args: (dir: string) => string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-fuzz-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const io = captureIo();
    const timeout = new Promise<'hang'>((resolve) => setTimeout(() => resolve('hang'), 10_000).unref());
    const code = await Promise.race([main(args(dir), io), timeout]);
    const err = io.err.join('');
    expect(code, 'a case took over 10 s').not.toBe('hang');
    tally.cases++;
    if (code === 0) tally.ok++;
    else {
      const m = /(?:error |"code":")(NN\d{3})/.exec(err);
      expect(m?.[1] !== undefined && KNOWN.has(m[1]), `unexpected failure: ${err}`).toBe(true);
      tally.rejected.set(m![1]!, (tally.rejected.get(m![1]!) ?? 0) + 1);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('fuzzing', () => {
  afterAll(() => {
    const codes = [...tally.rejected].sort().map(([c, n]) => `${c}×${n}`).join(' ');
    console.log(`fuzz: ${tally.cases} cases, 0 crashes, ${tally.ok} accepted, rejected with known codes: ${codes}`);
  });

  test('mutated TF.js model files', async () => {
    await fc.assert(
      fc.asyncProperty(mutationArb, async (m) => {
        const { json, weights } = mutate(MODEL, new Uint8Array(WEIGHTS.buffer), m);
        await runCase({ 'model.json': json, 'weights.bin': weights }, (d) => ['lower', join(d, 'model.json'), '-o', join(d, 'out'), '--input-range', '0,1']);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  test('mutated ONNX bytes', async () => {
    const onnx = buildOnnx({
      input: [1, 4],
      output: [1, 2],
      inits: { W1: { dims: [4, 3], data: weights(12, 1) }, b1: { dims: [3], data: weights(3, 2) }, W2: { dims: [3, 2], data: weights(6, 3) }, Wd: { dims: [4, 2], data: weights(8, 4) } },
      nodes: [
        // a branch nothing reads (an op nnchip lacks, its own weight): dropped before conversion, until a mutation makes it live
        { op: 'Sin', inputs: ['x'], outputs: ['dead0'] },
        { op: 'MatMul', inputs: ['dead0', 'Wd'], outputs: ['dead1'] },
        { op: 'Gemm', inputs: ['x', 'W1', 'b1'], outputs: ['t0'] },
        { op: 'Relu', inputs: ['t0'], outputs: ['t1'] },
        { op: 'MatMul', inputs: ['t1', 'W2'], outputs: ['t2'] },
      ],
    });
    // the base itself lowers: its dead branch is no refusal
    const before = tally.ok;
    await runCase({ 'model.onnx': onnx }, (d) => ['lower', join(d, 'model.onnx'), '-o', join(d, 'out'), '--input-range', '0,1']);
    expect(tally.ok).toBe(before + 1);
    const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('flip', 'truncate', 'insert', 'set'), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
        let b = Uint8Array.from(onnx);
        for (const e of edits) {
          const i = e.at % b.length;
          if (e.kind === 'flip') b[i] = (b[i] ?? 0) ^ e.bytes[0]!;
          else if (e.kind === 'truncate') b = b.slice(0, i);
          else if (e.kind === 'insert') b = Uint8Array.from([...b.slice(0, i), ...e.bytes, ...b.slice(i)]);
          else b.set(e.bytes.slice(0, b.length - i), i);
          if (b.length === 0) b = Uint8Array.from([8]);
        }
        await runCase({ 'model.onnx': b }, (d) => ['lower', join(d, 'model.onnx'), '-o', join(d, 'out'), '--input-range', '0,1']);
      }),
      { numRuns: RUNS, seed: SEED + 2 },
    );
  });

  test('mutated calibration and input files', async () => {
    const sample = JSON.stringify({ inputs: [[0.1, 0.2, 0.3, 0.4], [1, 0, 1, 0]] });
    await fc.assert(
      fc.asyncProperty(mutationArb, async (m) => {
        const { json } = mutate(sample, new Uint8Array(), m.kind === 'shard' ? { ...m, kind: 'replace' } : m);
        const files = { 'model.json': MODEL, 'weights.bin': new Uint8Array(WEIGHTS.buffer), 'data.json': json };
        await runCase(files, (d) => ['run', join(d, 'model.json'), '--calibration', join(d, 'data.json'), '--input', join(d, 'data.json'), '--json']);
      }),
      { numRuns: Math.ceil(RUNS / 2), seed: SEED + 1 },
    );
  });
});
