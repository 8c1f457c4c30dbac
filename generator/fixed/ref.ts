/**
 * Reference (oracle) fixed-point arithmetic on exact `bigint` raw values, for every width.
 *
 * This layer is the definition: the fast `number` layer (fast.ts) must agree with it bit for bit, and
 * the generator may use it for constants and wide words. Every function checks its operands lie in
 * their formats and throws a RangeError otherwise.
 */
import { overflowBig, roundShiftBig, saturateBig, wrapBig } from './core.js';
import { addFormat, checkFormat, maxRaw, minRaw, subFormat, toHls, width, type FixedFormat } from './format.js';
import type { NoiseSource, Overflow, Rounding, SatSlot } from './types.js';

/** Whether `raw` is a valid word of `f`. */
export function inRange(raw: bigint, f: FixedFormat): boolean {
  return raw >= minRaw(f) && raw <= maxRaw(f);
}

function need(raw: bigint, f: FixedFormat, what: string): void {
  checkFormat(f);
  if (typeof raw !== 'bigint') throw new RangeError(`${what}: raw value must be a bigint, got ${typeof raw}`);
  if (!inRange(raw, f)) throw new RangeError(`${what}: raw ${raw} is outside ${toHls(f)} [${minRaw(f)}, ${maxRaw(f)}]`);
}

/**
 * Converts a word of `from` to `to`: first the fraction is aligned (an exact left shift when `to` has
 * more fraction bits, otherwise a rounded right shift by from.fracBits − to.fracBits), then the
 * result is wrapped or saturated into `to`'s width. Rounding happens before overflow, in a word wide
 * enough for both — the hardware must do the same (one extra bit suffices for the round-up carry).
 */
export function resize(
  raw: bigint,
  from: FixedFormat,
  to: FixedFormat,
  rounding: Rounding,
  overflow: Overflow,
  src?: NoiseSource,
  sat?: SatSlot,
): bigint {
  need(raw, from, 'resize');
  checkFormat(to);
  const aligned = roundShiftBig(raw, from.fracBits - to.fracBits, rounding, src);
  return overflowBig(aligned, width(to), to.signed, overflow, sat);
}

/** raw / 2^k rounded, k ≥ 0 (a learning rate as a right shift); the word keeps its fraction count. */
export function shiftRight(raw: bigint, k: number, rounding: Rounding, src?: NoiseSource): bigint {
  if (typeof raw !== 'bigint') throw new RangeError(`shiftRight: raw value must be a bigint, got ${typeof raw}`);
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`shiftRight: k must be a non-negative integer, got ${k}`);
  return roundShiftBig(raw, k, rounding, src);
}

/** Keep the low width(f) bits of any integer, read as a word of f. */
export function wrap(raw: bigint, f: FixedFormat): bigint {
  checkFormat(f);
  return wrapBig(raw, width(f), f.signed);
}

/** Clamp any integer into f's range, recording a clamp in `sat`. */
export function saturate(raw: bigint, f: FixedFormat, sat?: SatSlot): bigint {
  checkFormat(f);
  return saturateBig(raw, width(f), f.signed, sat);
}

/** Exact a + b in addFormat(fa, fb). */
export function add(a: bigint, fa: FixedFormat, b: bigint, fb: FixedFormat): bigint {
  need(a, fa, 'add');
  need(b, fb, 'add');
  const r = addFormat(fa, fb);
  return (a << BigInt(r.fracBits - fa.fracBits)) + (b << BigInt(r.fracBits - fb.fracBits));
}

/** Exact a − b in subFormat(fa, fb). */
export function sub(a: bigint, fa: FixedFormat, b: bigint, fb: FixedFormat): bigint {
  need(a, fa, 'sub');
  need(b, fb, 'sub');
  const r = subFormat(fa, fb);
  return (a << BigInt(r.fracBits - fa.fracBits)) - (b << BigInt(r.fracBits - fb.fracBits));
}

/** Exact a · b in mulFormat(fa, fb). */
export function mul(a: bigint, fa: FixedFormat, b: bigint, fb: FixedFormat): bigint {
  need(a, fa, 'mul');
  need(b, fb, 'mul');
  return a * b;
}
