import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as fast from '../../generator/fixed/fast.js';
import * as ref from '../../generator/fixed/ref.js';
import { addFormat, fx, maxRaw, minRaw, mulFormat, subFormat, width, type FixedFormat } from '../../generator/fixed/format.js';
import { Lfsr } from '../../generator/fixed/lfsr.js';
import { ROUNDINGS, OVERFLOWS, SatCounter, SatSlot, type NoiseSource } from '../../generator/fixed/types.js';

const RUNS = { numRuns: 2000 };

/** formats of width 1..maxW with integer bits possibly negative or beyond the width */
const fmtArb = (maxW = 48) =>
  fc
    .record({ signed: fc.boolean(), w: fc.integer({ min: 1, max: maxW }), i: fc.integer({ min: -12, max: 60 }) })
    .map(({ signed, w, i }) => fx(w, i, signed));

/** a raw word of f, biased towards the extremes */
const rawArb = (f: FixedFormat) =>
  fc.oneof(
    fc.constant(minRaw(f)),
    fc.constant(maxRaw(f)),
    fc.constant(0n),
    fc.bigInt({ min: minRaw(f), max: maxRaw(f) }),
    fc.bigInt({ min: minRaw(f), max: minRaw(f) + 3n > maxRaw(f) ? maxRaw(f) : minRaw(f) + 3n }),
  );

const fmtRaw = (maxW = 48) => fmtArb(maxW).chain((f) => rawArb(f).map((raw) => ({ f, raw })));

/** two LFSRs in the same state, one for each layer */
const twinSources = fc
  .record({ w: fc.integer({ min: 16, max: 32 }), seed: fc.integer({ min: 1, max: 65535 }), rbits: fc.integer({ min: 1, max: 16 }) })
  .map(({ w, seed, rbits }) => (): [Lfsr, Lfsr] => {
    const a = new Lfsr({ width: w, seed, rbits });
    return [a, a.clone()];
  });

