/**
 * Fixed-point number formats, shared by the Verilog generator and the fixed-point golden model.
 *
 * A format is `{ signed, intBits, fracBits }`. The stored word is `width = intBits + fracBits` bits
 * wide and holds an integer `raw`; the real value is `raw · 2^-fracBits`. As in hls4ml's
 * `ap_fixed<W,I>`, the sign bit is counted in `intBits`. Either count may be zero or negative as long
 * as the width is at least 1:
 *
 *   - `fixed<16,4>`  = Q4.12  : signed, raw ∈ [-2^15, 2^15-1], value ∈ [-8, 8)
 *   - `ufixed<16,0>` = UQ0.16 : unsigned, value ∈ [0, 1)
 *   - `fixed<16,-4>` = Q-4.20 : signed, value ∈ [-2^-5, 2^-5)  (negative integer bits)
 *   - `fixed<8,12>`  = Q12.-4 : signed, raw counts steps of 16 (negative fraction bits)
 *   - `s16` / `u8`           : plain integers (fracBits = 0)
 *
 * Raw values are two's-complement integers (signed) or plain naturals (unsigned). The `bigint`
 * accessors are exact for every width; the `number` ones require width ≤ 53.
 */

import { overflowBig, rangeBig, roundShiftBig } from './core.js';
import type { NoiseSource, Overflow, Rounding, SatSlot } from './types.js';

/** A fixed-point format; see the module comment. */
export interface FixedFormat {
  readonly signed: boolean;
  /** integer bits, sign bit included when signed; may be ≤ 0 */
  readonly intBits: number;
  /** fraction bits; may be negative */
  readonly fracBits: number;
}

/** Largest width accepted anywhere (a sanity limit; the bigint layer has no other bound). */
export const MAX_WIDTH = 4096;

/** Throws a RangeError naming the problem unless `f` is a well-formed format. Returns `f`. */
export function checkFormat(f: FixedFormat): FixedFormat {
  if (f === null || typeof f !== 'object') throw new RangeError(`fixed format must be an object, got ${String(f)}`);
  if (typeof f.signed !== 'boolean') throw new RangeError(`fixed format: signed must be a boolean, got ${String(f.signed)}`);
  if (!Number.isInteger(f.intBits)) throw new RangeError(`fixed format: intBits must be an integer, got ${f.intBits}`);
  if (!Number.isInteger(f.fracBits)) throw new RangeError(`fixed format: fracBits must be an integer, got ${f.fracBits}`);
  const w = f.intBits + f.fracBits;
  if (w < 1) throw new RangeError(`fixed format: width intBits+fracBits = ${f.intBits}+${f.fracBits} = ${w} must be ≥ 1`);
  if (w > MAX_WIDTH) throw new RangeError(`fixed format: width ${w} exceeds the limit ${MAX_WIDTH}`);
  return f;
}

/** Format of `width` bits with `intBits` integer bits (sign included); fracBits = width − intBits. */
export function fx(width: number, intBits: number, signed = true): FixedFormat {
  if (!Number.isInteger(width)) throw new RangeError(`fx: width must be an integer, got ${width}`);
  if (!Number.isInteger(intBits)) throw new RangeError(`fx: intBits must be an integer, got ${intBits}`);
  return Object.freeze(checkFormat({ signed, intBits, fracBits: width - intBits }));
}

/** Integer format (fracBits = 0): `int(16)` = s16, `int(8, false)` = u8. */
export function int(width: number, signed = true): FixedFormat {
  return fx(width, width, signed);
}

/** Total width in bits. */
export function width(f: FixedFormat): number {
  return f.intBits + f.fracBits;
}

const INT = '([+-]?\\d+)';
const HLS_RE = new RegExp(`^(?:ap_)?(u?)fixed\\s*<\\s*${INT}\\s*,\\s*${INT}\\s*>$`);
const Q_RE = new RegExp(`^(U?)Q${INT}\\.${INT}$`);
const INTFMT_RE = /^([su])(\d+)$/;

