// SPDX-License-Identifier: MIT
/** emitVerilog: a complete, fully filled, byte-for-byte deterministic design folder, sized from the Program. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { designSizing, emitVerilog, MAX_IMAGE_DRAM_BYTES, MAX_IMAGE_INSTRUCTIONS, VERILOG_TARGETS } from '../../../../src/backends/verilog/emit.js';
import { readTemplateDir } from '../../../../src/backends/verilog/templates.js';
import { captureIo } from '../../../../src/cli/context.js';
import { main } from '../../../../src/cli/main.js';
import { interpret } from '../../../../src/isa/interpret.js';
import { quantizeInput } from '../../../../src/isa/program.js';
import { scheduleTimes } from '../../../../src/isa/timing.js';
import { calibrationSamples, compileGraph, DIGITS_MLP } from '../../../helpers/compile.js';
import { randomMlp, randomSamples } from '../../../helpers/random-graph.js';

const samples = randomSamples(3, 6, 2);
const program = compileGraph(randomMlp([6, 5, 4], 1), samples, { rows: 2, cols: 3 });
const inputs = samples.map((x) => quantizeInput(program, x));
const work = mkdtempSync(join(tmpdir(), 'nnchip-emit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe('emitVerilog', () => {
  test.each(VERILOG_TARGETS)('target %s: every template used, every placeholder filled', (target) => {
    const files = emitVerilog(program, { target, inputs });
    for (const name of readTemplateDir('rtl-templates').keys()) {
      if (name.startsWith('board/')) continue; // the board design's (test/unit/board/emit.test.ts)
      const where = name === 'tb_top.v' ? 'tb/tb_top.v' : name.startsWith('fpga/') ? name : `rtl/${name}`;
      expect(files.has(where), where).toBe(true);
    }
    for (const name of readTemplateDir(`targets/${target}`).keys()) expect(files.has(`${target}/${name}`), name).toBe(true);
    for (const [path, text] of files) expect(text, path).not.toMatch(/\{\{[A-Z][A-Z0-9_]*\}\}/);
    expect(files.get('rtl/nnchip_isa.vh')).toContain('OP_MATMUL');
  });

  test('the part chooses the PE multipliers: the UP5K its SB_MAC16 blocks (no yosys -dsp then, the simulation flows list the model), others LUTs', () => {
    const top = (files: Map<string, string>): string => files.get('rtl/nnchip_top.v') ?? '';
    const up5k = emitVerilog(program, { target: 'ice40', device: 'up5k', inputs });
    expect(top(up5k)).toMatch(/parameter PE_MAC16 = 1\b/);
    expect(up5k.get('ice40/Makefile')).toMatch(/^SYNTH_FLAGS \?= *$/m);
    for (const flow of ['iverilog/Makefile', 'verilator/Makefile']) expect(up5k.get(flow)).toContain('CELLS := $(addprefix $(ROOT)/,sim/SB_MAC16.v)');
    for (const files of [emitVerilog(program, { target: 'ice40', device: 'hx8k', inputs }), emitVerilog(program, { target: 'generic', inputs })]) {
      expect(top(files)).toMatch(/parameter PE_MAC16 = 0\b/);
      expect(files.get('iverilog/Makefile')).toContain('CELLS := $(addprefix $(ROOT)/,)');
    }
    expect(top(emitVerilog(program, { target: 'generic', peMultipliers: 'mac16', inputs }))).toMatch(/parameter PE_MAC16 = 1\b/);
  });

  test('is deterministic: two emissions are identical, in the same order', () => {
    const a = emitVerilog(program, { target: 'ice40', inputs });
    const b = emitVerilog(program, { target: 'ice40', inputs });
    expect([...b.entries()]).toEqual([...a.entries()]);
  });

  test('the test bench checks against interpret() and scheduleTimes()', () => {
    const files = emitVerilog(program, { target: 'generic', inputs });
    const expected = files.get('mem/expected.hex')!.trimEnd().split('\n').map((h) => (parseInt(h, 16) << 24) >> 24);
    expect(expected).toEqual(inputs.flatMap((x) => Array.from(interpret(program, x))));
    const meta = files.get('mem/meta.hex')!.trimEnd().split('\n').map((h) => parseInt(h, 16));
    expect(meta).toContain(scheduleTimes(program.instructions, program.config).cycles);
    expect(files.get('rtl/nnchip_top.v')).toMatch(new RegExp(`parameter ROWS = ${program.config.rows},`));
  });

  test('sizes follow the program unless a capacity raises them', () => {
    const s = designSizing(program, 1);
    expect(s.progDepth).toBeGreaterThanOrEqual(program.instructions.length);
    expect(2 ** s.dramAw).toBeGreaterThanOrEqual(program.dramSize);
    const big = designSizing(program, 1, { progDepth: 5000, dramBytes: 1 << 20, tokenBits: 12 });
    expect(big.progDepth).toBe(8192);
    expect(big.dramAw).toBeGreaterThanOrEqual(20);
    expect(big.tokenBits).toBe(12);
    // the step-table sequencer only for a program with a table activation, or a capacity that asks for it
    const relu = program.instructions.every((i) => i.op !== 'threshold' || i.steps === 0);
    expect(s.tables).toBe(!relu);
    expect(designSizing(program, 1, { tables: true }).tables).toBe(true);
    expect(emitVerilog(program, { target: 'generic', capacity: { tables: true } }).get('rtl/nnchip_top.v')).toMatch(/parameter THRESHOLD_TABLE = 1,/);
  });

  test('an input of the wrong length is NN303', () => {
    expect(() => emitVerilog(program, { target: 'generic', inputs: [new Int8Array(1)] })).toThrow(/NN303|needs/);
  });

  test('`nnchip verilog` writes byte-identical folders on two runs', async () => {
    const cal = join(work, 'samples.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(cal, JSON.stringify({ inputs: calibrationSamples().slice(0, 2).map((x) => Array.from(x)) }));
    const outs = [join(work, 'a'), join(work, 'b')];
    for (const out of outs) {
      const io = captureIo();
      expect(await main(['verilog', DIGITS_MLP, '--array', '4x4', '--target', 'ice40', '--input', cal, '-o', out], io), io.err.join('')).toBe(0);
    }
    const [a, b] = outs.map(readTree);
    expect(a!.size).toBeGreaterThan(20);
    expect([...b!.entries()]).toEqual([...a!.entries()]);
  });
});

describe('memory images past what a design holds', () => {
  // a 9.4-million-instruction program (a 4M-weight dense layer on 1x1) ran out of memory after two minutes (exit 134)
  test('a program longer than 2^21 instructions, or a DRAM image over 2^27 bytes, is NN403 before any image is made', () => {
    const long = { ...program, instructions: new Array(MAX_IMAGE_INSTRUCTIONS + 1) };
    expect(() => emitVerilog(long, { target: 'generic' })).toThrow(/the program has 2,097,153 instructions; a design.s program image holds at most 2,097,152/);
    const wide = { ...program, dramSize: MAX_IMAGE_DRAM_BYTES + 1 };
    expect(() => emitVerilog(wide, { target: 'generic' })).toThrow(/DRAM image is 134,217,729 bytes/);
  });
});
