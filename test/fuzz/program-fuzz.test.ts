/**
 * Fuzzing program files: ≥ 10,000 mutants of a real lowered program (header fields, instruction
 * fields, body bytes, raw bytes) all go through the loader, which accepts them or refuses with a
 * known code (never NN901). Every distinct program it accepts runs through the CLI on ref, sim and
 * wasm with equal outputs; a fixed sample of all mutants also goes through sim --prove, verilog,
 * wasm and disasm. No exit 70, no hang. FUZZ_SEED / PROGRAM_FUZZ_RUNS reproduce or widen a run.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { captureIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { CODES } from '../../src/diagnostics/codes.js';
import { NnchipError } from '../../src/diagnostics/error.js';
import { sampleSize, serializeProgram, type Program } from '../../src/isa/program.js';
import { deserializeProgram } from '../../src/isa/validate.js';
import { mutateProgram, type Mutant } from './program-mutate.js';

const TINY = new URL('../../examples/tiny/tiny.nnchip.json', import.meta.url).pathname;
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261203);
const RUNS = Number(process.env['PROGRAM_FUZZ_RUNS'] ?? 10_000);
/**
 * Every this many mutants goes through every CLI command, whether it loads or not; every other
 * loaded mutant that behaves unlike all before it goes through `run` on ref, sim and wasm.
 */
const SUBSET_EVERY = 50;
const HANG_MS = 5_000;
const KNOWN = new Set(Object.keys(CODES).filter((c) => c !== 'NN901'));

let work = '';
let base = new Uint8Array();
const tally = { loaded: 0, distinct: 0, refused: new Map<string, number>(), commands: 0 };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'nnchip-program-fuzz-'));
  const io = captureIo();
  const code = await main(['lower', TINY, '-o', join(work, 'tiny.nnchip'), '--array', '2x3', '--input-range', '0,1'], io);
  expect(code, io.err.join('')).toBe(0);
  base = new Uint8Array(readFileSync(join(work, 'tiny.nnchip', 'program.nnp')));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  const codes = [...tally.refused].sort().map(([c, n]) => `${c}×${n}`).join(' ');
  console.log(`program fuzz (seed ${SEED}): ${RUNS} mutants, ${tally.loaded} loaded (${tally.distinct} distinct programs), refused: ${codes}; ${tally.commands} CLI commands, none exit 70`);
});

/** Load one mutant: a Program, or the code it was refused with (anything else fails the test). */
function load(m: Mutant, index: number): Program | string {
  const context = `seed ${SEED}, mutant ${index}: ${m.what}`;
  try {
    return deserializeProgram(m.bytes, 'mutant.nnp');
  } catch (e) {
    const known = e instanceof NnchipError && KNOWN.has(e.code);
    expect(known, `${context}: ${e instanceof NnchipError ? e.format() : String(e instanceof Error ? e.stack : e)}`).toBe(true);
    return (e as NnchipError).code;
  }
}

/** One CLI command in-process: its exit code and output; a hang over HANG_MS or exit 70 fails. */
async function cli(args: string[], context: string): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const timeout = new Promise<'hang'>((resolve) => setTimeout(() => resolve('hang'), HANG_MS).unref());
  const code = await Promise.race([main(args, io), timeout]);
  tally.commands++;
  expect(code, `${context}: nnchip ${args.join(' ')} hung`).not.toBe('hang');
  expect(code, `${context}: nnchip ${args.join(' ')}: ${io.err.join('')}`).not.toBe(70);
  return { code: code as number, out: io.out.join(''), err: io.err.join('') };
}

/** Everything a program's outputs depend on (not its names, notes, layer table or memory map). */
function behaviourKey(p: Program): string {
  const semantic = { ...p, layers: [], insnLayer: p.instructions.map(() => 0), memoryMap: [], notes: [], input: { ...p.input, name: '' }, output: { ...p.output, name: '' } };
  return createHash('sha256').update(serializeProgram(semantic)).digest('hex');
}

/** Deterministic samples for a program: values across (and beyond) any input range. */
function samplesFor(size: number): number[][] {
  return [0, 1].map((s) => Array.from({ length: size }, (_, i) => (((i * 7 + s * 3) % 11) - 3) / 4));
}

async function throughCli(m: Mutant, index: number, program: Program | string, everyCommand: boolean): Promise<void> {
  const context = `seed ${SEED}, mutant ${index}: ${m.what}`;
  const dir = join(work, `m${index}`);
  mkdirSync(dir);
  const file = join(dir, 'mutant.nnp');
  writeFileSync(file, m.bytes);
  writeFileSync(join(dir, 'in.json'), JSON.stringify(samplesFor(typeof program === 'string' ? 4 : sampleSize(program))));
  const raw = new Map<string, unknown>();
  for (const backend of ['ref', 'sim', 'wasm']) {
    const r = await cli(['run', file, '--backend', backend, '--input', join(dir, 'in.json'), '--json'], context);
    if (typeof program === 'string') expect(/(?:error |"code":")(NN\d{3})/.exec(r.err)?.[1], `${context}: ${r.err}`).toBe(program);
    else {
      expect(r.code, `${context}: run --backend ${backend}: ${r.err}`).toBe(0);
      raw.set(backend, (JSON.parse(r.out) as { raw: number[][] }).raw);
    }
  }
  if (typeof program !== 'string') {
    expect(raw.get('sim'), `${context}: sim = ref`).toEqual(raw.get('ref'));
    expect(raw.get('wasm'), `${context}: wasm = ref`).toEqual(raw.get('ref'));
  }
  if (!everyCommand) return rmSync(dir, { recursive: true, force: true });
  await cli(['sim', file, '--prove', '--samples', '1', '--out', dir, '--json'], context);
  await cli(['verilog', file, '--target', 'generic', '-o', join(dir, 'rtl')], context);
  await cli(['wasm', file, '-o', join(dir, 'wasm', 'm.wasm')], context);
  const listing = await cli(['disasm', file], context);
  expect(listing.code === 0, context).toBe(typeof program !== 'string');
  rmSync(dir, { recursive: true, force: true });
}

describe('program fuzzing', () => {
  test(`${RUNS} mutants load or are refused with a known code; the accepted ones and a sample run the same on every back end`, async () => {
    const selected: [Mutant, number, Program | string, boolean][] = [];
    const seen = new Set<string>();
    for (let i = 0; i < RUNS; i++) {
      const m = mutateProgram(base, SEED, i);
      const program = load(m, i);
      if (typeof program === 'string') tally.refused.set(program, (tally.refused.get(program) ?? 0) + 1);
      else tally.loaded++;
      // a loaded mutant computing what an earlier one computes (it changed only names, notes or
      // the layer table) adds nothing to the agreement check: one of each goes through the CLI
      const key = typeof program === 'string' ? null : behaviourKey(program);
      const fresh = key !== null && !seen.has(key);
      if (key !== null) seen.add(key);
      if (fresh || i % SUBSET_EVERY === 0) selected.push([m, i, program, i % SUBSET_EVERY === 0]);
    }
    tally.distinct = seen.size;
    for (const [m, i, program, everyCommand] of selected) await throughCli(m, i, program, everyCommand);
    // the fuzzer must reach both sides of the validator, or it tests nothing
    expect(tally.distinct).toBeGreaterThan(RUNS / 200);
    expect(RUNS - tally.loaded).toBeGreaterThan(RUNS / 10);
  }, 600_000);
});
