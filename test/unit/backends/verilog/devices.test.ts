// SPDX-License-Identifier: MIT
/** FPGA parts: which target each belongs to, overuse against the part, the block-RAM model and the config a too-large design is told to use. */
import { describe, expect, test } from 'vitest';
import { bramBlocks, deviceFor, FPGA_DEVICES, mac16Blocks, overuse, thresholdMac16Blocks } from '../../../../src/backends/verilog/devices.js';
import { bufferBrams, bramTotal, notFitting } from '../../../../src/backends/verilog/fit.js';
import { pnrOveruse } from '../../../../src/backends/verilog/synth.js';
import { makeConfig } from '../../../../src/isa/config.js';
import { NnchipError } from '../../../../src/diagnostics/error.js';

const hx8k = FPGA_DEVICES.hx8k;

describe('devices', () => {
  test('each target gets its own parts; a part of another family is a usage error (NN801, exit 2)', () => {
    expect(deviceFor('ice40', undefined)).toBe('hx8k');
    expect(deviceFor('ice40', 'up5k')).toBe('up5k');
    expect(deviceFor('ecp5', undefined)).toBe('25k');
    expect(deviceFor('asic', undefined)).toBeNull();
    for (const [t, d] of [['ecp5', 'up5k'], ['ice40', '25k'], ['asic', 'hx8k'], ['ice40', 'xc7a35t']] as const) {
      let err: unknown;
      try {
        deviceFor(t, d);
      } catch (e) {
        err = e;
      }
      expect(err, `${t} ${d}`).toBeInstanceOf(NnchipError);
      expect((err as NnchipError).code).toBe('NN801');
      expect((err as NnchipError).exitCode).toBe(2);
    }
  });

  test('overuse names each resource beyond the part with both figures', () => {
    const use = { luts: 100, ffs: 50, brams: 135, dsps: 0, io: 6 };
    expect(overuse(use, hx8k)).toEqual([{ resource: 'brams', used: 135, available: 32 }]);
    expect(overuse({ ...use, brams: 32 }, hx8k)).toEqual([]);
    expect(overuse({ ...use, brams: 1, dsps: 1 }, hx8k).map((o) => o.resource)).toEqual(['dsps']);
  });

  test('a memory takes the cheapest of the block shapes (iCE40 EBR: 256x16 … 2048x2)', () => {
    for (const [w, d] of [[16, 256], [8, 512], [4, 1024], [2, 2048]]) expect(bramBlocks(w!, d!, hx8k)).toBe(1);
    expect(bramBlocks(128, 16, hx8k)).toBe(128 / 16);
    expect(bramBlocks(8, 4096, hx8k)).toBe((8 * 4096) / 4096);
    expect(bramBlocks(17, 1, hx8k)).toBe(2);
  });

  test('nextpnr utilisation lines over the part are found', () => {
    const log = 'Info: Device utilisation:\nInfo: \t         ICESTORM_LC:  9000/ 7680   117%\nInfo: \t        ICESTORM_RAM:    20/   32    62%\n';
    expect(pnrOveruse(log)).toEqual(['ICESTORM_LC 9000 of 7680']);
  });
});

describe('the acc buffer\'s block RAMs', () => {
  test('two acc banks: a shallow acc buffer doubles (each half\'s arrays take as many blocks as the whole), a deep one costs none', () => {
    const shallow = makeConfig({ rows: 4, cols: 4, accDepth: 16 });
    expect(bufferBrams(shallow, hx8k).accDepth).toBe(16);
    expect(bufferBrams({ ...shallow, accBanks: 2 }, hx8k).accDepth).toBe(32);
    const deep = makeConfig({ rows: 8, cols: 8 });
    expect(bufferBrams({ ...deep, accBanks: 2 }, hx8k).accDepth).toBe(bufferBrams(deep, hx8k).accDepth);
  });
});

