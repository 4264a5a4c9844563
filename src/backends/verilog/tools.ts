// SPDX-License-Identifier: MIT
/**
 * External EDA tools: finding them on PATH (a missing tool is NN701 with the install command) and
 * running them (a failing tool is NN702 with the first lines of its output) so that they end with nnchip.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { NnchipError } from '../../diagnostics/error.js';
import { untilDone } from '../../util/atomic-write.js';

export const EDA_TOOLS = ['iverilog', 'vvp', 'verilator', 'yosys', 'nextpnr-ice40', 'nextpnr-ecp5', 'icepack', 'make'] as const;
export type EdaTool = (typeof EDA_TOOLS)[number];

/** The Debian package that provides each tool (for the NN701 message). */
const PACKAGE_OF: Record<EdaTool, string> = {
  iverilog: 'iverilog',
  vvp: 'iverilog',
  verilator: 'verilator',
  yosys: 'yosys',
  'nextpnr-ice40': 'nextpnr-ice40',
  'nextpnr-ecp5': 'nextpnr-ecp5',
  icepack: 'fpga-icestorm',
  make: 'make',
};

/** Absolute path of `name` on PATH, or null. */
export function findTool(name: string, path = process.env['PATH'] ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export function requireTool(name: EdaTool): string {
  const found = findTool(name);
  if (found === null) throw new NnchipError('NN701', `${name} is not on PATH (Debian package "${PACKAGE_OF[name]}")`);
  return found;
}

export interface ToolRun {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the tool under /bin/sh in a new process group, with a watch pipe on fd 3 that only nnchip
 * holds open: when nnchip ends in any way — SIGKILL included, which no handler sees — the kernel
 * closes the pipe, the watcher's read returns and it stops the whole group (make's yosys and
 * nextpnr too): TERM, then KILL two seconds later (it ignores TERM itself to get there). The tool
 * runs without fd 3; when it ends the script KILLs the watcher and exits with the tool's status
 * (128+n when a signal ended it).
 */
const WATCHDOG = [
  '( trap "" TERM; read -r _ <&3; kill -TERM 0; sleep 2; kill -KILL 0 ) </dev/null >/dev/null 2>&1 &',
  'watcher=$!',
  '"$@" 3<&- &',
  'tool=$!',
  'wait "$tool"; status=$?',
  'kill -KILL "$watcher" 2>/dev/null',
  'exit "$status"',
].join('\n');

export interface RunToolOptions {
  /** Exit statuses besides 0 that are an answer, not a failure (a test bench's verdict). */
  readonly acceptExit?: readonly number[];
}

/** Run a tool to completion; a non-zero exit is NN702 naming the tool and quoting its output. */
export function runTool(tool: string, args: readonly string[], cwd: string, what: string, opts: RunToolOptions = {}): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    // The tool runs in its own process group, which Ctrl-C on nnchip stops as a whole (make's
    // yosys too): left running, it would keep writing into a temporary folder being removed.
    const child = spawn('/bin/sh', ['-c', WATCHDOG, 'nnchip-tool', tool, ...args], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const done = untilDone(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    const name = tool.split('/').pop() ?? tool;
    child.on('error', (e) => {
      done();
      reject(new NnchipError('NN702', `${what} failed (${name} could not start: ${e.message})`));
    });
    child.on('close', (code, signal) => {
      done();
      // the watch pipe: closing it now ends the watcher if the script has not already
      child.stdio[3]?.destroy();
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0 || (code !== null && opts.acceptExit?.includes(code) === true)) {
        resolve({ stdout, stderr });
        return;
      }
      // sh reports "not found" as 127 and "not executable" as 126
      if (code === 127 || code === 126) {
        reject(new NnchipError('NN702', `${what} failed (${name} could not start: ${stderr.trim().split('\n').pop() ?? ''})`));
        return;
      }
      const lines = `${stderr}\n${stdout}`.split('\n').filter((l) => /error|fail/i.test(l));
      const quote = (lines.length > 0 ? lines : `${stderr}\n${stdout}`.split('\n').filter(Boolean)).slice(0, 3).join(' | ');
      reject(new NnchipError('NN702', `${what} failed (${name} exited with ${String(code ?? signal)}): ${quote.slice(0, 600)}`));
    });
  });
}

/** Run `jobs` async tasks with at most `limit` in flight; results in input order. */
export async function inParallel<T>(jobs: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, worker));
  return out;
}

/**
 * The compiler cache a Verilator build's make runs g++ through: ccache when it is installed and can
 * write its cache, so that the Verilator runtime every build compiles the same way (verilated.cpp
 * and its timing and thread parts: about half of a small design's build, 4 of 8 CPU seconds here)
 * and an unchanged design compile once. Null: plain g++, also when OBJCACHE is set (Verilator's
 * Makefiles read it from the environment: the user's choice, '' for none).
 */
export function compilerCache(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env['OBJCACHE'] !== undefined) return null;
  const ccache = findTool('ccache', env['PATH'] ?? '');
  // make splits its command line at spaces
  return ccache !== null && !/\s/.test(ccache) && canWrite(cacheDir(ccache, env)) ? ccache : null;
}

/** ccache's cache folder (its configuration, CCACHE_DIR or the default), or null if it does not say. */
function cacheDir(ccache: string, env: NodeJS.ProcessEnv): string | null {
  const r = spawnSync(ccache, ['--get-config', 'cache_dir'], { env, encoding: 'utf8', timeout: 10_000 });
  const dir = r.status === 0 ? r.stdout.trim() : '';
  return dir === '' ? null : dir;
}

/** Whether `dir`, or the nearest folder above it that exists (ccache makes the rest), is writable. */
function canWrite(dir: string | null): boolean {
  for (let d = dir; d !== null; d = dirname(d) === d ? null : dirname(d)) {
    try {
      accessSync(d, constants.W_OK);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return false;
    }
  }
  return false;
}

let cacheArgs: readonly string[] | undefined;

/** Verilator's arguments to build through compilerCache() (none without one), looked up once per process. */
export function verilatorCacheArgs(): readonly string[] {
  if (cacheArgs === undefined) {
    const cache = compilerCache();
    cacheArgs = cache === null ? [] : ['-MAKEFLAGS', `OBJCACHE=${cache}`];
  }
  return cacheArgs;
}
