// SPDX-License-Identifier: MIT
/**
 * A program too long for node's heap is refused before a back end builds it (NN406), not ended by
 * V8's heap abort: the back ends hold every instruction several times over. Figures are bytes per
 * instruction at least, measured on a 2.07M-instruction program (a 1M-weight dense layer on 1x1):
 * sim 1.5 GB, wasm 2.1 GB, verilog 2.6 GB at their peaks; reading its .nnp alone keeps 480 MB.
 */
import { getHeapStatistics } from 'node:v8';
import { fmtInt, NnchipError } from '../diagnostics/error.js';
import type { Program } from '../isa/program.js';

export const HEAP_BYTES_PER_INSTRUCTION = { read: 224, sim: 640, wasm: 960, verilog: 1152 } as const;

const MIB = 2 ** 20;

/** NN406 when `what` (a back end, or reading a .nnp) would need more than 90% of node's heap (`heapBytes`, V8's limit) for `p` (or `p` instructions). */
export function checkHeap(p: Program | number, what: keyof typeof HEAP_BYTES_PER_INSTRUCTION, heapBytes = getHeapStatistics().heap_size_limit, file?: string): void {
  const n = typeof p === 'number' ? p : p.instructions.length;
  const need = n * HEAP_BYTES_PER_INSTRUCTION[what];
  if (need <= 0.9 * heapBytes) return;
  const verb = { read: 'reading', sim: 'simulating', wasm: 'building the WebAssembly module of', verilog: 'writing the design of' }[what];
  throw new NnchipError('NN406', `${verb} its ${fmtInt(n)} instructions takes about ${fmtInt(Math.ceil(need / MIB))} MB, over 90% of node's heap (${fmtInt(Math.ceil(heapBytes / MIB))} MB)`, {
    ...(file === undefined ? {} : { file }),
    hint: `lower the model for a larger array (--array: fewer, larger tiles), or give node a larger heap: NODE_OPTIONS=--max-old-space-size=${Math.ceil(need / 0.9 / MIB / 1024) * 1024}`,
  });
}
