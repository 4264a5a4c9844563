/** What a newcomer types first: shipped examples as they are, folders as model arguments, the wrong kind of input, bad flags. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseListing } from '../../src/isa/asm.js';
import { deserializeProgram } from '../../src/isa/validate.js';
import { LOAD_BUFFERS } from '../../src/isa/spec.js';
import { DIGITS_MLP } from '../helpers/compile.js';
import { nnchip, REPO } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-paths-'));
const TINY = join(REPO, 'examples/tiny/tiny.nnchip.json');
const MLP_DIR = join(REPO, 'examples/digits-mlp');
const lowered = join(work, 'mlp.nnchip');

/** One error line on stderr, and its parts. */
function oneError(r: { code: number; stderr: string }): string {
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0]!;
}

describe('paths and inputs', () => {
  test('examples/tiny lowers as shipped, into tiny.nnchip/', () => {
    const r = nnchip(['lower', TINY], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('calibration.json');
    expect(existsSync(join(work, 'tiny.nnchip', 'program.nnp'))).toBe(true);
    expect(existsSync(join(work, 'tiny.nnchip.nnchip'))).toBe(false);
  });

  test('a folder holding one model.json is that model; the default output is named after the folder', () => {
    const r = nnchip(['lower', MLP_DIR, '--json'], { cwd: work });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { out: string }).out).toBe('digits-mlp.nnchip');
    const viaFile = nnchip(['lower', DIGITS_MLP, '-o', lowered]);
    expect(viaFile.code).toBe(0);
    expect(readFileSync(join(lowered, 'program.nnp'))).toEqual(readFileSync(join(work, 'digits-mlp.nnchip', 'program.nnp')));
  });

  test('a folder without model.json or model.onnx: "did you mean" the model file in it', () => {
    const r = nnchip(['lower', join(REPO, 'examples/tiny')]);
    expect(r.code).toBe(1);
    expect(oneError(r)).toMatch(/^error NN101: .*examples\/tiny: is a folder without model\.json or model\.onnx — did you mean .*examples\/tiny\/tiny\.nnchip\.json\?$/);
  });

  test('each command says which input it needs', () => {
    const disasm = nnchip(['disasm', DIGITS_MLP]);
    expect(disasm.code).toBe(2);
    expect(oneError(disasm)).toMatch(/^error NN801: .*model\.json: disasm needs a lowered program .*not a model — lower it first: nnchip lower /);
    const evalR = nnchip(['eval', lowered, '--data', join(MLP_DIR, 'calibration.json')]);
    expect(evalR.code).toBe(2);
    expect(oneError(evalR)).toMatch(/^error NN801: .*mlp\.nnchip: eval needs the float model .*not a lowered program/);
    const explore = nnchip(['explore', join(lowered, 'program.nnp')]);
    expect(oneError(explore)).toMatch(/explore needs the float model/);
  });

  test('machine and quantization flags beside a lowered program are refused, saying why', () => {
    const input = join(MLP_DIR, 'calibration.json');
    for (const [command, extra] of [['run', ['--input', input]], ['sim', []], ['wasm', []], ['verilog', []]] as const) {
      for (const flag of [['--array', '4x4'], ['--batch', '2'], ['--calibration', input]]) {
        const r = nnchip([command, lowered, ...extra, ...flag]);
        expect(r.code, `${command} ${flag.join(' ')}`).toBe(2);
        expect(oneError(r)).toMatch(new RegExp(`^error NN801: .*mlp\\.nnchip: ${flag[0]} cannot apply to a lowered program: it was compiled for the 8x8 array`));
      }
    }
    const json = nnchip(['run', lowered, '--input', input, '--array', '4x4', '--json']);
    expect((JSON.parse(json.stderr) as { error: { code: string } }).error.code).toBe('NN801');
  });

  test('disasm names the buffer a load fills, and the listing still assembles back', () => {
    const r = nnchip(['disasm', lowered]);
    expect(r.code).toBe(0);
    const loads = r.stdout.split('\n').filter((l) => l.startsWith('load '));
    expect(loads.length).toBeGreaterThan(0);
    for (const l of loads) expect(l).toMatch(new RegExp(`^load buf=(${Object.keys(LOAD_BUFFERS).join('|')}) `));
    expect(parseListing(r.stdout)).toEqual(deserializeProgram(readFileSync(join(lowered, 'program.nnp'))).instructions);
  });

  test('eval --data without labels: the hint shows the labeled format', () => {
    const unlabeled = join(work, 'unlabeled.json');
    writeFileSync(unlabeled, JSON.stringify({ inputs: [new Array(784).fill(0)] }));
    const r = nnchip(['eval', DIGITS_MLP, '--data', unlabeled]);
    expect(r.code).toBe(1);
    expect(oneError(r)).toMatch(/^error NN302: .*no "labels" — .*\{"inputs": \[\.\.\.\], "labels": \[\.\.\.\]\}/);
  });
});

describe('usage errors from the option parser', () => {
  const cases = [
    { args: ['lower'], says: /missing required argument 'model'/, help: 'nnchip lower --help' },
    { args: ['lower', DIGITS_MLP, '--arry', '4x4'], says: /unknown option '--arry'/, help: 'nnchip lower --help' },
    { args: ['run', DIGITS_MLP], says: /required option '--input <file>' not specified/, help: 'nnchip run --help' },
    { args: ['explore', 'merge'], says: /missing required argument 'files'/, help: 'nnchip explore merge --help' },
    { args: ['frobnicate'], says: /unknown command 'frobnicate'/, help: 'nnchip --help' },
  ];

  test.each(cases)('nnchip $args: one line, exit 2, pointing at the help', ({ args, says, help }) => {
    const r = nnchip(args);
    expect(r.code).toBe(2);
    const line = oneError(r);
    expect(line).toMatch(/^error NN801: /);
    expect(line).toMatch(says);
    expect(line).toContain(`see \`${help}\``);
    expect(r.stdout).toBe('');
  });

  test.each(cases)('nnchip $args --json: {"error": …} on stderr', ({ args, says, help }) => {
    const r = nnchip([...args, '--json']);
    expect(r.code).toBe(2);
    const err = (JSON.parse(oneError(r)) as { error: { code: string; message: string; hint: string; exitCode: number } }).error;
    expect(err.code).toBe('NN801');
    expect(err.message).toMatch(says);
    expect(err.hint).toContain(help);
    expect(err.exitCode).toBe(2);
  });

  test("a command's own usage error points at that command's help", () => {
    const r = nnchip(['run', DIGITS_MLP, '--input', join(MLP_DIR, 'calibration.json'), '--backend', 'nope']);
    expect(r.code).toBe(2);
    expect(oneError(r)).toMatch(/^error NN801: unknown backend "nope".* — see `nnchip run --help`$/);
  });

  test('--simulator without --backend rtl is a usage error, not ignored', () => {
    const r = nnchip(['run', DIGITS_MLP, '--input', join(MLP_DIR, 'calibration.json'), '--backend', 'sim', '--simulator', 'verilator']);
    expect(r.code).toBe(2);
    expect(oneError(r)).toMatch(/^error NN801: --simulator verilator runs the generated Verilog: add --backend rtl/);
  });
});