describe('a config that fits', () => {
  const big = makeConfig({ rows: 2, cols: 2, actDepth: 4096, wgtDepth: 1024, accDepth: 1024, qntDepth: 64, outDepth: 1024 });
  const brams = bramTotal(bufferBrams(big, hx8k));

  test('block RAMs over: the suggested buffers fit by the model, and every candidate was compiled', () => {
    const tried: number[] = [];
    const r = notFitting([{ resource: 'brams', used: brams, available: 32 }], hx8k, big, 10, (c) => {
      tried.push(c.actDepth);
      return { instructions: 10 };
    });
    expect(brams).toBeGreaterThan(32);
    expect(r.verified).toBe(true);
    expect(tried.length).toBeGreaterThan(0);
    expect(bramTotal(bufferBrams({ ...big, ...r.change }, hx8k))).toBeLessThanOrEqual(32);
    expect(r.line).toMatch(new RegExp(`block RAMs ${brams} of 32 \\(${brams - 32} over\\).*a machine config that fits: \\{`));
  });

  test('buffers the model cannot do without are not shrunk; a ROM too large is named', () => {
    // every smaller act buffer fails to compile; the program ROM (measured beyond the buffers) is the rest
    const r = notFitting([{ resource: 'brams', used: brams + 100, available: 32 }], hx8k, big, 1000, (c) => (c.actDepth < big.actDepth ? null : { instructions: 1000 }));
    expect(r.verified).toBe(false);
    expect(r.line).toMatch(/program ROM alone takes about 100 block RAMs/);
  });

  test('logic over: one threshold lane first, then a smaller array', () => {
    const wide = makeConfig({ rows: 8, cols: 8 });
    const ok = (): { instructions: number } => ({ instructions: 10 });
    expect(notFitting([{ resource: 'luts', used: 9000, available: 7680 }], hx8k, wide, 10, ok).change).toEqual({ thresholdPasses: 32 });
    const narrow = makeConfig({ rows: 8, cols: 8, thresholdPasses: 32 });
    expect(notFitting([{ resource: 'luts', used: 9000, available: 7680 }], hx8k, narrow, 10, ok).change).toEqual({ rows: 4, cols: 4, thresholdPasses: 16 });
  });
});

describe('with an estimate (a board design: checked before synthesis)', () => {
  const ok = (): { instructions: number } => ({ instructions: 10 });
  const wide = makeConfig({ rows: 8, cols: 8, thresholdPasses: 32 });
  const logic = (perQueue: number, perPe: number) => (c: { queueDepth: number; rows: number; cols: number }) => ({ luts: perQueue * c.queueDepth + perPe * c.rows * c.cols, ffs: 0, brams: 0, dsps: 0, io: 0 });

  test('steps until the estimate of the whole config fits: shallower queues before fewer PEs', () => {
    const estimate = logic(1000, 100);
    const r = notFitting(overuse(estimate(wide), hx8k), hx8k, wide, 10, ok, { estimate, labels: { luts: 'logic cells' } });
    expect(r.change).toEqual({ queueDepth: 1 });
    expect(r.verified).toBe(true);
    expect(r.line).toMatch(/^the design does not fit iCE40-HX8K \(CT256\): logic cells 14400 of 7680 \(6720 over\); a machine config that fits: \{"queueDepth":1\} \(estimated 7400 logic cells, 0 block RAMs, 0 DSPs\)$/);
  });

  test('after a smaller array, the queues are as deep again as still fits', () => {
    const estimate = logic(500, 1000);
    const r = notFitting(overuse(estimate(wide), hx8k), hx8k, wide, 10, ok, { estimate });
    expect(r.change).toEqual({ rows: 2, cols: 2, thresholdPasses: 8, queueDepth: 4 });
    expect(estimate({ ...wide, ...r.change }).luts).toBeLessThanOrEqual(7680);
  });

  test('no machine the estimate accepts: said so, with how far it got', () => {
    const r = notFitting([{ resource: 'luts', used: 99999, available: 7680 }], hx8k, wide, 10, ok, { estimate: () => ({ luts: 99999, ffs: 0, brams: 0, dsps: 0, io: 0 }) });
    expect(r.verified).toBe(false);
    expect(r.line).toMatch(/no machine config found that the estimate says fits \(still over with \{.*"rows":1,"cols":1.*\}\)/);
  });
});

