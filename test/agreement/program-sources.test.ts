/**
 * A Program gives the same bytes whichever way it reaches a back end: compiled from model.json,
 * read from a lowered folder, or read from its program.nnp — and running the back ends one after
 * another on one Program object gives what each gives alone (no back end may change a Program).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { emitVerilog } from '../../src/backends/verilog/emit.js';
import { emitWasm } from '../../src/backends/wasm/emit.js';
import { runWasm } from '../../src/backends/wasm/instance.js';
import { captureIo } from '../../src/cli/context.js';
import { readProgramFile } from '../../src/cli/load-program.js';
import { main } from '../../src/cli/main.js';
import { interpret } from '../../src/isa/interpret.js';
import { quantizeInput, serializeProgram, type Program } from '../../src/isa/program.js';
import { simulate } from '../../sim/index.js';

const MODEL = new URL('../../examples/digits-mlp/model.json', import.meta.url).pathname;
const CALIBRATION = new URL('../../examples/digits-mlp/calibration.json', import.meta.url).pathname;
const calibration = JSON.parse(readFileSync(CALIBRATION, 'utf8')) as number[][] | { inputs: number[][] };
const SAMPLES = (Array.isArray(calibration) ? calibration : calibration.inputs).slice(0, 3);

let work = '';
let sources: Record<string, string> = {};

async function cli(args: string[]): Promise<string> {
  const io = captureIo();
  const code = await main(args, io);
  expect(code, `nnchip ${args.join(' ')}: ${io.err.join('')}`).toBe(0);
  return io.out.join('');
}

/** Every file under dir, by relative path, with its bytes. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = readFileSync(path).toString('base64');
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'nnchip-sources-'));
  writeFileSync(join(work, 'samples.json'), JSON.stringify(SAMPLES));
  // the three sources share one stem (digits-mlp) so that generated names agree
  const folder = join(work, 'digits-mlp.nnchip');
  await cli(['lower', MODEL, '-o', folder]);
  cpSync(join(folder, 'program.nnp'), join(work, 'digits-mlp.nnp'));
  sources = { 'model.json': MODEL, 'lowered folder': folder, 'program.nnp': join(work, 'digits-mlp.nnp') };
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('every source gives the same bytes', () => {
  test.each(['ref', 'sim', 'wasm'])('run --backend %s', async (backend) => {
    const outputs = new Map<string, string>();
    for (const [name, path] of Object.entries(sources)) outputs.set(name, await cli(['run', path, '--backend', backend, '--input', join(work, 'samples.json'), '--json']));
    const ref = await cli(['run', MODEL, '--backend', 'ref', '--input', join(work, 'samples.json'), '--json']);
    const refRaw = (JSON.parse(ref) as { raw: number[][] }).raw;
    for (const [name, out] of outputs) expect((JSON.parse(out) as { raw: number[][] }).raw, `${backend} from ${name}`).toEqual(refRaw);
  });

  test('nnchip wasm: module, loader and types', async () => {
    const built = Object.entries(sources).map(([name, path]) => [name, join(work, `wasm-${name.replace(/\W/g, '_')}`)] as const);
    for (const [name, dir] of built) await cli(['wasm', sources[name]!, '-o', join(dir, 'model.wasm')]);
    const [first, ...rest] = built.map(([, dir]) => tree(dir));
    // besides nnchip's own record of what it wrote (.nnchip-outputs)
    expect(Object.keys(first!).filter((f) => !f.startsWith('.'))).toEqual(['model.d.mts', 'model.mjs', 'model.wasm']);
    for (const [i, t] of rest.entries()) expect(t, built[i + 1]![0]).toEqual(first);
  });

  test('nnchip verilog: the whole tree', async () => {
    const built = Object.entries(sources).map(([name, path]) => [path, join(work, `rtl-${name.replace(/\W/g, '_')}`)] as const);
    for (const [path, dir] of built) await cli(['verilog', path, '--target', 'generic', '--input', join(work, 'samples.json'), '-o', dir]);
    const [first, ...rest] = built.map(([, dir]) => tree(dir));
    expect(Object.keys(first!).length).toBeGreaterThan(5);
    for (const t of rest) expect(t).toEqual(first);
  });
});

describe('back ends in sequence on one Program object', () => {
  type Outcome = Record<string, unknown>;
  const inputsOf = (p: Program): Int8Array[] => SAMPLES.map((s) => quantizeInput(p, s));
  const backends: Record<string, (p: Program) => Promise<unknown>> = {
    ref: async (p) => inputsOf(p).map((x) => Array.from(interpret(p, x))),
    sim: async (p) => inputsOf(p).map((x) => Array.from(simulate(p, x, { trace: true }).output)),
    wasm: async (p) => (await runWasm(p, inputsOf(p))).map((o) => Array.from(o)),
    'wasm scalar': async (p) => (await runWasm(p, inputsOf(p), { simd: false })).map((o) => Array.from(o)),
    'wasm module': async (p) => Buffer.from(emitWasm(p)).toString('base64'),
    verilog: async (p) => Object.fromEntries(emitVerilog(p, { target: 'generic', device: 'hx8k', name: 'm', inputs: inputsOf(p) })),
  };
  const load = (): Program => readProgramFile(sources['lowered folder']!);

  test('each back end alone = all of them in sequence, in either order; the Program is unchanged', async () => {
    const alone: Outcome = {};
    for (const [name, run] of Object.entries(backends)) alone[name] = await run(load());
    for (const order of [Object.keys(backends), Object.keys(backends).reverse()]) {
      const shared = load();
      const before = serializeProgram(shared);
      const inSequence: Outcome = {};
      for (const name of order) inSequence[name] = await backends[name]!(shared);
      for (const name of order) expect(inSequence[name], `${name} after ${order.join(', ')}`).toEqual(alone[name]);
      expect(Buffer.from(serializeProgram(shared)).equals(Buffer.from(before))).toBe(true);
    }
  });
});
