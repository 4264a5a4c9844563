/**
 * What nnchip reads besides models (issue 12): sample files (size cap before reading, memory that
 * does not grow with the number of samples), --config (regular files, size cap), collapsed
 * calibrations (a warning naming the layer, in --json too), and `sim --input` printing values.
 */
import { fmtInt } from '../../src/diagnostics/error.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { MAX_CALIBRATION_SAMPLES, MAX_DATA_BYTES, readSamples } from '../../src/cli/data.js';
import { captureIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { MAX_CONFIG_BYTES } from '../../src/cli/options.js';
import { BIN } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-inputs-'));
const TINY = new URL('../../examples/tiny/tiny.nnchip.json', import.meta.url).pathname;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

function file(name: string, text: string): string {
  writeFileSync(join(work, name), text);
  return join(work, name);
}

/** n samples of the tiny model's 4 inputs, deterministic. */
const samples = (n: number): number[][] => Array.from({ length: n }, (_, i) => [(i % 7) / 7, (i % 5) / 5, (i % 3) / 3, (i % 11) / 11]);
const calibration = file('cal.json', JSON.stringify(samples(64)));

describe('sample files', () => {
  test('a data file over the cap is refused from its size, before anything is read', async () => {
    const big = join(work, 'big.json');
    const fd = openSync(big, 'w');
    closeSync(fd);
    execFileSync('truncate', ['-s', String(MAX_DATA_BYTES + 1), big]); // sparse: no disk used
    const r = await cli('run', TINY, '--calibration', calibration, '--input', big);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error NN109: big.json: the file is ${fmtInt(MAX_DATA_BYTES + 1)} bytes; data files over ${fmtInt(MAX_DATA_BYTES)} bytes are refused — use fewer samples, or split them over several files (no flag raises this limit)\n`);
  });

  test('a calibration file of over MAX_CALIBRATION_SAMPLES samples is refused once parsed, before an array is made per sample', async () => {
    // one-value samples, 2 bytes each: calibration took 380 MB for 2.6 million, 16 GB for a file at the size cap
    const one = file('one.nnchip.json', JSON.stringify({ format: 'nnchip-model', version: 1, name: 'one', input: { shape: [1] }, layers: [{ name: 'fc', op: 'dense', kernel: [[0.5]], bias: [0.1] }] }));
    const many = file('many-one.json', `[${'0,'.repeat(MAX_CALIBRATION_SAMPLES)}0]`);
    const r = await cli('lower', one, '--calibration', many, '-o', join(work, 'one.nnchip'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error NN109: many-one.json: holds ${fmtInt(MAX_CALIBRATION_SAMPLES + 1)} samples; calibration files of over ${fmtInt(MAX_CALIBRATION_SAMPLES)} samples are refused — calibrate on a subset: a few hundred samples that cover the inputs suffice (no flag raises this limit)\n`);
    // the samples `run`, `eval` and `board run` stream (one view at a time) are not capped
    expect(readSamples(many, 1).count).toBe(MAX_CALIBRATION_SAMPLES + 1);
  });

  test('run --backend sim on 12,000 samples fits in a 48 MB heap (results are streamed, not collected)', () => {
    const input = file('many.json', JSON.stringify(samples(12_000)));
    const r = spawnSync(process.execPath, ['--max-old-space-size=48', BIN, 'run', TINY, '--calibration', calibration, '--input', input, '--backend', 'sim', '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
    expect(r.status, r.stderr.slice(0, 500)).toBe(0);
    const out = JSON.parse(r.stdout) as { outputs: number[][]; raw: number[][]; cycles: number[] };
    expect(out.outputs).toHaveLength(12_000);
    expect(out.raw).toHaveLength(12_000);
    expect(new Set(out.cycles).size).toBe(1);
    // the text form: one line per sample, in order
    const text = spawnSync(process.execPath, ['--max-old-space-size=48', BIN, 'run', TINY, '--calibration', calibration, '--input', input], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(12_000);
    expect(lines[11_999]).toMatch(/^sample 11999: argmax \d/);
  }, 600_000);

  test('flat, nested [1, K] and a single flat sample give the same outputs; labels must match the count', async () => {
    const xs = samples(3);
    const flat = await cli('run', TINY, '--calibration', calibration, '--input', file('flat.json', JSON.stringify(xs)), '--json');
    const nested = await cli('run', TINY, '--calibration', calibration, '--input', file('nested.json', JSON.stringify({ inputs: xs.map((x) => [x]) })), '--json');
    expect(nested.out).toBe(flat.out);
    const single = await cli('run', TINY, '--calibration', calibration, '--input', file('single.json', JSON.stringify(xs[0])), '--json');
    expect((JSON.parse(single.out) as { raw: number[][] }).raw).toEqual((JSON.parse(flat.out) as { raw: number[][] }).raw.slice(0, 1));
    const labels = await cli('eval', TINY, '--calibration', calibration, '--data', file('labels.json', JSON.stringify({ inputs: xs, labels: [0, 1] })));
    expect(labels.err).toMatch(/^error NN302: labels\.json: "labels" has 2 entries for 3 samples; give one integer class per sample/);
    const tooDeep = await cli('run', TINY, '--calibration', calibration, '--input', file('deep.json', JSON.stringify([[[xs[0]]]])));
    expect(tooDeep.err).toMatch(/^error NN307: deep\.json: sample 0 has shape \[1, 1, 4\]; the model input is \[4\]/);
  });

  test('a UTF-8 byte order mark before the JSON (as Windows editors save) reads as without one ("no samples found" before)', async () => {
    const xs = samples(2);
    const plain = await cli('run', TINY, '--calibration', calibration, '--input', file('plain.json', JSON.stringify(xs)), '--json');
    const bom = await cli('run', TINY, '--calibration', calibration, '--input', file('bom.json', '\ufeff' + JSON.stringify(xs)), '--json');
    expect(bom.err).toBe('');
    expect(bom.out).toBe(plain.out);
  });
});

describe('--config', () => {
  test('a FIFO is refused at once (never opened, so nothing waits for a writer)', () => {
    const fifo = join(work, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    const r = spawnSync(process.execPath, [BIN, 'lower', TINY, '--input-range', '0,1', '--config', fifo, '-o', join(work, 'x.nnchip')], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error NN101: .*config\.fifo: is not a regular file/);
  });

  test('a config over the size cap is refused from its size', async () => {
    const big = file('big-config.json', `{"rows": 8${' '.repeat(MAX_CONFIG_BYTES)}}`);
    const r = await cli('lower', TINY, '--input-range', '0,1', '--config', big, '-o', join(work, 'y.nnchip'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error NN109: big-config\.json: the file is [\d,]+ bytes; machine configurations over 65,536 bytes are refused — give a smaller file \(no flag raises this limit\)/);
  });

  test('"constructor" is not a config field either; known fields still work', async () => {
    const bad = await cli('lower', TINY, '--input-range', '0,1', '--config', file('ctor.json', '{"constructor": 4}'), '-o', join(work, 'z.nnchip'));
    expect(bad.err).toMatch(/unknown config field "constructor"; known fields: rows, cols/);
    const good = await cli('lower', TINY, '--input-range', '0,1', '--config', file('ok.json', '{"rows": 4, "cols": 4}'), '-o', join(work, 'ok.nnchip'), '--json');
    expect(good.code, good.err).toBe(0);
  });
});

describe('collapsed calibration', () => {
  test('all-zero calibration data: one warning line naming the input; run --json repeats it', async () => {
    const zeros = file('zeros.json', JSON.stringify([[0, 0, 0, 0], [0, 0, 0, 0]]));
    const r = await cli('run', TINY, '--calibration', zeros, '--input', calibration, '--json');
    expect(r.code, r.err).toBe(0);
    const lines = r.err.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warning: the input "[^"]+"( \(and \d+ later tensors?\))?: calibrated range \[0, 0\] is under one int8 step/);
    expect((JSON.parse(r.out) as { warnings: string[] }).warnings).toEqual([lines[0]!.replace('warning: ', '')]);
  });

  test('--input-range 0,1e-300 warns too; real calibration data does not', async () => {
    const tiny = await cli('lower', TINY, '--input-range', '0,1e-300', '-o', join(work, 'tiny-range.nnchip'));
    expect(tiny.code).toBe(0);
    expect(tiny.err).toMatch(/\nwarning: the input .*under one int8 step/);
    const ok = await cli('lower', TINY, '--calibration', calibration, '-o', join(work, 'tiny-ok.nnchip'));
    expect(ok.err).toBe('');
  });
});

describe('sim --input', () => {
  test('prints the values run prints; --codes prints the int8 codes run --json gives as raw', async () => {
    const input = file('three.json', JSON.stringify(samples(3)));
    const run = JSON.parse((await cli('run', TINY, '--calibration', calibration, '--input', input, '--json')).out) as { outputs: number[][]; raw: number[][] };
    const values = (await cli('sim', TINY, '--calibration', calibration, '--input', input)).out;
    const codes = (await cli('sim', TINY, '--calibration', calibration, '--input', input, '--codes')).out;
    run.outputs.forEach((o, i) => {
      expect(values).toContain(`sample ${i}: `);
      expect(values).toMatch(new RegExp(`sample ${i}: \\d+ cycles, output \\[${o.map((v) => v.toFixed(3)).join(', ')}\\]`));
      expect(codes).toMatch(new RegExp(`sample ${i}: \\d+ cycles, output codes \\[${run.raw[i]!.join(', ')}\\]`));
    });
    const json = JSON.parse((await cli('sim', TINY, '--calibration', calibration, '--input', input, '--json')).out) as { samples: { outputs: number[]; raw: number[] }[] };
    expect(json.samples.map((s) => s.outputs)).toEqual(run.outputs);
    expect(json.samples.map((s) => s.raw)).toEqual(run.raw);
  });
});