/**
 * Parses `fixed<16,4>`, `ufixed<16,0>` (an `ap_` prefix is allowed), `Q4.12`, `UQ0.16`, `Q-4.20`,
 * `Q12.-4`, `s16`, `u8`. In Q notation the integer count includes the sign bit (Q4.12 is 16 bits).
 */
export function parseFormat(s: string): FixedFormat {
  if (typeof s !== 'string') throw new RangeError(`parseFormat: expected a string, got ${typeof s}`);
  const t = s.trim();
  let m = HLS_RE.exec(t);
  if (m) return fx(Number(m[2]), Number(m[3]), m[1] !== 'u');
  m = Q_RE.exec(t);
  if (m) {
    const i = Number(m[2]);
    const fb = Number(m[3]);
    return fx(i + fb, i, m[1] !== 'U');
  }
  m = INTFMT_RE.exec(t);
  if (m) return int(Number(m[2]), m[1] === 's');
  throw new RangeError(
    `parseFormat: cannot parse ${JSON.stringify(s)}; expected fixed<W,I>, ufixed<W,I>, Qi.f, UQi.f, sN or uN`,
  );
}

/** hls4ml-style name: `fixed<16,4>`, `ufixed<8,8>`. */
export function toHls(f: FixedFormat): string {
  checkFormat(f);
  return `${f.signed ? '' : 'u'}fixed<${width(f)},${f.intBits}>`;
}

/** Q-notation name: `Q4.12`, `UQ0.16`, `Q-4.20`. */
export function toQ(f: FixedFormat): string {
  checkFormat(f);
  return `${f.signed ? '' : 'U'}Q${f.intBits}.${f.fracBits}`;
}

/** Smallest raw value, exact. */
export function minRaw(f: FixedFormat): bigint {
  return f.signed ? -(1n << BigInt(width(f) - 1)) : 0n;
}

/** Largest raw value, exact. */
export function maxRaw(f: FixedFormat): bigint {
  return f.signed ? (1n << BigInt(width(f) - 1)) - 1n : (1n << BigInt(width(f))) - 1n;
}

function needNumberWidth(f: FixedFormat, what: string): void {
  if (width(f) > 53) throw new RangeError(`${what}: format ${toHls(f)} is wider than 53 bits; use the bigint accessor`);
}

/** Smallest raw value as a number (width ≤ 53). */
export function minRawNum(f: FixedFormat): number {
  needNumberWidth(f, 'minRawNum');
  return f.signed ? -(2 ** (width(f) - 1)) : 0;
}

/** Largest raw value as a number (width ≤ 53). */
export function maxRawNum(f: FixedFormat): number {
  needNumberWidth(f, 'maxRawNum');
  return f.signed ? 2 ** (width(f) - 1) - 1 : 2 ** width(f) - 1;
}

/** Value of one raw step, 2^-fracBits. */
export function resolution(f: FixedFormat): number {
  return 2 ** -f.fracBits;
}

/** Real value of a raw word (exact when the result is representable in float64). */
export function toReal(raw: number | bigint, f: FixedFormat): number {
  if (typeof raw === 'bigint') {
    // scale in bigint first when that keeps it exact, so wide words convert correctly
    if (f.fracBits <= 0) return Number(raw << BigInt(-f.fracBits));
    return Number(raw) * 2 ** -f.fracBits;
  }
  return raw * 2 ** -f.fracBits;
}

/** True when two formats are identical. */
export function sameFormat(a: FixedFormat, b: FixedFormat): boolean {
  return a.signed === b.signed && a.intBits === b.intBits && a.fracBits === b.fracBits;
}

/** Whether every raw value of `f` satisfies |raw| ≤ 2^52, the operand bound of the fast `number` layer. */
export function fitsFast(f: FixedFormat): boolean {
  const w = width(f);
  return f.signed ? w <= 53 : w <= 52;
}

// ---------------------------------------------------------------------------------------------------
// Result formats of exact arithmetic — what the hardware widens to. Both layers use these.

/** integer bits `f` needs when re-read as a signed format */
function signedInt(f: FixedFormat): number {
  return f.signed ? f.intBits : f.intBits + 1;
}

