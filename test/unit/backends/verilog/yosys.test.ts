// SPDX-License-Identifier: MIT
/**
 * Choosing the yosys the flows run (no synthesis here, so no EDA tool is needed): the system yosys
 * is preferred, @yowasp/yosys is the fallback, NNCHIP_YOSYS / --yosys force a choice, and nothing
 * found is NN701 naming both installs. Fake yosys binaries on a fake PATH stand in for the real one.
 * Also: the make variable survives odd paths, and `stat -json` reads as yosys 0.23 and 0.55 write it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { NnchipError } from '../../../../src/diagnostics/error.js';
import { parseYosysStat } from '../../../../src/backends/verilog/synth.js';
import { findTool } from '../../../../src/backends/verilog/tools.js';
import { findYowaspYosys, parseYosysVersion, resolveYosys, yosysMakeVar, yosysVersion, type YowaspInstall } from '../../../../src/backends/verilog/yosys.js';

const root = mkdtempSync(join(tmpdir(), 'nnchip-yosys-resolver-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder holding an executable `yosys` that prints a banner and its arguments. */
function fakeYosysDir(name: string, version = '9.9'): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, 'yosys');
  writeFileSync(bin, `#!/bin/sh\necho "Yosys ${version} (git sha1 fake)"\necho "args: $*"\n`);
  chmodSync(bin, 0o755);
  return dir;
}

const withSystem = fakeYosysDir('with-yosys');
const empty = join(root, 'empty');
mkdirSync(empty);
const fakeYowasp: YowaspInstall = { wrapper: '/opt/nnchip/bin/yowasp-yosys.mjs', packageVersion: '0.55.944' };
const yowaspFound = (): YowaspInstall => fakeYowasp;
const yowaspMissing = (): null => null;

function nn701(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NnchipError);
    expect((e as NnchipError).code).toBe('NN701');
    return (e as NnchipError).detail;
  }
  throw new Error('expected NN701');
}

describe('resolveYosys', () => {
  test('prefers the system yosys on PATH over @yowasp/yosys', () => {
    const y = resolveYosys({ env: { PATH: withSystem }, yowasp: yowaspFound });
    expect(y).toEqual({ kind: 'system', argv: [join(withSystem, 'yosys')], chosenBy: 'auto', packageVersion: null });
  });

  test('falls back to @yowasp/yosys, run by this node, when no yosys is on PATH', () => {
    const y = resolveYosys({ env: { PATH: empty }, yowasp: yowaspFound });
    expect(y).toEqual({ kind: 'yowasp', argv: [process.execPath, fakeYowasp.wrapper], chosenBy: 'auto', packageVersion: '0.55.944' });
  });

  test('NNCHIP_YOSYS forces a choice, and --yosys overrides NNCHIP_YOSYS', () => {
    expect(resolveYosys({ env: { PATH: withSystem, NNCHIP_YOSYS: 'yowasp' }, yowasp: yowaspFound })).toMatchObject({ kind: 'yowasp', chosenBy: 'env' });
    expect(resolveYosys({ choice: 'system', env: { PATH: withSystem, NNCHIP_YOSYS: 'yowasp' }, yowasp: yowaspFound })).toMatchObject({ kind: 'system', chosenBy: 'option' });
    expect(resolveYosys({ choice: '', env: { PATH: withSystem, NNCHIP_YOSYS: '' }, yowasp: yowaspFound })).toMatchObject({ kind: 'system', chosenBy: 'auto' });
  });

  test('a path or a command name picks that binary', () => {
    const other = fakeYosysDir('other', '0.40');
    expect(resolveYosys({ choice: join(other, 'yosys'), env: { PATH: empty }, yowasp: yowaspMissing })).toEqual({
      kind: 'path',
      argv: [join(other, 'yosys')],
      chosenBy: 'option',
      packageVersion: null,
    });
    expect(resolveYosys({ env: { PATH: other, NNCHIP_YOSYS: 'yosys' }, yowasp: yowaspMissing })).toMatchObject({ kind: 'path', argv: [join(other, 'yosys')], chosenBy: 'env' });
    expect(nn701(() => resolveYosys({ env: { PATH: empty, NNCHIP_YOSYS: 'yosys' }, yowasp: yowaspMissing }))).toMatch(/NNCHIP_YOSYS=yosys: no such executable/);
  });

  test('nothing found is NN701 naming both ways to install yosys', () => {
    const detail = nn701(() => resolveYosys({ env: { PATH: empty }, yowasp: yowaspMissing }));
    expect(detail).toContain('apt-get install -y yosys');
    expect(detail).toContain('npm i @yowasp/yosys');
  });

  test('a forced choice that is not there is NN701, never a silent fallback', () => {
    expect(nn701(() => resolveYosys({ choice: 'yowasp', env: { PATH: withSystem }, yowasp: yowaspMissing }))).toMatch(/--yosys=yowasp.*npm i @yowasp\/yosys/);
    expect(nn701(() => resolveYosys({ env: { PATH: empty, NNCHIP_YOSYS: 'system' }, yowasp: yowaspFound }))).toMatch(/NNCHIP_YOSYS=system.*not on PATH/);
    expect(nn701(() => resolveYosys({ choice: join(root, 'no-such-yosys'), env: { PATH: withSystem }, yowasp: yowaspFound }))).toMatch(/no such executable/);
  });

  test('finds the installed @yowasp/yosys package and the wrapper beside the nnchip command', () => {
    const found = findYowaspYosys();
    if (found === null) return; // an optional dependency: its absence is the cosim test's business
    expect(found.wrapper).toMatch(/bin\/yowasp-yosys\.mjs$/);
    const pkg = JSON.parse(readFileSync(join(dirname(found.wrapper), '..', 'node_modules', '@yowasp', 'yosys', 'package.json'), 'utf8')) as { version: string };
    expect(found.packageVersion).toBe(pkg.version);
  });
});

