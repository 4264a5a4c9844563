// SPDX-License-Identifier: MIT
/** Text files the CLI reads whole (topology CSVs, explore.json, shards): UTF-16 is named, not parsed as garbage. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readText } from '../../../src/cli/read-input.js';
import { readTopologyFile } from '../../../src/cli/topology.js';
import { failure } from '../../helpers/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'nnchip-read-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CSV = 'Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nconv1, 8, 8, 3, 3, 1, 4, 1,\n';

describe('readText', () => {
  test('UTF-8 is read as it is', () => {
    const path = join(dir, 'topo.csv');
    writeFileSync(path, CSV);
    expect(readTopologyFile(path)).toBe(CSV);
  });

  test.each([
    ['UTF-16 LE with a byte order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CSV, 'utf16le')])],
    ['UTF-16 LE without one', Buffer.from(CSV, 'utf16le')],
  ])('%s: NN101 saying so, for topology files and explore JSON alike', (_, bytes) => {
    const path = join(dir, 'utf16.csv');
    writeFileSync(path, bytes);
    for (const read of [() => readTopologyFile(path), () => readText(path, 'explore.json files')]) {
      const e = failure(read);
      expect(e.code).toBe('NN101');
      expect(e.message).toMatch(/UTF-16/);
      expect(e.hint).toMatch(/UTF-8/);
    }
  });

  test('a topology over its size limit is NN109 before it is read', () => {
    const path = join(dir, 'big.csv');
    writeFileSync(path, CSV.repeat(200_000));
    expect(failure(() => readTopologyFile(path)).code).toBe('NN109');
  });
});
