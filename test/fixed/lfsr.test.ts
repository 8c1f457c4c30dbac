import { describe, expect, it } from 'vitest';
import { DEFAULT_TAPS, Lfsr } from '../../generator/fixed/lfsr.js';
import * as fast from '../../generator/fixed/fast.js';
import * as ref from '../../generator/fixed/ref.js';

/** period of the state sequence from seed 1, by brute force */
function period(l: Lfsr, limit: number): number {
  const start = l.state;
  for (let n = 1; n <= limit; n++) if (l.step() === start) return n;
  return -1;
}

// --- independent primitivity check: order of x in GF(2)[x]/Q, Q = 1 + Σ x^(i+1) over the tap bits
function polyOf(taps: number, w: number): bigint {
  return 1n | (BigInt(taps) << 1n) | (1n << BigInt(w)); // bit w is already in taps<<1; OR is harmless
}
function mulmod(a: bigint, b: bigint, q: bigint, w: number): bigint {
  let r = 0n;
  const top = 1n << BigInt(w);
  while (b) {
    if (b & 1n) r ^= a;
    b >>= 1n;
    a <<= 1n;
    if (a & top) a ^= q;
  }
  return r;
}
function powmod(e: bigint, q: bigint, w: number): bigint {
  let r = 1n;
  let a = 2n; // the polynomial x
  while (e) {
    if (e & 1n) r = mulmod(r, a, q, w);
    a = mulmod(a, a, q, w);
    e >>= 1n;
  }
  return r;
}
function primeFactors(n: bigint): bigint[] {
  const out: bigint[] = [];
  for (let p = 2n; p * p <= n; p++) {
    if (n % p === 0n) {
      out.push(p);
      while (n % p === 0n) n /= p;
    }
  }
  if (n > 1n) out.push(n);
  return out;
}

describe('Lfsr', () => {
  it('width 16 default has period 65535 and visits every nonzero state', () => {
    const l = new Lfsr({ width: 16, seed: 1 });
    const seen = new Uint8Array(65536);
    for (let i = 0; i < 65535; i++) seen[l.step()] = 1;
    expect(l.state).toBe(1);
    expect(seen[0]).toBe(0);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(65535);
  });

  it('default taps are maximal-length: brute force for widths 2..20', () => {
    for (let w = 2; w <= 20; w++) {
      expect([w, period(new Lfsr({ width: w }), 2 ** w)]).toEqual([w, 2 ** w - 1]);
    }
  });

  it('default taps are maximal-length: primitive polynomials for widths 2..32', () => {
    for (let w = 2; w <= 32; w++) {
      const q = polyOf(DEFAULT_TAPS[w], w);
      const ord = (1n << BigInt(w)) - 1n;
      expect(powmod(ord, q, w)).toBe(1n);
      for (const p of primeFactors(ord)) expect([w, p, powmod(ord / p, q, w) !== 1n]).toEqual([w, p, true]);
    }
    // the check rejects a non-maximal mask (x^16 + x^8 + 1 is not primitive)
    const bad = polyOf(0x8080, 16);
    const ord = 65535n;
    expect(primeFactors(ord).some((p) => powmod(ord / p, bad, 16) === 1n) || powmod(ord, bad, 16) !== 1n).toBe(true);
  });

  it('first 10 states from seed 1 match a hand computation of the spec', () => {
    // taps 0x8805; state <= (state >> 1) ^ (state[0] ? 0x8805 : 0), worked by hand:
    // 0001 →(lsb 1) 0000^8805 = 8805 →(1) 4402^8805 = CC07 →(1) 6603^8805 = EE06 →(0) 7703
    // →(1) 3B81^8805 = B384 →(0) 59C2 →(0) 2CE1 →(1) 1670^8805 = 9E75 →(1) 4F3A^8805 = C73F
    // →(1) 639F^8805 = EB9A
    const hand = [0x8805, 0xcc07, 0xee06, 0x7703, 0xb384, 0x59c2, 0x2ce1, 0x9e75, 0xc73f, 0xeb9a];
    expect(DEFAULT_TAPS[16]).toBe(0x8805);
    const l = new Lfsr({ width: 16, seed: 1 });
    expect(hand.map(() => l.step())).toEqual(hand);
    // a draw is the low rbits of the state after `leap` steps
    const d = new Lfsr({ width: 16, seed: 1, rbits: 4 });
    expect([d.draw(), d.draw(), d.draw()]).toEqual([0x5, 0x7, 0x6]);
    const leap = new Lfsr({ width: 16, seed: 1, rbits: 16, leap: 3 });
    expect([leap.draw(), leap.draw()]).toEqual([0xee06, 0x59c2]);
  });

  it('32-bit registers stay unsigned', () => {
    const l = new Lfsr({ width: 32, seed: 0xffffffff, rbits: 32 });
    for (let i = 0; i < 1000; i++) {
      const r = l.draw();
      expect(r >= 0 && r < 2 ** 32 && Number.isInteger(r)).toBe(true);
    }
  });

  it('serializes and resumes identically', () => {
    const a = new Lfsr({ width: 24, seed: 12345, rbits: 12, leap: 2 });
    for (let i = 0; i < 77; i++) a.draw();
    const json = JSON.stringify(a);
    const b = Lfsr.fromState(JSON.parse(json));
    const xs = Array.from({ length: 50 }, () => a.draw());
    const ys = Array.from({ length: 50 }, () => b.draw());
    expect(ys).toEqual(xs);
    expect(b.toState()).toEqual(a.toState());
  });

  it('validates its parameters', () => {
    expect(() => new Lfsr({ seed: 0 })).toThrow(/seed/);
    expect(() => new Lfsr({ width: 16, seed: 65536 })).toThrow(/seed/);
    expect(() => new Lfsr({ width: 33 })).toThrow(/width/);
    expect(() => new Lfsr({ width: 16, taps: 0x0805 })).toThrow(/bit 15/);
    expect(() => new Lfsr({ width: 8, rbits: 9 })).toThrow(/rbits/);
  });
});

