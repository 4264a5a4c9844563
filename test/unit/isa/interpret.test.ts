import { describe, expect, test } from 'vitest';
import { parseListing } from '../../../src/isa/asm.js';
import { makeConfig } from '../../../src/isa/config.js';
import { checkProgram, interpret } from '../../../src/isa/interpret.js';
import type { Program } from '../../../src/isa/program.js';
import { scheduleTimes } from '../../../src/isa/timing.js';

/** A 2×2 machine computing one dense layer by hand: y = threshold(a·W + b). */
function tinyProgram(asm: string, constants: number[]): Program {
  const config = makeConfig({ rows: 2, cols: 2, dramLatency: 3, dramBytesPerCycle: 2 });
  return {
    config,
    instructions: parseListing(asm),
    dramSize: 64,
    constants: Uint8Array.from(constants.map((v) => v & 0xff)),
    input: { name: 'x', shape: [2], dram: 48, rows: 1, rowBytes: 2, rowStride: 2, scale: 1, zp: 0 },
    outputs: [{ name: 'y', shape: [2], dram: 56, rows: 1, rowBytes: 2, rowStride: 2, scale: 1, zp: 0 }],
    layers: [],
    insnLayer: parseListing(asm).map(() => 0),
    memoryMap: [],
    notes: [],
  };
}

// dram: [0..3] W rows (k-major, 2 lanes each), [4..11] bias int32 LE ×2, [12..19] qnt {mult u16, shift, 0} ×2
const W = [3, 4, 5, -6];
const BIAS = [10, -10];
const MULT = 1 << 14; // with shift 15: ×0.5
const le32 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
const CONSTANTS = [...W, ...le32(BIAS[0]!), ...le32(BIAS[1]!), MULT & 0xff, MULT >> 8, 15, 0, MULT & 0xff, MULT >> 8, 15, 0];
const ASM = `
load buf=0 sram=0 rows=1 dram=48 stride=0
load buf=1 sram=0 rows=2 dram=0 stride=2
load buf=2 sram=0 rows=1 dram=4 stride=0
load buf=3 sram=0 rows=1 dram=12 stride=0 | pushNext
matmul wgt=0 act=0 actStride=1 acc=0 rows=1 accumulate=1 inner=1 actOuter=0 | popPrev
threshold acc=0 out=0 qnt=0 rows=1 zp=0 lo=-128 hi=127 table=0 steps=0 poolH=0 poolW=0 | pushNext
store sram=0 rows=1 dram=56 stride=2 | popPrev
halt
`;

describe('reference interpreter', () => {
  test('one hand-checked dense layer', () => {
    const p = tinyProgram(ASM, CONSTANTS);
    expect(checkProgram(p)).toBeNull();
    const a = [7, -2];
    const y = interpret(p, Int8Array.from(a));
    const acc = [0, 1].map((c) => a[0]! * W[c]! + a[1]! * W[2 + c]! + BIAS[c]!);
    expect(Array.from(y)).toEqual(acc.map((v) => Math.floor(v / 2 + 0.5))); // ×0.5, round half up
  });

  test('checkProgram reports out-of-range accesses and a missing halt', () => {
    expect(checkProgram(tinyProgram(ASM.replace('dram=56', 'dram=63'), CONSTANTS))).toMatch(/outside/);
    expect(checkProgram(tinyProgram(ASM.replace('halt', ''), CONSTANTS))).toMatch(/halt/);
  });
});

describe('timing rules (docs/hardware.md)', () => {
  test('the hand program, instruction by instruction', () => {
    const p = tinyProgram(ASM, CONSTANTS);
    const { timings, cycles } = scheduleTimes(p.instructions, p.config);
    const L = 3; // dramLatency
    const beats = (bytes: number): number => Math.ceil(bytes / 2); // 2 bytes per cycle
    // the four loads run back to back on the load unit, fetched one per cycle from cycle 0
    const loadEnds: number[] = [];
    let t = 1;
    for (const [rows, bytes] of [[1, 2], [2, 2], [1, 8], [1, 8]] as const) {
      t += L + rows * beats(bytes);
      loadEnds.push(t);
    }
    expect(timings.slice(0, 4).map((x) => x.end)).toEqual(loadEnds);
    // matmul waits for the qnt load's token: 2R + C + rows cycles
    const mmEnd = loadEnds[3]! + (2 * 2 + 2 + 1);
    expect(timings[4]!.end).toBe(mmEnd);
    const thEnd = mmEnd + 1 + 4; // rows + threshold latency (select, multiply, accumulate, write)
    expect(timings[5]!.end).toBe(thEnd);
    const stEnd = thEnd + L + beats(2);
    expect(timings[6]!.end).toBe(stEnd);
    expect(cycles).toBe(stEnd);
  });

  test('a pop without an earlier push is rejected (it would deadlock)', () => {
    const p = tinyProgram(ASM.replace('| pushNext\nmatmul', '\nmatmul'), CONSTANTS);
    expect(() => scheduleTimes(p.instructions, p.config)).toThrow(/deadlock/);
  });
});

describe('one program interpreted many times', () => {
  test('each run starts from zeros, the constants and the input, whatever the run before it left (its buffers are reused)', () => {
    // accumulates onto an acc row nothing loads (zero at the start of a run), and reads act from the
    // output's DRAM (written only by the run's own store)
    const accResidue = tinyProgram(ASM.replace('load buf=2 sram=0 rows=1 dram=4 stride=0\n', ''), CONSTANTS);
    const dramResidue = tinyProgram(ASM.replace('load buf=0 sram=0 rows=1 dram=48', 'load buf=0 sram=0 rows=1 dram=56'), CONSTANTS);
    for (const p of [accResidue, dramResidue]) {
      expect(checkProgram(p)).toBeNull();
      const x = Int8Array.from([7, -2]);
      // a fresh object is a program interpret() has not seen: fresh buffers
      const fresh = Array.from(interpret({ ...p }, x));
      expect([0, 1, 2].map(() => Array.from(interpret(p, x)))).toEqual([fresh, fresh, fresh]);
    }
    expect(Array.from(interpret(accResidue, Int8Array.from([7, -2])))).not.toEqual([0, 0]);
  });
});
