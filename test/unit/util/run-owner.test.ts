// SPDX-License-Identifier: MIT
/** Leftovers are judged by their run: a dead pid on this host, or long untouched from another host. */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { HOST, OWNER, ownerGone } from '../../../src/util/run-owner.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-run-owner-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test('this host: alive or dead by pid; another host: by age only', () => {
  const fresh = join(work, 'fresh');
  const old = join(work, 'old');
  writeFileSync(fresh, '');
  writeFileSync(old, '');
  const hourAgo = Date.now() / 1000 - 3600;
  utimesSync(old, hourAgo, hourAgo);
  const otherHost = HOST === '00000000' ? '11111111' : '00000000';
  expect(ownerGone(OWNER, old, 1000)).toBe(false); // this run, however old its files
  expect(ownerGone(`${HOST}.${2 ** 22 + 12345}`, fresh, 1000)).toBe(true); // no such pid here
  // a pid running here says nothing about another host: only the age does
  expect(ownerGone(`${otherHost}.${process.pid}`, fresh, 60_000)).toBe(false);
  expect(ownerGone(`${otherHost}.${process.pid}`, old, 60_000)).toBe(true);
  expect(ownerGone('garbage', fresh, 60_000)).toBe(false);
});
