// SPDX-License-Identifier: MIT
/**
 * A program too long for node's heap is refused before a back end builds it (NN406), not ended by
 * V8's heap abort: the back ends hold every instruction several times over. Figures are bytes per
 * instruction at least, measured on a 2.07M-instruction program (a 1M-weight dense layer on 1x1):
 * sim 1.5 GB, wasm 2.1 GB, verilog 2.6 GB at their peaks; reading its .nnp alone keeps 480 MB.
 * At 99,628 instructions (a 224×224 dense layer on 1x1) the least old space that works is sim 55 MB,
 * run 58, wasm 61, verilog 90, disasm 37: the per-instruction figures alone gave 61, 91, 109 and 21 MB,
 * under what node and nnchip's own modules hold before the first instruction, so a fixed
 * HEAP_BASE_BYTES is added to every estimate (a tiny program needs 6–10 MB of old space).
 *
 * The heap compared with is V8's old space, not heap_size_limit: that adds the young generation
 * (three semi-spaces, 48 MB by default), so `--max-old-space-size=40` reported 88 MB and a
 * 64 MB simulation passed the check, then hit V8's abort.
 */
import { getHeapStatistics } from 'node:v8';
import { fmtInt, NnchipError } from '../diagnostics/error.js';
import type { Program } from '../isa/program.js';

export const HEAP_BYTES_PER_INSTRUCTION = { read: 224, sim: 640, wasm: 960, verilog: 1152 } as const;

const MIB = 2 ** 20;

/** What node and the loaded CLI hold besides the program's instructions, added to every estimate. */
export const HEAP_BASE_BYTES = 16 * MIB;

/** The last `--name=N` or `--name N` (also spelled with underscores) among node's flags and NODE_OPTIONS, in MB. */
function nodeFlagMb(name: string, flags: readonly string[]): number | undefined {
  let mb: number | undefined;
  flags.forEach((f, i) => {
    const norm = f.replace(/_/g, '-');
    const value = norm.startsWith(`--${name}=`) ? norm.slice(name.length + 3) : norm === `--${name}` ? flags[i + 1] : undefined;
    const n = Number(value);
    if (value !== undefined && Number.isFinite(n) && n > 0) mb = n;
  });
  return mb;
}

/**
 * V8's old-space limit in bytes: --max-old-space-size when node was given it, else heap_size_limit
 * less the young generation (3 × --max-semi-space-size, 16 MB each by default on 64-bit node).
 */
export function oldSpaceBytes(heapLimit = getHeapStatistics().heap_size_limit, flags: readonly string[] = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)]): number {
  const old = nodeFlagMb('max-old-space-size', flags);
  if (old !== undefined) return Math.min(old * MIB, heapLimit);
  const semi = nodeFlagMb('max-semi-space-size', flags) ?? 16;
  return Math.max(heapLimit - 3 * semi * MIB, heapLimit / 2);
}

/** NN406 when `what` (a back end, or reading a .nnp) would need more than 90% of node's heap (`heapBytes`, V8's old space) for `p` (or `p` instructions). */
export function checkHeap(p: Program | number, what: keyof typeof HEAP_BYTES_PER_INSTRUCTION, heapBytes = oldSpaceBytes(), file?: string): void {
  const n = typeof p === 'number' ? p : p.instructions.length;
  const need = HEAP_BASE_BYTES + n * HEAP_BYTES_PER_INSTRUCTION[what];
  if (need <= 0.9 * heapBytes) return;
  const verb = { read: 'reading', sim: 'simulating', wasm: 'building the WebAssembly module of', verilog: 'writing the design of' }[what];
  throw new NnchipError('NN406', `${verb} its ${fmtInt(n)} instructions takes about ${fmtInt(Math.ceil(need / MIB))} MB, over 90% of node's heap (${fmtInt(Math.ceil(heapBytes / MIB))} MB)`, {
    ...(file === undefined ? {} : { file }),
    hint: `lower the model for a larger array (--array: fewer, larger tiles), or give node a larger heap: NODE_OPTIONS=--max-old-space-size=${Math.ceil(need / 0.9 / MIB / 1024) * 1024}`,
  });
}
