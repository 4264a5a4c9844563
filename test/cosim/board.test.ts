// SPDX-License-Identifier: MIT
/**
 * The whole board design in Icarus and Verilator: the SPI-flash model holds the image nnchip wrote
 * (the program, which the board loads into its instruction RAM or, when longer, streams through it on
 * every inference, and the weights), and the host side of the UART is the host code of `nnchip board run` (src/board/host.ts and protocol.ts) over named
 * pipes. Outputs equal interpret() (what `run --backend ref` prints), the compute cycles the board
 * reports equal scheduleTimes(), the protocol's error frames come back for bad requests, a damaged
 * image or another machine's is refused, and another model's image runs on the same bitstream.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BOARDS, type Board } from '../../src/board/boards.js';
import { PLACED_MACHINES } from '../../src/board/fit.js';
import { BOARD_FILES, boardMachine, emitBoard, flashHex } from '../../src/board/emit.js';
import { BoardSession, checkBoard, inferOnBoard } from '../../src/board/host.js';
import { clocksPerByte, FLASH_READS, type FlashRead, type FlashReadName } from '../../src/board/flash.js';
import { flashImage, IMAGE_HEADER_BYTES } from '../../src/board/image.js';
import { encodeFrame, IMAGE_STATUS, readRequest, REQ, RESP, writeRequest } from '../../src/board/protocol.js';
import { loadModel } from '../../src/importers/index.js';
import type { ArrayConfig } from '../../src/isa/config.js';
import { interpret } from '../../src/isa/interpret.js';
import { quantizeInput, type Program } from '../../src/isa/program.js';
import { scheduleTimes } from '../../src/isa/timing.js';
import { tempFolder, writeDirAtomic, writeFilesAtomic } from '../../src/util/atomic-write.js';
import { calibrationSamples, compileDigitsMlp, compileGraph } from '../helpers/compile.js';
import { FPGA_DEVICES } from '../../src/backends/verilog/devices.js';
import { requireTool, runTool } from '../../src/backends/verilog/tools.js';
import { boardCellModels, compileBoardSim, startBoardSim } from '../../src/board/cosim.js';
import { haveTools } from './tools.js';
import { boardRun } from '../../src/cli/commands/board.js';
import { captureIo } from '../../src/cli/context.js';
import { nnchip } from '../helpers/cli.js';

const TINY = new URL('../../examples/tiny/tiny.nnchip.json', import.meta.url).pathname;
const TINY_CALIBRATION = new URL('../../examples/tiny/calibration.json', import.meta.url).pathname;
const ICEBREAKER: Board = BOARDS.icebreaker;

/** Two memory corners: a 2-byte beat with latency 3, and a 1-byte beat answered in the same cycle. */
const CONFIGS: readonly Partial<ArrayConfig>[] = [
  { rows: 2, cols: 2, dramBytesPerCycle: 2, dramLatency: 3, queueDepth: 2 },
  { rows: 1, cols: 1, dramBytesPerCycle: 1, dramLatency: 0, queueDepth: 1, thresholdPasses: 16 },
];

function tinyProgram(config: Partial<ArrayConfig>, calibration = calibrationSamples(TINY_CALIBRATION)): Program {
  return compileGraph(loadModel(TINY), calibration, config);
}

/** A calibrated sample, all-saturating codes and all-minimum codes. */
function inputsOf(p: Program): Int8Array[] {
  const n = p.input.rows * p.input.rowBytes;
  return [quantizeInput(p, calibrationSamples(TINY_CALIBRATION)[0]!), new Int8Array(n).fill(127), new Int8Array(n).fill(-128)];
}

/** The flash read of a board design folder's bitstream. */
const flashReadOf = (dir: string): FlashRead => FLASH_READS[(JSON.parse(readFileSync(join(dir, BOARD_FILES.manifest), 'utf8')) as { flashRead: FlashReadName }).flashRead];

/**
 * INFO, then each input through the host code: the answers of interpret() and scheduleTimes(). `p`
 * is the program of the image the flash model holds (the folder's, or the +FLASH= one in plusargs).
 */
