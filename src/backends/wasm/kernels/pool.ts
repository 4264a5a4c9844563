// SPDX-License-Identifier: MIT
/**
 * The pooling threshold's first half (isa/ops/threshold.ts, poolH/poolW): each out row's window
 * maximum, lane by lane, written to `rows` consecutive scratch rows (plan/memory.ts) that the
 * threshold kernels then requantize; the acc buffer is left as the ISA leaves it.
 */
import { Func } from '../../../wasm-encoding/code.js';
import type { FuncTable } from './shared.js';

/** pool_max(dst, acc, lineBytes, kh, kw, pw, rows): dst row m ← max over out row m's kh × kw window of acc rows. */
export function poolMaxKernel(table: FuncTable, C: number): number {
  const f = new Func('pool_max', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [dst, acc, line, kh, kw, pw, rows] = [0, 1, 2, 3, 4, 5, 6];
  const [win, px, col, p, q, ky, kx, best, v] = Array.from({ length: 9 }, () => f.local('i32')) as [number, number, number, number, number, number, number, number, number];
  const rowBytes = 4 * C;
  const c = f.code;
  c.get(acc).set(win).get(pw).set(px);
  c.loop();
  c.i32(0).set(col).loop();
  c.get(win).get(col).op('i32.add').tee(p).mem('i32.load').set(best);
  c.get(kh).set(ky).loop();
  c.get(p).set(q).get(kw).set(kx).loop();
  c.get(q).mem('i32.load').tee(v).get(best).get(v).get(best).op('i32.gt_s', 'select').set(best);
  c.get(q).i32(rowBytes).op('i32.add').set(q);
  c.get(kx).i32(1).op('i32.sub').tee(kx).brIf(0).end();
  c.get(p).get(line).op('i32.add').set(p);
  c.get(ky).i32(1).op('i32.sub').tee(ky).brIf(0).end();
  c.get(dst).get(col).op('i32.add').get(best).mem('i32.store');
  c.get(col).i32(4).op('i32.add').tee(col).i32(rowBytes).op('i32.lt_u').brIf(0).end();
  // next window: kw rows on; after a line's last, the next line of windows starts kh lines down
  c.get(dst).i32(rowBytes).op('i32.add').set(dst);
  c.get(win).get(kw).i32(rowBytes).op('i32.mul', 'i32.add').set(win);
  c.get(px).i32(1).op('i32.sub').tee(px).op('i32.eqz').if();
  c.get(pw).set(px).get(win).get(kh).i32(1).op('i32.sub').get(line).op('i32.mul', 'i32.add').set(win);
  c.end();
  c.get(rows).i32(1).op('i32.sub').tee(rows).brIf(0).end();
  return table.add(f);
}
