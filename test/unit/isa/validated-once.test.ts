// SPDX-License-Identifier: MIT
/**
 * Each instruction's accesses are derived once per validation and shared by its checks, and a
 * program validateProgram passed is not checked again by the next stage, only while nothing
 * reachable from it can change: the same answers as the checks run from scratch.
 */
import { describe, expect, test } from 'vitest';
import { accessesOf } from '../../../src/isa/effects.js';
import { checkProgram, wasValidated } from '../../../src/isa/interpret.js';
import { checkOrdering } from '../../../src/isa/ordering.js';
import { serializeProgram, type Program } from '../../../src/isa/program.js';
import { deserializeProgram, validateProgram } from '../../../src/isa/validate.js';
import { loadModel } from '../../../src/importers/index.js';
import { makeConfig } from '../../../src/isa/config.js';
import { compile } from '../../../src/passes/pipeline.js';
import { calibrationSamples, DIGITS_MLP } from '../../helpers/compile.js';
import { noTokens, strippedMlp } from '../../helpers/racy-program.js';
import { randomProgram } from '../backends/wasm/random-program.js';

describe('accesses derived once', () => {
  test('checkProgram collects accessesOf of every instruction; checkOrdering gives the same answer with them', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const p = randomProgram(seed, undefined, { tables: true });
      const collected: ReturnType<typeof accessesOf>[] = [];
      expect(checkProgram(p, collected)).toBeNull();
      expect(collected).toEqual(p.instructions.map((insn) => accessesOf(insn, p.config)));
      const racy = noTokens(p);
      expect(checkOrdering(racy.instructions, racy.config, collected)).toBe(checkOrdering(racy.instructions, racy.config));
      expect(checkOrdering(p.instructions, p.config, collected)).toBe(checkOrdering(p.instructions, p.config));
    }
    const { racy } = strippedMlp();
    const accesses = racy.instructions.map((insn) => accessesOf(insn, racy.config));
    expect(checkOrdering(racy.instructions, racy.config, accesses)).toMatch(/no token ordering them/);
  });
});

/** The digits MLP as compile() returns it (compileGraph validates what it returns). */
const freshMlp = (): { program: Program } => ({ program: compile(loadModel(DIGITS_MLP), { config: makeConfig(), calibration: { samples: calibrationSamples() } }).program });

describe('validated once', () => {
  test('validateProgram and deserializeProgram remember what they passed; copies and changed programs are checked again', () => {
    const { program } = freshMlp();
    expect(wasValidated(program)).toBe(false);
    const read = deserializeProgram(serializeProgram(program));
    expect(wasValidated(read)).toBe(true);
    const valid = validateProgram(program);
    expect(wasValidated(valid)).toBe(true);
    // a copy is a new object, checked in full
    const noHalt: Program = { ...valid, instructions: valid.instructions.slice(0, -1), insnLayer: valid.insnLayer.slice(0, -1) };
    expect(wasValidated(noHalt)).toBe(false);
    expect(checkProgram(noHalt)).toMatch(/halt/);
  });

  test('a program frozen only on the outside is not remembered (its instructions could still change)', () => {
    const { program } = freshMlp();
    const mutable = [...program.instructions];
    const shallow = Object.freeze({ ...program, instructions: mutable });
    validateProgram(shallow);
    expect(wasValidated(shallow)).toBe(false);
    mutable[mutable.length - 1] = mutable[0]!;
    expect(checkProgram(shallow)).toMatch(/halt/);
  });
});
