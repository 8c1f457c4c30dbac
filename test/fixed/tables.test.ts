import { describe, expect, it } from 'vitest';
import { exp, expNeg, leadingOne, maxError, recip, rsqrt, type TableFunction } from '../../generator/fixed/tables.js';
import { SatSlot } from '../../generator/fixed/types.js';

function holdsBound(fn: TableFunction, maxPoints?: number) {
  const r = maxError(fn, maxPoints === undefined ? undefined : { maxPoints });
  expect(r.boundRatio, `${fn.name} ${JSON.stringify(fn.describe())} worst at ${r.boundRatioAt}`).toBeLessThanOrEqual(1);
  return r;
}

describe('table functions stay within their stated error bounds', () => {
  it('defaults, over the full input range (exhaustive for 16-bit inputs, 2^20 points otherwise)', () => {
    const e = holdsBound(expNeg());
    expect(e.exhaustive).toBe(true);
    expect(e.maxAbsUlps).toBeLessThan(1);
    holdsBound(exp());
    holdsBound(recip());
    holdsBound(rsqrt());
  });

  it('variants: no interpolation, table sizes, guard bits, narrow and odd formats', () => {
    const cfgs = [
      { interpolate: false },
      { tableBits: 4 },
      { tableBits: 10, interpBits: 6 },
      { guardBits: 0 },
      { interpBits: 2 },
      { interpBits: 0 },
    ];
    for (const c of cfgs) {
      holdsBound(expNeg(c));
      holdsBound(exp({ ...c, inFormat: 'Q4.10' }));
      holdsBound(recip({ ...c, inFormat: 'UQ4.12', outFormat: 'UQ4.12' }));
      holdsBound(rsqrt({ ...c, inFormat: 'UQ8.8', outFormat: 'UQ5.11' }));
    }
    holdsBound(expNeg({ inFormat: 'ufixed<16,-2>', outFormat: 'UQ1.20', constBits: 20 })); // negative int bits
    holdsBound(expNeg({ inFormat: 'UQ3.5', outFormat: 'UQ0.8' }));
    holdsBound(recip({ inFormat: 'UQ20.0', outFormat: 'UQ0.24' }));
    holdsBound(recip({ inFormat: 'ufixed<12,-4>', outFormat: 'UQ12.4' }));
    holdsBound(rsqrt({ inFormat: 'UQ0.20', outFormat: 'UQ12.8' }));
    holdsBound(rsqrt({ inFormat: 'u16', outFormat: 'UQ0.20', tableBits: 2 }));
  });

  it('interpolation is what makes the default accurate', () => {
    const a = maxError(expNeg());
    const b = maxError(expNeg({ interpolate: false }));
    expect(b.maxAbs).toBeGreaterThan(50 * a.maxAbs);
  });
});

describe('table function values', () => {
  it('expNeg: e^0 saturates to the top, large t gives 0, monotone non-increasing', () => {
    const f = expNeg();
    const sat = new SatSlot('k');
    expect(f.eval(0, sat)).toBe(65535);
    expect(sat.high).toBe(1);
    expect(f.eval(2 ** 16 - 1)).toBe(0); // t ≈ 32
    expect(f.eval(16 << 11)).toBe(0); // e^-16 < half a step of UQ0.16
    expect(f.eval(1 << 11)).toBe(Math.round(Math.exp(-1) * 65536)); // 24109
    let prev = Infinity;
    for (let raw = 0; raw < 2 ** 16; raw++) {
      const y = f.eval(raw);
      expect(y <= prev).toBe(true);
      prev = y;
    }
  });

  it('exp: x > 0 is treated as 0; UQ1.16 represents e^0 = 1 exactly', () => {
    const f = exp();
    expect(f.eval(0)).toBe(65536);
    expect(f.eval(500)).toBe(65536);
    expect(f.eval(-1024)).toBe(Math.round(Math.exp(-1) * 65536));
    expect(f.eval(-32768)).toBe(0);
  });

  it('recip and rsqrt are exact at powers of two and saturate at 0', () => {
    const r = recip();
    expect(r.eval(1 << 16)).toBe(1 << 16); // 1/1
    expect(r.eval(1 << 17)).toBe(1 << 15); // 1/2
    expect(r.eval(1 << 23)).toBe(1 << 9); // 1/128
    const sat = new SatSlot('r');
    expect(r.eval(0, sat)).toBe(2 ** 17 - 1);
    expect(r.eval(1, sat)).toBe(2 ** 17 - 1); // 1/2^-16 is far above UQ1.16
    expect(sat.high).toBe(2);
    const q = rsqrt();
    expect(q.eval(1 << 16)).toBe(1 << 15); // 1/√1
    expect(q.eval(1 << 18)).toBe(1 << 14); // 1/√4
    expect(q.eval(1 << 14)).toBe(1 << 16); // 1/√0.25
    expect(Math.abs(q.eval(1 << 17) - Math.SQRT1_2 * 2 ** 15)).toBeLessThanOrEqual(1); // 1/√2, odd exponent half
    expect(q.eval(1)).toBe(256 << 15); // 1/√2^-16 = 256
    expect(q.eval(0)).toBe(2 ** 24 - 1);
  });

  it('leadingOne works across 32 bits', () => {
    for (let m = 0; m < 52; m++) {
      expect(leadingOne(2 ** m)).toBe(m);
      if (m > 0) expect(leadingOne(2 ** m + 2 ** m - 1)).toBe(m);
    }
  });
});

