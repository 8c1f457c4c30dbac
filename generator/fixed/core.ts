/**
 * Exact bigint primitives: rounding a shift, wrapping and saturating to a width. These are direct
 * transcriptions of the definitions in types.ts and are the oracle the fast `number` layer is tested
 * against. They take widths, not formats, so format.ts and ref.ts can both build on them.
 */
import type { NoiseSource, Overflow, Rounding, SatSlot } from './types.js';

/** Checks a NoiseSource for stochastic rounding; returns it. */
export function needSource(src: NoiseSource | undefined): NoiseSource {
  if (!src) throw new RangeError("stochastic rounding needs a NoiseSource (e.g. an Lfsr)");
  if (!Number.isInteger(src.rbits) || src.rbits < 1 || src.rbits > 32) {
    throw new RangeError(`NoiseSource.rbits must be an integer in 1..32, got ${src.rbits}`);
  }
  return src;
}

/** Next draw of `src`, checked to lie in [0, 2^rbits). */
export function checkedDraw(src: NoiseSource): number {
  const r = src.draw();
  if (!Number.isInteger(r) || r < 0 || r >= 2 ** src.rbits) {
    throw new RangeError(`NoiseSource.draw() returned ${r}, outside [0, 2^${src.rbits})`);
  }
  return r;
}

/**
 * x / 2^k rounded as `rounding` says, for any integer k (k ≤ 0 is an exact left shift by −k and
 * draws nothing). Definitions in types.ts.
 */
export function roundShiftBig(x: bigint, k: number, rounding: Rounding, src?: NoiseSource): bigint {
  if (!Number.isInteger(k)) throw new RangeError(`shift must be an integer, got ${k}`);
  if (k <= 0) return x << BigInt(-k);
  const K = BigInt(k);
  const q = x >> K; // floor
  const rem = x - (q << K); // in [0, 2^k)
  switch (rounding) {
    case 'floor':
      return q;
    case 'truncate':
      return x < 0n && rem !== 0n ? q + 1n : q;
    case 'nearest':
      return 2n * rem >= 1n << K ? q + 1n : q;
    case 'nearest-even': {
      const twice = 2n * rem;
      const half = 1n << K;
      if (twice > half) return q + 1n;
      if (twice < half) return q;
      return (q & 1n) === 1n ? q + 1n : q;
    }
    case 'stochastic': {
      const s = needSource(src);
      const r = BigInt(checkedDraw(s));
      const add = (r << K) >> BigInt(s.rbits); // ⌊r · 2^(k − rbits)⌋
      return (x + add) >> K;
    }
    default:
      throw new RangeError(`unknown rounding ${JSON.stringify(rounding)}`);
  }
}

/** Smallest / largest raw value of a `w`-bit word. */
export function rangeBig(w: number, signed: boolean): [bigint, bigint] {
  const W = BigInt(w);
  return signed ? [-(1n << (W - 1n)), (1n << (W - 1n)) - 1n] : [0n, (1n << W) - 1n];
}

/** x reduced to a `w`-bit word: keep the low w bits, read back as two's complement when signed. */
export function wrapBig(x: bigint, w: number, signed: boolean): bigint {
  const m = 1n << BigInt(w);
  let v = ((x % m) + m) % m;
  if (signed && v >= m >> 1n) v -= m;
  return v;
}

/** x clamped to the `w`-bit range; a clamp is recorded in `sat`. */
export function saturateBig(x: bigint, w: number, signed: boolean, sat?: SatSlot): bigint {
  const [lo, hi] = rangeBig(w, signed);
  if (x > hi) {
    if (sat) sat.high++;
    return hi;
  }
  if (x < lo) {
    if (sat) sat.low++;
    return lo;
  }
  return x;
}

/** x brought into a `w`-bit word by wrapping or saturating. */
export function overflowBig(x: bigint, w: number, signed: boolean, overflow: Overflow, sat?: SatSlot): bigint {
  if (overflow === 'wrap') return wrapBig(x, w, signed);
  if (overflow === 'saturate') return saturateBig(x, w, signed, sat);
  throw new RangeError(`unknown overflow ${JSON.stringify(overflow)}`);
}
