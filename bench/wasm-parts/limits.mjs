// The "practical limit" loops of bench/wasm.mjs: hand-written i32x4.dot_i16x8_s loops on
// L1-resident data, built with the back end's own encoder. Each returns GOPS (2 × MACs / s).
//   streaming: 4 accumulators, 2 loads per dot (int8 widened while loading, or int16 data): load-bound
//   register-blocked: 2 × 4 vectors loaded per step feed 8 dots into 8 accumulators, as in a GEMM
//     micro-kernel (2 rows × 4 column vectors); on int16 data it measures dot + add alone
import { assembleModule } from '../../dist/src/wasm-encoding/binary.js';
import { Func } from '../../dist/src/wasm-encoding/code.js';

const BYTES = 2048; // per operand stream, L1-resident
const REPS = 2000;

async function instantiate(f) {
  const bytes = assembleModule({ types: [{ params: ['i32'], results: ['i32'] }], funcs: [{ type: 0, locals: f.locals, body: f.code.bytes }], memoryPages: 1, globals: [], exports: [{ name: 'k', kind: 'Func', index: 0 }], data: [] });
  return (await WebAssembly.instantiate(bytes, {})).instance.exports.k;
}

/** (reps) → checksum: `step` advances p by `stride` bytes per iteration over BYTES bytes. */
function loopFunc(accs, stride, body) {
  const f = new Func('k', ['i32'], ['i32']);
  const acc = Array.from({ length: accs }, () => f.local('v128'));
  const p = f.local('i32');
  const c = f.code;
  for (const a of acc) c.v128Zero().set(a);
  c.loop().i32(0).set(p).loop();
  body(f, c, acc, p);
  c.get(p).i32(stride).op('i32.add').tee(p).i32(BYTES).op('i32.lt_u').brIf(0).end();
  c.get(0).i32(1).op('i32.sub').tee(0).brIf(0).end();
  c.v128Zero();
  for (const a of acc) c.get(a).v('i32x4.add');
  c.lane('i32x4.extract_lane', 0);
  return f;
}

function streaming(int16) {
  const step = int16 ? 16 : 8;
  const load = int16 ? 'v128.load' : 'v128.load8x8_s';
  const f = loopFunc(4, 4 * step, (f, c, acc, p) => {
    acc.forEach((a, j) => c.get(a).get(p).vmem(load, step * j).get(p).vmem(load, 8192 + step * j).v('i32x4.dot_i16x8_s', 'i32x4.add').set(a));
  });
  return { f, dotsPerRep: BYTES / step };
}

function blocked(int16) {
  const step = int16 ? 16 : 8;
  const load = int16 ? 'v128.load' : 'v128.load8x8_s';
  const f = loopFunc(8, 4 * step, (f, c, acc, p) => {
    const a = [0, 1].map(() => f.local('v128'));
    const b = [0, 1, 2, 3].map(() => f.local('v128'));
    a.forEach((v, r) => c.get(p).vmem(load, 8192 + (BYTES + 64) * r).set(v));
    b.forEach((v, j) => c.get(p).vmem(load, step * j).set(v));
    for (let r = 0; r < 2; r++) for (let j = 0; j < 4; j++) c.get(acc[4 * r + j]).get(b[j]).get(a[r]).v('i32x4.dot_i16x8_s', 'i32x4.add').set(acc[4 * r + j]);
  });
  return { f, dotsPerRep: (BYTES / (4 * step)) * 8 };
}

/** [{ name, gops }] for every limit loop. */
export async function limitLoops(secondsPer) {
  const loops = [
    ['streaming, int8 data (load8x8_s)', streaming(false)],
    ['streaming, int16 data', streaming(true)],
    ['register-blocked 2×4, int8 data (load8x8_s)', blocked(false)],
    ['register-blocked 2×4, int16 data', blocked(true)],
  ];
  const out = [];
  for (const [name, { f, dotsPerRep }] of loops) {
    const k = await instantiate(f);
    const s = await secondsPer(() => k(REPS));
    out.push({ name, gops: (2 * 8 * dotsPerRep * REPS) / s / 1e9 });
  }
  return out;
}
