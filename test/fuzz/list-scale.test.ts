/**
 * Long lists in a model file: a check that searched the entries before each one (a weight name
 * among the manifest's, a producer among the graph's nodes; every shard path resolved on disk before
 * the first repeat was looked for) was a million squared steps on a file of a few megabytes — a
 * hang, where the rule is one error line or a result. Here each long list gives its one line (or
 * its program); `node bench/list-scale.mjs` times the same cases at n and 4n (linear: about 4×; the
 * old searches took 14–19 s at these sizes). FUZZ_RUNS scales the lists.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../../src/cli/context.js';
// @ts-expect-error: a plain ES module the bench shares (no types)
import { identityChain, shardListedMany, weightListedTwice } from '../../bench/list-scale-cases.mjs';

const SCALE = Math.max(1, Number(process.env['FUZZ_RUNS'] ?? 300) / 300);
/**
 * The Identity chain scales at most 10× (800,000 nodes): from about 2.5 M nodes on, the file holds
 * more entries than the default --max-memory lets a model decode, and NN109 refuses it — right for
 * the file, not what this test checks (`node bench/fuzz.mjs` runs FUZZ_RUNS=10,000: 33×).
 */
const CHAIN_SCALE = Math.min(SCALE, 10);

async function lower({ files, model }: { files: Record<string, string | Uint8Array>; model: string }): Promise<{ code: number; err: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-list-scale-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const io = captureIo();
    const code = await main(['lower', join(dir, model), '-o', join(dir, 'out'), '--input-range', '0,1'], io);
    return { code, err: io.err.join('') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('long lists in a model file', () => {
  test('a TF.js weightsManifest of 100,000 distinct weights and one listed again is NN107', async () => {
    const r = await lower(weightListedTwice(Math.round(100_000 * SCALE)));
    expect(r.err).toMatch(/^error NN107: model\.json: weight "fc\/kernel" is listed twice/);
  });

  test('a TF.js weightsManifest naming one shard 400,000 times is NN107', async () => {
    const r = await lower(shardListedMany(Math.round(400_000 * SCALE)));
    expect(r.err).toMatch(/^error NN107: model\.json: weight shard "w\.bin" is listed twice/);
  });

  test('an ONNX graph whose output is at the end of 80,000 Identity nodes lowers', async () => {
    const r = await lower(identityChain(Math.round(80_000 * CHAIN_SCALE)));
    expect(r.code, r.err).toBe(0);
  });
});
