import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  addFormat,
  dotFormat,
  fitsFast,
  fromReal,
  fromRealBig,
  fx,
  int,
  maxRaw,
  maxRawNum,
  minRaw,
  minRawNum,
  mulFormat,
  parseFormat,
  resolution,
  subFormat,
  sumFormat,
  toHls,
  toQ,
  toReal,
  width,
  type FixedFormat,
} from '../../generator/fixed/format.js';
import { SatCounter } from '../../generator/fixed/types.js';
import { Lfsr } from '../../generator/fixed/lfsr.js';

const fmtArb = fc
  .record({ signed: fc.boolean(), w: fc.integer({ min: 1, max: 64 }), i: fc.integer({ min: -20, max: 70 }) })
  .map(({ signed, w, i }) => fx(w, i, signed));

describe('formats', () => {
  it('parses every notation', () => {
    expect(parseFormat('fixed<16,4>')).toEqual({ signed: true, intBits: 4, fracBits: 12 });
    expect(parseFormat('ap_fixed<16,6>')).toEqual({ signed: true, intBits: 6, fracBits: 10 });
    expect(parseFormat('ufixed<16,0>')).toEqual({ signed: false, intBits: 0, fracBits: 16 });
    expect(parseFormat('Q4.12')).toEqual({ signed: true, intBits: 4, fracBits: 12 });
    expect(parseFormat('UQ0.16')).toEqual({ signed: false, intBits: 0, fracBits: 16 });
    expect(parseFormat('Q-4.20')).toEqual({ signed: true, intBits: -4, fracBits: 20 });
    expect(parseFormat('Q12.-4')).toEqual({ signed: true, intBits: 12, fracBits: -4 });
    expect(parseFormat(' s16 ')).toEqual({ signed: true, intBits: 16, fracBits: 0 });
    expect(parseFormat('u8')).toEqual({ signed: false, intBits: 8, fracBits: 0 });
    expect(parseFormat('fixed<16,-4>')).toEqual(parseFormat('Q-4.20'));
  });

  it('prints both notations', () => {
    expect(toHls(fx(16, 4))).toBe('fixed<16,4>');
    expect(toHls(int(8, false))).toBe('ufixed<8,8>');
    expect(toQ(fx(16, 4))).toBe('Q4.12');
    expect(toQ(fx(16, 0, false))).toBe('UQ0.16');
    expect(toQ(fx(16, -4))).toBe('Q-4.20');
  });

  it('round-trips through both notations', () => {
    fc.assert(
      fc.property(fmtArb, (f) => {
        expect(parseFormat(toHls(f))).toEqual(f);
        expect(parseFormat(toQ(f))).toEqual(f);
      }),
    );
  });

  it('rejects bad formats with a RangeError naming the problem', () => {
    expect(() => fx(0, 0)).toThrow(/width.*≥ 1/);
    expect(() => fx(-1, 2)).toThrow(/width/);
    expect(fx(4, 8)).toEqual({ signed: true, intBits: 8, fracBits: -4 });
    expect(() => fx(3.5, 1)).toThrow(/integer/);
    expect(() => parseFormat('Q4')).toThrow(/cannot parse/);
    expect(() => parseFormat('fixed<0,0>')).toThrow(RangeError);
    expect(() => parseFormat('s0')).toThrow(RangeError);
  });

  it('gives ranges and resolution', () => {
    const q = parseFormat('Q4.12');
    expect(width(q)).toBe(16);
    expect(minRaw(q)).toBe(-32768n);
    expect(maxRaw(q)).toBe(32767n);
    expect(minRawNum(q)).toBe(-32768);
    expect(maxRawNum(parseFormat('UQ0.16'))).toBe(65535);
    expect(resolution(q)).toBe(2 ** -12);
    const xi = parseFormat('Q-4.20');
    expect(toReal(maxRaw(xi), xi)).toBe(2 ** -5 - 2 ** -20);
    expect(toReal(minRaw(xi), xi)).toBe(-(2 ** -5));
    expect(toReal(3, parseFormat('Q12.-4'))).toBe(48);
    expect(toReal(1n << 60n, fx(64, 64))).toBe(2 ** 60);
    expect(() => maxRawNum(fx(60, 10))).toThrow(/53/);
    expect(fitsFast(fx(53, 1))).toBe(true);
    expect(fitsFast(fx(53, 1, false))).toBe(false);
  });

  it('widens like hardware: add/sub/mul/sum formats hold every result', () => {
    expect(mulFormat(parseFormat('Q4.12'), parseFormat('Q-4.20'))).toEqual(fx(32, 0));
    expect(addFormat(parseFormat('u8'), parseFormat('u8'))).toEqual(int(9, false));
    expect(addFormat(parseFormat('u8'), parseFormat('s8'))).toEqual(int(10));
    expect(subFormat(parseFormat('u8'), parseFormat('u8'))).toEqual(int(9));
    expect(dotFormat(parseFormat('u8'), parseFormat('u8'), 784)).toEqual(int(26, false));
    fc.assert(
      fc.property(fmtArb, fmtArb, (a, b) => {
        const ext = (f: FixedFormat): [number, number] => [Number(minRaw(f)) * 2 ** -f.fracBits, Number(maxRaw(f)) * 2 ** -f.fracBits];
        const [alo, ahi] = ext(a);
        const [blo, bhi] = ext(b);
        const holds = (f: FixedFormat, lo: number, hi: number) => {
          const [flo, fhi] = ext(f);
          return flo <= lo && hi <= fhi;
        };
        expect(holds(addFormat(a, b), alo + blo, ahi + bhi)).toBe(true);
        expect(holds(subFormat(a, b), alo - bhi, ahi - blo)).toBe(true);
        const prods = [alo * blo, alo * bhi, ahi * blo, ahi * bhi];
        expect(holds(mulFormat(a, b), Math.min(...prods), Math.max(...prods))).toBe(true);
        expect(holds(sumFormat(a, 5), 5 * alo, 5 * ahi)).toBe(true);
      }),
    );
  });
});

