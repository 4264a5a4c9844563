// Regenerates the damaged-program fixtures (nnp-*) in this folder: node test/bad-inputs/generate-programs.mjs
// (after a build). Each case is the tiny example lowered for a 2x3 array with one thing broken,
// run through the command that misbehaved on it before programs were validated at load.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'nnchip-gen-'));
execFileSync(process.execPath, [join(repo, 'bin/nnchip.mjs'), 'lower', join(repo, 'examples/tiny/tiny.nnchip.json'), '-o', join(work, 'tiny.nnchip'), '--array', '2x3', '--input-range', '0,1'], { stdio: 'pipe' });
const base = readFileSync(join(work, 'tiny.nnchip', 'program.nnp'));
rmSync(work, { recursive: true, force: true });

const headerLength = base.readUInt32LE(8);
const header = () => JSON.parse(base.subarray(12, 12 + headerLength).toString('utf8'));
const body = () => Uint8Array.from(base.subarray(12 + headerLength));
const pack = (h, b = body(), raw = JSON.stringify(h)) => {
  const text = Buffer.from(raw);
  const out = Buffer.alloc(12 + text.length + b.length);
  base.copy(out, 0, 0, 8);
  out.writeUInt32LE(text.length, 8);
  text.copy(out, 12);
  out.set(b, 12 + text.length);
  return out;
};
/** The body with instruction i's bits [lsb, lsb + bits) set to v (128-bit little-endian words). */
const withField = (i, lsb, bits, v, b = body()) => {
  let word = 0n;
  for (let k = 15; k >= 0; k--) word = (word << 8n) | BigInt(b[i * 16 + k]);
  const mask = ((1n << BigInt(bits)) - 1n) << BigInt(lsb);
  word = (word & ~mask) | (BigInt(v) << BigInt(lsb));
  for (let k = 0; k < 16; k++) b[i * 16 + k] = Number((word >> BigInt(8 * k)) & 0xffn);
  return b;
};
const firstOp = (op) => body().findIndex((_, i) => i % 16 === 0 && (body()[i] & 0xf) === op) / 16;
const RUN = (backend) => ['run', '$DIR/program.nnp', '--backend', backend, '--input', '$DIR/in.json'];
const INPUT = JSON.stringify([[0.1, 0.2, 0.3, 0.4]]);

const cases = {
  // a header that asks every run to allocate 1 TiB (NN901 from the allocator before)
  'nnp-dram-size-huge': { args: RUN('ref'), nnp: pack({ ...header(), dramSize: 2 ** 40 }) },
  // a memory-map region that no instruction touches, declaring 1 GiB: run --backend wasm took 1.1 GB, `nnchip wasm` wrote a module that takes 1 GiB
  'nnp-memory-map-huge': { args: RUN('wasm'), nnp: pack({ ...header(), dramSize: 2 ** 30, memoryMap: [...header().memoryMap, { space: 'dram', name: 'unused', start: 0, size: 2 ** 30 }] }) },
  // the output tensor beyond DRAM (NN901 from a typed-array view before)
  'nnp-output-outside-dram': { args: RUN('ref'), nnp: pack({ ...header(), output: { ...header().output, dram: header().dramSize } }) },
  // a second output (session 29: `moreOutputs`) beyond DRAM, a list of them that is no list, and a batched program of two
  'nnp-more-outputs-outside-dram': { args: RUN('wasm'), nnp: pack({ ...header(), moreOutputs: [{ ...header().output, name: 'far', dram: header().dramSize }] }) },
  'nnp-more-outputs-not-a-list': { args: RUN('ref'), nnp: pack({ ...header(), moreOutputs: { ...header().output } }) },
  'nnp-more-outputs-batched': { args: RUN('sim'), nnp: pack({ ...header(), batch: 2, moreOutputs: [header().output] }) },
  // a load reading past the end of DRAM: the reference interpreter read zeros there, silently
  'nnp-load-outside-dram': { args: RUN('ref'), nnp: pack(header(), withField(firstOp(1), 42, 32, header().dramSize)) },
  // the first matmul no longer waits for its weights (popPrev cleared): sim raced, silently
  'nnp-missing-token': { args: RUN('sim'), nnp: pack(header(), withField(firstOp(3), 4, 1, 0)) },
  // a matmul that both accumulates and starts from its bias entry (the bias bit, session 17): two meanings, refused at load
  'nnp-matmul-bias-and-accumulate': { args: RUN('wasm'), nnp: pack(header(), ((i) => withField(i, 88, 1, 1, withField(i, 121, 1, 1)))(firstOp(3))) },
  // a config key that is no config field was accepted and written back
  'nnp-config-proto-key': { args: ['disasm', '$DIR/program.nnp'], nnp: pack({ ...header(), config: JSON.parse(JSON.stringify(header().config).replace('{', '{"__proto__":{"rows":1},')) }) },
  // a layer name that forges an output line and a terminal sequence in disasm's listing (printed raw before)
  'nnp-layer-name-controls': { args: ['disasm', '$DIR/program.nnp'], nnp: pack({ ...header(), layers: header().layers.map((l, i) => (i === 0 ? { ...l, name: 'fc1\nerror NN000: forged\u001b[2J' } : l)) }) },
  // layer spans that disagree with insnLayer: reports counted instructions into the wrong layer
  // a header field nested 20,000 deep: its message overflowed the stack (NN901)
  'nnp-header-deep': { args: ['disasm', '$DIR/program.nnp'], nnp: pack(null, body(), JSON.stringify(header()).replace(/}$/, `,"dramSize":${'['.repeat(20_000)}${']'.repeat(20_000)}}`)) },
  'nnp-layer-span': { args: ['disasm', '$DIR/program.nnp'], nnp: pack({ ...header(), layers: header().layers.map((l, i) => (i === 0 ? { ...l, insnCount: l.insnCount + 5 } : l)) }) },
};

for (const [name, c] of Object.entries(cases)) {
  const dir = join(root, name);
  const expected = existsSync(join(dir, 'expected.txt')) ? readFileSync(join(dir, 'expected.txt')) : undefined; // kept, as generate.mjs keeps it
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  if (expected !== undefined) writeFileSync(join(dir, 'expected.txt'), expected);
  writeFileSync(join(dir, 'program.nnp'), c.nnp);
  writeFileSync(join(dir, 'args.json'), JSON.stringify(c.args));
  if (c.args.includes('$DIR/in.json')) writeFileSync(join(dir, 'in.json'), INPUT);
}
console.log(`wrote ${Object.keys(cases).length} cases; refresh expected.txt with UPDATE_EXPECTED=1 npx vitest run test/bad-inputs/bad-inputs.test.ts`);