describe('tables and descriptions for the generator', () => {
  it('ROMs are integer arrays of the stated size and width', () => {
    for (const f of [expNeg(), exp(), recip(), rsqrt(), expNeg({ interpolate: false })]) {
      const d = f.describe();
      const roms = f.tables();
      expect(roms.map((r) => r.name)).toEqual(d.tables.map((t) => t.name));
      for (const rom of roms) {
        expect(rom.entries.length).toBe(2 ** d.tableBits);
        for (const e of rom.entries) {
          expect(Number.isInteger(e)).toBe(true);
          if (rom.signed) expect(e >= -(2 ** (rom.width - 1)) && e < 2 ** (rom.width - 1)).toBe(true);
          else expect(e >= 0 && e < 2 ** rom.width).toBe(true);
        }
      }
      expect(roms.length).toBe(d.interpolate ? 2 : 1);
    }
  });

  it('table contents follow the stated construction', () => {
    const f = rsqrt({ tableBits: 4, guardBits: 3 });
    const d = f.describe();
    const P = d.precisionBits;
    expect(P).toBe(15 + 3);
    const [base, slope] = f.tables();
    const H = 8;
    for (let i = 0; i < H; i++) {
      expect(base.entries[i]).toBe(Math.floor(2 ** P / Math.sqrt(1 + i / H) + 0.5));
      expect(base.entries[H + i]).toBe(Math.floor(2 ** P / Math.sqrt(2 + (2 * i) / H) + 0.5));
    }
    expect(base.entries[H - 1] + slope.entries[H - 1]).toBe(Math.floor(2 ** P / Math.SQRT2 + 0.5));
    expect(base.entries[2 * H - 1] + slope.entries[2 * H - 1]).toBe(2 ** (P - 1));
    const e = expNeg({ tableBits: 3 });
    const [eb, es] = e.tables();
    expect(eb.entries[0]).toBe(2 ** e.describe().precisionBits);
    expect(eb.entries[7] + es.entries[7]).toBe(2 ** (e.describe().precisionBits - 1));
    expect(es.signed).toBe(true);
    expect(e.describe().constants.log2e).toBe(Math.round(Math.LOG2E * 2 ** 18));
  });

  it('rejects bad configurations', () => {
    expect(() => expNeg({ inFormat: 'Q5.11' })).toThrow(/unsigned/);
    expect(() => exp({ inFormat: 'UQ5.11' })).toThrow(/signed/);
    expect(() => recip({ outFormat: 'Q2.14' })).toThrow(/unsigned/);
    expect(() => recip({ tableBits: 0 })).toThrow(/tableBits/);
    expect(() => rsqrt({ tableBits: 1 })).toThrow(/tableBits/);
    expect(() => expNeg({ inFormat: 'UQ20.20' })).toThrow(/wide/);
    expect(() => recip({ outFormat: 'UQ0.40', interpBits: 12 })).toThrow(/precision/);
  });
});
