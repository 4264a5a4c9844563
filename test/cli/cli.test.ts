/** The real `nnchip` binary, spawned: the forms users' scripts rely on. */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { EXIT } from '../../src/diagnostics/codes.js';
import { parseListing } from '../../src/isa/asm.js';
import { interpret } from '../../src/isa/interpret.js';
import { quantizeInput } from '../../src/isa/program.js';
import { deserializeProgram } from '../../src/isa/validate.js';
import { calibrationSamples, DIGITS_MLP } from '../helpers/compile.js';
import { nnchip } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-cli-'));

describe('nnchip CLI', () => {
  test('--help teaches the commands and exit codes', () => {
    const r = nnchip(['--help']);
    expect(r.code).toBe(0);
    for (const word of ['lower', 'run', 'eval', 'disasm', 'isa', 'Exit codes']) expect(r.stdout).toContain(word);
  });

  test('every exit code of the EXIT table is explained in nnchip --help and in the README, and nothing else is', () => {
    const listed = (text: string): number[] => {
      const para = /Exit codes: ([\s\S]*?)(?:\n\n|\.\s+Errors|$)/.exec(text)?.[1] ?? '';
      return [...para.matchAll(/(?:^|[,:]\s+)(\d+) [a-z]/g)].map((m) => Number(m[1]));
    };
    const codes = [...new Set(Object.values(EXIT))].sort((a, b) => a - b);
    expect(listed(nnchip(['--help']).stdout)).toEqual(codes);
    expect(listed(readFileSync(new URL('../../README.md', import.meta.url), 'utf8'))).toEqual(codes);
  });

  test('--version is the package version (written by hand in main.ts)', () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(nnchip(['--version']).stdout).toBe(`${version}\n`);
  });

  test('lower writes the program, listing, memory map and summary; output is deterministic', () => {
    const a = nnchip(['lower', DIGITS_MLP, '-o', join(work, 'a'), '--json']);
    const b = nnchip(['lower', DIGITS_MLP, '-o', join(work, 'b'), '--array', '8x8']);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const summary = JSON.parse(a.stdout) as { layers: { name: string; macs: number }[]; totals: { macs: number } };
    expect(summary.layers.map((l) => l.name)).toEqual(['dense_1', 'dense_2']);
    expect(summary.totals.macs).toBe(784 * 64 + 64 * 10); // one MAC per weight, batch 1
    const files = readdirSync(join(work, 'a')).sort();
    // .nnchip-output: the marker that lets a later run replace the folder (src/util/output-paths.ts)
    expect(files).toEqual(['.nnchip-output', 'memory-map.json', 'program.asm', 'program.nnp', 'summary.json']);
    for (const f of files) expect(readFileSync(join(work, 'a', f)), f).toEqual(readFileSync(join(work, 'b', f)));
    expect(b.stdout).toMatch(/dense_1 +│ dense\+relu +│ 784→64/);
    expect(b.stdout).not.toMatch(/\x1b\[/); // not a TTY: no color codes
  });

  test('disasm prints a listing that assembles back to the same program', () => {
    const r = nnchip(['disasm', join(work, 'a')]);
    expect(r.code).toBe(0);
    const program = deserializeProgram(readFileSync(join(work, 'a', 'program.nnp')));
    expect(parseListing(r.stdout)).toEqual(program.instructions);
  });

  test('run --backend ref --json gives outputs and raw codes equal to the interpreter', () => {
    const samples = calibrationSamples().slice(0, 3);
    const input = join(work, 'input.json');
    writeFileSync(input, JSON.stringify({ inputs: samples.map((s) => Array.from(s)) }));
    const r = nnchip(['run', DIGITS_MLP, '--input', input, '--backend', 'ref', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { backend: string; outputs: number[][]; raw: number[][] };
    expect(out.backend).toBe('ref');
    const program = deserializeProgram(readFileSync(join(work, 'a', 'program.nnp')));
    expect(out.raw).toEqual(samples.map((s) => Array.from(interpret(program, quantizeInput(program, s)))));
    expect(out.outputs[0]).toHaveLength(10);
  });

  test('run --batch 3: seven samples in three inferences, each sample as without a batch (sim gives per-inference cycles)', () => {
    const input = join(work, 'seven.json');
    writeFileSync(input, JSON.stringify(calibrationSamples().slice(0, 7).map((s) => Array.from(s))));
    const plain = JSON.parse(nnchip(['run', DIGITS_MLP, '--input', input, '--json']).stdout) as { raw: number[][] };
    const r = nnchip(['run', DIGITS_MLP, '--input', input, '--batch', '3', '--backend', 'sim', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { raw: number[][]; cycles: number[]; batch: number };
    expect(out.batch).toBe(3);
    expect(out.raw).toEqual(plain.raw);
    expect(out.cycles).toHaveLength(7);
    expect(new Set(out.cycles).size).toBe(1);
  });

  test('run --batch 2 on the MNIST CNN: three samples in two inferences, each as without a batch; a channel-major CNN refuses a batch (NN306)', () => {
    const cnn = new URL('../../examples/digits-cnn/model.json', import.meta.url).pathname;
    const input = join(work, 'three-digits.json');
    writeFileSync(input, JSON.stringify(calibrationSamples(new URL('../../examples/digits-cnn/calibration.json', import.meta.url).pathname).slice(0, 3).map((s) => Array.from(s))));
    const plain = JSON.parse(nnchip(['run', cnn, '--input', input, '--json']).stdout) as { raw: number[][] };
    const r = nnchip(['run', cnn, '--input', input, '--batch', '2', '--backend', 'sim', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { raw: number[][]; batch: number };
    expect([out.batch, out.raw]).toEqual([2, plain.raw]);
    const onnx = nnchip(['lower', new URL('../../examples/resnet8/model.onnx', import.meta.url).pathname, '--batch', '2', '-o', join(work, 'resnet8')]);
    expect(onnx.code).toBe(3);
    expect(onnx.stderr).toMatch(/^error NN306: model.onnx: a batch of 2 takes feature maps pixel-major/m);
  });

  test('a batch too large for --max-memory is refused by every command that compiles, from the shapes (it took minutes and gigabytes)', () => {
    const cnn = new URL('../../examples/digits-cnn/model.json', import.meta.url).pathname;
    const input = join(work, 'one-digit.json');
    writeFileSync(input, JSON.stringify([Array.from(calibrationSamples(new URL('../../examples/digits-cnn/calibration.json', import.meta.url).pathname)[0]!)]));
    for (const args of [['lower', cnn, '-o', join(work, 'huge')], ['sim', cnn], ['run', cnn, '--input', input], ['verilog', cnn, '-o', join(work, 'huge-v')], ['wasm', cnn, '-o', join(work, 'huge.wasm')]]) {
      const r = nnchip([...args, '--batch', '65536']);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr, args[0]).toMatch(/^error NN308: model\.json: a batch of 65,536 lowers to at least [\d,]+ instructions, which take at least [\d,]+ bytes of compiler memory, over the limit of 2,147,483,648 \(--max-memory\); the largest batch within it is \d+ — /);
      expect(r.stderr.trim().split('\n'), args[0]).toHaveLength(1);
    }
    expect(readdirSync(work).filter((f) => f.startsWith('huge'))).toEqual([]);
  });

  test('a lowered folder runs like the model it came from', () => {
    const input = join(work, 'one.json');
    writeFileSync(input, JSON.stringify([Array.from(calibrationSamples()[0]!)]));
    const fromModel = nnchip(['run', DIGITS_MLP, '--input', input, '--json']);
    const fromDir = nnchip(['run', join(work, 'a'), '--input', input, '--json']);
    expect(fromDir.stdout).toBe(fromModel.stdout);
  });

  test('usage errors exit 2; model errors exit 1 with one line and no stack trace', () => {
    expect(nnchip(['lower']).code).toBe(2);
    expect(nnchip(['frobnicate']).code).toBe(2);
    // no command: the help, on stderr, and a usage exit (the help asked for is on stdout, exit 0)
    for (const args of [[], ['board']]) {
      const r = nnchip(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^Usage: nnchip /);
    }
    for (const args of [['--help'], ['help'], ['help', 'sim'], ['board', '--help']]) {
      const r = nnchip(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: nnchip /);
    }
    const r = nnchip(['lower', join(work, 'nope.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error NN101: .*nope\.json: cannot be read/);
  });

  test('a bad --batch is the same usage error (exit 2, no model file named) from every command that compiles, and a typo gets a suggestion', () => {
    const REQUIRED: Record<string, readonly string[]> = { run: ['--input', 'x.json'], eval: ['--data', 'x.json'] };
    for (const command of ['lower', 'run', 'eval', 'sim', 'wasm', 'verilog', 'report']) {
      for (const value of ['0', '70000', '2.5', 'x']) {
        const r = nnchip([command, DIGITS_MLP, '--batch', value, ...(REQUIRED[command] ?? [])]);
        expect(r.code, `${command} --batch ${value}: ${r.stderr}`).toBe(2);
        expect(r.stderr.trim()).toBe(`error NN801: --batch "${value}" must be an integer from 1 to 65536 — see \`nnchip ${command} --help\``);
      }
    }
    expect(nnchip(['lowr']).stderr).toContain('(Did you mean lower?)');
    const help = nnchip(['help', 'lowr']);
    expect(help.code).toBe(2);
    expect(help.stderr.trim()).toBe("error NN801: unknown command 'lowr' (Did you mean lower?) — see `nnchip --help`");
    // and a mistyped value of an option with a fixed set of them
    expect(nnchip(['run', DIGITS_MLP, '--input', 'x.json', '--backend', 'sm']).stderr.trim()).toBe('error NN801: unknown backend "sm" (available: ref, wasm, sim, rtl; did you mean sim?) — see `nnchip run --help`');
    expect(nnchip(['verilog', DIGITS_MLP, '--target', 'ic40']).stderr).toContain('(available: ice40, ecp5, asic, generic; did you mean ice40?)');
    expect(nnchip(['sim', DIGITS_MLP, '--mode', 'stpe']).stderr).toContain('--mode "stpe" must be fast or step (did you mean step?)');
    expect(nnchip(['sim', DIGITS_MLP, '--prove', '--sample', '3']).stderr).toContain('(Did you mean --samples?)');
    // a range spelt as two values: the second is an argument too many, and the error says how to write it
    const spaced = nnchip(['lower', DIGITS_MLP, '--input-range', '0', '1']);
    expect(spaced.code).toBe(2);
    expect(spaced.stderr.trim()).toBe("error NN801: too many arguments for 'lower'. Expected 1 argument but got 2. (did you mean --input-range 0,1? it takes one value, lo,hi) — see `nnchip lower --help`");
  });

  test('a failing run leaves the previous outputs untouched', () => {
    const before = readFileSync(join(work, 'a', 'program.nnp'));
    const bad = join(work, 'bad.json');
    writeFileSync(bad, '{"modelTopology": ');
    expect(nnchip(['lower', bad, '-o', join(work, 'a')]).code).toBe(1);
    expect(readFileSync(join(work, 'a', 'program.nnp'))).toEqual(before);
    expect(readdirSync(work).filter((f) => f.startsWith('.nnchip-'))).toEqual([]);
  });

  test('--json errors are machine-readable', () => {
    const r = nnchip(['lower', join(work, 'nope.json'), '--json']);
    const err = (JSON.parse(r.stderr) as { error: { code: string; hint: string } }).error;
    expect(err.code).toBe('NN101');
    expect(err.hint).not.toBe('');
  });

  test('isa --markdown lists every opcode', () => {
    const r = nnchip(['isa', '--markdown']);
    for (const op of ['load', 'store', 'matmul', 'threshold', 'sync', 'halt']) expect(r.stdout).toContain(`| ${op} |`);
  });
});