describe('fast layer agrees with the bigint oracle', () => {
  it('resize: all roundings, both overflows, widths 1..48, negative int/frac bits', () => {
    fc.assert(
      fc.property(
        fmtRaw(),
        fmtArb(),
        fc.constantFrom(...ROUNDINGS),
        fc.constantFrom(...OVERFLOWS),
        twinSources,
        ({ f, raw }, to, rounding, overflow, mk) => {
          const [s1, s2] = mk();
          const c1 = new SatSlot('a');
          const c2 = new SatSlot('b');
          const want = ref.resize(raw, f, to, rounding, overflow, s1, c1);
          const got = fast.resizeChecked(Number(raw), f, to, rounding, overflow, s2, c2);
          expect(Number.isSafeInteger(got)).toBe(true);
          expect(BigInt(got)).toBe(want);
          expect(Object.is(got, -0)).toBe(false);
          expect([c2.high, c2.low]).toEqual([c1.high, c1.low]);
          expect(s2.state).toBe(s1.state); // both drew the same number of times
          expect(ref.inRange(want, to)).toBe(true);
          // the pre-bound resizer is the same function
          const [s3] = mk();
          expect(fast.resizer(f, to, rounding, overflow)(Number(raw), s3)).toBe(got);
        },
      ),
      RUNS,
    );
  });

  it('shiftRight: |raw| ≤ 2^52, shifts 0..70', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.bigInt({ min: -(1n << 52n), max: 1n << 52n }), fc.bigInt({ min: -300n, max: 300n })),
        fc.integer({ min: 0, max: 70 }),
        fc.constantFrom(...ROUNDINGS),
        twinSources,
        (raw, k, rounding, mk) => {
          const [s1, s2] = mk();
          expect(BigInt(fast.shiftRightChecked(Number(raw), k, rounding, s2))).toBe(ref.shiftRight(raw, k, rounding, s1));
          expect(s2.state).toBe(s1.state);
        },
      ),
      RUNS,
    );
  });

  it('wrap and saturate', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 52n), max: 1n << 52n }), fmtArb(), (raw, f) => {
        expect(BigInt(fast.wrapChecked(Number(raw), f))).toBe(ref.wrap(raw, f));
        const c1 = new SatSlot('a');
        const c2 = new SatSlot('b');
        expect(BigInt(fast.saturateChecked(Number(raw), f, c2))).toBe(ref.saturate(raw, f, c1));
        expect(c2.count).toBe(c1.count);
      }),
      RUNS,
    );
  });

  it('add, sub, mul are exact and fit their result formats', () => {
    fc.assert(
      fc.property(fmtRaw(48), fmtRaw(48), (a, b) => {
        for (const [op, fmt] of [
          ['add', addFormat],
          ['sub', subFormat],
        ] as const) {
          const rf = fmt(a.f, b.f);
          const want = ref[op](a.raw, a.f, b.raw, b.f);
          expect(ref.inRange(want, rf)).toBe(true);
          if (width(rf) <= 52) expect(BigInt(fast[`${op}Checked`](Number(a.raw), a.f, Number(b.raw), b.f))).toBe(want);
        }
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fmtRaw(26), fmtRaw(26), (a, b) => {
        const want = ref.mul(a.raw, a.f, b.raw, b.f);
        expect(ref.inRange(want, mulFormat(a.f, b.f))).toBe(true);
        expect(BigInt(fast.mulChecked(Number(a.raw), a.f, Number(b.raw), b.f))).toBe(want);
      }),
      RUNS,
    );
  });

  it('the value semantics hold: resize = rounded real value', () => {
    // ref.resize with nearest to a format with fewer fraction bits is within half a step of the real value
    fc.assert(
      fc.property(fmtRaw(40), fc.integer({ min: 0, max: 20 }), ({ f, raw }, drop) => {
        const to = fx(width(f) + 2, f.intBits + 2, f.signed); // wide enough, then narrowed by `drop`
        fc.pre(width(to) - drop >= 1);
        const to2 = fx(width(to) - drop, to.intBits, f.signed);
        const y = ref.resize(raw, f, to2, 'nearest', 'saturate');
        const x = Number(raw) * 2 ** -f.fracBits;
        const yv = Number(y) * 2 ** -to2.fracBits;
        const step = 2 ** -to2.fracBits;
        if (yv !== Number(maxRaw(to2)) * step) expect(Math.abs(yv - x)).toBeLessThanOrEqual(step / 2);
      }),
      RUNS,
    );
  });
});

describe('rounding definitions, by hand', () => {
  // x / 2^k:               floor truncate nearest nearest-even
  const cases: [number, number, number, number, number, number][] = [
    [5, 1, 2, 2, 3, 2], // 2.5
    [7, 1, 3, 3, 4, 4], // 3.5
    [-5, 1, -3, -2, -2, -2], // -2.5
    [-7, 1, -4, -3, -3, -4], // -3.5
    [6, 2, 1, 1, 2, 2], // 1.5
    [10, 2, 2, 2, 3, 2], // 2.5
    [9, 2, 2, 2, 2, 2], // 2.25
    [-9, 2, -3, -2, -2, -2], // -2.25
    [-11, 2, -3, -2, -3, -3], // -2.75
    [3, 0, 3, 3, 3, 3],
    [-1, 60, -1, 0, 0, 0],
  ];
  it.each(cases)('%i >> %i', (x, k, fl, tr, ne, ev) => {
    const modes = ['floor', 'truncate', 'nearest', 'nearest-even'] as const;
    const want = [fl, tr, ne, ev];
    modes.forEach((m, i) => {
      expect(fast.shiftRight(x, k, m)).toBe(want[i]);
      expect(ref.shiftRight(BigInt(x), k, m)).toBe(BigInt(want[i]));
    });
  });

  it('stochastic adds ⌊r·2^(k−rbits)⌋ before flooring, in both regimes', () => {
    const src = (rbits: number, r: number): NoiseSource => ({ rbits, draw: () => r });
    // k = 4 ≥ rbits = 2: r = 3 adds 3·2^2 = 12
    expect(fast.shiftRight(4, 4, 'stochastic', src(2, 3))).toBe(1); // (4 + 12) >> 4
    expect(fast.shiftRight(3, 4, 'stochastic', src(2, 3))).toBe(0); // (3 + 12) >> 4
    // k = 2 < rbits = 8: only the top 2 bits of r are added: r = 0xC0 → 3
    expect(fast.shiftRight(1, 2, 'stochastic', src(8, 0xc0))).toBe(1); // (1 + 3) >> 2
    expect(fast.shiftRight(1, 2, 'stochastic', src(8, 0xbf))).toBe(0); // (1 + 2) >> 2
    expect(ref.shiftRight(1n, 2, 'stochastic', src(8, 0xc0))).toBe(1n);
    expect(ref.shiftRight(-1n, 2, 'stochastic', src(8, 0))).toBe(-1n);
    // exact values never move
    expect(fast.shiftRight(-32, 4, 'stochastic', src(16, 0xffff))).toBe(-2);
    // no bits dropped: no draw
    let draws = 0;
    const counting: NoiseSource = { rbits: 4, draw: () => (draws++, 0) };
    expect(fast.resize(5, fx(8, 4), fx(10, 4), 'stochastic', 'wrap', counting)).toBe(20);
    expect(ref.resize(5n, fx(8, 4), fx(10, 4), 'stochastic', 'wrap', counting)).toBe(20n);
    expect(draws).toBe(0);
  });
});

