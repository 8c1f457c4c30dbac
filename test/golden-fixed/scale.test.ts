/** ConstScale / mulShift (the chip's constant multipliers) against exact bigint arithmetic. */
import { describe, expect, it } from 'vitest';
import { ConstScale, mulShift, rshiftNearest } from '../../sim/golden/fixed/index.js';
import { Rng } from '../../sim/rng.js';

const exact = (x: bigint, m: bigint, k: number): bigint => (k <= 0 ? (x * m) << BigInt(-k) : (x * m + (1n << BigInt(k - 1))) >> BigInt(k));

describe('constant multipliers', () => {
  it('store powers of two exactly and other constants with `bits` significant bits, rounded to nearest', () => {
    const p = new ConstScale(1 / 128, 18);
    expect([p.m, p.s, p.exact]).toEqual([1, 7, true]);
    const c = new ConstScale(4 / (255 * 255 * 2 * 0.25 * 784), 18);
    expect(c.m).toBeGreaterThanOrEqual(2 ** 17);
    expect(c.m).toBeLessThan(2 ** 18);
    expect(Math.abs(c.effective / c.value - 1)).toBeLessThanOrEqual(2 ** -18);
    const top = new ConstScale(1 - 2 ** -30, 8); // rounds up into a new bit
    expect(top.m).toBeLessThan(2 ** 8);
    expect(top.effective).toBe(1);
  });

  it('mulShift = rnd(x·m / 2^k) exactly, in number and in the bigint fallback', () => {
    const rng = new Rng(3);
    for (let t = 0; t < 20000; t++) {
      const x = (rng.nextU32() - 2 ** 31) * 2 ** rng.int(22);
      const m = rng.int(2 ** 20) + 1;
      const k = rng.int(70) - 10;
      expect(mulShift(x, m, k)).toBe(Number(exact(BigInt(x), BigInt(m), k)));
    }
    for (let t = 0; t < 5000; t++) {
      const x = rng.nextU32() - 2 ** 31;
      const k = rng.int(40) - 5;
      expect(rshiftNearest(x, k)).toBe(Number(exact(BigInt(x), 1n, k)));
    }
  });
});
