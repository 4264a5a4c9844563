// SPDX-License-Identifier: MIT
/**
 * The threshold instruction's table mode (isa/ops/threshold.ts), shared by the SIMD and scalar
 * builds: lane by lane, walk the steps' (threshold, code) entry pairs and keep the code of every
 * threshold ≤ acc. Scalar: per lane a data-dependent select over a few hundred steps at most.
 */
import { Func } from '../../../wasm-encoding/code.js';
import type { FuncTable } from './shared.js';

/** threshold_table(acc, out, table, rows, steps), rows ≥ 1 and steps ≥ 1 (table: byte address of step 0's threshold entry). */
export function thresholdTableKernel(table: FuncTable, C: number): number {
  const f = new Func('threshold_table', ['i32', 'i32', 'i32', 'i32', 'i32']);
  const [acc, out, tbl, rows, steps] = [0, 1, 2, 3, 4];
  const [x, y, p, n, col] = [f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32'), f.local('i32')];
  const c = f.code;
  c.loop();
  c.i32(0).set(col).loop();
  c.get(acc).mem('i32.load').set(x).i32(0).set(y);
  c.get(tbl).get(col).i32(4).op('i32.mul', 'i32.add').set(p).get(steps).set(n);
  // y = x ≥ threshold ? code : y, step after step (the code entry is C lanes after the threshold entry)
  c.loop();
  c.get(p).mem('i32.load', 4 * C).get(y).get(x).get(p).mem('i32.load').op('i32.ge_s', 'select').set(y);
  c.get(p).i32(8 * C).op('i32.add').set(p);
  c.get(n).i32(1).op('i32.sub').tee(n).brIf(0).end();
  c.get(out).get(y).mem('i32.store8');
  c.get(acc).i32(4).op('i32.add').set(acc).get(out).i32(1).op('i32.add').set(out);
  c.get(col).i32(1).op('i32.add').tee(col).i32(C).op('i32.lt_u').brIf(0).end();
  c.get(rows).i32(1).op('i32.sub').tee(rows).brIf(0).end();
  return table.add(f);
}
