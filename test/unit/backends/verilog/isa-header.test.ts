// SPDX-License-Identifier: MIT
/** nnchip_isa.vh is generated from src/isa (every opcode, field, unit, the threshold latency and passes rule), and the decoder spells none itself. */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { isaHeader, upperSnake } from '../../../../src/backends/verilog/isa-header.js';
import { packageRoot } from '../../../../src/backends/verilog/templates.js';
import { DEFAULT_CONFIG, thresholdPassesValid } from '../../../../src/isa/config.js';
import { matmulAccLead } from '../../../../src/isa/ops/matmul.js';
import { POOL_GEOMETRY, THRESHOLD_LATENCY, UNIT_OF } from '../../../../src/isa/ops/index.js';
import { COMMON_FIELDS, FORMATS, LOAD_BUFFERS, OPCODE_LIST, OPCODES } from '../../../../src/isa/spec.js';

const header = isaHeader();
const localparam = (name: string): string | undefined => new RegExp(`localparam (?:\\[[^\\]]*\\] )?${name} = ([^;]+);`).exec(header)?.[1];

describe('isaHeader', () => {
  test('has every opcode with its spec.ts value', () => {
    for (const op of OPCODE_LIST) expect(localparam(`OP_${upperSnake(op)}`), op).toBe(`4'd${OPCODES[op]}`);
  });

  test('has LSB, MSB and width of every field of every format', () => {
    for (const op of OPCODE_LIST) {
      for (const f of FORMATS[op]) {
        const name = `F_${upperSnake(op)}_${upperSnake(f.name)}`;
        expect(localparam(`${name}_LSB`), name).toBe(String(f.lsb));
        expect(localparam(`${name}_MSB`), name).toBe(String(f.lsb + f.bits - 1));
        expect(localparam(`${name}_W`), name).toBe(String(f.bits));
      }
    }
    for (const f of COMMON_FIELDS.filter((c) => c.name !== 'opcode')) expect(localparam(`F_${upperSnake(f.name)}_LSB`)).toBe(String(f.lsb));
  });

  test('has the load buffer ids', () => {
    for (const [name, id] of Object.entries(LOAD_BUFFERS)) expect(localparam(`BUF_${upperSnake(name)}`)).toMatch(new RegExp(`'d${id}$`));
  });

  test('has the unit of every opcode, the threshold latency and the thresholdPasses rule', () => {
    expect(localparam('OPCODE_COUNT')).toBe(String(OPCODE_LIST.length));
    for (const op of OPCODE_LIST) expect(localparam(`UNIT_OF_${upperSnake(op)}`), op).toBe(`UNIT_${upperSnake(UNIT_OF[op])}`);
    expect(localparam('THRESHOLD_LATENCY')).toBe(String(THRESHOLD_LATENCY));
    const rule = /threshold_passes_ok = ([^;]+);/.exec(header)?.[1] ?? 'false';
    // the expression means the same in JavaScript: evaluate it against the TypeScript rule
    const ok = new Function('passes', 'cols', `return ${rule};`) as (passes: number, cols: number) => boolean;
    for (const cols of [1, 2, 3, 4, 6, 8, 16, 24, 64]) {
      for (let passes = 1; passes <= 16 * cols; passes++) expect(ok(passes, cols), `passes ${passes}, cols ${cols}`).toBe(thresholdPassesValid(passes, cols));
    }
  });

  test('has the matmul acc lead (the threshold tail a matmul may start in) as matmul_acc_lead', () => {
    const rule = /matmul_acc_lead = ([^;]+);/.exec(header)?.[1] ?? '0';
    const lead = new Function('array_rows', 'array_cols', `return ${rule};`) as (rows: number, cols: number) => number;
    for (const rows of [1, 2, 4, 8, 32]) for (const cols of [1, 3, 8, 256]) expect(lead(rows, cols), `${rows}x${cols}`).toBe(matmulAccLead({ ...DEFAULT_CONFIG, rows, cols }));
  });

  test('has the pooling threshold\'s window geometry (its steps field) as POOL_geometry_LSB and _W', () => {
    for (const [name, [lsb, bits]] of Object.entries(POOL_GEOMETRY)) {
      expect(localparam(`POOL_${upperSnake(name)}_LSB`), name).toBe(String(lsb));
      expect(localparam(`POOL_${upperSnake(name)}_W`), name).toBe(String(bits));
    }
  });

  test('matches the reviewed golden copy', async () => {
    await expect(header).toMatchFileSnapshot('./fixtures/nnchip_isa.vh');
  });

  test('the decoder template holds no literal opcode and no numeric bit slice', () => {
    const decoder = readFileSync(`${packageRoot()}/rtl-templates/nnchip_decoder.v`, 'utf8').replace(/\/\/.*$/gm, '');
    expect(decoder).toContain('`include "nnchip_isa.vh"');
    expect(decoder).not.toMatch(/\[\s*\d+\s*:\s*\d+\s*\]/);
    expect(decoder).not.toMatch(/\d+'[dhb][0-9a-fA-F]*[2-9a-fA-F]/);
    for (const op of OPCODE_LIST) expect(decoder).toContain(`OP_${upperSnake(op)}`);
  });
});
