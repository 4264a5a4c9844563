// A pool window that holds no pixel of its input (padding as wide as the window, or taps dilated
// past the map) has no maximum and an average over nothing: checkGraph refuses it with NN203
// naming the layer and the window, instead of -Infinity or NaN reaching the quantizer.
import { describe, expect, test } from 'vitest';
import type { Graph, NodeOf } from '../../../src/ir/graph.js';
import { checkGraph } from '../../../src/ir/verify.js';

const graphOf = (shape: number[], pool: Partial<NodeOf<'pool2d'>>): Graph => ({
  name: 'g',
  inputs: [{ name: 'x', shape }],
  nodes: [{ name: 'p', op: 'pool2d', inputs: ['x'], output: 'p', kind: 'max', size: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], ...pool }],
  outputs: ['p'],
  notes: [],
});

describe('pool windows of padding only', () => {
  test.each([
    ['top padding as tall as the window', [4, 4, 1], { pads: [2, 0, 0, 0] }, /window 0 of 3 along the rows/],
    ['right padding past the last window start', [4, 4, 1], { size: [1, 1], strides: [1, 3], pads: [0, 0, 0, 3] }, /window 2 of 3 along the columns/],
    ['an average, too', [4, 4, 1], { kind: 'avg', size: [3, 3], strides: [3, 3], pads: [0, 3, 0, 0] }, /window 0 of 2 along the columns/],
    ['an average past its counted padding', [4, 4, 1], { kind: 'avg', size: [2, 2], strides: [1, 1], pads: [3, 0, 0, 0], countPads: [1, 0, 0, 0] }, /window 0 of 6 along the rows/],
    ['dilated taps straddling a one-pixel map', [1, 1, 1], { size: [2, 1], strides: [1, 1], pads: [1, 0, 1, 0], dilations: [2, 1] }, /window 0 of 1 along the rows/],
  ] as const)('%s: NN203', (_, shape, pool, where) => {
    const e = (() => {
      try {
        checkGraph(graphOf([...shape], pool as Partial<NodeOf<'pool2d'>>));
      } catch (x) {
        return x as { code: string; layer: string; message: string };
      }
      return null;
    })();
    expect(e).toMatchObject({ code: 'NN203', layer: 'p' });
    expect(e!.message).toMatch(where);
    expect(e!.message).toMatch(/covers only padding/);
  });

  test('windows that reach the map are accepted (the last one partly in padding)', () => {
    expect(checkGraph(graphOf([5, 5, 1], { pads: [1, 1, 1, 1] })).get('p')).toEqual([3, 3, 1]);
    expect(checkGraph(graphOf([4, 4, 1], { size: [3, 3], strides: [1, 1], pads: [2, 2, 2, 2] })).get('p')).toEqual([6, 6, 1]);
    // an average's counted padding (a folded Pad's zeros) is part of the map: a window of those zeros averages to 0
    expect(checkGraph(graphOf([5, 5, 1], { kind: 'avg', size: [3, 3], strides: [1, 1], pads: [3, 3, 3, 3], countPads: [2, 2, 2, 2] })).get('p')).toEqual([9, 9, 1]);
  });
});

test('the check looks at O(dilation) windows, not every one: huge padding is refused at once', () => {
  // the message names the last window: found from the geometry, not by walking ten million windows
  expect(() => checkGraph(graphOf([4, 4, 1], { size: [1, 1], strides: [1, 1], pads: [0, 0, 0, 1e7] }))).toThrow(/window 10000003 of 10000004 along the columns covers only padding/);
});

test('a window, stride or padding over 2^24 is refused before any geometry (no address field holds it)', () => {
  expect(() => checkGraph(graphOf([4, 4, 1], { size: [1, 1], strides: [1, 1], pads: [0, 0, 0, 1e9] }))).toThrow(/padding 0\+1000000000: 1000000000 is over 16777216, the most a window, stride or padding may be/);
  expect(() => checkGraph(graphOf([4, 4, 1], { size: [1, 1], strides: [2 ** 40, 1], pads: [0, 0, 0, 0] }))).toThrow(/stride 1099511627776 .*is over 16777216/);
});
