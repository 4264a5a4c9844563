/** docs/isa.md, which `nnchip isa` points at (the package ships docs/, not src/), says what src/isa/spec.ts and the op records say. */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { isaMarkdown } from '../../src/cli/commands/isa.js';
import { OPS } from '../../src/isa/ops/index.js';
import { OPCODE_LIST } from '../../src/isa/spec.js';
import { nnchip } from '../helpers/cli.js';

const doc = readFileSync(new URL('../../docs/isa.md', import.meta.url), 'utf8');
const spec = readFileSync(new URL('../../src/isa/spec.ts', import.meta.url), 'utf8');

/** The text of spec.ts's doc comments that start with `opening`, without the ` * ` margins. */
function commentLines(opening: string): string[] {
  const block = [...spec.matchAll(/\/\*\*\n([\s\S]*?)\*\//g)].map((m) => m[1]!).find((b) => b.trimStart().startsWith(`* ${opening}`));
  expect(block, `a doc comment starting "${opening}" in src/isa/spec.ts`).toBeDefined();
  return block!.split('\n').map((l) => l.replace(/^ \* ?/, '').replace(/^ \*$/, '')).filter((l) => l.trim() !== '');
}

describe('docs/isa.md', () => {
  test('holds the encoding table `nnchip isa --markdown` prints', () => {
    expect(doc).toContain(isaMarkdown());
  });

  test('holds every line of the ISA definition: glossary, units, and the semantics of each opcode', () => {
    const semantics = OPCODE_LIST.flatMap((op) => OPS[op].semantics.split('\n').filter((l) => l.trim() !== ''));
    const lines = [...commentLines('THE nnchip instruction set'), ...semantics];
    expect(lines.length).toBeGreaterThan(30);
    for (const line of lines) expect(doc, line).toContain(line);
  });

  test('`nnchip isa` points at it, not at a source file the package does not ship', () => {
    const r = nnchip(['isa']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('docs/isa.md');
    expect(r.stdout).not.toMatch(/src\/isa/);
  });
});
