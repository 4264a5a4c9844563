// SPDX-License-Identifier: MIT
/**
 * `nnchip synth` end to end through bin/nnchip.mjs, with a stand-in yosys (it writes the netlist and
 * the cell report the ice40 Makefile expects, with the counts the test asks for), so it needs only
 * make: every resource as a share of the part; a design over the part exits 4 with one line naming
 * what is over, by how much, and a machine config, which --config takes back; a part of another
 * family is a usage error. The real yosys and the suggestion's fit: ice40-fit.test.ts.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { nnchip, REPO } from '../helpers/cli.js';
import { haveTools } from './tools.js';

const work = mkdtempSync(join(tmpdir(), 'nnchip-synth-fit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const TINY = join(REPO, 'examples/tiny/tiny.nnchip.json');

// runs in the design folder: the Makefile's yosys writes ice40/build/{yosys.log,nnchip.json,stat.json,stat.txt}
const yosys = join(work, 'yosys');
writeFileSync(
  yosys,
  `#!/bin/sh
if [ "$1" = "-V" ]; then echo "Yosys 0.0 (stand-in)"; exit 0; fi
b=ice40/build
echo "stand-in synthesis" > $b/yosys.log
echo '{"modules":{"nnchip_pnr_top":{"attributes":{"top":"00000000000000000000000000000001"},"ports":{"clk":{"bits":[2]},"led":{"bits":[3,4,5,6,7]}}}}}' > $b/nnchip.json
echo '{"design":{"num_cells_by_type":{"SB_LUT4":'"$STANDIN_LUTS"',"SB_DFF":2386,"SB_RAM40_4K":'"$STANDIN_BRAMS"'}}}' > $b/stat.json
: > $b/stat.txt
`,
);
chmodSync(yosys, 0o755);

describe.skipIf(!haveTools('make'))('nnchip synth: % of the part, and exit 4 with a config that fits', () => {
  test('over the HX8K: every resource as % of the part, then one NN405 line with what is over, by how much, and a config', () => {
    const r = nnchip(['synth', TINY, '--array', '2x2', '--yosys', yosys, '--no-pnr'], { env: { STANDIN_LUTS: '9452', STANDIN_BRAMS: '77' } });
    expect(r.code, r.stderr).toBe(4);
    for (const share of ['123.1% of 7,680', '31.1% of 7,680', '240.6% of 32', 'the part has none', '2.9% of 206']) expect(r.stdout).toContain(share);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error'));
    expect(errors).toHaveLength(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(errors[0]);
    expect(errors[0]).toMatch(/^error NN405: the design does not fit iCE40-HX8K \(CT256\): LUTs 9452 of 7680 \(1772 over\), block RAMs 77 of 32 \(45 over\); a machine config to try: \{/);
    // the suggestion is a config --config takes: within the part, the same command exits 0
    const config = /a machine config to try: (\{[^}]*\})/.exec(errors[0]!)?.[1];
    expect(config).toBeDefined();
    const file = join(work, 'fits.json');
    writeFileSync(file, config!);
    const again = nnchip(['synth', TINY, '--array', '2x2', '--config', file, '--yosys', yosys, '--no-pnr'], { env: { STANDIN_LUTS: '5000', STANDIN_BRAMS: '30' } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('93.8% of 32');
  });

  test('a part of another family, or an unknown part: a usage error before any tool runs', () => {
    for (const [target, device] of [['ecp5', 'up5k'], ['ice40', '25k'], ['ice40', 'lp1k']] as const) {
      const r = nnchip(['synth', TINY, '--target', target, '--device', device, '--yosys', yosys]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/^error NN801: /);
    }
  });
});
