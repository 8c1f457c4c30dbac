/**
 * Fast fixed-point arithmetic on `number` raw values, for the golden model's hot loops.
 *
 * Same semantics as the bigint oracle (ref.ts), bit for bit, under one bound: every raw operand and
 * every result satisfies |raw| ≤ 2^52. That holds for any format `f` with `fitsFast(f)` (signed width
 * ≤ 53, unsigned width ≤ 52), and all intermediates then stay below 2^53 + 2^32, where float64 integer
 * arithmetic, division by powers of two and Math.floor are exact. Per op:
 *   - resize:      `from` and `to` fit fast (any shift, including wide left shifts, is handled exactly)
 *   - shiftRight:  |raw| ≤ 2^52, any k ≥ 0
 *   - add / sub:   addFormat / subFormat of the operands fits fast
 *   - mul:         mulFormat fits fast (signed widths summing to ≤ 53)
 *   - wrap / saturate: |raw| ≤ 2^52 and the target fits fast
 * The plain functions check nothing. The `…Checked` variants verify the formats, that operands are
 * integers inside their formats and the noise source, and throw a RangeError otherwise; use them in
 * tests and at the boundary, and `resizer()` (a pre-bound resize) inside loops.
 */
import { checkedDraw, needSource } from './core.js';
import { addFormat, checkFormat, fitsFast, mulFormat, subFormat, toHls, width, type FixedFormat } from './format.js';
import { checkOverflow, checkRounding, type NoiseSource, type Overflow, type Rounding, type SatSlot } from './types.js';

/** Magnitude bound of operands and results of the fast layer. */
export const FAST_BOUND = 2 ** 52;

const P2: number[] = Array.from({ length: 64 }, (_, i) => 2 ** i);

/** ⌊x / 2^k⌋ for |x| < 2^53, k ≥ 0. */
function floorDiv(x: number, k: number): number {
  return k <= 53 ? Math.floor(x / P2[k]) : x < 0 ? -1 : 0;
}

/** x / 2^k rounded (k ≥ 1, |x| ≤ 2^52). Uses floor-division identities, not the oracle's remainder. */
function roundShift(x: number, k: number, rounding: Rounding, src: NoiseSource | undefined): number {
  switch (rounding) {
    case 'floor':
      return floorDiv(x, k);
    case 'truncate':
      return x >= 0 ? floorDiv(x, k) : 0 - floorDiv(-x, k);
    case 'nearest':
      // ⌊(x + 2^(k−1)) / 2^k⌋ = ⌊(⌊x / 2^(k−1)⌋ + 1) / 2⌋; for k > 53, |x| < 2^(k−1) gives 0
      return k > 53 ? 0 : floorDiv(floorDiv(x, k - 1) + 1, 1);
    case 'nearest-even': {
      if (k > 53) return 0;
      const h = floorDiv(x, k - 1); // x / 2^(k−1): its lsb is the first dropped bit
      const q = floorDiv(h, 1);
      if (h - 2 * q === 0) return q; // below half
      const sticky = x - h * P2[k - 1] !== 0;
      return sticky || q % 2 !== 0 ? q + 1 : q;
    }
    case 'stochastic': {
      const s = src as NoiseSource;
      const rb = s.rbits;
      const r = s.draw();
      // ⌊(x + ⌊r·2^(k−rb)⌋) / 2^k⌋
      if (k >= rb) return floorDiv(floorDiv(x, k - rb) + r, rb);
      return floorDiv(x + Math.floor(r / P2[rb - k]), k);
    }
  }
}

/** Reduce y (|y| < 2^53) into a w-bit word (w ≤ 53). */
function wrapW(y: number, w: number, signed: boolean): number {
  const v = y - Math.floor(y / P2[w]) * P2[w];
  return signed && v >= P2[w - 1] ? v - P2[w] : v;
}

function satW(y: number, lo: number, hi: number, sat: SatSlot | undefined): number {
  if (y > hi) {
    if (sat) sat.high++;
    return hi;
  }
  if (y < lo) {
    if (sat) sat.low++;
    return lo;
  }
  return y;
}

