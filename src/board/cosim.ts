// SPDX-License-Identifier: MIT
/**
 * Runs a board design folder in Icarus or Verilator with its bench tb/tb_board.v, and gives the host a ByteLink
 * to it: two named pipes carry the UART bytes (one hex byte per line), so the host code of
 * `nnchip board run` (src/board/host.ts, protocol.ts) drives the simulated board unchanged. Used by
 * test/cosim/board.test.ts and bench/board.mjs (the board clocks of an inference).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { cellModelsFor } from '../backends/verilog/cell-models.js';
import { requireTool, runTool, verilatorCacheArgs } from '../backends/verilog/tools.js';
import type { ByteLink } from './host.js';
import { writeFilesAtomic } from '../util/atomic-write.js';

export interface SimBoard {
  readonly link: ByteLink;
  /** Close the host's stream: the bench finishes; resolves with its output. */
  close(): Promise<string>;
}

export type BoardSimulator = 'iverilog' | 'verilator';

/** The cell models the board's core needs (yosys's SB_MAC16 when its PEs multiply in the UP5K's DSPs). */
export function boardCellModels(dir: string): Map<string, string> {
  const mac16 = /parameter PE_MAC16 = 1\b/.test(readFileSync(join(dir, 'rtl/nnchip_top.v'), 'utf8'));
  return cellModelsFor(mac16 ? 'mac16' : 'fabric');
}

/** Compile the bench; returns the command that runs it (before its plusargs). */
export async function compileBoardSim(dir: string, simulator: BoardSimulator = 'iverilog'): Promise<string[]> {
  mkdirSync(join(dir, 'sim'), { recursive: true });
  const models = boardCellModels(dir);
  // a design with its multipliers in LUTs needs no cell model (and an empty set names no folder)
  if (models.size > 0) writeFilesAtomic(new Map([...models].map(([path, text]) => [join(dir, path), text])), { force: true });
  const sources = [
    ...models.keys(),
    'tb/tb_board.v',
    ...readdirSync(join(dir, 'rtl')).filter((f) => f.endsWith('.v')).map((f) => `rtl/${f}`),
    ...readdirSync(join(dir, 'board')).filter((f) => f.endsWith('.v')).map((f) => `board/${f}`),
  ];
  if (simulator === 'verilator') {
    // the bench's integer arithmetic on bytes and addresses is deliberate: width warnings are not errors here
    const args = ['--binary', '--timing', '-O1', ...verilatorCacheArgs(), '-Wno-fatal', '-Wno-WIDTH', '-Irtl', '-Iboard', '--top-module', 'tb_board', '-Mdir', 'sim/obj', '-o', '../Vtb_board', ...sources];
    await runTool(requireTool('verilator'), args, dir, 'building the board bench with verilator');
    return [join(dir, 'sim/Vtb_board')];
  }
  await runTool(requireTool('iverilog'), ['-g2005', '-I', 'rtl', '-I', 'board', '-s', 'tb_board', '-o', 'sim/tb_board.vvp', ...sources], dir, 'compiling the board bench with iverilog');
  return [requireTool('vvp'), '-n', join(dir, 'sim/tb_board.vvp')];
}

/** Start the bench; `plusargs` (e.g. `+FLASH=<hex file>`: another flash image) go after the pipes'. */
export function startBoardSim(dir: string, command: readonly string[], plusargs: readonly string[] = []): SimBoard {
  const toBoard = join(dir, 'sim/to_board');
  const fromBoard = join(dir, 'sim/from_board');
  for (const f of [toBoard, fromBoard]) rmSync(f, { force: true });
  execFileSync('mkfifo', [toBoard, fromBoard]);
  const child: ChildProcess = spawn(command[0]!, [...command.slice(1), `+TO_BOARD=${toBoard}`, `+FROM_BOARD=${fromBoard}`, ...plusargs], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<string>((resolve) => child.on('close', (code) => resolve(`${log}\n(exit ${code})`)));
  const out: WriteStream = createWriteStream(toBoard);
  let listener: ((bytes: Uint8Array) => void) | undefined;
  let pending = '';
  createReadStream(fromBoard, { encoding: 'utf8' }).on('data', (chunk: string | Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    const bytes = Uint8Array.from(lines.filter((l) => l.trim() !== '').map((l) => parseInt(l, 16)));
    if (bytes.length > 0) listener?.(bytes);
  });
  const link: ByteLink = {
    write: (bytes) => new Promise<void>((resolve, reject) => out.write(Array.from(bytes, (b) => b.toString(16).padStart(2, '0') + '\n').join(''), (e) => (e ? reject(e) : resolve()))),
    onData: (l) => (listener = l),
  };
  return {
    link,
    close: async () => {
      out.end();
      return exited;
    },
  };
}
