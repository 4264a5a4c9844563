/**
 * Lowering is deterministic and changes only on purpose: the listing and IR of the shipped tiny
 * model and the ISA table are pinned. `npx vitest run test/golden -u` regenerates; review the diff.
 */
import { describe, expect, test } from 'vitest';
import { isaMarkdown } from '../../src/cli/commands/isa.js';
import { listingOf } from '../../src/cli/commands/lower.js';
import { loadModel } from '../../src/importers/index.js';
import { makeConfig } from '../../src/isa/config.js';
import { compile } from '../../src/passes/pipeline.js';

const TINY = new URL('../../examples/tiny/tiny.nnchip.json', import.meta.url).pathname;

describe('golden files', () => {
  test('tiny model on a 2x2 array: assembly listing', async () => {
    const { program } = compile(loadModel(TINY), { config: makeConfig({ rows: 2, cols: 2 }), calibration: { inputRange: [-1, 1] }, verify: true });
    await expect(listingOf(program)).toMatchFileSnapshot('fixtures/tiny-2x2.asm');
  });

  test('the ISA table', async () => {
    await expect(isaMarkdown()).toMatchFileSnapshot('fixtures/isa.md');
  });
});