/** The core of resize, with `to` unpacked. */
function resizeCore(
  x: number,
  d: number,
  w: number,
  signed: boolean,
  lo: number,
  hi: number,
  rounding: Rounding,
  overflow: Overflow,
  src: NoiseSource | undefined,
  sat: SatSlot | undefined,
): number {
  if (d > 0) {
    const y = roundShift(x, d, rounding, src);
    return overflow === 'wrap' ? wrapW(y, w, signed) : satW(y, lo, hi, sat);
  }
  const e = -d; // exact left shift by e, done so that no intermediate exceeds the bound
  if (overflow === 'saturate') {
    if (e >= 64) return satW(x === 0 ? 0 : x > 0 ? Infinity : -Infinity, lo, hi, sat);
    if (x > Math.floor(hi / P2[e])) return satW(Infinity, lo, hi, sat);
    if (x < Math.ceil(lo / P2[e])) return satW(-Infinity, lo, hi, sat);
    return x * P2[e];
  }
  if (e >= w) return 0;
  const v = (x - Math.floor(x / P2[w - e]) * P2[w - e]) * P2[e]; // (x mod 2^(w−e)) · 2^e ∈ [0, 2^w)
  return signed && v >= P2[w - 1] ? v - P2[w] : v;
}

function lims(f: FixedFormat): [number, number] {
  const w = width(f);
  return f.signed ? [-P2[w - 1], P2[w - 1] - 1] : [0, P2[w] - 1];
}

/** Converts a word of `from` to `to` (see ref.resize). Bound: both formats fit fast. */
export function resize(
  raw: number,
  from: FixedFormat,
  to: FixedFormat,
  rounding: Rounding,
  overflow: Overflow,
  src?: NoiseSource,
  sat?: SatSlot,
): number {
  const [lo, hi] = lims(to);
  return resizeCore(raw, from.fracBits - to.fracBits, width(to), to.signed, lo, hi, rounding, overflow, src, sat);
}

/** A resize with its formats and modes bound once (checked once here), for hot loops. */
export function resizer(
  from: FixedFormat,
  to: FixedFormat,
  rounding: Rounding,
  overflow: Overflow,
): (raw: number, src?: NoiseSource, sat?: SatSlot) => number {
  checkFast(from, 'resizer');
  checkFast(to, 'resizer');
  const [lo, hi] = lims(to);
  const d = from.fracBits - to.fracBits;
  const w = width(to);
  const signed = to.signed;
  return (raw, src, sat) => resizeCore(raw, d, w, signed, lo, hi, rounding, overflow, src, sat);
}

/** raw / 2^k rounded, k ≥ 0. Bound: |raw| ≤ 2^52. */
export function shiftRight(raw: number, k: number, rounding: Rounding, src?: NoiseSource): number {
  return k === 0 ? raw : roundShift(raw, k, rounding, src);
}

/** Low width(f) bits of raw as a word of f. Bound: |raw| ≤ 2^52, f fits fast. */
export function wrap(raw: number, f: FixedFormat): number {
  return wrapW(raw, width(f), f.signed);
}

/** raw clamped into f. Bound: f fits fast. */
export function saturate(raw: number, f: FixedFormat, sat?: SatSlot): number {
  const [lo, hi] = lims(f);
  return satW(raw, lo, hi, sat);
}

/** Exact a + b in addFormat(fa, fb). Bound: that format fits fast. */
export function add(a: number, fa: FixedFormat, b: number, fb: FixedFormat): number {
  const f = fa.fracBits > fb.fracBits ? fa.fracBits : fb.fracBits;
  return a * P2[f - fa.fracBits] + b * P2[f - fb.fracBits];
}

/** Exact a − b in subFormat(fa, fb). Bound: that format fits fast. */
export function sub(a: number, fa: FixedFormat, b: number, fb: FixedFormat): number {
  const f = fa.fracBits > fb.fracBits ? fa.fracBits : fb.fracBits;
  return a * P2[f - fa.fracBits] - b * P2[f - fb.fracBits] + 0;
}