async function expectInferences(p: Program, machineId: number, dir: string, bench: readonly string[], inputs: readonly Int8Array[], plusargs: readonly string[] = []): Promise<number[]> {
  const sim = startBoardSim(dir, bench, plusargs);
  const session = new BoardSession(sim.link, 0);
  const info = await checkBoard(session, p, machineId);
  expect(info).toMatchObject({ imageStatus: IMAGE_STATUS.ok, ramBase: p.constants.length, dramSize: p.dramSize });
  const cycles = scheduleTimes(p.instructions, p.config).cycles;
  const clocks: number[] = [];
  for (const x of inputs) {
    const run = await inferOnBoard(session, p, x);
    expect(Array.from(run.raw)).toEqual(Array.from(interpret(p, x)));
    expect(run.cycles).toBe(cycles);
    // the board clock also counts the memory waits: six clocks per core cycle at least (docs/board.md)
    expect(run.clocks).toBeGreaterThanOrEqual(6 * cycles);
    clocks.push(run.clocks);
    process.stdout.write(`board run: ${run.cycles} compute cycles, ${run.clocks} board clocks\n`);
  }
  const log = await sim.close();
  expect(log).toContain('(exit 0)');
  // the flash model saw only the design's read command, and never both sides driving IO0
  expect(log).toMatch(/flash: \d+ READ commands, \d+ bytes read, 0 errors/);
  expect(log).not.toContain('ERROR');
  // the boot reads the image once, as one flash stream, at the flash's rate plus a few clocks per
  // byte of handshake (the reader reads a byte ahead; docs/board.md)
  const read = flashReadOf(dir);
  const boot = Number(/image status 1 after (\d+) clocks/.exec(log)?.[1]);
  const bytes = flashImage(p, machineId).length;
  expect(boot).toBeGreaterThan(clocksPerByte(read) * bytes);
  expect(boot).toBeLessThan((clocksPerByte(read) + 2) * bytes + 1000);
  process.stdout.write(`board boot (${read.name} read): ${bytes} image bytes in ${boot} clocks (${(boot / bytes).toFixed(1)} per byte)\n`);
  return clocks;
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
 * The shipped digits MLP on the iCEBreaker's 2x2 machine (board-pnr's, with the activation buffer the
 * first layer needs): 19,207 instructions, 75 times a 256-word instruction RAM, streamed from the
 * flash model through it on every inference, beside 51 kB of weights (more than all the block RAM
 * of either part). Two inferences: the second finds the window where the first left it. Verilator:
 * Icarus takes many minutes for the board clocks of one inference.
 */
const DIGITS_CONFIG: Partial<ArrayConfig> = { rows: 2, cols: 2, actDepth: 512, wgtDepth: 8, accDepth: 16, qntDepth: 4, outDepth: 16, queueDepth: 1, thresholdPasses: 8, dramBytesPerCycle: 2, dramLatency: 3 };
describe.skipIf(!haveTools('verilator', 'mkfifo'))('the digits MLP on a 2x2 board design in Verilator, program and weights from flash', () => {
  const p = compileDigitsMlp(DIGITS_CONFIG).program;
  const temp = tempFolder('nnchip-board-vl-');
  const dir = join(temp.path, 'hw');
  let bench: string[] = [];
  beforeAll(async () => {
    writeDirAtomic(dir, emitBoard(p, { board: ICEBREAKER, clockMhz: 12 }));
    bench = await compileBoardSim(dir, 'verilator');
  }, 900_000);
  afterAll(() => temp.remove());
  test('outputs = interpret(), compute cycles = scheduleTimes()', async () => {
    const machine = boardMachine(p, ICEBREAKER);
    expect(p.instructions.length).toBeGreaterThan(50 * Number(machine.parameters['PROG_DEPTH']));
    expect(p.constants.length).toBeGreaterThan((4096 / 8) * FPGA_DEVICES.up5k.brams); // more bytes than all its 4-kbit block RAMs
    const n = p.input.rows * p.input.rowBytes;
    const clocks = await expectInferences(p, machine.id, dir, bench, [quantizeInput(p, calibrationSamples()[0]!), new Int8Array(n).fill(127)]);
    expect(clocks[1]).toBe(clocks[0]);
    // docs/board.md states this run's figures
    const fig = (x: number): string => x.toLocaleString('en-US');
    const doc = readFileSync(new URL('../../docs/board.md', import.meta.url), 'utf8');
    expect(doc).toMatch(new RegExp(`${fig(scheduleTimes(p.instructions, p.config).cycles)} compute\\s+cycles and ${fig(clocks[0]!)} board clocks`));
    // the program's bytes past the first window each take a flash byte time (8 board clocks in a dual read) at least
    expect(clocks[0]).toBeGreaterThan(clocksPerByte(flashReadOf(dir)) * 16 * (p.instructions.length - Number(machine.parameters['PROG_DEPTH'])));
  }, 600_000);
});

/**
 * The other board: the HX8K breakout's design (no DSPs: the PE multipliers in LUTs; LEDs active
 * high; the PLL, a pass-through in simulation, set for 24 MHz) for the machine board-pnr places on it.
 */
