// SPDX-License-Identifier: MIT
/**
 * A failing synthesis tool: synthesize() hands the last lines of its log to onToolLog (the CLI
 * prints them) and throws one NN702 line naming where the whole log is kept — in a temporary
 * folder it keeps for that purpose when no -o folder was given. The tools here are stand-in
 * scripts (a yosys that writes a log and fails; a yosys and nextpnr that succeed and an icepack
 * that fails), so the test needs only make.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { LOG_TAIL_LINES, synthesize } from '../../src/backends/verilog/synth.js';
import { NnchipError } from '../../src/diagnostics/error.js';
import { haveTools, standInTool, synthProgram } from './tools.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-tool-failure-'));
const kept: string[] = [];
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const k of kept) rmSync(k, { recursive: true, force: true });
});

const LINES = 50;
const fakeYosys = join(dir, 'yosys');
writeFileSync(
  fakeYosys,
  `#!/bin/sh
if [ "$1" = "-V" ]; then echo "Yosys 0.0 (stand-in)"; exit 0; fi
while [ $# -gt 0 ]; do if [ "$1" = "-l" ]; then log="$2"; fi; shift; done
i=1; while [ $i -le ${LINES} ]; do echo "log line $i" >> "$log"; i=$((i+1)); done
echo "ERROR: stand-in failure" >> "$log"
exit 1
`,
);
chmodSync(fakeYosys, 0o755);

describe.skipIf(!haveTools('make'))('a failing tool', () => {
  test('its log tail is handed over and the one-line error names the kept log', async () => {
    let tail: readonly string[] = [];
    let err: unknown;
    try {
      await synthesize(synthProgram(1), { target: 'ice40', yosys: fakeYosys, onToolLog: (t) => (tail = t) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NnchipError);
    const e = err as NnchipError;
    expect(e.code).toBe('NN702');
    expect(e.format()).not.toContain('\n');
    expect(tail).toHaveLength(LOG_TAIL_LINES);
    expect(tail.at(-1)).toBe('ERROR: stand-in failure');
    expect(tail[0]).toBe(`log line ${LINES + 1 - (LOG_TAIL_LINES - 1)}`);
    const log = /full log: (\S+)$/.exec(e.detail)?.[1];
    expect(log).toBeDefined();
    kept.push(dirname(dirname(dirname(log!))));
    expect(existsSync(log!)).toBe(true);
    expect(readFileSync(log!, 'utf8').split('\n').filter(Boolean)).toHaveLength(LINES + 1);
  }, 120_000);

  test('a failing bitstream packer leaves its whole log in the design folder, and its tail on the terminal', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const script = (name: string, body: string): void => standInTool(bin, name, body);
    // a yosys that "synthesizes" nothing: an empty netlist and cell report where the ice40 Makefile reads them
    script(
      'yosys',
      `if [ "$1" = "-V" ]; then echo "Yosys 0.0 (stand-in)"; exit 0; fi
while [ $# -gt 0 ]; do if [ "$1" = "-l" ]; then log="$2"; fi; shift; done
b=$(dirname "$log"); echo '{"modules":{}}' > "$b/nnchip.json"; echo '{"modules":{}}' > "$b/stat.json"; : > "$b/stat.txt"; echo ok > "$log"`,
    );
    script(
      'nextpnr-ice40',
      `while [ $# -gt 0 ]; do case "$1" in --asc) asc="$2";; --report) rep="$2";; -l) log="$2";; esac; shift; done
: > "$asc"; echo '{"fmax":{"clk":{"achieved":50}}}' > "$rep"; echo "Info: Max frequency for clock 'clk': 50.00 MHz (PASS at 12.00 MHz)" > "$log"`,
    );
    script('icepack', `i=1; while [ $i -le ${LINES} ]; do echo "icepack line $i" >&2; i=$((i+1)); done; echo "Error: stand-in packer failure" >&2; exit 1`);
    const path = process.env['PATH'];
    process.env['PATH'] = `${bin}:${path ?? ''}`;
    let tail: readonly string[] = [];
    let err: unknown;
    const out = join(dir, 'hw');
    try {
      await synthesize(synthProgram(1), { target: 'ice40', yosys: join(bin, 'yosys'), dir: out, bitstream: true, onToolLog: (t) => (tail = t) });
    } catch (e) {
      err = e;
    } finally {
      process.env['PATH'] = path;
    }
    expect(err).toBeInstanceOf(NnchipError);
    const e = err as NnchipError;
    expect(e.code).toBe('NN702');
    expect(e.format()).not.toContain('\n');
    expect(tail).toHaveLength(LOG_TAIL_LINES);
    expect(tail.at(-1)).toBe('Error: stand-in packer failure');
    const log = join(out, 'ice40', 'build', 'icepack.log');
    expect(e.detail).toContain(`full log: ${log}`);
    expect(readFileSync(log, 'utf8').split('\n').filter(Boolean)).toHaveLength(LINES + 1);
  }, 120_000);
});
