/**
 * The `nnchip …` command lines in the code blocks of README.md, docs/*.md and the examples' READMEs
 * run as written, in order, from a fresh folder beside the repository's examples/ (as a user who has
 * just cloned it types them): each exits 0. Lines that are a synopsis (`[--json]`, `a|b`), name a
 * file the reader brings (model.json, samples.json, other.nnchip.json), a board port, a shell glob
 * or variable, or show a refusal (`$ nnchip …` followed by its error) are not run.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { nnchip, REPO } from '../helpers/cli.js';
import { codeBlockCommands, runnable } from '../helpers/commands.js';

const DOCS = [
  'README.md',
  ...readdirSync(join(REPO, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  ...readdirSync(join(REPO, 'examples'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `examples/${d.name}/README.md`)
    .filter((f) => existsSync(join(REPO, f))),
];
/** What a document's reader has done before its code blocks: README's quick start ran `npm run demo` (examples/digits-mlp/demo.mjs). */
const BEFORE: Readonly<Record<string, readonly (readonly string[])[]>> = {
  'README.md': [['lower', 'examples/digits-mlp/model.json', '-o', 'out/digits-mlp.nnchip']],
};
const byDoc = DOCS.map((doc) => [doc, codeBlockCommands(readFileSync(join(REPO, doc), 'utf8')).filter(runnable)] as const).filter(([, cmds]) => cmds.length > 0);

describe('the command lines in the docs run as written', () => {
  test('the walk finds them (README explore, docs/wasm.md, docs/scale-sim.md)', () => {
    const docs = new Map(byDoc);
    expect(docs.get('README.md')?.some((c) => c.startsWith('nnchip explore examples/digits-mlp/model.json'))).toBe(true);
    expect(docs.get('docs/wasm.md')?.length).toBeGreaterThanOrEqual(4);
    expect(docs.get('docs/scale-sim.md')?.length).toBeGreaterThanOrEqual(4);
    expect(codeBlockCommands('```sh\nnnchip a \\\n  --b c   # d\n```\nnnchip not-code\n')).toEqual(['nnchip a --b c']);
  });

  test.each(byDoc)('%s', (doc, commands) => {
    const cwd = mkdtempSync(join(tmpdir(), 'nnchip-doc-'));
    symlinkSync(join(REPO, 'examples'), join(cwd, 'examples'));
    for (const args of BEFORE[doc] ?? []) expect(nnchip(args, { cwd }).code).toBe(0);
    for (const cmd of commands) {
      const r = nnchip(cmd.split(/\s+/).slice(1), { cwd, env: { NO_COLOR: '1' } });
      expect(r.code, `${cmd}\n${r.stderr}`).toBe(0);
    }
  }, 180_000);
});
