// SPDX-License-Identifier: MIT
/**
 * The RTL checks at elaboration that its hand-built units agree with the generated nnchip_isa.vh:
 * the decoder knows every opcode, the controller routes each to the unit its op record names, the
 * threshold pipeline is THRESHOLD_LATENCY deep and PASSES is legal for COLS. Each mismatch, made by
 * editing the emitted design, must stop iverilog with the check's name.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { emitVerilog } from '../../src/backends/verilog/emit.js';
import { makeConfig } from '../../src/isa/config.js';
import { compile } from '../../src/passes/pipeline.js';
import { randomMlp, randomSamples } from '../helpers/random-graph.js';
import { haveTools } from './tools.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-elab-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const program = compile(randomMlp([6, 4], 7), { config: makeConfig({ rows: 2, cols: 4, thresholdPasses: 2 }), calibration: { samples: randomSamples(4, 6, 8) } }).program;
const design = emitVerilog(program, { target: 'generic' });
const rtl = [...design.keys()].filter((f) => f.startsWith('rtl/') && f.endsWith('.v'));
for (const [name, text] of design) {
  if (!name.startsWith('rtl/')) continue;
  mkdirSync(dirname(join(dir, name)), { recursive: true });
  writeFileSync(join(dir, name), text);
}
const header = readFileSync(join(dir, 'rtl/nnchip_isa.vh'), 'utf8');

/** Elaborate nnchip_top with `edit` applied to the header; returns iverilog's stderr ('' when it elaborates). */
function elaborate(edit: (vh: string) => string, params: readonly string[] = []): string {
  writeFileSync(join(dir, 'rtl/nnchip_isa.vh'), edit(header));
  try {
    execFileSync('iverilog', ['-g2005', '-I', 'rtl', '-s', 'nnchip_top', ...params, '-o', '/dev/null', ...rtl], { cwd: dir, stdio: 'pipe' });
    return '';
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e);
  }
}

const set = (name: string, value: string) => (vh: string): string => {
  const changed = vh.replace(new RegExp(`(localparam (?:\\[[^\\]]*\\] )?${name} = )[^;]+;`), `$1${value};`);
  expect(changed).not.toBe(vh);
  return changed;
};

describe.skipIf(!haveTools('iverilog'))('elaboration checks against nnchip_isa.vh', () => {
  test('the emitted design elaborates', () => {
    expect(elaborate((vh) => vh)).toBe('');
  });

  test('an opcode the decoder does not know', () => {
    expect(elaborate(set('OPCODE_COUNT', '7'))).toContain('nnchip_isa_has_opcodes_the_decoder_lacks');
  });

  test('an opcode on another unit than the controller routes it to', () => {
    expect(elaborate(set('UNIT_OF_SYNC', 'UNIT_LOAD'))).toContain('nnchip_isa_unit_map_differs_from_the_controller');
  });

  test('a threshold latency other than the pipeline\'s four stages', () => {
    expect(elaborate(set('THRESHOLD_LATENCY', '5'))).toContain('nnchip_threshold_stages_differ_from_isa_threshold_latency');
  });

  test('a thresholdPasses the threshold unit cannot be built for', () => {
    expect(elaborate((vh) => vh, ['-P', 'nnchip_top.THRESHOLD_PASSES=3'])).toContain('nnchip_threshold_passes_illegal_for_cols');
    expect(elaborate((vh) => vh, ['-P', 'nnchip_top.THRESHOLD_PASSES=16'])).toBe('');
  });
});