describe('running the chosen yosys', () => {
  test('the YOSYS make variable survives spaces, quotes and dollars in paths', () => {
    const dir = join(root, `odd dir $HOME 'q' $(x)`);
    mkdirSync(dir, { recursive: true });
    const script = join(dir, 'fake yosys.mjs');
    writeFileSync(script, `console.log('Yosys 0.99 (fake)'); console.log('args:' + JSON.stringify(process.argv.slice(2)));\n`);
    writeFileSync(join(dir, 'Makefile'), 'YOSYS ?= yosys\nall:\n\t@cd .. && $(YOSYS) -q -p "read_verilog a.v; stat"\n');
    const make = findTool('make');
    if (make === null) return;
    const out = execFileSync(make, ['-s', '-C', dir, yosysMakeVar({ kind: 'yowasp', argv: [process.execPath, script], chosenBy: 'auto', packageVersion: null })], { encoding: 'utf8' });
    expect(out).toContain('Yosys 0.99');
    expect(out).toContain('args:["-q","-p","read_verilog a.v; stat"]');
  });

  test('the version comes from `yosys -V`', async () => {
    expect(await yosysVersion({ kind: 'system', argv: [join(withSystem, 'yosys')], chosenBy: 'auto', packageVersion: null }, root)).toBe('9.9');
    expect(parseYosysVersion('Yosys 0.23 (git sha1 7ce5011c24b)')).toBe('0.23');
    expect(parseYosysVersion('Yosys 0.55 (git sha1 60f126cd0, ccache clang 18.1.3 -O3 -flto -flto)')).toBe('0.55');
    expect(parseYosysVersion('Yosys 0.45+12 (git sha1 abc)')).toBe('0.45+12');
    expect(parseYosysVersion('no banner')).toBeNull();
  });
});

describe('parseYosysStat', () => {
  // trimmed from real `stat -json` files of the 2x2 iCE40 design
  const v023 = {
    creator: 'Yosys 0.23 (git sha1 7ce5011c24b)',
    invocation: 'stat -json ',
    modules: { '\\nnchip_pnr_top': { num_wires: 3184, num_cells: 9, num_cells_by_type: { SB_CARRY: 2, SB_DFF: 3, SB_LUT4: 4 } } },
    design: { num_wires: 3184, num_cells: 9, num_cells_by_type: { SB_CARRY: 2, SB_DFF: 3, SB_LUT4: 4 } },
  };
  const v055 = {
    creator: 'Yosys 0.55 (git sha1 60f126cd0, ccache clang 18.1.3 -O3 -flto -flto)',
    invocation: 'stat -json ',
    modules: { '\\nnchip_pnr_top': { num_ports: 6, num_cells: 34, num_cells_by_type: { $scopeinfo: 25, SB_CARRY: 2, SB_DFF: 3, SB_LUT4: 4 } } },
    design: { num_ports: 6, num_cells: 34, num_cells_by_type: { $scopeinfo: 25, SB_CARRY: 2, SB_DFF: 3, SB_LUT4: 4 } },
  };

  test('reads yosys 0.23 and 0.55 alike, leaving out $scopeinfo bookkeeping cells', () => {
    const expected = { cells: 9, byType: { SB_CARRY: 2, SB_DFF: 3, SB_LUT4: 4 }, transistors: null };
    expect(parseYosysStat(v023)).toEqual(expected);
    expect(parseYosysStat(v055)).toEqual(expected);
  });

  test('without a "design" total, adds up the modules; counts may be objects, transistors a string or a number', () => {
    const modulesOnly = {
      modules: {
        '\\a': { num_cells_by_type: { $_AND_: { count: 5 } }, estimated_num_transistors: '30' },
        '\\b': { num_cells_by_type: { $_AND_: 1, $_XOR_: 2 }, estimated_num_transistors: 18 },
      },
    };
    expect(parseYosysStat(modulesOnly)).toEqual({ cells: 8, byType: { $_AND_: 6, $_XOR_: 2 }, transistors: 48 });
    expect(parseYosysStat({})).toEqual({ cells: 0, byType: {}, transistors: null });
  });

  test('the CMOS estimate as yosys 0.23 writes it for the asic flow: a lower bound, "95770+"', () => {
    const asic = { design: { num_cells: 3, num_cells_by_type: { $_AND_: 1, $_MUX_: 2 }, estimated_num_transistors: '95770+' } };
    expect(parseYosysStat(asic).transistors).toBe(95770);
  });
});
