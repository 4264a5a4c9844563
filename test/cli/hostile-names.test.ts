/**
 * Names from model files reach the terminal and generated files: a layer or tensor name with a
 * newline or ESC is printed escaped by every command (layer tables, disasm) and stays escaped in the
 * program file, which loads again; a model file name goes into the Verilog flow files as one line
 * of plain characters (a newline in it wrote a Makefile rule).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { captureIo } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { readProgramFile } from '../../src/cli/load-program.js';
import { serializeProgram } from '../../src/isa/program.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-names-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const FORGED = 'fc1\nerror NN000: forged\u001b[2J';
const tiny = JSON.parse(readFileSync(new URL('../../examples/tiny/tiny.nnchip.json', import.meta.url), 'utf8')) as { layers: { name: string }[] };
tiny.layers[0]!.name = FORGED;

async function cli(args: string[]): Promise<string> {
  const io = captureIo();
  const code = await main(args, io);
  expect(code, io.err.join('')).toBe(0);
  return io.out.join('') + io.err.join('');
}

describe('hostile names', () => {
  test('a layer name with a newline and ESC: lower, sim and disasm print it escaped; the program file loads again', async () => {
    const model = join(work, 'm.nnchip.json');
    writeFileSync(model, JSON.stringify(tiny));
    const out = join(work, 'm.nnchip');
    const printed = [await cli(['lower', model, '-o', out, '--input-range', '0,1']), await cli(['sim', out]), await cli(['disasm', out])];
    for (const text of printed) {
      expect(text).not.toContain('\u001b');
      expect(text).not.toMatch(/^error NN000/m);
      expect(text).toContain('fc1\\nerror NN000: forged\\x1b[2J');
    }
  });

  test('a layer name of 100,000 characters in a .nnp of 50 empty layers: sim prints every table cell cut (every row was padded to it: 5 MB)', async () => {
    const model = join(work, 't.nnchip.json');
    writeFileSync(model, readFileSync(new URL('../../examples/tiny/tiny.nnchip.json', import.meta.url)));
    const out = join(work, 't.nnchip');
    await cli(['lower', model, '-o', out, '--input-range', '0,1']);
    const p = readProgramFile(join(out, 'program.nnp'));
    const empty = Array.from({ length: 50 }, (_, i) => ({ name: `empty${i}`, op: 'dense', shape: '1', firstInsn: 0, insnCount: 0, macs: 0, weightBytes: 0 }));
    const file = join(work, 'long-name.nnp');
    writeFileSync(file, serializeProgram({ ...p, layers: [{ ...p.layers[0]!, name: 'L'.repeat(100_000) }, ...p.layers.slice(1), ...empty] }));
    const printed = await cli(['sim', file]);
    expect(printed.length).toBeLessThan(20_000);
    expect(printed).toContain(`${'L'.repeat(79)}…${'L'.repeat(80)}`);
    expect(printed).toContain('empty49');
  });

  test('a model file name with a newline: the Makefile and core file get one line of plain characters', async () => {
    const dir = join(work, 'v');
    const model = join(work, 'evil\nall:\n\ttouch pwned\n#.nnchip.json');
    writeFileSync(model, JSON.stringify(tiny));
    await cli(['verilog', model, '-o', dir, '--input-range', '0,1']);
    const makefile = readFileSync(join(dir, 'Makefile'), 'utf8');
    expect(makefile).not.toMatch(/^all:$/m);
    expect(makefile).not.toContain('touch pwned');
    expect(makefile).toContain('design (evil_all___touch_pwned__, array');
  });
});
