/**
 * Hardware types of the IR: unsigned and signed bit vectors of a fixed, positive width.
 *
 * There is no zero-width type and no unsized type. Integer literals without a type are "weak"
 * (see expr.ts `lit`) and take the type of the other operand or of the assignment target.
 */

/** Raised for every misuse of the IR: width, sign, naming, driver and latch errors. */
export class HdlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HdlError';
  }
}

/** A bit vector type: `uint(w)` or `sint(w)` (two's complement). */
export interface HwType {
  readonly signed: boolean;
  readonly width: number;
}

function checkWidth(width: number, what: string): void {
  if (!Number.isInteger(width) || width < 1) {
    throw new HdlError(
      `${what}: width must be an integer ≥ 1, got ${String(width)} (the IR has no zero-width signals; ` +
        `leave the signal out instead)`,
    );
  }
}

/** Unsigned bit vector of `width` bits. `what` names the signal in the error if the width is bad. */
export function uint(width: number, what = 'uint'): HwType {
  checkWidth(width, what);
  return Object.freeze({ signed: false, width });
}

/** Signed (two's complement) bit vector of `width` bits. */
export function sint(width: number, what = 'sint'): HwType {
  checkWidth(width, what);
  return Object.freeze({ signed: true, width });
}

/** Same signedness as `t`, new width. */
export function withWidth(t: HwType, width: number, what?: string): HwType {
  return t.signed ? sint(width, what) : uint(width, what);
}

/** `uint(8)` / `sint(16)`, as used in error messages. */
export function typeName(t: HwType): string {
  return `${t.signed ? 'sint' : 'uint'}(${t.width})`;
}

export function sameType(a: HwType, b: HwType): boolean {
  return a.signed === b.signed && a.width === b.width;
}

/** Smallest value of the type, as a bigint. */
export function minValue(t: HwType): bigint {
  return t.signed ? -(1n << BigInt(t.width - 1)) : 0n;
}

/** Largest value of the type, as a bigint. */
export function maxValue(t: HwType): bigint {
  return t.signed ? (1n << BigInt(t.width - 1)) - 1n : (1n << BigInt(t.width)) - 1n;
}

export function fits(value: bigint, t: HwType): boolean {
  return value >= minValue(t) && value <= maxValue(t);
}

/** Bits needed to address `depth` entries (at least 1). */
export function addrWidth(depth: number): number {
  let w = 1;
  while (2 ** w < depth) w++;
  return w;
}

/** Smallest unsigned width holding `value` ≥ 0 (at least 1). */
export function unsignedWidthOf(value: bigint): number {
  if (value < 0n) throw new HdlError(`unsignedWidthOf: ${value} is negative`);
  let w = 1;
  while (value >> BigInt(w) !== 0n) w++;
  return w;
}

/** Smallest signed width holding `value` (at least 1). */
export function signedWidthOf(value: bigint): number {
  let w = 1;
  while (!fits(value, { signed: true, width: w })) w++;
  return w;
}

/** Converts a `number | bigint` integer to bigint, rejecting non-integers and unsafe numbers. */
export function toBigInt(value: number | bigint, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (!Number.isSafeInteger(value)) {
    throw new HdlError(
      `${what}: ${String(value)} is not a safe integer; use a bigint (e.g. ${String(value)}n written exactly) ` +
        `for values beyond 2^53`,
    );
  }
  return BigInt(value);
}
