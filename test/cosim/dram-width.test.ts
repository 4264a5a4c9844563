// SPDX-License-Identifier: MIT
/**
 * Every dramBytesPerCycle the config accepts (1..4,096) builds RTL that is bit- and cycle-exact in
 * Icarus and in Verilator. The design's DRAM beat is dramBeatBytes (isa/ops/dma.ts): the bandwidth,
 * at most the widest entry a DMA moves (max(R, 4·C) bytes), which takes the same cycles: before it,
 * 4,096 B/cycle built 32,768-bit ports that Verilator refused (a 4,096-iteration generate loop) and
 * whose over-wide beats made the bench report DRAM hazards on bytes no load kept; the load's read
 * strobe now names the bytes it keeps. The sweep: 1, non-powers of two, the row widths (R = C = 4,
 * 4·C = 16) and either side of them, 1,000 and 4,096, at latency 0 and 20; and a beat over 64 bytes
 * (2x32: 128-byte acc entries), whose writes the bench's DRAM model commits in one always block a byte
 * lane (tb_top.v), the same lanes at any latency: Verilator refused a delayed array write in a loop of
 * more than 64 lanes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { emitVerilog } from '../../src/backends/verilog/emit.js';
import { requireTool, runTool } from '../../src/backends/verilog/tools.js';
import { makeConfig } from '../../src/isa/config.js';
import { dmaCycles, dramBeatBytes, widestDmaEntry } from '../../src/isa/ops/dma.js';
import type { Program } from '../../src/isa/program.js';
import { scheduleTimes } from '../../src/isa/timing.js';
import { writeDirAtomic } from '../../src/util/atomic-write.js';
import { compileGraph } from '../helpers/compile.js';
import { randomMlp, randomSamples } from '../helpers/random-graph.js';
import { buildRtlSim } from '../../src/backends/verilog/simulate.js';
import { BUFFER_LIST, entryBytes, NO_TOKENS, type Instruction } from '../../src/isa/spec.js';
import { haveTools, sharedRtlSims } from './tools.js';

/** [rows, cols, dramBytesPerCycle, dramLatency]: 4x4 (entries 4, 4 and 16 bytes), 8x1 (act rows of 8 bytes are the widest) and 2x32 (acc entries of 128). */
type Point = readonly [rows: number, cols: number, bw: number, latency: number];
const SWEEP: readonly Point[] = [
  [4, 4, 1, 20],
  [4, 4, 3, 0],
  [4, 4, 4, 20],
  [4, 4, 5, 0],
  [4, 4, 16, 0],
  [4, 4, 17, 20],
  [4, 4, 1000, 0],
  [4, 4, 4096, 0],
  [4, 4, 4096, 20],
  [8, 1, 6, 3],
  [8, 1, 4096, 3],
  [2, 32, 4096, 0],
];

const programOf = ([rows, cols, bw, latency]: Point): Program =>
  compileGraph(randomMlp([16, 12, 6], 5), randomSamples(8, 16, 6), { rows, cols, dramBytesPerCycle: bw, dramLatency: latency, actDepth: 64, wgtDepth: 16, accDepth: 16, qntDepth: 4, outDepth: 16, queueDepth: 2 });
const nameOf = ([rows, cols, bw, latency]: Point): string => `${rows}x${cols} ${bw} B/cycle, latency ${latency}`;

