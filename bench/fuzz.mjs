// Runs the fuzz properties of test/fuzz with FUZZ_RUNS cases each (default 10,000 TF.js model and
// 10,000 ONNX byte mutations, 5,000 data-file mutations) and prints the count of cases and failures.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const runs = process.env.FUZZ_RUNS ?? '10000';
const repo = fileURLToPath(new URL('..', import.meta.url));
const r = spawnSync('npx', ['vitest', 'run', 'test/fuzz', '--silent=false'], { cwd: repo, env: { ...process.env, FUZZ_RUNS: runs }, encoding: 'utf8' });
const plain = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '');
const summary = plain.split('\n').map((l) => l.trim()).filter((l) => /fuzz:|^Tests |Counterexample|unexpected failure/.test(l)).map((l) => l.replace(/^.*fuzz:/, 'fuzz:'));
console.log(summary.join('\n'));
console.log(r.status === 0 ? 'failures: 0' : `failures: the property failed (exit ${r.status}); see the counterexample above`);
process.exitCode = r.status ?? 1;
