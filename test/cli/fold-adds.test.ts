/**
 * `--no-fold-adds`: each residual add stays a layer of its own (by default it folds into the
 * convolution before it: passes/weighted-op.ts foldedAdd); beside a lowered program it is refused,
 * as every compile flag is, since the program's quantization is fixed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { nnchip, REPO } from '../helpers/cli.js';

const RESNET8 = join(REPO, 'examples/resnet8/model.onnx');
const work = mkdtempSync(join(tmpdir(), 'nnchip-fold-adds-'));

interface Lowered {
  readonly layers: readonly { readonly name: string; readonly op: string }[];
  readonly totals: { readonly cycles: number };
}

function lower(name: string, ...args: string[]): Lowered {
  const r = nnchip(['lower', RESNET8, '-o', join(work, name), '--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Lowered;
}

test('ResNet-8: its three adds fold by default, and stay layers with --no-fold-adds', () => {
  const folded = lower('folded');
  const plain = lower('plain', '--no-fold-adds');
  const adds = (l: Lowered): string[] => l.layers.filter((x) => x.op.startsWith('add')).map((x) => x.name);
  expect(adds(folded)).toEqual([]);
  expect(folded.layers.filter((x) => x.op.includes('+add+')).length).toBe(3);
  expect(adds(plain)).toHaveLength(3);
  expect(folded.totals.cycles).toBeLessThan(plain.totals.cycles);
  // beside a lowered program: refused (its quantization is fixed), not ignored
  const r = nnchip(['sim', join(work, 'folded'), '--no-fold-adds']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^error NN801: .*--no-fold-adds cannot apply to a lowered program/);
}, 120_000);