describe('the DRAM beat: the bandwidth, at most the widest entry, in the same cycles', () => {
  test('every buffer entry takes as many beats of dramBeatBytes as of dramBytesPerCycle (all shapes 1..256 at every bandwidth)', () => {
    let checked = 0;
    for (let rows = 1; rows <= 256; rows += 15) {
      for (let cols = 1; cols <= 256; cols += 17) {
        for (let bw = 1; bw <= 4096; bw = bw < 40 ? bw + 1 : Math.ceil(bw * 1.3)) {
          const cfg = makeConfig({ rows, cols, dramBytesPerCycle: bw });
          const beat = dramBeatBytes(cfg);
          expect(beat).toBeLessThanOrEqual(widestDmaEntry(cfg));
          for (const buf of BUFFER_LIST) {
            const e = entryBytes(buf, rows, cols);
            if (dmaCycles(3, e, cfg) !== dmaCycles(3, e, { ...cfg, dramBytesPerCycle: beat })) expect.fail(`${rows}x${cols} ${bw} B/cycle: ${buf} rows`);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(10_000);
  });

  test.each(SWEEP.map((s) => [nameOf(s), s] as const))('%s: the schedule takes the same cycles at the clamped beat, and the RTL is built with it', (_, s) => {
    const p = programOf(s);
    const beat = dramBeatBytes(p.config);
    expect(beat).toBe(Math.min(s[2], Math.max(s[0], 4 * s[1])));
    expect(scheduleTimes(p.instructions, { ...p.config, dramBytesPerCycle: beat }).cycles).toBe(scheduleTimes(p.instructions, p.config).cycles);
    const top = emitVerilog(p, { target: 'generic' }).get('rtl/nnchip_top.v') ?? '';
    expect(top).toContain(`parameter DRAM_BW = ${beat},`);
  });
});

describe.skipIf(!haveTools('iverilog', 'vvp', 'verilator'))('RTL = interpret(), cycles = scheduleTimes(), at every DRAM bandwidth', () => {
  const work = mkdtempSync(join(tmpdir(), 'nnchip-dramw-'));
  // the points past the clamp emit the same RTL as the beat they clamp to (4x4: 16, 1,000 and 4,096
  // B/cycle at latency 0; 17 and 4,096 at 20): 8 designs for 11 points, each built once per simulator
  const shared = sharedRtlSims();
  afterAll(() => {
    process.stdout.write(`DRAM sweep: ${shared.builds()} builds (Icarus and Verilator) for ${SWEEP.length} points\n`);
    shared.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  test.each(SWEEP.map((s, i) => [nameOf(s), s, i] as const))('%s in Icarus and Verilator', async (_, s, i) => {
    const p = programOf(s);
    await shared.exact(p, 'iverilog', 100 + i, `${nameOf(s)} in Icarus`);
    await shared.exact(p, 'verilator', 200 + i, `${nameOf(s)} in Verilator`);
  }, 180_000);

  // A store of out rows 0, 1 to DRAM X, X + 4 and, with no token between them, a load of two act
  // rows (4 bytes each, stride 0) from X + offset, on 4x4 at 4,096 B/cycle (16-byte beats) and
  // latency 20: at offset 0 the load keeps bytes the store has in flight, a real hazard the bench
  // must report; at offset −4 its beats span both writes but it keeps only X − 4 … X − 1, no hazard.
  test.each([
    [0, true],
    [-4, false],
  ] as const)('the bench counts a DRAM hazard only on the bytes a load keeps (load at X%i: hazard %s)', async (offset, hazard) => {
    const base = programOf([4, 4, 4096, 20]);
    const x = 64;
    const instructions: Instruction[] = [
      { op: 'store', ...NO_TOKENS, sram: 0, rows: 2, dram: x, stride: 4 },
      { op: 'load', ...NO_TOKENS, buf: 0, sram: 0, rows: 2, dram: x + offset, stride: 0 },
      { op: 'halt', ...NO_TOKENS },
    ];
    const p: Program = { ...base, instructions, insnLayer: instructions.map(() => 0) };
    const sim = await buildRtlSim(p, { simulator: 'iverilog' });
    try {
      const [run] = await sim.run(p, [new Int8Array(p.input.rows * p.input.rowBytes)]);
      expect(run!.cycles).toBe(scheduleTimes(p.instructions, p.config).cycles);
      expect(run!.log.includes('DRAM accesses overlapped a write in flight'), run!.log).toBe(hazard);
      expect(run!.passed).toBe(!hazard);
    } finally {
      sim.dispose();
    }
  });

  test('4,096 B/cycle (4x4) is clean under verilator --lint-only -Wall', async () => {
    const files = emitVerilog(programOf([4, 4, 4096, 0]), { target: 'generic' });
    const dir = join(work, 'lint');
    writeDirAtomic(dir, files);
    const rtl = [...files.keys()].filter((f) => f.startsWith('rtl/') && f.endsWith('.v'));
    const { stdout, stderr } = await runTool(requireTool('verilator'), ['--lint-only', '-Wall', '-Irtl', '--top-module', 'nnchip_top', ...rtl], dir, 'verilator lint');
    expect(stdout + stderr).toBe('');
  });
});
