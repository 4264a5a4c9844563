/**
 * The `nnchip …` command lines in the code blocks of README.md, docs/*.md and the examples' READMEs
 * run as written, in order, from a fresh folder beside the repository's examples/ (as a user who has
 * just cloned it types them): each exits 0. Lines that are a synopsis (`[--json]`, `a|b`), name a
 * file the reader brings (model.json, samples.json, other.nnchip.json), a board port, a shell glob
 * or variable, or show a refusal (`$ nnchip …` followed by its error) are not run. And every
 * `--flag` those docs give a command, in code blocks or inline, is one of that command's options.
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

/** Every `nnchip <command> … --flag` the docs write, in code blocks and in `inline code`. */
function flagUses(markdown: string): { command: string; flag: string; line: string }[] {
  const lines = [...codeBlockCommands(markdown), ...[...markdown.matchAll(/`(nnchip [^`\n]+)`/g)].map((m) => m[1]!)];
  const uses: { command: string; flag: string; line: string }[] = [];
  for (const line of lines) {
    const words = line.split(/\s+/);
    const command = ['board', 'explore'].includes(words[1] ?? '') && /^[a-z][a-z-]*$/.test(words[2] ?? '') && words[2] !== 'model' ? `${words[1]} ${words[2]}` : (words[1] ?? '');
    if (!/^[a-z]/.test(command)) continue; // `nnchip --version`
    for (const m of line.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)) uses.push({ command, flag: m[0], line });
  }
  return uses;
}

test('every flag the docs give a command is one of its options (a renamed flag fails here)', () => {
  const helps = new Map<string, string>();
  const helpOf = (command: string): string => {
    if (!helps.has(command)) helps.set(command, nnchip([...command.split(' '), '--help']).stdout);
    return helps.get(command)!;
  };
  let checked = 0;
  for (const doc of DOCS) {
    for (const { command, flag, line } of flagUses(readFileSync(join(REPO, doc), 'utf8'))) {
      const help = helpOf(command);
      expect(help, `${doc}: "${line}": no command "${command}"`).toMatch(/^Usage: nnchip /);
      const options = /\nOptions:\n([\s\S]*?)(\n\n|$)/.exec(help)?.[1] ?? '';
      expect(options, `${doc}: "${line}": nnchip ${command} has no ${flag}`).toMatch(new RegExp(`(^|[ ,])${flag}( |$|\\n|,)`, 'm'));
      checked += 1;
    }
  }
  expect(checked).toBeGreaterThan(100);
});
