/**
 * Fuzzing program files: ≥ 10,000 mutants of real lowered programs (header fields, DRAM regions, instruction
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
import { sampleSize, serializeProgram, storedLayout, type Program } from '../../src/isa/program.js';
import { checkProgram } from '../../src/isa/interpret.js';
import { deserializeProgram } from '../../src/isa/validate.js';
import { buildOnnx, weights } from '../helpers/onnx-models.js';
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
const tally = { commands: 0, slowest: { ms: 0, what: '' }, lines: [] as string[] };

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nnchip-program-fuzz-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  // figures only: the slowest command is printed, never asserted (a loaded machine is slow)
  console.log(`program fuzz (FUZZ_SEED ${SEED}):\n${tally.lines.join('\n')}\n  ${tally.commands} CLI commands, none exit 70; slowest ${tally.slowest.ms} ms: ${tally.slowest.what}`);
});

/** A lowered program, as bytes (a copy: never a Buffer, whose slice() would be a view). */
async function lowered(model: string, name: string): Promise<Uint8Array> {
  const io = captureIo();
  const code = await main(['lower', model, '-o', join(work, `${name}.nnchip`), '--array', '2x3', '--input-range', '0,1'], io);
  expect(code, io.err.join('')).toBe(0);
  return new Uint8Array(readFileSync(join(work, `${name}.nnchip`, 'program.nnp')));
}

/** x [1, 2, 5, 5] → Conv 3×3 (3 filters, pad 1) → Relu → MaxPool 2×2 → Flatten → Gemm → [1, 4]: strided tensors, two-level act addresses. */
function smallConv(): string {
  const path = join(work, 'conv.onnx');
  const model = buildOnnx({
    input: [1, 2, 5, 5],
    output: [1, 4],
    inits: { W: { dims: [3, 2, 3, 3], data: weights(54, 1) }, B: { dims: [3], data: weights(3, 2) }, W2: { dims: [12, 4], data: weights(48, 3) } },
    nodes: [
      { op: 'Conv', inputs: ['x', 'W', 'B'], attrs: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } } },
      { op: 'Relu', inputs: ['t0'] },
      { op: 'MaxPool', inputs: ['t1'], attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } } },
      { op: 'Flatten', inputs: ['t2'] },
      { op: 'Gemm', inputs: ['t3', 'W2'] },
    ],
  });
  writeFileSync(path, model);
  return path;
}

/** Load one mutant: a Program, or the code it was refused with (anything else fails the test). */
function load(m: Mutant, context: string): Program | string {
  try {
    return deserializeProgram(m.bytes, 'mutant.nnp');
  } catch (e) {
    const known = e instanceof NnchipError && KNOWN.has(e.code);
    expect(known, `${context}: ${e instanceof NnchipError ? e.format() : String(e instanceof Error ? e.stack : e)}`).toBe(true);
    return (e as NnchipError).code;
  }
}

/**
 * One CLI command in-process: its exit code and output; exit 70 fails, and so does a command
 * still pending after HANG_MS (a synchronous hang is caught by the test's own timeout instead).
 */
async function cli(args: string[], context: string): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const timeout = new Promise<'hang'>((resolve) => setTimeout(() => resolve('hang'), HANG_MS).unref());
  const started = Date.now();
  const code = await Promise.race([main(args, io), timeout]);
  const ms = Date.now() - started;
  if (ms > tally.slowest.ms) tally.slowest = { ms, what: `${context}: ${args[0]}` };
  tally.commands++;
  expect(code, `${context}: nnchip ${args.join(' ')} hung`).not.toBe('hang');
  expect(code, `${context}: nnchip ${args.join(' ')}: ${io.err.join('')}`).not.toBe(70);
  return { code: code as number, out: io.out.join(''), err: io.err.join('') };
}

/**
 * The DRAM bytes a program touches: its constants, input and output rows, and every instruction's
 * accesses (every back end allocates dramSize: a region only the memory map names must not grow it).
 */
