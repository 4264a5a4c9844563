/** The hand-written encodings (LEB128, memargs, SIMD, bulk memory) agree with wabt's assembler byte for byte. */
import fc from 'fast-check';
import wabtInit from 'wabt';
import { describe, expect, test } from 'vitest';
import { sleb, u32 } from '../../../src/wasm-encoding/binary.js';
import { Code, SIMD, type SimdOp } from '../../../src/wasm-encoding/code.js';

const wabt = await wabtInit();

/** The body bytes wabt assembles for one function written as flat instructions (not validated). */
function wabtBody(instrs: string): number[] {
  const mod = wabt.parseWat('t.wat', `(module (memory 1) (func ${instrs}))`, { simd: true, bulk_memory: true });
  const bin = Array.from(mod.toBinary({ canonicalize_lebs: true }).buffer);
  mod.destroy();
  const body = bin.slice(findCodeSection(bin));
  return body.slice(0, body.length - 1); // drop the final `end`
}

/** Offset of the first instruction byte of the only function body. */
function findCodeSection(bin: number[]): number {
  let p = 8;
  const leb = (): number => {
    let v = 0;
    let s = 0;
    for (;;) {
      const b = bin[p++]!;
      v |= (b & 0x7f) << s;
      s += 7;
      if ((b & 0x80) === 0) return v;
    }
  };
  for (;;) {
    const id = bin[p++]!;
    const size = leb();
    if (id === 10) {
      leb(); // count
      leb(); // body size
      const groups = leb();
      for (let g = 0; g < groups; g++) {
        leb();
        p++;
      }
      return p;
    }
    p += size;
  }
}

describe('LEB128', () => {
  test('u32 and signed encodings round-trip through a reference decoder', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
        const b = u32(v);
        let x = 0n;
        b.forEach((byte, i) => (x |= BigInt(byte & 0x7f) << BigInt(7 * i)));
        expect(Number(x)).toBe(v);
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        const b = sleb(v);
        let x = 0n;
        b.forEach((byte, i) => (x |= BigInt(byte & 0x7f) << BigInt(7 * i)));
        const bits = BigInt(7 * b.length);
        expect(BigInt.asIntN(Number(bits), x)).toBe(v);
      }),
    );
  });
});

describe('instruction encodings = wabt', () => {
  const mvp: [string, (c: Code) => Code][] = [
    ['i32.const -1 i32.const 63 i32.const 64 i32.const -65 i32.const 2147483647', (c) => c.i32(-1).i32(63).i32(64).i32(-65).i32(2147483647)],
    ['i64.const 1 i64.const -4611686018427387904', (c) => c.i64(1).i64(-(2n ** 62n))],
    ['local.get 0 local.set 1 local.tee 200', (c) => c.get(0).set(1).tee(200)],
    ['i32.load offset=70000 i32.load8_s i32.load8_u offset=3 i32.load16_u i64.load16_u i32.store i32.store8 offset=9 i32.store16 i64.store i64.load', (c) => c.mem('i32.load', 70000).mem('i32.load8_s').mem('i32.load8_u', 3).mem('i32.load16_u').mem('i64.load16_u').mem('i32.store').mem('i32.store8', 9).mem('i32.store16').mem('i64.store').mem('i64.load')],
    ['i64.extend_i32_s i64.extend_i32_u i32.wrap_i64 f64.convert_i32_s f64.convert_i32_u f64.reinterpret_i64 i64.mul i64.shr_s select', (c) => c.op('i64.extend_i32_s', 'i64.extend_i32_u', 'i32.wrap_i64', 'f64.convert_i32_s', 'f64.convert_i32_u', 'f64.reinterpret_i64', 'i64.mul', 'i64.shr_s', 'select')],
    ['block loop br 1 br_if 0 end end if nop else nop end call 0', (c) => c.block().loop().br(1).brIf(0).end().end().if().op('nop').else().op('nop').end().call(0)],
    ['memory.copy memory.fill', (c) => c.memoryCopy().memoryFill()],
  ];
  test.each(mvp)('%s', (text, build) => {
    expect(build(new Code()).bytes).toEqual(wabtBody(text));
  });

  const memOps = new Set(['v128.load', 'v128.load8x8_s', 'v128.load16_splat', 'v128.load32_splat', 'v128.load64_splat', 'v128.store', 'v128.load32_zero', 'v128.load64_zero']);
  const laneMem = new Set(['v128.store8_lane', 'v128.store16_lane', 'v128.store32_lane', 'v128.store64_lane', 'v128.load32_lane', 'v128.load64_lane']);
  const lanes = new Set(['i32x4.extract_lane', 'i32x4.replace_lane', 'f64x2.replace_lane']);
  const special = new Set(['i8x16.shuffle', 'v128.const']);
  test.each(Object.keys(SIMD) as SimdOp[])('%s', (name) => {
    if (special.has(name)) return;
    const c = new Code();
    let text: string = name;
    if (memOps.has(name)) (c.vmem(name, 300), (text = `${name} offset=300`));
    else if (laneMem.has(name)) (c.vmem(name, 5, 1), (text = `${name} offset=5 1`));
    else if (lanes.has(name)) (c.lane(name, 1), (text = `${name} 1`));
    else c.v(name);
    expect(c.bytes).toEqual(wabtBody(text));
  });

  test('i8x16.shuffle and v128.const', () => {
    const idx = [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23];
    expect(new Code().shuffle(idx).v128Zero().bytes).toEqual(wabtBody(`i8x16.shuffle ${idx.join(' ')} v128.const i32x4 0 0 0 0`));
  });
});