describe.skipIf(!haveTools('iverilog', 'vvp', 'mkfifo'))('the HX8K breakout design in Icarus, driven by the host code', () => {
  const board = BOARDS['hx8k-breakout'];
  const p = tinyProgram(PLACED_MACHINES['hx8k-breakout'].config);
  const machine = boardMachine(p, board);
  const temp = tempFolder('nnchip-board-hx8k-');
  const dir = join(temp.path, 'hw');
  afterAll(() => temp.remove());
  test('outputs = interpret(), compute cycles = scheduleTimes()', async () => {
    writeDirAtomic(dir, emitBoard(p, { board, clockMhz: PLACED_MACHINES['hx8k-breakout'].clockMhz }));
    const top = readFileSync(join(dir, 'board/nnchip_board_top.v'), 'utf8');
    expect(top).toMatch(/parameter USE_PLL = 1,/);
    expect(readFileSync(join(dir, 'rtl/nnchip_top.v'), 'utf8')).toMatch(/parameter PE_MAC16 = 0\b/);
    await expectInferences(p, machine.id, dir, await compileBoardSim(dir), inputsOf(p));
  }, 240_000);
});

describe.skipIf(!haveTools('iverilog', 'vvp', 'mkfifo'))('the board design in Icarus, driven by the host code', () => {
  describe.each(CONFIGS.map((c, i) => [`${c.rows}x${c.cols} bw${c.dramBytesPerCycle} lat${c.dramLatency}`, c, i] as const))('%s', (_, config, index) => {
    const p = tinyProgram(config);
    const machine = boardMachine(p, ICEBREAKER);
    const temp = tempFolder('nnchip-board-');
    const dir = join(temp.path, 'hw');
    let bench: string[] = [];
    /** An image in the folder, for the bench's +FLASH=. */
    const imageFile = (name: string, image: Uint8Array): string => {
      const file = join(dir, `mem/${name}.hex`);
      writeFileSync(file, flashHex(image));
      return `+FLASH=${file}`;
    };
    beforeAll(async () => {
      writeDirAtomic(dir, emitBoard(p, { board: ICEBREAKER, clockMhz: 12 }));
      bench = await compileBoardSim(dir);
    }, 120_000);
    afterAll(() => temp.remove());

    test('the program comes from flash: outputs = interpret(), compute cycles = scheduleTimes(), for several inferences in one session', async () => {
      await expectInferences(p, machine.id, dir, bench, inputsOf(p));
    }, 120_000);

    test('nnchip board run over the co-simulated board prints what nnchip run prints (outputs: --backend ref; cycles: --backend sim)', async () => {
      // the command's own code (board.json, program.nnp, the samples, the checks, the printing); the port is the bench's pipes
      const viaBoard = async (json: boolean): Promise<string> => {
        const io = captureIo();
        await boardRun(dir, { port: 'the co-simulation', input: TINY_CALIBRATION, timeout: '600', ...(json ? { json } : {}) }, { io, exitCode: 0 }, async () => {
          const sim = startBoardSim(dir, bench);
          return { link: sim.link, close: async () => void expect(await sim.close()).toContain('(exit 0)') };
        });
        expect(io.err).toEqual([]);
        return io.out.join('');
      };
      const run = (backend: string, json: boolean): string => {
        const r = nnchip(['run', join(dir, BOARD_FILES.program), '--input', TINY_CALIBRATION, '--backend', backend, ...(json ? ['--json'] : [])]);
        expect(r.code, r.stderr).toBe(0);
        return r.stdout;
      };
      const board = JSON.parse(await viaBoard(true)) as { backend: string; outputs: number[][]; raw: number[][]; cycles: number[] };
      const ref = JSON.parse(run('ref', true)) as typeof board;
      const sim = JSON.parse(run('sim', true)) as typeof board;
      expect(board.backend).toBe('board');
      expect(board.outputs).toEqual(ref.outputs);
      expect(board.raw).toEqual(ref.raw);
      expect(board.cycles).toEqual(sim.cycles);
      expect(board.cycles.length).toBe(board.outputs.length);
      expect({ ...board, backend: 'sim' }).toEqual(sim);
      // the text form too: line for line what the simulator's run prints
      expect(await viaBoard(false)).toBe(run('sim', false));
    }, 240_000);

    test('a program longer than the instruction RAM streams through it from flash, bit- and cycle-exact', async () => {
      // an 8-word instruction RAM: the program goes through it several times per inference
      const window = 8;
      expect(p.instructions.length).toBeGreaterThan(2 * window);
      const small = boardMachine(p, ICEBREAKER, { programWords: window });
      expect(small.parameters['PROG_DEPTH']).toBe(window);
      const streamed = join(temp.path, 'streamed');
      writeDirAtomic(streamed, emitBoard(p, { board: ICEBREAKER, clockMhz: 12, capacity: { programWords: window } }));
      const clocks = await expectInferences(p, small.id, streamed, await compileBoardSim(streamed), inputsOf(p));
      // every inference pays for the same stream: at least a flash byte time for each byte past the
      // first window (which is loaded while the board waits), beyond the resident program's run
      const resident = (await expectInferences(p, machine.id, dir, bench, inputsOf(p).slice(0, 1)))[0]!;
      const streamedBytes = 16 * (p.instructions.length - window);
      for (const c of clocks) {
        expect(c).toBe(clocks[0]);
        expect(c).toBeGreaterThan(resident + clocksPerByte(flashReadOf(streamed)) * streamedBytes);
      }
      process.stdout.write(`board window: ${streamedBytes} program bytes streamed per inference, ${clocks[0]! - resident} board clocks more (${((clocks[0]! - resident) / streamedBytes).toFixed(1)} per byte)\n`);
    }, 120_000);

    test('the single-bit READ (0x03) gives the same outputs in the same compute cycles, in more board clocks', async () => {
      const single = join(temp.path, 'single');
      writeDirAtomic(single, emitBoard(p, { board: ICEBREAKER, clockMhz: 12, flashRead: 'single' }));
      expect(flashReadOf(single)).toBe(FLASH_READS.single);
      expect(flashReadOf(dir)).toBe(FLASH_READS.dual);
      const slow = await expectInferences(p, machine.id, single, await compileBoardSim(single), inputsOf(p));
      const fast = await expectInferences(p, machine.id, dir, bench, inputsOf(p));
      for (let i = 0; i < fast.length; i++) expect(slow[i]).toBeGreaterThan(fast[i]!);
      process.stdout.write(`board flash read: ${slow[0]} board clocks an inference single, ${fast[0]} dual\n`);
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

    /** The board's verdict on an image: INFO's status, checkBoard's error, and RUN refused. */
    async function expectRefused(plusarg: string, status: number, message: RegExp): Promise<void> {
      const sim = startBoardSim(dir, bench, [plusarg]);
      const session = new BoardSession(sim.link, 0);
      expect((await session.info()).imageStatus).toBe(status);
      await expect(checkBoard(session, p, machine.id)).rejects.toThrow(message);
      await expect(session.run()).rejects.toThrow(/does not hold a good image/);
      await expect(session.write(p.constants.length, Uint8Array.of(0))).rejects.toThrow(/does not hold a good image/);
      expect(await sim.close()).toContain('(exit 0)');
    }

    test('a damaged image is refused: one weight, one instruction byte, one header byte changed', async () => {
      const image = flashImage(p, machine.id);
      const corrupt = (at: number): Uint8Array => {
        const copy = image.slice();
        copy[at] = (copy[at]! + 1) & 0xff;
        return copy;
      };
      const program = IMAGE_HEADER_BYTES;
      const weights = program + 16 * p.instructions.length;
      await expectRefused(imageFile('weight', corrupt(weights + Math.floor(p.constants.length / 2))), IMAGE_STATUS.corrupt, /corrupt/);
      await expectRefused(imageFile('insn', corrupt(program + 5)), IMAGE_STATUS.corrupt, /corrupt/);
      await expectRefused(imageFile('header', corrupt(20)), IMAGE_STATUS.corrupt, /corrupt/);
      await expectRefused(imageFile('blank', new Uint8Array(image.length).fill(0xff)), IMAGE_STATUS.noImage, /holds no nnchip image/);
    }, 240_000);

    test('an image for another machine is refused; another model for this machine runs on the same bitstream', async () => {
      // the other memory corner's program: another array, so another machine id
      const other = tinyProgram(CONFIGS[1 - index]!);
      const otherMachine = boardMachine(other, ICEBREAKER);
      expect(otherMachine.id).not.toBe(machine.id);
      await expectRefused(imageFile('other-machine', flashImage(other, otherMachine.id)), IMAGE_STATUS.otherMachine, /another machine configuration/);

      // the same model calibrated on one sample: other scales, so other constants and outputs
      const q = tinyProgram(config, calibrationSamples(TINY_CALIBRATION).slice(0, 1));
      expect(q.constants).not.toEqual(p.constants);
      const forThisBitstream = boardMachine(q, ICEBREAKER, boardMachine(p, ICEBREAKER).capacity);
      expect(forThisBitstream.id).toBe(machine.id);
      const plusarg = imageFile('other-model', flashImage(q, machine.id));
      const sim = startBoardSim(dir, bench, [plusarg]);
      // the host refuses the board when its image holds another program than the one it was given
      await expect(checkBoard(new BoardSession(sim.link, 0), p, machine.id)).rejects.toThrow(/holds program/);
      await sim.close();
      await expectInferences(q, machine.id, dir, bench, inputsOf(q), [plusarg]);
    }, 240_000);
  });
});
