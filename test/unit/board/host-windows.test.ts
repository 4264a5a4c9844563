/**
 * The board host with a windowed input (isa/input-windows.ts): inferOnBoard writes the stored
 * windows, not the codes as given, so a board whose DRAM runs the program computes what
 * interpret() computes. The board is a stand-in here: its DRAM is an array and `run` executes the
 * program on it with the reference interpreter's instruction semantics (the real board design runs
 * in test/cosim/board.test.ts).
 */
import { describe, expect, test } from 'vitest';
import { inferOnBoard, type BoardSession } from '../../../src/board/host.js';
import { loadModel } from '../../../src/importers/index.js';
import { createState, execute, interpret } from '../../../src/isa/interpret.js';
import { quantizeInput, type Program } from '../../../src/isa/program.js';
import { calibrationSamples, compileGraph } from '../../helpers/compile.js';

const ex = (rel: string): string => new URL(`../../../examples/${rel}`, import.meta.url).pathname;

/** A board that holds the program's DRAM and runs it when asked. */
function fakeBoard(p: Program): BoardSession {
  const dram = new Uint8Array(p.dramSize);
  dram.set(p.constants, 0);
  const board = {
    write: async (address: number, bytes: Uint8Array): Promise<void> => void dram.set(bytes, address),
    read: async (address: number, count: number): Promise<Uint8Array> => dram.slice(address, address + count),
    run: async (): Promise<{ cycles: number; clocks: number }> => {
      const state = createState(p.config, dram);
      for (const insn of p.instructions) execute(state, insn, p.config);
      return { cycles: 0, clocks: 0 };
    },
  };
  return board as unknown as BoardSession;
}

describe('inferOnBoard with a windowed input', () => {
  test('the MNIST CNN on 4x4: the board computes interpret()\'s codes from the windows the host wrote', async () => {
    const samples = calibrationSamples(ex('digits-cnn/calibration.json'));
    const p = compileGraph(loadModel(ex('digits-cnn/model.json')), samples, { rows: 4, cols: 4 }, 1, 'always');
    expect(p.input.windows).toBeDefined();
    for (const sample of samples.slice(0, 2)) {
      const x = quantizeInput(p, sample);
      expect(Array.from((await inferOnBoard(fakeBoard(p), p, x)).raw)).toEqual(Array.from(interpret(p, x)));
    }
  });
});
