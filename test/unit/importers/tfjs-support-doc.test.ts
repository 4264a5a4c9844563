/** docs/tfjs-support.md has a table row for every Layers layer and graph op the importers accept, and no other. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { SUPPORTED_TFJS_GRAPH_OPS } from '../../../src/importers/tfjs-graph.js';
import { SUPPORTED_TFJS_LAYERS } from '../../../src/importers/tfjs-layers.js';

/** The names in the first column of the table under `## heading`. */
function firstColumn(doc: string, heading: string): string[] {
  const section = doc.split(/^## /m).find((s) => s.startsWith(heading)) ?? '';
  return section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---')).slice(1)
    .flatMap((l) => l.split('|')[1]!.split(',').map((s) => s.trim().replace(/`.*$/, '').trim())).filter((s) => s !== '');
}

const doc = readFileSync(join(import.meta.dirname, '../../../docs/tfjs-support.md'), 'utf8');

test('every supported Layers layer has its row', () => {
  expect(new Set(firstColumn(doc, 'Layers models'))).toEqual(new Set(SUPPORTED_TFJS_LAYERS));
});

test('every supported graph op has its row', () => {
  expect(new Set(firstColumn(doc, 'Graph models'))).toEqual(new Set(SUPPORTED_TFJS_GRAPH_OPS));
});
