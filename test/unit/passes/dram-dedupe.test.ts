import { expect, test } from 'vitest';
import { contentKey, Dram } from '../../../src/passes/lower-dram.js';
import { mulberry32 } from '../../../src/util/prng.js';

/** Two different 8-byte blobs with the same hashed content key (a birthday search over seeded random blobs). */
function collision(): [Uint8Array, Uint8Array] {
  const rnd = mulberry32(17);
  const seen = new Map<number, Uint8Array>();
  for (let i = 0; i < 1_000_000; i++) {
    const b = Uint8Array.from({ length: 8 }, () => Math.floor(rnd() * 256));
    const key = contentKey(b) as number;
    const other = seen.get(key);
    if (other !== undefined && Buffer.compare(Buffer.from(other), Buffer.from(b)) !== 0) return [other, b];
    seen.set(key, b);
  }
  throw new Error('no collision found');
}

test('blobs of 7 to 256 bytes: equal bytes share one address, different bytes never do, even when their hashes collide', () => {
  const [a, b] = collision();
  expect(contentKey(a)).toBe(contentKey(b));
  const dram = new Dram();
  const at = dram.constant('w', a);
  const bt = dram.constant('w', b);
  expect(bt).not.toBe(at);
  // a third blob on the same chain, then each again: the address it was first given
  const c = Uint8Array.from(a);
  expect(dram.constant('w', c)).toBe(at);
  expect(dram.constant('w', Uint8Array.from(b))).toBe(bt);
  // the image holds each where it was placed
  const image = dram.image();
  expect(Array.from(image.subarray(at, at + 8))).toEqual(Array.from(a));
  expect(Array.from(image.subarray(bt, bt + 8))).toEqual(Array.from(b));
});

test('content keys keep lengths apart: zero blobs of every length up to 300 each get their own address, and the same one again', () => {
  const dram = new Dram();
  const addresses = new Set<number>();
  for (let n = 1; n <= 300; n++) addresses.add(dram.constant('z', new Uint8Array(n)));
  expect(addresses.size).toBe(300);
  for (let n = 1; n <= 300; n++) expect(dram.constant('z', new Uint8Array(n))).toBe([...addresses][n - 1]);
});
