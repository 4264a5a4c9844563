// SPDX-License-Identifier: MIT
/**
 * Generates nnchip_isa.vh — the Verilog copy of the ISA (opcodes, field positions and widths,
 * load-buffer ids, the unit of each opcode, the threshold latency and the legal thresholdPasses) —
 * from src/isa. The RTL never spells an opcode or a field position itself, and checks at
 * elaboration that its hand-built units agree with the rest (an unknown module names the mismatch).
 */
import { thresholdPassesRule } from '../../isa/config.js';
import { matmulAccLeadRule } from '../../isa/ops/matmul.js';
import { POOL_GEOMETRY, THRESHOLD_LATENCY, UNIT_OF } from '../../isa/ops/index.js';
import { COMMON_FIELDS, FORMATS, INSN_BITS, LOAD_BUFFERS, OPCODE_LIST, OPCODES, UNITS, type FieldSpec } from '../../isa/spec.js';

/** camelCase → UPPER_SNAKE: actStride → ACT_STRIDE, popPrev → POP_PREV. */
export function upperSnake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function fieldLines(prefix: string, f: FieldSpec): string[] {
  const name = `${prefix}${upperSnake(f.name)}`;
  return [
    `localparam ${name}_LSB = ${f.lsb};`,
    `localparam ${name}_MSB = ${f.lsb + f.bits - 1};`,
    `localparam ${name}_W = ${f.bits};${f.signed ? '  // signed' : ''}`,
  ];
}

/** The header text; identical for every ArrayConfig (the formats do not depend on it). */
export function isaHeader(): string {
  const opcode = COMMON_FIELDS.find((f) => f.name === 'opcode');
  const opBits = opcode?.bits ?? 0;
  const lines: string[] = [
    '// SPDX-License-Identifier: MIT',
    '// nnchip_isa.vh — GENERATED from src/isa (spec.ts, ops/) by src/backends/verilog/isa-header.ts; do not edit.',
    '// Included inside module bodies (localparams are module-scoped), hence no include guard.',
    '/* verilator lint_off UNUSEDPARAM */',
    `localparam INSN_BITS = ${INSN_BITS};`,
    '',
    '// common header of every instruction',
    ...COMMON_FIELDS.flatMap((f) => fieldLines(f.name === 'opcode' ? '' : 'F_', f)),
    '',
    '// opcodes',
    ...OPCODE_LIST.map((op) => `localparam [${opBits - 1}:0] OP_${upperSnake(op)} = ${opBits}'d${OPCODES[op]};`),
  ];
  for (const op of OPCODE_LIST) {
    const fields = FORMATS[op];
    if (fields.length === 0) continue;
    lines.push('', `// ${op} fields`, ...fields.flatMap((f) => fieldLines(`F_${upperSnake(op)}_`, f)));
  }
  const buf = FORMATS.load.find((f) => f.name === 'buf');
  lines.push('', '// load target buffers');
  for (const [name, id] of Object.entries(LOAD_BUFFERS)) lines.push(`localparam [${(buf?.bits ?? 1) - 1}:0] BUF_${upperSnake(name)} = ${buf?.bits ?? 1}'d${id};`);
  const unitBits = Math.max(1, Math.ceil(Math.log2(UNITS.length)));
  lines.push('', '// units, and the unit that executes each opcode (src/isa/ops/<op>.ts)', `localparam OPCODE_COUNT = ${OPCODE_LIST.length};`);
  UNITS.forEach((u, i) => lines.push(`localparam [${unitBits - 1}:0] UNIT_${upperSnake(u)} = ${unitBits}'d${i};`));
  for (const op of OPCODE_LIST) lines.push(`localparam [${unitBits - 1}:0] UNIT_OF_${upperSnake(op)} = UNIT_${upperSnake(UNIT_OF[op])};`);
  lines.push(
    '',
    '// threshold unit: pipeline stages after a row\'s last beat (src/isa/ops/threshold.ts)',
    `localparam THRESHOLD_LATENCY = ${THRESHOLD_LATENCY};`,
    '// a pooling threshold\'s window geometry: bit offset (_LSB) and width (_W) of each part of its steps field',
    ...Object.entries(POOL_GEOMETRY).flatMap(([name, [lsb, bits]]) => [`localparam POOL_${upperSnake(name)}_LSB = ${lsb};`, `localparam POOL_${upperSnake(name)}_W = ${bits};`]),
    '/* verilator lint_on UNUSEDPARAM */',
    '',
    '// the thresholdPasses values the threshold unit can be built for (src/isa/config.ts thresholdPassesValid)',
    'function threshold_passes_ok(input integer passes, input integer cols);',
    `  threshold_passes_ok = ${thresholdPassesRule('passes', 'cols')};`,
    'endfunction',
    '',
    '// cycles from a matmul\'s start to its first acc access: a matmul right after a requantize-mode',
    '// threshold may start in that threshold\'s last matmul_acc_lead cycles (src/isa/timing.ts)',
    'function integer matmul_acc_lead(input integer array_rows, input integer array_cols);',
    `  matmul_acc_lead = ${matmulAccLeadRule('array_rows', 'array_cols')};`,
    'endfunction',
    '',
  );
  return lines.join('\n');
}
