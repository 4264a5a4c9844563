// SPDX-License-Identifier: MIT
/**
 * The pooling threshold's first half (isa/ops/threshold.ts, poolOf): each out row's window
 * maximum, lane by lane, written to `rows` consecutive scratch rows (plan/memory.ts) that the
 * threshold kernels then requantize; the acc buffer is left as the ISA leaves it. A window tap in
 * the top or left padding reads the edge entry (poolRow), as the ISA states.
 */
import { Func } from '../../../wasm-encoding/code.js';
import type { FuncTable } from './shared.js';

/**
 * pool_max(dst, acc, lineBytes, kh, kw, sh, sw, padTop, padLeft, pw, rows): dst row m ← max over
 * out row m's kh × kw window of acc rows (windows sh lines and sw rows apart, pw per line).
 */
export function poolMaxKernel(table: FuncTable, C: number): number {
  const f = new Func('pool_max', Array.from({ length: 11 }, () => 'i32' as const));
  const [dst, acc, line, kh, kw, sh, sw, padTop, padLeft, pw, rows] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [px, top, left, ky, kx, rowAt, q, col, y, v, b] = Array.from({ length: 11 }, () => f.local('i32')) as [number, number, number, number, number, number, number, number, number, number, number];
  const rowBytes = 4 * C;
  const c = f.code;
  // top, left: the window's first line and entry, negative in the padding (clamped to 0 per tap)
  c.i32(0).get(padTop).op('i32.sub').set(top);
  c.i32(0).get(padLeft).op('i32.sub').set(left);
  c.get(pw).set(px);
  c.loop();
  c.i32(0).set(col).loop();
  c.get(dst).get(col).op('i32.add').i32(-2147483648).mem('i32.store');
  c.get(col).i32(4).op('i32.add').tee(col).i32(rowBytes).op('i32.lt_u').brIf(0).end();
  c.i32(0).set(ky).loop();
  c.get(top).get(ky).op('i32.add').tee(y).i32(0).get(y).i32(0).op('i32.gt_s', 'select').get(line).op('i32.mul').get(acc).op('i32.add').set(rowAt);
  c.i32(0).set(kx).loop();
  c.get(left).get(kx).op('i32.add').tee(y).i32(0).get(y).i32(0).op('i32.gt_s', 'select').i32(rowBytes).op('i32.mul').get(rowAt).op('i32.add').set(q);
  c.i32(0).set(col).loop();
  c.get(dst).get(col).op('i32.add');
  c.get(q).get(col).op('i32.add').mem('i32.load').tee(v);
  c.get(dst).get(col).op('i32.add').mem('i32.load').tee(b);
  c.get(v).get(b).op('i32.gt_s', 'select').mem('i32.store');
  c.get(col).i32(4).op('i32.add').tee(col).i32(rowBytes).op('i32.lt_u').brIf(0).end();
  c.get(kx).i32(1).op('i32.add').tee(kx).get(kw).op('i32.lt_u').brIf(0).end();
  c.get(ky).i32(1).op('i32.add').tee(ky).get(kh).op('i32.lt_u').brIf(0).end();
  // next window: sw entries on; after a line's last, the next line of windows starts sh lines down
  c.get(dst).i32(rowBytes).op('i32.add').set(dst);
  c.get(left).get(sw).op('i32.add').set(left);
  c.get(px).i32(1).op('i32.sub').tee(px).op('i32.eqz').if();
  c.get(pw).set(px).i32(0).get(padLeft).op('i32.sub').set(left).get(top).get(sh).op('i32.add').set(top);
  c.end();
  c.get(rows).i32(1).op('i32.sub').tee(rows).brIf(0).end();
  return table.add(f);
}
