/**
 * The windowed input layout (isa/input-windows.ts): its stored rows equal a plain im2col written
 * element by element, for any kernel, stride, dilation and padding; a windowed Program survives
 * its container; the validator refuses windows that do not describe whole rows.
 */
import { describe, expect, test } from 'vitest';
import { windowBytes, windowRows, windowSegments, type InputWindows } from '../../../src/isa/input-windows.js';
import { makeConfig } from '../../../src/isa/config.js';
import { serializeProgram, storedCodes, storedLayout, type Program } from '../../../src/isa/program.js';
import { deserializeProgram, validateProgram } from '../../../src/isa/validate.js';
import { compile } from '../../../src/passes/pipeline.js';
import { builder } from '../../helpers/random-cnn.js';
import { randomSamples, rng } from '../../helpers/random-graph.js';

/** im2col one code at a time: row (oy, ox), lane (ky, kx, ch). */
function naive(win: InputWindows, [h, w, c]: readonly number[], codes: Int8Array, zp: number): Int8Array {
  const [kh, kw] = win.kernel;
  const out = new Int8Array(win.rows * kh * kw * c!);
  for (let r = 0; r < win.rows; r++)
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++)
        for (let ch = 0; ch < c!; ch++) {
          const iy = Math.floor(r / win.width) * win.strides[0] + ky * win.dilations[0] - win.pads[0];
          const ix = (r % win.width) * win.strides[1] + kx * win.dilations[1] - win.pads[1];
          const inside = iy >= 0 && iy < h! && ix >= 0 && ix < w!;
          out[((r * kh + ky) * kw + kx) * c! + ch] = inside ? codes[(iy * w! + ix) * c! + ch]! : zp;
        }
  return out;
}

describe('windowRows', () => {
  test('equals an element-by-element im2col (random kernels, strides, dilations, paddings, partial last lines)', () => {
    const r = rng(42);
    const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
    for (let i = 0; i < 200; i++) {
      const [h, w, c] = [int(1, 9), int(1, 9), int(1, 4)];
      const kernel = [int(1, 4), int(1, 4)] as const;
      const strides = [int(1, 3), int(1, 3)] as const;
      const dilations = [int(1, 2), int(1, 2)] as const;
      const pads = [int(-1, 3), int(-1, 3)] as const;
      const width = int(1, 6);
      const rows = width * int(1, 5) - (r() < 0.3 ? int(0, width - 1) : 0);
      const win: InputWindows = { kernel, strides, dilations, pads, rows, width, rowStride: 0, lineStride: 0 };
      const codes = Int8Array.from({ length: h * w * c }, () => int(-128, 127));
      const zp = int(-128, 127);
      expect(Array.from(windowRows(win, [h, w, c], codes, zp))).toEqual(Array.from(naive(win, [h, w, c], codes, zp)));
      // the segments cover every byte of every row exactly once
      const covered = windowSegments(win, [h, w, c]).reduce((a, s) => a + s.count * s.bytes, 0);
      expect(covered).toBe(rows * windowBytes(win, c));
    }
  });
});

/** A 3×3 conv on a 6×7×1 input, padded: its input is stored as windows on an 8-row array. */
function windowedProgram(): Program {
  const b = builder(3);
  const conv = b.add({ name: 'conv', op: 'conv2d', inputs: ['input'], output: 'conv', kernel: b.tensor([3, 3, 1, 4], 0.6), bias: b.tensor([4], 0.2), strides: [1, 1], pads: [1, 1, 1, 1], depthwise: false, activation: 'relu' });
  const graph = { name: 'windowed', inputs: [{ name: 'input', shape: [6, 7, 1] }], nodes: b.nodes, outputs: [conv], notes: [] };
  return compile(graph, { config: makeConfig({ rows: 8, cols: 8 }), calibration: { samples: randomSamples(4, 42, 1, -1, 1) } }).program;
}

describe('a windowed Program', () => {
  const p = windowedProgram();
  test('stores its input as windows: stored rows are the output pixels, the given layout is the tensor shape', () => {
    expect(p.input.windows).toMatchObject({ kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1], rows: 42, width: 7 });
    expect([p.input.rows, p.input.rowBytes]).toEqual([42, 1]);
    const stored = storedLayout(p.input);
    expect([stored.rows, stored.rowBytes, stored.windows]).toEqual([42, 9, undefined]);
    expect(storedCodes(p.input, new Int8Array(42).fill(5)).length).toBe(42 * 9);
  });

  test('survives its container byte for byte', () => {
    const bytes = serializeProgram(p);
    const back = deserializeProgram(bytes, 'w.nnp');
    expect(back.input.windows).toEqual(p.input.windows);
    expect(Buffer.from(serializeProgram(back)).equals(Buffer.from(bytes))).toBe(true);
  });

  test.each([
    ['windows on the output', (q: Program): Program => ({ ...q, outputs: [{ ...q.outputs[0]!, windows: q.input.windows! }] }), /single \[h, w, c\] input/],
    ['a kernel that is not a pair', (q: Program): Program => ({ ...q, input: { ...q.input, windows: { ...q.input.windows!, kernel: [3] as unknown as [number, number] } } }), /must be pairs/],
    ['rows closer than a window', (q: Program): Program => ({ ...q, input: { ...q.input, windows: { ...q.input.windows!, rowStride: 8 } } }), /stored 8 bytes apart/],
    ['overlapping lines of windows', (q: Program): Program => ({ ...q, input: { ...q.input, windows: { ...q.input.windows!, lineStride: 0 } } }), /lines of 7 × 16 bytes are stored 0 bytes apart/],
    ['windows past DRAM', (q: Program): Program => ({ ...q, input: { ...q.input, windows: { ...q.input.windows!, lineStride: q.dramSize } } }), /beyond dramSize/],
    // a Program built in memory (the library API) skips the file's parsers: the validator checks the numbers itself
    ['a zero stride', (q: Program): Program => ({ ...q, input: { ...q.input, windows: { ...q.input.windows!, strides: [0, 1] } } }), /windows' strides \[0,1\] must be positive integers/],
    ['a fractional kernel', (q: Program): Program => ({ ...q, input: { ...q.input, windows: { ...q.input.windows!, kernel: [1.5, 3] } } }), /windows' kernel \[1.5,3\] must be positive integers/],
    ['a NaN padding', (q: Program): Program => ({ ...q, input: { ...q.input, windows: { ...q.input.windows!, pads: [Number.NaN, 0] } } }), /windows' pads \[null,0\] must be integers/],
    ['a zero width (its rows were walked forever)', (q: Program): Program => ({ ...q, input: { ...q.input, windows: { ...q.input.windows!, width: 0 } } }), /windows' rows 42 and width 0 must be positive integers/],
    ['no rows', (q: Program): Program => ({ ...q, input: { ...q.input, windows: { ...q.input.windows!, rows: 0, width: 0 } } }), /windows' rows 0 and width 0 must be positive integers/],
  ])('the validator refuses %s (NN404)', (_, bad, message) => {
    expect(() => validateProgram(bad(p))).toThrow(message);
  });
});
