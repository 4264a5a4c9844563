// SPDX-License-Identifier: MIT
/**
 * The RTL's threshold tail (nnchip_threshold.v `tail`, the controller's c_th_q): a matmul that
 * overwrites the acc rows the threshold before it reads starts in that threshold's last
 * matmul_acc_lead cycles, from its start + 2 (short thresholds), and after a table-mode one only
 * once it completed; in Icarus the design computes what interpret() computes in exactly
 * scheduleTimes() cycles (test/unit/sim/threshold-tail.test.ts holds the schedule to the rule).
 */
import { describe, test } from 'vitest';
import { TAIL_CASES, thresholdTailProgram } from '../helpers/threshold-tail.js';
import { expectRtlExact, haveTools } from './tools.js';

describe.skipIf(!haveTools('iverilog', 'vvp'))('a matmul in a threshold\'s tail, in Icarus', () => {
  test.each(TAIL_CASES.map((c) => [`${c.R}x${c.C} rows=${c.rows} passes=${c.passes} ${c.mode}`, c] as const))('%s: bit- and cycle-exact', (name, c) => expectRtlExact(thresholdTailProgram(c, c.R * 100 + c.rows), 'iverilog', c.rows + 1, name), 120_000);
});
