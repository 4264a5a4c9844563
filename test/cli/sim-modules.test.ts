// SPDX-License-Identifier: MIT
/**
 * `nnchip sim` of one inference in fast mode does not load the register-level machine
 * (sim/step.ts: sim/simulator.ts takes it as a parameter; the CLI passes it only for --mode step,
 * --vcd and --prove), and those still get it. A fast-only simulator asked for step mode is an
 * internal error, not a silent fast run. Spawns bin/nnchip.mjs (build dist/ first), both ways it
 * runs: the ES modules of dist/ (NNCHIP_BUNDLE=0; a resolve hook names each) and the one-script
 * bundle (src/cli/bundle.ts; NNCHIP_TRACE_MODULES=1 names each module it loads).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { simulatorWith } from '../../sim/simulator.js';
import { compile } from '../../src/passes/pipeline.js';
import { makeConfig } from '../../src/isa/config.js';
import { serializeProgram } from '../../src/isa/program.js';
import { randomMlp, randomSamples } from '../helpers/random-graph.js';

const BIN = new URL('../../bin/nnchip.mjs', import.meta.url).pathname;
const program = compile(randomMlp([12, 9, 4], 21), { config: makeConfig({ rows: 4, cols: 4 }), calibration: { samples: randomSamples(8, 12, 22) } }).program;

/** The simulator's modules (dist/sim/…) a CLI run of the ES modules loads, by a resolve hook that names each. */
function simModulesLoaded(args: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-sim-modules-'));
  const hook = join(dir, 'hook.mjs');
  // the hook runs on the loader's thread: it appends to its own file (its lines on stderr could
  // interleave with the main thread's writes, and a torn line drops a module from the list)
  const log = join(dir, 'loaded.txt');
  writeFileSync(log, '');
  writeFileSync(hook, `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); if (/\\/dist\\/sim\\//.test(r.url)) appendFileSync(${JSON.stringify(log)}, 'LOADED ' + r.url.replace(/.*\\/dist\\/sim\\//, '') + '\\n'); return r; }\n`);
  const file = join(dir, 'p.nnp');
  writeFileSync(file, serializeProgram(program));
  const r = spawnSync(process.execPath, ['--no-warnings', '--experimental-loader', hook, BIN, 'sim', file, '--json', ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, NNCHIP_BUNDLE: '0' } });
  expect(r.status, r.stderr).toBe(0);
  return [...readFileSync(log, 'utf8').matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1]!);
}

/** The same of a run of the bundle, which names each module it loads (dist/sim/fast.js → fast.js). */
function bundledSimModulesLoaded(args: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-sim-modules-'));
  const file = join(dir, 'p.nnp');
  writeFileSync(file, serializeProgram(program));
  const r = spawnSync(process.execPath, [BIN, 'sim', file, '--json', ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, NNCHIP_TRACE_MODULES: '1' } });
  expect(r.status, r.stderr).toBe(0);
  const loaded = [...r.stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1]!);
  expect(loaded, 'the bundle ran (global-setup builds it)').toContain('dist/src/cli/main.js');
  return loaded.filter((id) => id.startsWith('dist/sim/')).map((id) => id.slice('dist/sim/'.length));
}

test('one fast inference loads no step mode; --mode step and --prove do', () => {
  const fast = simModulesLoaded([]);
  expect(fast).toContain('fast.js');
  expect(fast).not.toContain('step.js');
  expect(simModulesLoaded(['--mode', 'step'])).toContain('step.js');
  expect(simModulesLoaded(['--prove', '--samples', '1'])).toContain('step.js');
}, 60_000);

test('the bundled CLI loads the same simulator modules as the ES modules do', () => {
  for (const args of [[], ['--mode', 'step'], ['--prove', '--samples', '1']]) expect(new Set(bundledSimModulesLoaded(args))).toEqual(new Set(simModulesLoaded(args)));
  expect(bundledSimModulesLoaded([])).not.toContain('step.js');
}, 60_000);

test('a piped run loads no chalk (colors are for a terminal), neither as ES modules nor bundled', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-sim-modules-'));
  const hook = join(dir, 'hook.mjs');
  writeFileSync(hook, "export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write('LOADED ' + r.url + '\\n'); return r; }\n");
  const file = join(dir, 'p.nnp');
  writeFileSync(file, serializeProgram(program));
  for (const [flags, env] of [[['--no-warnings', '--experimental-loader', hook], { NNCHIP_BUNDLE: '0' }], [[], { NNCHIP_TRACE_MODULES: '1' }]] as const) {
    const r = spawnSync(process.execPath, [...flags, BIN, 'sim', file], { encoding: 'utf8', cwd: dir, env: { ...process.env, ...env } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^LOADED .*sim/m);
    expect(r.stderr).not.toMatch(/^LOADED .*chalk/m);
    expect(r.stdout).toMatch(/^p: array 4x4, fast mode/);
  }
}, 60_000);

test('a simulator built without step mode refuses it (NN901), and runs fast mode', () => {
  const fastOnly = simulatorWith(null);
  const x = new Int8Array(12);
  expect(() => fastOnly(program, x, { mode: 'step' })).toThrow(/NN901|internal error/);
  expect(fastOnly(program, x).mode).toBe('fast');
});

test('sim of a lowered program loads no importer of a model format and no compiler, and runs the trace kernels in WebAssembly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-sim-modules-'));
  const file = join(dir, 'p.nnp');
  writeFileSync(file, serializeProgram(program));
  const r = spawnSync(process.execPath, [BIN, 'sim', file, '--json'], { encoding: 'utf8', cwd: dir, env: { ...process.env, NNCHIP_TRACE_MODULES: '1' } });
  expect(r.status, r.stderr).toBe(0);
  const loaded = [...r.stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1]!);
  expect(loaded).toContain('dist/src/cli/trace-kernels.js');
  expect(loaded).toContain('dist/src/isa/validate.js');
  const formats = loaded.filter((id) => /importers\/(index|onnx|tfjs|keras|nnchip-json)|onnx-proto|protobuf|passes\/(pipeline|lower)|cli\/load-program/.test(id));
  expect(formats).toEqual([]);
}, 60_000);
