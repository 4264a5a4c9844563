/**
 * Every command's --help, walked from `nnchip --help`: it names every input the command accepts
 * (probed by running the command on each kind), states every option's default, and shows an example.
 */
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { nnchip, REPO } from '../helpers/cli.js';
import { runnable } from '../helpers/commands.js';

/** The names listed under "Commands:" in a help text (without `help`). */
function subcommands(help: string): string[] {
  const section = /\nCommands:\n([\s\S]*?)(\n\n|$)/.exec(help)?.[1] ?? '';
  return section
    .split('\n')
    .filter((l) => /^ {2}\S/.test(l))
    .map((l) => l.trim().split(/\s+/)[0]!)
    .filter((name) => name !== 'help');
}

interface OptionHelp {
  readonly term: string;
  readonly text: string;
}

/** The options of a help text, each with its whole (unwrapped) description. */
function optionsOf(help: string): OptionHelp[] {
  const section = /\nOptions:\n([\s\S]*?)(\n\n|$)/.exec(help)?.[1] ?? '';
  const out: { term: string; text: string }[] = [];
  for (const line of section.split('\n')) {
    const m = /^ {2}(-\S.*?)(?: {2,}(.*))?$/.exec(line);
    if (m) out.push({ term: m[1]!, text: m[2] ?? '' });
    else if (out.length > 0) out[out.length - 1]!.text += ` ${line.trim()}`;
  }
  return out;
}

function allCommands(): string[] {
  const names: string[] = [];
  const walk = (prefix: string[]): void => {
    const help = nnchip([...prefix, '--help']).stdout;
    for (const name of subcommands(help)) {
      names.push([...prefix, name].join(' '));
      walk([...prefix, name]);
    }
  };
  walk([]);
  return names;
}

const COMMANDS = allCommands();
const work = mkdtempSync(join(tmpdir(), 'nnchip-help-'));
const lowered = join(work, 'tiny.nnchip');
const helps = new Map(COMMANDS.map((c) => [c, nnchip([...c.split(' '), '--help'])]));

beforeAll(() => {
  expect(nnchip(['lower', join(REPO, 'examples/tiny/tiny.nnchip.json'), '-o', lowered]).code).toBe(0);
});

