// SPDX-License-Identifier: MIT
/**
 * `nnchip board bitstream <dir>` through bin/nnchip.mjs with stand-in tools first on PATH (a yosys, a
 * nextpnr-ice40 and an icepack that write what the board Makefile expects), so the test needs only
 * make: each step is announced with its elapsed time; the figures come from nextpnr's log; a timing
 * failure prints the last lines of the log and one NN702 line naming it, leaves the whole log in
 * <dir>/build/ and no half-written placement; a design over the part is NN405 (exit 4). The real
 * tools run this command in test/cosim/yowasp-ice40.test.ts (npm-only) and the Makefile itself in
 * board-pnr.test.ts. `make prog` (iceprog) with a stand-in iceprog: the offsets it writes at.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parsePnrLog } from '../../src/board/bitstream.js';
import { BOARDS } from '../../src/board/boards.js';
import { LOG_TAIL_LINES } from '../../src/backends/verilog/synth.js';
import { nnchip, REPO } from '../helpers/cli.js';
import { haveTools, standInTool } from './tools.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-board-bitstream-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TINY = join(REPO, 'examples/tiny/tiny.nnchip.json');
const LINES = 40;
const bin = join(work, 'bin');
mkdirSync(bin);
const script = (name: string, body: string): void => standInTool(bin, name, body);
script(
  'yosys',
  `if [ "$1" = "-V" ]; then echo "Yosys 0.0 (stand-in)"; exit 0; fi
while [ $# -gt 0 ]; do if [ "$1" = "-l" ]; then log="$2"; fi; shift; done
echo '{"modules":{}}' > build/board.json; : > build/stat.txt; echo "stand-in synthesis" > "$log"`,
);
// STANDIN_PNR: ok, timing (the board Makefile allows no timing failure) or over (more logic cells than the part)
script(
  'nextpnr-ice40',
  `while [ $# -gt 0 ]; do case "$1" in --asc) asc="$2";; --report) rep="$2";; -l) log="$2";; esac; shift; done
i=1; while [ $i -le ${LINES} ]; do echo "Info: placer line $i" >> "$log"; i=$((i+1)); done
echo "partial placement" > "$asc"
case "$STANDIN_PNR" in
  over) echo "Info: 	         ICESTORM_LC:  6000/  5280   113%" >> "$log"; echo "ERROR: Unable to place cell 'x', no BELs remaining to implement cell type 'ICESTORM_LC'" >> "$log"; exit 1;;
  timing) echo "ERROR: Max frequency for clock 'clk': 10.00 MHz (FAIL at 12.00 MHz)" >> "$log"; exit 1;;
esac
printf 'Info: Device utilisation:\\nInfo: \\t         ICESTORM_LC:  4510/  5280    85%%\\nInfo: \\t        ICESTORM_RAM:    23/    30    76%%\\nInfo: \\t        ICESTORM_DSP:     4/     8    50%%\\n' >> "$log"
echo "Info: Max frequency for clock 'clk_pin\\$SB_IO_IN_\\$glb_clk': 20.50 MHz (PASS at 12.00 MHz)" >> "$log"
echo "Info: Max frequency for clock 'u_mem.core_clk_q_\\$glb_clk': 21.00 MHz (PASS at 12.00 MHz)" >> "$log"
echo '{}' > "$rep"`,
);
script('icepack', 'echo "stand-in bitstream" > "$2"');
const env = { PATH: `${bin}:${process.env['PATH'] ?? ''}`, NNCHIP_YOSYS: '' };

describe.skipIf(!haveTools('make'))('nnchip board bitstream', () => {
  const hw = join(work, 'hw');
  test('each step with its elapsed time; the placed figures and every clock against the design clock', () => {
    expect(nnchip(['verilog', TINY, '--board', 'icebreaker', '-o', hw]).code).toBe(0);
    const r = nnchip(['board', 'bitstream', hw], { env: { ...env, STANDIN_PNR: 'ok' } });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(hw, 'build/board.bin'), 'utf8')).toBe('stand-in bitstream\n');
    // not a terminal: a line when each step starts and one with its time when it ends
    const steps = r.stderr.trim().split('\n');
    expect(steps).toHaveLength(6);
    expect(steps[0]).toBe('yosys 0.0 synthesizing the iCEBreaker (iCE40-UP5K SG48) design…');
    expect(steps[1]).toMatch(/^yosys 0\.0 synthesizing the iCEBreaker \(iCE40-UP5K SG48\) design: \d+\.\d s$/);
    expect(steps[2]).toBe('nextpnr-ice40 placing and routing for 12 MHz (the design clock)…');
    expect(steps[3]).toMatch(/^nextpnr-ice40 placing and routing for 12 MHz \(the design clock\): \d+\.\d s$/);
    expect(steps[5]).toMatch(/^icepack writing the bitstream: \d+\.\d s$/);
    expect(r.stdout.split('\n')[0]).toBe(`${join(hw, 'build/board.bin')}: iCEBreaker (iCE40-UP5K SG48), 4,510 of 5,280 logic cells, 23 of 30 block RAMs, 4 of 8 DSPs; clocks clk_pin 20.5 MHz, u_mem.core_clk_q 21.0 MHz (12 MHz required)`);
    const json = nnchip(['board', 'bitstream', hw, '--json'], { env: { ...env, STANDIN_PNR: 'ok' } });
    expect(json.code, json.stderr).toBe(0);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toMatchObject({ board: 'icebreaker', clockMhz: 12, logicCells: { used: 4510, of: 5280 }, dsps: { used: 4, of: 8 }, clocks: [{ pass: true, requiredMhz: 12 }, { pass: true }] });
  });

  test('a timing failure: the step failed, the log\'s last lines, one NN702 line naming the whole log; no half-written placement', () => {
    rmSync(join(hw, 'build'), { recursive: true, force: true });
    const r = nnchip(['board', 'bitstream', hw], { env: { ...env, STANDIN_PNR: 'timing' } });
    expect(r.code, r.stderr).toBe(70);
    const lines = r.stderr.trim().split('\n');
    expect(lines.some((l) => /^nextpnr-ice40 placing and routing for 12 MHz \(the design clock\): failed after \d+\.\d s$/.test(l)), r.stderr).toBe(true);
    const tail = lines.filter((l) => l.startsWith('  | '));
    expect(tail).toHaveLength(LOG_TAIL_LINES);
    expect(tail.at(-1)).toBe("  | ERROR: Max frequency for clock 'clk': 10.00 MHz (FAIL at 12.00 MHz)");
    const log = join(hw, 'build/nextpnr.log');
    expect(lines.at(-1)).toMatch(/^error NN702: nextpnr-ice40 could not place and route the design: Max frequency for clock 'clk': 10\.00 MHz \(FAIL at 12\.00 MHz\); full log: /);
    expect(lines.at(-1)).toContain(`full log: ${log}`);
    expect(readFileSync(log, 'utf8').split('\n').filter(Boolean)).toHaveLength(LINES + 1);
    expect(existsSync(join(hw, 'build/board.asc')), 'make deletes the half-written placement').toBe(false);
    expect(existsSync(join(hw, 'build/board.bin'))).toBe(false);
  });

  test('a design over the part: NN405, exit 4, naming what is over', () => {
    rmSync(join(hw, 'build'), { recursive: true, force: true });
    const r = nnchip(['board', 'bitstream', hw], { env: { ...env, STANDIN_PNR: 'over' } });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^error NN405: nextpnr-ice40 cannot place the design: it uses ICESTORM_LC 6000 of 5280; full log: /);
  });

  test('make prog writes the bitstream at 0 and the image where the design reads it (FLASH_IMAGE); prog-image another image', () => {
    // after the stand-in flow above: a built bitstream, so prog runs iceprog only (a stand-in that logs its arguments)
    expect(nnchip(['board', 'bitstream', hw], { env: { ...env, STANDIN_PNR: 'ok' } }).code).toBe(0);
    const calls = join(work, 'iceprog.calls');
    script('iceprog', `echo "$*" >> ${calls}`);
    const make = (args: string[]): void => void execFileSync('make', ['-s', '-C', hw, ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
    make(['prog']);
    writeFileSync(join(hw, 'other.bin'), 'another image');
    make(['prog-image', 'IMAGE=other.bin']);
    const top = readFileSync(join(hw, 'board/nnchip_board_top.v'), 'utf8');
    const offset = Number(/parameter FLASH_IMAGE = (\d+),/.exec(top)?.[1]);
    expect(offset).toBe(BOARDS.icebreaker.imageOffset);
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual(['build/board.bin', `-o ${offset} flash.bin`, `-o ${offset} other.bin`]);
    // and the bitstream stays below it (the UP5K's is 104,090 bytes)
    expect(offset).toBeGreaterThan(104_090);
  });

  test('not a board design, or an unknown yosys: one line, nothing run', () => {
    const notBoard = nnchip(['board', 'bitstream', join(REPO, 'examples/tiny')], { env });
    expect(notBoard.code).toBe(1);
    expect(notBoard.stderr).toMatch(/^error NN515: \S+ has no board\.json: not a board design/);
    expect(notBoard.stderr.trim().split('\n')).toHaveLength(1);
    const yosys = nnchip(['board', 'bitstream', hw, '--yosys', join(work, 'no-such-yosys')], { env });
    expect(yosys.code).toBe(5);
    expect(yosys.stderr).toMatch(/^error NN701: --yosys=\S+no-such-yosys: no such executable/);
    expect(yosys.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('nextpnr\'s log', () => {
  test('the last utilisation and the last verdict of each clock (it reports after placing and after routing)', () => {
    const log = [
      'Info: \t         ICESTORM_LC:  5000/  5280    94%',
      "Info: Max frequency for clock                       'clk': 60.39 MHz (PASS at 24.00 MHz)",
      'Info: \t         ICESTORM_LC:  5064/  5280    95%',
      'Info:    routing  0.26  11.46 Net $nextpnr_ICESTORM_LC_25$I3 (10,18) -> (10,18)',
      "Info: Max frequency for clock                       'clk': 20.00 MHz (FAIL at 24.00 MHz)",
    ].join('\n');
    expect(parsePnrLog(log)).toEqual({ logicCells: { used: 5064, of: 5280 }, blockRams: null, dsps: null, clocks: [{ name: 'clk', mhz: 20, pass: false, requiredMhz: 24 }] });
  });
});