describe('saturation counting and checks', () => {
  it('counts by name, high and low', () => {
    const sc = new SatCounter();
    const w = sc.slot('w');
    const h = sc.slot('h');
    const q412 = fx(16, 4);
    const wide = fx(24, 12);
    const narrow = fast.resizer(wide, q412, 'nearest', 'saturate');
    expect(narrow(8 << 12, undefined, w)).toBe(32767);
    expect(narrow(-9 << 12, undefined, w)).toBe(-32768);
    expect(narrow(-8 << 12, undefined, w)).toBe(-32768); // exactly the minimum: no saturation
    expect(narrow(1 << 12, undefined, h)).toBe(1 << 12);
    expect(ref.resize(1n << 22n, wide, q412, 'floor', 'saturate', undefined, h)).toBe(32767n);
    expect(sc.slot('w')).toBe(w);
    expect(sc.count('w')).toBe(2);
    expect(sc.count('h')).toBe(1);
    expect(sc.count('nothing')).toBe(0);
    expect(sc.total()).toBe(3);
    expect(sc.snapshot()).toEqual({ w: { high: 1, low: 1 }, h: { high: 1, low: 0 } });
    // wrap never counts
    expect(fast.resize(8 << 12, wide, q412, 'floor', 'wrap', undefined, w)).toBe(-32768);
    expect(w.count).toBe(2);
    sc.reset();
    expect(sc.total()).toBe(0);
  });

  it('checked variants reject out-of-bound operands', () => {
    const q = fx(16, 4);
    expect(() => fast.resizeChecked(40000, q, q, 'floor', 'wrap')).toThrow(/outside|not an integer/);
    expect(() => fast.resizeChecked(1.5, q, q, 'floor', 'wrap')).toThrow(RangeError);
    expect(() => fast.resizeChecked(1, fx(60, 4), q, 'floor', 'wrap')).toThrow(/fast layer/);
    expect(() => fast.resizeChecked(1, q, q, 'stochastic', 'wrap')).toThrow(/NoiseSource/);
    expect(() => fast.resizeChecked(1, fx(24, 8), q, 'stochastic', 'wrap', { rbits: 4, draw: () => 16 })).toThrow(/outside/);
    expect(() => fast.mulChecked(1, fx(30, 4), 1, fx(30, 4))).toThrow(/fast layer/);
    expect(() => fast.addChecked(1, fx(53, 4), 1, fx(53, 4))).toThrow(/fast layer/);
    expect(() => fast.shiftRightChecked(2 ** 53, 1, 'floor')).toThrow(RangeError);
    expect(() => fast.shiftRightChecked(1, -1, 'floor')).toThrow(RangeError);
    expect(() => ref.resize(1n << 20n, q, q, 'floor', 'wrap')).toThrow(/outside/);
    expect(() => ref.add(1n, q, 40000n, q)).toThrow(/outside/);
    expect(() => fast.resizeChecked(1, q, q, 'up' as never, 'wrap')).toThrow(/unknown rounding/);
  });
});
