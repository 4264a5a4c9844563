/**
 * `nnchip sim` and `nnchip run --backend sim`, in process: help with the machine defaults, the
 * figures against the certificate, budgets and their exit code, --prove's certificate.json,
 * the VCD, and bad configurations that name the field.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { captureIo } from '../../../src/cli/context.js';
import { main } from '../../../src/cli/main.js';
import { EXIT } from '../../../src/diagnostics/codes.js';
import { DEFAULT_CONFIG } from '../../../src/isa/config.js';
import { certify } from '../../../src/isa/cost.js';
import { interpret } from '../../../src/isa/interpret.js';
import { quantizeInput, serializeProgram, type Program } from '../../../src/isa/program.js';
import { deserializeProgram } from '../../../src/isa/validate.js';
import { NO_TOKENS } from '../../../src/isa/spec.js';
import { nnchip } from '../../helpers/cli.js';
import { calibrationSamples, DIGITS_MLP } from '../../helpers/compile.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-sim-'));
const lowered = join(work, 'mlp.nnchip');
let program: Program;

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

function writeJson(name: string, value: unknown): string {
  const path = join(work, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

beforeAll(async () => {
  expect((await run('lower', DIGITS_MLP, '-o', lowered)).code).toBe(EXIT.ok);
  program = deserializeProgram(readFileSync(join(lowered, 'program.nnp')));
});

describe('nnchip sim', () => {
  test('--help prints every machine configuration field with its default, and the exit codes', async () => {
    const r = await run('sim', '--help');
    expect(r.code).toBe(EXIT.ok);
    for (const [field, value] of Object.entries(DEFAULT_CONFIG)) expect(r.out).toMatch(new RegExp(`\\n\\s+${field}\\s+${value}\\s`));
    expect(r.out).toContain(`${EXIT.overBudget} over a budget`);
  });

  test('--json: cycles and counters equal the static certificate', async () => {
    const r = await run('sim', lowered, '--json');
    expect(r.code, r.err).toBe(EXIT.ok);
    const j = JSON.parse(r.out) as { cycles: number; latencyUs: number; stats: { dramBytesRead: number; arrayMacs: number }; withinBudget: boolean; traceHash: string };
    const cert = certify(program);
    expect(j.cycles).toBe(cert.cycles);
    expect(j.latencyUs).toBe(cert.cycles / program.config.clockMhz);
    expect(j.stats.dramBytesRead).toBe(cert.dramBytesRead);
    expect(j.stats.arrayMacs).toBe(cert.arrayMacs);
    expect(j.withinBudget).toBe(true);
    expect(j.traceHash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('the table view shows the layers, the buffers and the latency', async () => {
    const r = await run('sim', lowered);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/dense_1 .* 50,176/);
    expect(r.out).toMatch(/│ wgt +│ 6,400 +│ 6,400 /);
    expect(r.out).toContain(`one inference: ${certify(program).cycles.toLocaleString('en-US')} cycles`);
  });

  test('budgets: over → exit 4 with what is over and by how much; within → exit 0', async () => {
    const cycles = certify(program).cycles;
    const over = await run('sim', lowered, '--max-cycles', String(cycles - 100), '--max-dram-bytes', '1000000');
    expect(over.code).toBe(EXIT.overBudget);
    expect(over.out).toContain(`over budget: --max-cycles ${cycles - 100}: actual ${cycles.toLocaleString('en-US')}, over by 100`);
    expect(over.out).toContain('within budget: --max-dram-bytes 1000000');
    const within = await run('sim', lowered, '--max-cycles', String(cycles), '--max-latency-us', String(cycles / program.config.clockMhz));
    expect(within.code).toBe(EXIT.ok);
    const sram = await run('sim', lowered, '--max-sram', '100', '--json');
    expect(sram.code).toBe(EXIT.overBudget);
    expect((JSON.parse(sram.out) as { budgets: { budget: string; over: boolean }[] }).budgets).toMatchObject([{ budget: '--max-sram', over: true }]);
    expect((await run('sim', lowered, '--max-cycles', 'many')).code).toBe(EXIT.usage);
  });

  test('--prove writes certificate.json (atomically, complete) and exits 0 when it holds', async () => {
    const out = join(work, 'cert');
    const input = writeJson('samples.json', { inputs: calibrationSamples().slice(0, 2).map((x) => Array.from(x)) });
    const r = await run('sim', lowered, '--prove', '--samples', '2', '--input', input, '--out', out);
    expect(r.code, r.out + r.err).toBe(EXIT.ok);
    const cert = JSON.parse(readFileSync(join(out, 'certificate.json'), 'utf8')) as { ok: boolean; cycles: number; programHash: string; inputsTried: { kind: string }[]; peakBytes: Record<string, number>; config: unknown };
    const want = certify(program);
    expect(cert).toMatchObject({ ok: true, cycles: want.cycles, programHash: want.programHash, config: program.config });
    expect(cert.inputsTried.map((t) => t.kind)).toEqual(['zero', 'max', 'min', 'random', 'random', 'sample', 'sample', 'zero']);
    expect(cert.peakBytes['wgt']).toBeLessThanOrEqual(want.peakBytes.wgt);
  });

  test('a program file that races (tokens stripped) is refused at load: NN404, exit 1, no certificate (prove.test.ts fails such a Program itself)', async () => {
    const racy = join(work, 'racy.nnp');
    writeFileSync(racy, serializeProgram({ ...program, instructions: program.instructions.map((i) => ({ ...i, ...NO_TOKENS })) }));
    const out = join(work, 'racy-cert');
    const r = await run('sim', racy, '--prove', '--samples', '1', '--out', out);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toMatch(/^error NN404: .*racy\.nnp: invalid program: instructions \d+ \(\w+\) and \d+ \(\w+\) touch the same memory with no token ordering them/);
    expect(existsSync(join(out, 'certificate.json'))).toBe(false);
  });

  test('the installed binary: `nnchip sim --help` and a budget exit code', () => {
    expect(nnchip(['sim', '--help']).stdout).toContain('dramBytesPerCycle');
    const r = nnchip(['sim', lowered, '--max-dram-bytes', '1']);
    expect(r.code).toBe(EXIT.overBudget);
    expect(r.stdout).toContain('over budget: --max-dram-bytes 1');
  });

  test('--vcd writes a VCD of the step-mode run; --vcd with --mode fast is a usage error', async () => {
    const vcd = join(work, 'run.vcd');
    const r = await run('sim', lowered, '--vcd', vcd, '--vcd-cycles', '500', '--json');
    expect(r.code, r.err).toBe(EXIT.ok);
    expect((JSON.parse(r.out) as { mode: string }).mode).toBe('step');
    const text = readFileSync(vcd, 'utf8');
    expect(text).toContain('$var reg 32 ');
    expect(text).toMatch(/pe_7_7_psum \$end/);
    expect(text).toContain('$comment dump stopped after 500 cycles $end');
    expect((await run('sim', lowered, '--vcd', vcd, '--mode', 'fast')).code).toBe(EXIT.usage);
    expect((await run('sim', lowered, '--mode', 'slow')).code).toBe(EXIT.usage);
  });

  test('bad configurations name the field', async () => {
    const zero = await run('sim', DIGITS_MLP, '--config', writeJson('zero.json', { rows: 0 }));
    expect(zero.code).toBe(EXIT.usage);
    expect(zero.err).toMatch(/error NN402: .*config field "rows" is 0/);
    const negative = await run('sim', DIGITS_MLP, '--config', writeJson('neg.json', { dramBytesPerCycle: -2 }));
    expect(negative.err).toMatch(/error NN402: .*"dramBytesPerCycle" is -2/);
    const array = await run('sim', DIGITS_MLP, '--array', '0x4');
    expect(array.code).toBe(EXIT.usage);
    expect(array.err).toMatch(/error NN401: --array "0x4"/);
    const small = await run('sim', DIGITS_MLP, '--config', writeJson('small.json', { actDepth: 10 }));
    expect(small.code).toBe(EXIT.unsupported);
    expect(small.err).toMatch(/error NN403: .*actDepth = 10/);
  });
});

describe('nnchip run --backend sim', () => {
  test('outputs equal the interpreter, with one cycle count per sample', async () => {
    const samples = calibrationSamples().slice(0, 3);
    const input = writeJson('run.json', samples.map((x) => Array.from(x)));
    const r = await run('run', lowered, '--input', input, '--backend', 'sim', '--json');
    expect(r.code, r.err).toBe(EXIT.ok);
    const j = JSON.parse(r.out) as { raw: number[][]; cycles: number[] };
    expect(j.raw).toEqual(samples.map((x) => Array.from(interpret(program, quantizeInput(program, x)))));
    expect(j.cycles).toEqual(samples.map(() => certify(program).cycles));
  });
});