/** Exact a · b in mulFormat(fa, fb). Bound: that format fits fast. */
export function mul(a: number, _fa: FixedFormat, b: number, _fb: FixedFormat): number {
  return a * b + 0;
}

// ---------------------------------------------------------------------------------------------------
// Checked variants

function checkFast(f: FixedFormat, what: string): void {
  checkFormat(f);
  if (!fitsFast(f)) {
    throw new RangeError(`${what}: format ${toHls(f)} exceeds the fast layer's bound (signed ≤ 53 / unsigned ≤ 52 bits); use ref`);
  }
}

function checkRaw(raw: number, f: FixedFormat, what: string): void {
  const [lo, hi] = lims(f);
  if (!Number.isInteger(raw) || raw < lo || raw > hi) {
    throw new RangeError(`${what}: raw ${raw} is not an integer in ${toHls(f)} [${lo}, ${hi}]`);
  }
}

/** A known rounding mode (types.ts checkRounding), with a NoiseSource when it is stochastic. */
function checkRoundingSrc(rounding: Rounding, src: NoiseSource | undefined): void {
  checkRounding(rounding);
  if (rounding === 'stochastic') needSource(src);
}

/** Throws unless |raw| ≤ 2^52 and raw is an integer (the fast layer's operand bound). */
function checkBound(raw: number, what: string): void {
  if (!Number.isInteger(raw) || Math.abs(raw) > FAST_BOUND) throw new RangeError(`${what}: raw ${raw} is not an integer with |raw| ≤ 2^52`);
}

/** A noise source whose draws are checked to lie in [0, 2^rbits). */
function checkedSource(src: NoiseSource | undefined): NoiseSource | undefined {
  if (!src) return src;
  return {
    rbits: src.rbits,
    draw: () => checkedDraw(src),
  };
}

export function resizeChecked(
  raw: number,
  from: FixedFormat,
  to: FixedFormat,
  rounding: Rounding,
  overflow: Overflow,
  src?: NoiseSource,
  sat?: SatSlot,
): number {
  checkFast(from, 'resize');
  checkFast(to, 'resize');
  checkRaw(raw, from, 'resize');
  checkRoundingSrc(rounding, src);
  checkOverflow(overflow);
  return resize(raw, from, to, rounding, overflow, checkedSource(src), sat);
}

export function shiftRightChecked(raw: number, k: number, rounding: Rounding, src?: NoiseSource): number {
  checkBound(raw, 'shiftRight');
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`shiftRight: k must be a non-negative integer, got ${k}`);
  checkRoundingSrc(rounding, src);
  return shiftRight(raw, k, rounding, checkedSource(src));
}

export function wrapChecked(raw: number, f: FixedFormat): number {
  checkFast(f, 'wrap');
  checkBound(raw, 'wrap');
  return wrap(raw, f);
}

export function saturateChecked(raw: number, f: FixedFormat, sat?: SatSlot): number {
  checkFast(f, 'saturate');
  checkBound(raw, 'saturate');
  return saturate(raw, f, sat);
}

export function addChecked(a: number, fa: FixedFormat, b: number, fb: FixedFormat): number {
  checkFast(addFormat(fa, fb), 'add');
  checkRaw(a, fa, 'add');
  checkRaw(b, fb, 'add');
  return add(a, fa, b, fb);
}

export function subChecked(a: number, fa: FixedFormat, b: number, fb: FixedFormat): number {
  checkFast(subFormat(fa, fb), 'sub');
  checkRaw(a, fa, 'sub');
  checkRaw(b, fb, 'sub');
  return sub(a, fa, b, fb);
}

export function mulChecked(a: number, fa: FixedFormat, b: number, fb: FixedFormat): number {
  checkFast(mulFormat(fa, fb), 'mul');
  checkRaw(a, fa, 'mul');
  checkRaw(b, fb, 'mul');
  return mul(a, fa, b, fb);
}
