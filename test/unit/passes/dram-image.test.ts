// The DRAM image of a program with very many constant blobs (ResNet-18 on an 8x8 array places
// hundreds of thousands of weight tiles): built without spreading every blob into one call's
// arguments, which overflowed the stack there.
import { expect, test } from 'vitest';
import { Dram } from '../../../src/passes/lower-dram.js';

test('image() of 300,000 blobs holds each at its address', () => {
  const dram = new Dram();
  const at: number[] = [];
  for (let i = 0; i < 300_000; i++) at.push(dram.constant('wgt:x', Uint8Array.of(i & 0xff, (i >> 8) & 0xff, i >> 16, 1)));
  const image = dram.image();
  expect(image.length).toBe(at[at.length - 1]! + 4);
  for (const i of [0, 1, 65_537, 299_999]) expect(Array.from(image.subarray(at[i]!, at[i]! + 4))).toEqual([i & 0xff, (i >> 8) & 0xff, i >> 16, 1]);
});

test('equal blobs are stored once, small (their bytes as key) and large (hashed) alike', () => {
  const dram = new Dram();
  const small = Uint8Array.of(1, 2, 3);
  const large = new Uint8Array(4096).fill(7);
  expect(dram.constant('a', small)).toBe(dram.constant('b', Uint8Array.of(1, 2, 3)));
  expect(dram.constant('a', large)).toBe(dram.constant('b', new Uint8Array(4096).fill(7)));
  expect(dram.constant('a', Uint8Array.of(1, 2, 4))).not.toBe(dram.constant('a', small));
});
