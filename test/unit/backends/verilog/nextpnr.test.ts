// SPDX-License-Identifier: MIT
/** Which nextpnr-ice40 / icepack the iCE40 flow runs: system binaries first, the @yowasp package as the fallback, and how make is told. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ice40MakeVars, resolveIce40Tools } from '../../../../src/backends/verilog/nextpnr.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-nextpnr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeBin(name: string, ...tools: string[]): string {
  const bin = join(dir, name);
  mkdirSync(bin);
  for (const t of tools) {
    writeFileSync(join(bin, t), '#!/bin/sh\n');
    chmodSync(join(bin, t), 0o755);
  }
  return bin;
}

const yowasp = () => ({ wrapper: '/pkg/bin/yowasp-ice40.mjs', packageVersion: '0.8.621' });

describe('resolveIce40Tools', () => {
  test('system nextpnr-ice40 and icepack on PATH win', () => {
    const bin = fakeBin('both', 'nextpnr-ice40', 'icepack');
    const t = resolveIce40Tools({ path: bin, yowasp });
    expect(t).toEqual({ kind: 'system', nextpnr: [join(bin, 'nextpnr-ice40')], icepack: [join(bin, 'icepack')], packageVersion: null });
  });

  test('no system nextpnr: the package runs both tools through the wrapper', () => {
    const t = resolveIce40Tools({ path: fakeBin('none'), yowasp });
    expect(t?.kind).toBe('yowasp');
    expect(t?.nextpnr).toEqual([process.execPath, '/pkg/bin/yowasp-ice40.mjs', 'nextpnr-ice40']);
    expect(t?.icepack).toEqual([process.execPath, '/pkg/bin/yowasp-ice40.mjs', 'icepack']);
    expect(ice40MakeVars(t!)).toEqual([
      `NEXTPNR='${process.execPath}' '/pkg/bin/yowasp-ice40.mjs' 'nextpnr-ice40'`,
      `ICEPACK='${process.execPath}' '/pkg/bin/yowasp-ice40.mjs' 'icepack'`,
    ]);
  });

  test('system nextpnr without icepack borrows the package\'s icepack; neither installed is null', () => {
    const bin = fakeBin('pnr-only', 'nextpnr-ice40');
    expect(resolveIce40Tools({ path: bin, yowasp })?.icepack).toEqual([process.execPath, '/pkg/bin/yowasp-ice40.mjs', 'icepack']);
    expect(resolveIce40Tools({ path: bin, yowasp: () => null })?.icepack).toBeNull();
    expect(resolveIce40Tools({ path: fakeBin('empty'), yowasp: () => null })).toBeNull();
  });
});