describe('fromReal', () => {
  const q412 = parseFormat('Q4.12');
  it('rounds and saturates', () => {
    expect(fromReal(0.1, q412)).toBe(410); // 409.6
    expect(fromReal(-0.1, q412)).toBe(-410); // -409.6
    expect(fromReal(1.5 / 4096, q412)).toBe(2); // half up
    expect(fromReal(-1.5 / 4096, q412)).toBe(-1); // half up
    expect(fromReal(2.5 / 4096, q412, 'nearest-even')).toBe(2);
    expect(fromReal(-0.1, q412, 'floor')).toBe(-410);
    expect(fromReal(-0.1, q412, 'truncate')).toBe(-409);
    expect(fromReal(0.03, parseFormat('Q-4.20'))).toBe(31457);
    const sc = new SatCounter();
    expect(fromReal(100, q412, 'nearest', 'saturate', undefined, sc.slot('w'))).toBe(32767);
    expect(fromReal(-Infinity, q412, 'nearest', 'saturate', undefined, sc.slot('w'))).toBe(-32768);
    expect(fromReal(1, parseFormat('Q-4.20'), 'nearest', 'saturate', undefined, sc.slot('xi'))).toBe(32767);
    expect(sc.snapshot()).toEqual({ w: { high: 1, low: 1 }, xi: { high: 1, low: 0 } });
    expect(fromReal(8, q412, 'floor', 'wrap')).toBe(-32768);
    expect(() => fromReal(NaN, q412)).toThrow(/NaN/);
    expect(() => fromReal(Infinity, q412, 'nearest', 'wrap')).toThrow(RangeError);
    expect(fromRealBig(2 ** 70 + 2 ** 20, fx(80, 80))).toBe((1n << 70n) + (1n << 20n));
    expect(fromRealBig(5e-324, fx(16, 0), 'floor')).toBe(0n);
    expect(fromRealBig(-5e-324, fx(16, 0), 'floor')).toBe(-1n);
    // stochastic draws from the source: r = 2^15 of 16 bits adds half a step
    const src = { rbits: 16, draw: () => 0x8000 };
    expect(fromReal(0.5 / 4096, q412, 'stochastic', 'saturate', src)).toBe(1);
    expect(fromReal(0.49 / 4096, q412, 'stochastic', 'saturate', src)).toBe(0);
    expect(fromReal(0.5 / 4096, q412, 'stochastic', 'saturate', new Lfsr())).toBeGreaterThanOrEqual(0);
  });

  it('agrees with float rounding where that is exact', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: -10, max: 20 }), (x, fb) => {
        const f = fx(fb + 30, 30);
        const y = x * 2 ** fb;
        fc.pre(y * 2 ** -fb === x); // scaling is exact (no underflow)
        expect(fromReal(x, f, 'floor')).toBe(Math.floor(y) + 0);
        if (y + 0.5 - y === 0.5) expect(fromReal(x, f, 'nearest')).toBe(Math.floor(y + 0.5) + 0);
        expect(fromReal(x, f, 'truncate')).toBe(Math.trunc(y) + 0);
        const r = fromReal(x, f, 'nearest');
        expect(Math.abs(toReal(r, f) - x)).toBeLessThanOrEqual(resolution(f) / 2);
      }),
    );
  });
});
