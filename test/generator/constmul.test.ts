/**
 * Products by a constant as shifts and adds (generator/lib/arith/constmul.ts): the canonical signed digits
 * add up to the constant with no two adjacent non-zero, for random constants up to 2^40; the hardware is
 * co-simulated inside the units that use it (the exp tables: test/units/kernel.test.ts, output.test.ts; the
 * controller's seed hash: test/units/chip.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { csdDigits } from '../../generator/lib/arith/constmul.js';
import { Rng } from '../../sim/rng.js';

describe('canonical signed digits', () => {
  it('sum to the constant, never two adjacent, at most ⌈(bits + 1)/2⌉ digits', () => {
    const rng = new Rng(9);
    const cs = [0n, 1n, 2n, 3n, 7n, 0x21f0aaadn, 0x735a2d97n, 0xb8aa3b29n];
    for (let i = 0; i < 500; i++) cs.push(BigInt(rng.int(2 ** 20)) * BigInt(rng.int(2 ** 20)) + BigInt(rng.int(2)));
    for (const c of cs) {
      const d = csdDigits(c);
      expect(d.reduce((a, [s, v]) => a + BigInt(v) * 2n ** BigInt(s), 0n)).toBe(c);
      for (let k = 1; k < d.length; k++) expect(d[k][0] - d[k - 1][0]).toBeGreaterThan(1);
      expect(d.length).toBeLessThanOrEqual(Math.ceil((c.toString(2).length + 1) / 2));
    }
  });
});
