// SPDX-License-Identifier: MIT
/**
 * `nnchip sim` of one inference in fast mode does not load the register-level machine
 * (sim/step.ts: sim/simulator.ts takes it as a parameter; the CLI passes it only for --mode step,
 * --vcd and --prove), and those still get it. A fast-only simulator asked for step mode is an
 * internal error, not a silent fast run. Spawns bin/nnchip.mjs (build dist/ first).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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

/** The simulator's modules (dist/sim/…) a CLI run loads, by a resolve hook that names each. */
function simModulesLoaded(args: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'nnchip-sim-modules-'));
  const hook = join(dir, 'hook.mjs');
  writeFileSync(hook, "export async function resolve(s, c, next) { const r = await next(s, c); if (/\\/dist\\/sim\\//.test(r.url)) process.stderr.write('LOADED ' + r.url.replace(/.*\\/dist\\/sim\\//, '') + '\\n'); return r; }\n");
  const file = join(dir, 'p.nnp');
  writeFileSync(file, serializeProgram(program));
  const r = spawnSync(process.execPath, ['--no-warnings', '--experimental-loader', hook, BIN, 'sim', file, '--json', ...args], { encoding: 'utf8', cwd: dir });
  expect(r.status, r.stderr).toBe(0);
  return [...r.stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1]!);
}

test('one fast inference loads no step mode; --mode step and --prove do', () => {
  const fast = simModulesLoaded([]);
  expect(fast).toContain('fast.js');
  expect(fast).not.toContain('step.js');
  expect(simModulesLoaded(['--mode', 'step'])).toContain('step.js');
  expect(simModulesLoaded(['--prove', '--samples', '1'])).toContain('step.js');
}, 60_000);

test('a simulator built without step mode refuses it (NN901), and runs fast mode', () => {
  const fastOnly = simulatorWith(null);
  const x = new Int8Array(12);
  expect(() => fastOnly(program, x, { mode: 'step' })).toThrow(/NN901|internal error/);
  expect(fastOnly(program, x).mode).toBe('fast');
});