describe('DSPs over the part', () => {
  test('UP5K: the array shrinks until its SB_MAC16 blocks (two PEs each) fit', () => {
    const up5k = FPGA_DEVICES.up5k;
    const c = makeConfig({ rows: 8, cols: 8, thresholdPasses: 32 });
    const r = notFitting([{ resource: 'dsps', used: mac16Blocks(8, 8), available: up5k.dsps }], up5k, c, 10, () => ({ instructions: 10 }));
    expect(r.verified).toBe(true);
    expect(r.change).toEqual({ rows: 4, cols: 4, thresholdPasses: 16 });
    expect(mac16Blocks(4, 4)).toBeLessThanOrEqual(up5k.dsps);
    expect(r.line).toMatch(/DSPs 32 of 8 \(24 over\); a machine config that fits/);
  });

  test('DSPs, logic and block RAMs over together: each change is found on the machine the one before leaves', () => {
    // the default 8x8 on the UP5K, as yosys measured it (22,616 LUTs, 254 block RAMs, 32 SB_MAC16)
    const up5k = FPGA_DEVICES.up5k;
    const c = makeConfig({ rows: 8, cols: 8 });
    const compiled: string[] = [];
    const r = notFitting(
      [{ resource: 'luts', used: 22616, available: up5k.logicCells }, { resource: 'brams', used: 254, available: up5k.brams }, { resource: 'dsps', used: 32, available: up5k.dsps }],
      up5k, c, 10,
      (k) => { compiled.push(`${k.rows}x${k.cols}`); return { instructions: 10 }; },
    );
    // the threshold unit for the 4 columns left (16 passes, not the 8x8's 32), and the buffers as wide as a 4x4's
    expect(r.change).toMatchObject({ rows: 4, cols: 4, thresholdPasses: 16 });
    expect(compiled.filter((s) => s === '8x8')).toEqual([]);
    const shrunk = bramTotal(bufferBrams({ ...c, ...r.change }, up5k));
    expect(shrunk).toBeLessThan(bramTotal(bufferBrams({ ...c, rows: 4, cols: 4 }, up5k)));
    expect(r.line).toContain(`${shrunk} for the buffers`);
  });

  test('the threshold lanes take two SB_MAC16 blocks each only beside PEs in blocks, and only where the UP5K has them to spare', () => {
    expect(thresholdMac16Blocks(makeConfig({ rows: 2, cols: 2, thresholdPasses: 8 }), 'mac16')).toBe(2); // one lane: 2 + 2 of 8
    expect(thresholdMac16Blocks(makeConfig({ rows: 3, cols: 3, thresholdPasses: 12 }), 'mac16')).toBe(2); // 6 + 2: all 8
    expect(thresholdMac16Blocks(makeConfig({ rows: 2, cols: 4, thresholdPasses: 2 }), 'mac16')).toBe(4); // two full lanes: 4 + 4 of 8
    expect(thresholdMac16Blocks(makeConfig({ rows: 4, cols: 4, thresholdPasses: 16 }), 'mac16')).toBe(0); // the PEs take all 8
    expect(thresholdMac16Blocks(makeConfig({ rows: 2, cols: 4, thresholdPasses: 1 }), 'mac16')).toBe(0); // four lanes: 4 + 8 > 8
    expect(thresholdMac16Blocks(makeConfig({ rows: 2, cols: 2, thresholdPasses: 8 }), 'fabric')).toBe(0);
  });

  test('ECP5: one DSP per PE plus the threshold unit\'s measured ones', () => {
    const ecp5 = FPGA_DEVICES['25k'];
    const c = makeConfig({ rows: 8, cols: 8, thresholdPasses: 32 });
    // 64 PEs + 2 threshold DSPs measured
    const r = notFitting([{ resource: 'dsps', used: 66, available: ecp5.dsps }], ecp5, c, 10, () => ({ instructions: 10 }));
    const rows = r.change.rows ?? c.rows;
    const cols = r.change.cols ?? c.cols;
    expect(rows * cols + 2).toBeLessThanOrEqual(ecp5.dsps);
    expect(r.change.thresholdPasses).toBe(4 * cols);
  });
});
