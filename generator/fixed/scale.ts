/**
 * Multiplication by a real constant, as the chip does it: κ is stored as an integer mantissa m and a shift s
 * (κ ≈ m · 2^−s). A power of two is stored exactly (m = 1). Otherwise m has `bits` significant bits, rounded
 * to nearest. apply(x, e) = rnd(x · m, s + e) — the exact product, then one round-half-up right shift by s + e
 * (an exact left shift when s + e ≤ 0). The product is exact in `number` when |x·m| < 2^53 and falls back to
 * bigint otherwise, so the result never depends on the width of the host's arithmetic.
 */
export class ConstScale {
  readonly m: number;
  readonly s: number;
  readonly exact: boolean;
  constructor(
    readonly value: number,
    bits: number,
  ) {
    if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`ConstScale: constant ${value} must be finite and > 0`);
    // e = ⌊log2 value⌋ found by exact comparisons with powers of two (no transcendental function, so the
    // constant is the same on every platform)
    let e = 0;
    while (2 ** e > value) e--;
    while (2 ** (e + 1) <= value) e++;
    if (2 ** e === value) {
      this.m = 1;
      this.s = -e;
      this.exact = true;
    } else {
      let s = bits - 1 - e;
      let m = Math.floor(value * 2 ** s + 0.5); // value·2^s is exact (a power-of-two scaling); round half up
      if (m >= 2 ** bits) {
        // rounding carried into a new bit
        s -= 1;
        m = Math.floor(value * 2 ** s + 0.5);
      }
      this.m = m;
      this.s = s;
      this.exact = false;
    }
  }

  /** The constant the chip actually uses, m · 2^−s. */
  get effective(): number {
    return this.m * 2 ** -this.s;
  }

  /** rnd(x · m · 2^−(s + e)), round half up; x an integer. */
  apply(x: number, e: number): number {
    return mulShift(x, this.m, this.s + e);
  }
}

const P2: number[] = Array.from({ length: 128 }, (_, i) => 2 ** i);

/** rnd(x·m / 2^k) (round half up; exact left shift for k ≤ 0), x and m integers. */
export function mulShift(x: number, m: number, k: number): number {
  const p = x * m;
  if (Math.abs(p) < 2 ** 53) {
    if (k <= 0) {
      const r = p * P2[-k];
      if (Math.abs(r) < 2 ** 53) return r;
    } else if (k < 100) {
      return rshiftNearest(p, k);
    }
  }
  const X = BigInt(x) * BigInt(m);
  if (k <= 0) return Number(X << BigInt(-k));
  const K = BigInt(k);
  return Number((X + (1n << (K - 1n))) >> K);
}

/** rnd(x / 2^k), round half up, |x| < 2^53; k ≤ 0 is an exact left shift. */
export function rshiftNearest(x: number, k: number): number {
  if (k <= 0) return x * P2[-k];
  return Math.floor(Math.floor(x / P2[k - 1]) / 2 + 0.5);
}