/**
 * Format of the exact sum a + b: fraction = max of both; signed if either is; integer bits
 * = max(integer bits, each counted as signed when the result is signed) + 1.
 */
export function addFormat(a: FixedFormat, b: FixedFormat): FixedFormat {
  const signed = a.signed || b.signed;
  const ia = signed ? signedInt(a) : a.intBits;
  const ib = signed ? signedInt(b) : b.intBits;
  const frac = Math.max(a.fracBits, b.fracBits);
  const i = Math.max(ia, ib) + 1;
  return fx(i + frac, i, signed);
}

/**
 * Format of the exact difference a − b: always signed; fraction = max of both; integer bits =
 * max(a.intBits, b.intBits) + 1 when both are unsigned, else max(each counted as signed) + 1.
 */
export function subFormat(a: FixedFormat, b: FixedFormat): FixedFormat {
  const frac = Math.max(a.fracBits, b.fracBits);
  const i = !a.signed && !b.signed ? Math.max(a.intBits, b.intBits) + 1 : Math.max(signedInt(a), signedInt(b)) + 1;
  return fx(i + frac, i, true);
}

/** Format of the exact product: width = sum of widths, fraction = sum of fractions, signed if either is. */
export function mulFormat(a: FixedFormat, b: FixedFormat): FixedFormat {
  return fx(width(a) + width(b), a.intBits + b.intBits, a.signed || b.signed);
}

/** Format that holds the exact sum of `n` values of format `f` (ceil(log2 n) more integer bits). */
export function sumFormat(f: FixedFormat, n: number): FixedFormat {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`sumFormat: n must be a positive integer, got ${n}`);
  let extra = 0;
  while (2 ** extra < n) extra++;
  return fx(width(f) + extra, f.intBits + extra, f.signed);
}

/** Format that holds an exact dot product of `n` terms a_i·b_i (an accumulator that never wraps). */
export function dotFormat(a: FixedFormat, b: FixedFormat, n: number): FixedFormat {
  return sumFormat(mulFormat(a, b), n);
}

// ---------------------------------------------------------------------------------------------------
// Conversion from real numbers (exact: a float64 is a dyadic rational and is rounded as one).

/** x = m · 2^e exactly, m an integer (x finite). */
function decompose(x: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const expField = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (expField === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = expField - 1075;
  }
  return [hi >>> 31 ? -m : m, e];
}

/**
 * Raw word of `f` nearest to the real `x` under `rounding` (default `nearest`, half up) and
 * `overflow` (default `saturate`), exact for every width. ±Infinity saturates (and throws under
 * `wrap`); NaN throws.
 */
export function fromRealBig(
  x: number,
  f: FixedFormat,
  rounding: Rounding = 'nearest',
  overflow: Overflow = 'saturate',
  src?: NoiseSource,
  sat?: SatSlot,
): bigint {
  checkFormat(f);
  if (Number.isNaN(x)) throw new RangeError('fromReal: NaN has no fixed-point value');
  const w = width(f);
  if (!Number.isFinite(x)) {
    if (overflow !== 'saturate') throw new RangeError(`fromReal: ${x} cannot be wrapped into ${toHls(f)}`);
    const [lo, hi] = rangeBig(w, f.signed);
    if (sat) {
      if (x > 0) sat.high++;
      else sat.low++;
    }
    return x > 0 ? hi : lo;
  }
  const [m, e] = decompose(x);
  // value = m · 2^e; raw = m · 2^(e + fracBits) = m / 2^k with k = −(e + fracBits)
  const exact = roundShiftBig(m, -(e + f.fracBits), rounding, src);
  return overflowBig(exact, w, f.signed, overflow, sat);
}

/** As fromRealBig, returned as a number; the format must be at most 53 bits wide. */
export function fromReal(
  x: number,
  f: FixedFormat,
  rounding: Rounding = 'nearest',
  overflow: Overflow = 'saturate',
  src?: NoiseSource,
  sat?: SatSlot,
): number {
  needNumberWidth(f, 'fromReal');
  return Number(fromRealBig(x, f, rounding, overflow, src, sat));
}