describe('every command --help', () => {
  test('the walk finds every command', () => {
    for (const c of ['lower', 'run', 'eval', 'disasm', 'isa', 'explore', 'explore merge', 'report', 'sim', 'wasm', 'verilog', 'synth']) expect(COMMANDS).toContain(c);
  });

  test.each(COMMANDS)('%s: exits 0 and has at least one example of itself', (command) => {
    const r = helps.get(command)!;
    expect(r.code).toBe(0);
    const block = /\nExamples:\n((?: {2}.*\n?)+)/.exec(r.stdout)?.[1] ?? '';
    expect(block.split('\n').filter((l) => l.startsWith(`  nnchip ${command} `)).length, r.stdout).toBeGreaterThan(0);
  });

  test.each(COMMANDS)('%s: every option that takes a value states its default (or that it is required)', (command) => {
    const options = optionsOf(helps.get(command)!.stdout).filter((o) => /[<[]/.test(o.term));
    for (const o of options) expect(o.text, `${command} ${o.term}`).toMatch(/default|required/i);
    // in one style: `(default 8x8)`, not commander's quoted `(default: "8x8")`
    for (const o of options) expect(o.text, `${command} ${o.term}`).not.toMatch(/\(default: "/);
  });

  test.each(COMMANDS)('%s: names every input it accepts', (command) => {
    const help = helps.get(command)!.stdout.replace(/\s+/g, ' '); // commander wraps descriptions
    const usage = /^Usage: .*$/m.exec(helps.get(command)!.stdout)?.[0] ?? '';
    if (usage.includes('<model>') || usage.includes('[model]')) {
      for (const kind of ['TF.js Layers model.json', 'ONNX .onnx', 'nnchip JSON', 'folder holding one model.json or model.onnx']) expect(help, kind).toContain(kind);
      // run it on a lowered program with a compile flag: it either refuses the flag (so it takes programs) or the program
      const required = optionsOf(helps.get(command)!.stdout).filter((o) => /\(required\)/.test(o.text)).flatMap((o) => [o.term.split(' ')[0]!, 'x.json']);
      const r = nnchip([...command.split(' '), lowered, ...required, '--config', 'x.json']);
      expect(r.code, r.stderr).toBe(2);
      const takesPrograms = /cannot apply to a lowered program/.test(r.stderr);
      if (!takesPrograms) expect(r.stderr).toMatch(/needs the float model/);
      for (const kind of ['lowered folder', 'program.nnp']) expect(help.includes(kind), `${command} help names "${kind}"`).toBe(takesPrograms);
    } else if (usage.includes('<program>')) {
      for (const kind of ['lowered folder', 'program.nnp']) expect(help).toContain(kind);
    } else if (usage.includes('<dir>')) {
      expect(help).toContain('board design folder, written by `nnchip verilog <model> --board <name>`');
    } else if (usage.endsWith('[command]')) {
      expect(subcommands(helps.get(command)!.stdout).length).toBeGreaterThan(0); // a group: its commands carry the inputs
    } else if (usage.includes('<files...>')) {
      expect(help).toContain('explore-shard-');
    } else {
      expect(usage).toMatch(/\[options\]$/);
    }
  });

  test('the examples run as written, in the order the helps list them, from a folder beside examples/', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'nnchip-help-examples-'));
    symlinkSync(join(REPO, 'examples'), join(cwd, 'examples'));
    const ran: string[] = [];
    for (const command of ['', ...COMMANDS]) {
      const help = command === '' ? nnchip(['--help']).stdout : helps.get(command)!.stdout;
      const block = /\nExamples:\n((?: {2}.*\n?)+)/.exec(help)?.[1] ?? '';
      for (const line of block.split('\n').filter((l) => l.startsWith('  nnchip '))) {
        const cmd = line.trim().split(/ {2,}/)[0]!;
        const words = cmd.split(/\s+/).slice(1);
        // synth and the board's bitstream run yosys and nextpnr for minutes (test/cosim runs them); board run needs a board
        if (!runnable(cmd) || words[0] === 'synth' || (words[0] === 'board' && words[1] !== 'flash-image')) continue;
        const r = nnchip(words, { cwd });
        expect(r.code, `${cmd}\n${r.stderr}`).toBe(0);
        ran.push(cmd);
      }
    }
    expect(ran.length).toBeGreaterThanOrEqual(25);
  }, 300_000);

  test('the same concept has the same flag everywhere: an output path is -o, --out; machine JSON output is --json', () => {
    const spelled = new Map<string, Set<string>>(); // long flag → the terms that spell it
    for (const command of COMMANDS) {
      for (const o of optionsOf(helps.get(command)!.stdout)) {
        const long = /--[\w-]+/.exec(o.term)![0];
        spelled.set(long, (spelled.get(long) ?? new Set()).add(o.term.replace(/ [<[].*$/, '')));
        if (long === '--out') expect(o.term, command).toMatch(/^-o, --out </);
      }
    }
    for (const [long, terms] of spelled) expect([...terms], `${long} is spelled one way`).toHaveLength(1);
    for (const synonym of ['--output', '--out-dir', '--outdir', '--format', '--machine', '--sample', '--inputs', '--data-file']) expect(spelled.has(synonym), synonym).toBe(false);
    // every command that prints a result has --json (a group only lists its commands)
    for (const command of COMMANDS.filter((c) => c !== 'board')) expect(spelled.has('--json') && /\n {2}--json /.test(helps.get(command)!.stdout), command).toBe(true);
  });

  test.each(COMMANDS)("%s: a usage error points at the command's own help", (command) => {
    const r = nnchip([...command.split(' '), '--no-such-option']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(new RegExp(`^error NN801: .* — see \`nnchip ${command} --help\`$`));
  });
});