describe('stochastic rounding statistics over a full LFSR period', () => {
  // Over one period of a W-bit maximal LFSR the low rbits of the state take every value 2^(W−rbits)
  // times, except 0 which comes one time fewer. The mean of the rounded result is therefore exact
  // arithmetic, not a statistical estimate: mean = ⌊x/2^k⌋ + ups / (2^W − 1), and compared with the
  // uniform-r expectation it is off by at most 1/(2^W − 1).
  function meanError(W: number, rbits: number, x: number, k: number, useRef = false): number {
    const l = new Lfsr({ width: W, seed: 1, rbits });
    const n = 2 ** W - 1;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += useRef ? Number(ref.shiftRight(BigInt(x), k, 'stochastic', l)) : fast.shiftRight(x, k, 'stochastic', l);
    }
    return sum / n - x / 2 ** k;
  }
  const eps = 1 / (2 ** 20 - 1);

  it('is unbiased when k ≤ rbits', () => {
    for (const x of [1, 100, 0x8000, 0xffff, -1, -12345, 7 * 65536 + 3]) {
      // k = 16 = rbits: r added whole
      expect(Math.abs(meanError(20, 16, x, 16))).toBeLessThanOrEqual(eps + 1e-12);
      // k = 4 < rbits = 16: the top 4 bits of r are added
      expect(Math.abs(meanError(20, 16, x, 4))).toBeLessThanOrEqual(eps + 1e-12);
    }
    expect(Math.abs(meanError(16, 16, 3, 16, true))).toBeLessThanOrEqual(1 / 65535);
  });

  it('rbits = 4 biases tiny updates down; rbits = 16 does not', () => {
    // dropping k = 16 bits: a uniform r of rbits bits gives the exact bias −(x mod 2^(k−rbits)) / 2^k
    for (const x of [1, 100, 4095, 4096 + 100, 0x8000 + 0xfff]) {
      const bias4 = -(x % 4096) / 65536;
      expect(Math.abs(meanError(20, 4, x, 16) - bias4)).toBeLessThanOrEqual(eps + 1e-12);
      expect(Math.abs(meanError(20, 16, x, 16))).toBeLessThanOrEqual(eps + 1e-12);
    }
    // an update of 100/65536 of a step is lost entirely with 4 random bits, kept on average with 16
    expect(meanError(20, 4, 100, 16)).toBeCloseTo(-100 / 65536, 12);
    expect(meanError(20, 16, 100, 16) + 100 / 65536).toBeCloseTo(100 / 65536, 5);
  });
});
