// SPDX-License-Identifier: MIT
/**
 * The whole board design in Icarus: the SPI-flash model holds the image nnchip wrote, and the host
 * side of the UART is the host code of `nnchip board run` (src/board/host.ts and protocol.ts) over
 * named pipes. Outputs equal interpret() (what `run --backend ref` prints), the compute cycles the
 * board reports equal scheduleTimes(), and the protocol's error frames come back for bad requests.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BOARDS } from '../../src/board/boards.js';
import { BOARD_FILES, emitBoard } from '../../src/board/emit.js';
import { BoardSession, checkBoard, inferOnBoard } from '../../src/board/host.js';
import { IMAGE_HEADER_BYTES } from '../../src/board/image.js';
import { encodeFrame, readRequest, REQ, RESP, writeRequest } from '../../src/board/protocol.js';
import { loadModel } from '../../src/importers/index.js';
import type { ArrayConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { quantizeInput, type Program } from '../../src/isa/program.js';
import { scheduleTimes } from '../../src/isa/timing.js';
import { tempFolder, writeDirAtomic, writeFilesAtomic } from '../../src/util/atomic-write.js';
import { calibrationSamples, compileDigitsMlp, compileGraph } from '../helpers/compile.js';
import { FPGA_DEVICES } from '../../src/backends/verilog/devices.js';
import { requireTool, runTool } from '../../src/backends/verilog/tools.js';
import { boardCellModels, compileBoardSim, startBoardSim } from './board-sim.js';
import { haveTools } from './tools.js';

const TINY = new URL('../../examples/tiny/tiny.nnchip.json', import.meta.url).pathname;
const TINY_CALIBRATION = new URL('../../examples/tiny/calibration.json', import.meta.url).pathname;

/** Two memory corners: a 2-byte beat with latency 3, and a 1-byte beat answered in the same cycle. */
const CONFIGS: readonly Partial<ArrayConfig>[] = [
  { rows: 2, cols: 2, dramBytesPerCycle: 2, dramLatency: 3, queueDepth: 2 },
  { rows: 1, cols: 1, dramBytesPerCycle: 1, dramLatency: 0, queueDepth: 1, thresholdPasses: 16 },
];

function tinyProgram(config: Partial<ArrayConfig>): Program {
  return compileGraph(loadModel(TINY), calibrationSamples(TINY_CALIBRATION), config);
}

/** A calibrated sample, all-saturating codes and all-minimum codes. */
function inputsOf(p: Program): Int8Array[] {
  const n = p.input.rows * p.input.rowBytes;
  return [quantizeInput(p, calibrationSamples(TINY_CALIBRATION)[0]!), new Int8Array(n).fill(127), new Int8Array(n).fill(-128)];
}

/** INFO, then each input of inputsOf() through the host code: the answers of interpret() and scheduleTimes(). */
async function expectInferences(p: Program, dir: string, bench: readonly string[], inputs: readonly Int8Array[]): Promise<void> {
  const sim = startBoardSim(dir, bench);
  const session = new BoardSession(sim.link, 0);
  const info = await checkBoard(session, p);
  expect(info).toMatchObject({ imageOk: true, ramBase: p.constants.length, dramSize: p.dramSize });
  const cycles = scheduleTimes(p.instructions, p.config).cycles;
  for (const x of inputs) {
    const run = await inferOnBoard(session, p, x);
    expect(Array.from(run.raw)).toEqual(Array.from(interpret(p, x)));
    expect(run.cycles).toBe(cycles);
    // the board clock also counts the memory waits: six clocks per core cycle at least (docs/board.md)
    expect(run.clocks).toBeGreaterThanOrEqual(6 * cycles);
  }
  expect(await sim.close()).toContain('(exit 0)');
}

describe.skipIf(!haveTools('verilator'))('the board RTL is lint-clean under verilator --lint-only -Wall', () => {
  test.each(CONFIGS.map((c) => [`${c.rows}x${c.cols} bw${c.dramBytesPerCycle} lat${c.dramLatency}`, c] as const))('%s', async (_, config) => {
    const temp = tempFolder('nnchip-board-lint-');
    try {
      const dir = join(temp.path, 'hw');
      const files = emitBoard(tinyProgram(config), { board: BOARDS.icebreaker, clockMhz: 24 });
      writeDirAtomic(dir, files);
      const models = boardCellModels(dir);   // the UP5K core's DSP blocks: yosys's SB_MAC16 model
      writeFilesAtomic(new Map([...models].map(([path, text]) => [join(dir, path), text])), { force: true });
      const sources = [...models.keys(), ...[...files.keys()].filter((f) => (f.startsWith('rtl/') || f.startsWith('board/')) && f.endsWith('.v'))];
      const { stdout, stderr } = await runTool(requireTool('verilator'), ['--lint-only', '-Wall', '-Irtl', '-Iboard', '--top-module', 'nnchip_board_top', ...sources], dir, 'verilator lint of the board design');
      expect(`${stdout}${stderr}`).not.toMatch(/%Warning|%Error/);
    } finally {
      temp.remove();
    }
  }, 120_000);
});

