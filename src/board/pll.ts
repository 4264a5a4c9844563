// SPDX-License-Identifier: MIT
/**
 * iCE40 PLL dividers (SB_PLL40, SIMPLE feedback) from the board oscillator to a design clock, with
 * the data-sheet ranges icepll uses: PFD 10–133 MHz, VCO 533–1066 MHz, output 16–275 MHz.
 */
import { NnchipError } from '../diagnostics/error.js';

export interface PllSetting {
  /** false: the design runs on the oscillator itself */
  readonly use: boolean;
  readonly divr: number;
  readonly divf: number;
  readonly divq: number;
  readonly filterRange: number;
  /** the clock the dividers give, MHz */
  readonly mhz: number;
}

const filterRange = (pfd: number): number => (pfd < 17 ? 1 : pfd < 26 ? 2 : pfd < 44 ? 3 : pfd < 66 ? 4 : pfd < 101 ? 5 : 6);

/** The dividers whose output is nearest `wantMhz` (exact when one exists); the oscillator itself when they are equal. */
export function pllFor(oscMhz: number, wantMhz: number): PllSetting {
  if (Math.abs(wantMhz - oscMhz) < 1e-9) return { use: false, divr: 0, divf: 0, divq: 0, filterRange: 1, mhz: oscMhz };
  let best: PllSetting | undefined;
  for (let divr = 0; divr < 16; divr++) {
    const pfd = oscMhz / (divr + 1);
    if (pfd < 10 || pfd > 133) continue;
    for (let divf = 0; divf < 128; divf++) {
      const vco = pfd * (divf + 1);
      if (vco < 533 || vco > 1066) continue;
      for (let divq = 1; divq < 7; divq++) {
        const mhz = vco / 2 ** divq;
        if (mhz < 16 || mhz > 275) continue;
        if (best === undefined || Math.abs(mhz - wantMhz) < Math.abs(best.mhz - wantMhz) - 1e-9) best = { use: true, divr, divf, divq, filterRange: filterRange(pfd), mhz };
      }
    }
  }
  if (best === undefined || Math.abs(best.mhz - wantMhz) > 0.01 * wantMhz) {
    throw new NnchipError('NN801', `--clock ${wantMhz}: the iCE40 PLL cannot make ${wantMhz} MHz from the ${oscMhz} MHz oscillator (it makes 16–275 MHz, or ${oscMhz} MHz without it)`);
  }
  return best;
}