function touchedDram(p: Program): number {
  // one past each stored row's last byte, row by row (the layout fields read independently of the validator's closed form)
  const end = (t: Program['input']): number => {
    let last = 0;
    const [perSample, width] = [t.sampleRows ?? t.rows, t.width ?? t.rows];
    for (let i = 0; i < t.rows; i++) {
      const j = i % perSample;
      const at = t.dram + Math.floor(i / perSample) * (t.sampleStride ?? 0) + Math.floor(j / width) * (t.lineStride ?? width * t.rowStride) + (j % width) * t.rowStride;
      last = Math.max(last, at + t.rowBytes);
    }
    return last;
  };
  let touched = Math.max(p.constants.length, end(storedLayout(p.input)), end(p.outputs[0]!));
  checkProgram(p, (accesses) => {
    for (const a of accesses) if (a.space === 'dram') touched = Math.max(touched, a.end);
  });
  return touched;
}

/** Everything a program's outputs depend on (not its names, notes, layer table or memory map). */
function behaviourKey(p: Program): string {
  const semantic = { ...p, layers: [], insnLayer: p.instructions.map(() => 0), memoryMap: [], notes: [], input: { ...p.input, name: '' }, output: { ...p.outputs[0]!, name: '' } };
  return createHash('sha256').update(serializeProgram(semantic)).digest('hex');
}

/** Deterministic samples for a program: values across (and beyond) any input range. */
function samplesFor(size: number): number[][] {
  return [0, 1].map((s) => Array.from({ length: size }, (_, i) => (((i * 7 + s * 3) % 11) - 3) / 4));
}

async function throughCli(m: Mutant, context: string, program: Program | string, everyCommand: boolean): Promise<void> {
  const dir = mkdtempSync(join(work, 'm'));
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
  if (everyCommand) {
    await cli(['sim', file, '--prove', '--samples', '1', '--out', dir, '--json'], context);
    await cli(['verilog', file, '--target', 'generic', '-o', join(dir, 'rtl')], context);
    await cli(['wasm', file, '-o', join(dir, 'wasm', 'm.wasm')], context);
    const listing = await cli(['disasm', file], context);
    expect(listing.code === 0, context).toBe(typeof program !== 'string');
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Mutate one base program `runs` times: load every mutant, then the CLI on the distinct accepted ones and the sample. */
async function fuzz(name: string, base: Uint8Array, runs: number, seed: number): Promise<void> {
  const selected: [Mutant, string, Program | string, boolean][] = [];
  const seen = new Set<string>();
  const refused = new Map<string, number>();
  let loaded = 0;
  for (let i = 0; i < runs; i++) {
    const m = mutateProgram(base, seed, i);
    const context = `${name}, FUZZ_SEED ${SEED}, mutant ${i}: ${m.what}`;
    const program = load(m, context);
    if (typeof program === 'string') refused.set(program, (refused.get(program) ?? 0) + 1);
    else {
      loaded++;
      expect(program.dramSize, `${context}: DRAM past what the program touches`).toBeLessThanOrEqual(touchedDram(program) + Math.max(program.config.rows, program.config.cols) - 1);
    }
    // a loaded mutant computing what an earlier one computes (it changed only names, notes or
    // the layer table) adds nothing to the agreement check: one of each goes through the CLI
    const key = typeof program === 'string' ? null : behaviourKey(program);
    const fresh = key !== null && !seen.has(key);
    if (key !== null) seen.add(key);
    if (fresh || i % SUBSET_EVERY === 0) selected.push([m, context, program, i % SUBSET_EVERY === 0]);
  }
  for (const [m, context, program, everyCommand] of selected) await throughCli(m, context, program, everyCommand);
  const codes = [...refused].sort().map(([c, n]) => `${c}×${n}`).join(' ');
  tally.lines.push(`  ${name}: ${runs} mutants, ${loaded} loaded (${seen.size} distinct programs), refused: ${codes}`);
  // the fuzzer must reach both sides of the validator, or it tests nothing
  expect(seen.size).toBeGreaterThan(runs / 200);
  expect(runs - loaded).toBeGreaterThan(runs / 10);
}

describe('program fuzzing', () => {
  test(`${RUNS} mutants of a dense program load or are refused with a known code; the accepted ones run the same on every back end`, async () => {
    await fuzz('tiny dense 2x3', await lowered(TINY, 'tiny'), RUNS, SEED);
  }, 900_000);

  test(`${Math.ceil(RUNS / 5)} mutants of a convolution program, likewise`, async () => {
    await fuzz('small conv 2x3', await lowered(smallConv(), 'conv'), Math.ceil(RUNS / 5), SEED + 1);
  }, 900_000);
});