/**
 * The digits MLP: 204 kB of weights at 2x2, far more than the block RAM of either board, streamed
 * from the flash model on every inference (Verilator: Icarus takes minutes for its 2.4 M board clocks).
 */
describe.skipIf(!haveTools('verilator', 'mkfifo'))('the digits MLP on the board design in Verilator, weights from flash', () => {
  const p = compileDigitsMlp(CONFIGS[0]!).program;
  const temp = tempFolder('nnchip-board-vl-');
  const dir = join(temp.path, 'hw');
  let bench: string[] = [];
  beforeAll(async () => {
    writeDirAtomic(dir, emitBoard(p, { board: BOARDS['hx8k-breakout'], clockMhz: 12 }));
    bench = await compileBoardSim(dir, 'verilator');
  }, 600_000);
  afterAll(() => temp.remove());
  test('outputs = interpret(), compute cycles = scheduleTimes()', async () => {
    expect(p.constants.length).toBeGreaterThan((4096 / 8) * FPGA_DEVICES.hx8k.brams); // more bytes than all its 4-kbit block RAMs
    const n = p.input.rows * p.input.rowBytes;
    await expectInferences(p, dir, bench, [quantizeInput(p, calibrationSamples()[0]!), new Int8Array(n).fill(127)]);
  }, 300_000);
});

describe.skipIf(!haveTools('iverilog', 'vvp', 'mkfifo'))('the board design in Icarus, driven by the host code', () => {
  describe.each(CONFIGS.map((c) => [`${c.rows}x${c.cols} bw${c.dramBytesPerCycle} lat${c.dramLatency}`, c] as const))('%s', (_, config) => {
    const p = tinyProgram(config);
    const temp = tempFolder('nnchip-board-');
    const dir = join(temp.path, 'hw');
    let bench: string[] = [];
    beforeAll(async () => {
      writeDirAtomic(dir, emitBoard(p, { board: BOARDS.icebreaker, clockMhz: 12 }));
      bench = await compileBoardSim(dir);
    }, 120_000);
    afterAll(() => temp.remove());

    test('outputs = interpret(), compute cycles = scheduleTimes(), for several inferences in one session', async () => {
      await expectInferences(p, dir, bench, inputsOf(p));
    }, 120_000);

    test('bad requests get ERROR frames and leave the board working', async () => {
      const sim = startBoardSim(dir, bench);
      const session = new BoardSession(sim.link, 0);
      const bad = writeRequest(p.constants.length, [1, 2, 3]);
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
      await expect(session.request(bad, RESP.ack, 'a damaged WRITE')).rejects.toThrow(/bad checksum/);
      await expect(session.request(writeRequest(0, [1]), RESP.ack, 'a WRITE over the weights')).rejects.toThrow(/outside the board RAM/);
      await expect(session.request(readRequest(p.dramSize - 1, 2), RESP.data, 'a READ past the end')).rejects.toThrow(/outside the board RAM/);
      await expect(session.request(encodeFrame(0x42), RESP.ack, 'an unknown request')).rejects.toThrow(/does not know/);
      await expect(session.request(encodeFrame(REQ.run, [0]), RESP.done, 'a RUN with a payload')).rejects.toThrow(/wrong payload length/);
      const x = inputsOf(p)[0]!;
      expect(Array.from((await inferOnBoard(session, p, x)).raw)).toEqual(Array.from(interpret(p, x)));
      await sim.close();
    }, 120_000);

    test('a flash image that is not this design is refused', async () => {
      const hex = join(dir, BOARD_FILES.flashHex);
      const good = readFileSync(hex, 'utf8');
      const lines = good.trim().split('\n');
      // one weight byte changed: the header still matches, the payload sum does not
      const at = IMAGE_HEADER_BYTES + Math.floor((lines.length - IMAGE_HEADER_BYTES) / 2);
      lines[at] = ((parseInt(lines[at]!, 16) + 1) & 0xff).toString(16).padStart(2, '0');
      writeFileSync(hex, lines.join('\n') + '\n');
      try {
        const sim = startBoardSim(dir, bench);
        const session = new BoardSession(sim.link, 0);
        expect((await session.info()).imageOk).toBe(false);
        await expect(session.run()).rejects.toThrow(/does not hold this design's image/);
        await sim.close();
      } finally {
        writeFileSync(hex, good);
      }
    }, 120_000);
  });
});
