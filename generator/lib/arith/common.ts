/**
 * Helpers shared by the arithmetic blocks: identifier-safe tags of formats and modes, widths of
 * constants, and the IR types of fixed-point formats.
 */
import { width, type FixedFormat, type Rounding, type Overflow } from '../../fixed/index.js';
import { sint, uint, type HwType } from '../../ir/index.js';

/** `s16i6` for fixed<16,6>, `u16i0` for ufixed<16,0>, `s16im4` for fixed<16,-4>: usable in module names. */
export function formatTag(f: FixedFormat): string {
  const i = f.intBits < 0 ? `m${-f.intBits}` : `${f.intBits}`;
  return `${f.signed ? 's' : 'u'}${width(f)}i${i}`;
}

/** Short tag of a rounding mode for module names. */
export function roundingTag(r: Rounding): string {
  switch (r) {
    case 'floor':
      return 'fl';
    case 'truncate':
      return 'tr';
    case 'nearest':
      return 'nr';
    case 'nearest-even':
      return 'ne';
    case 'stochastic':
      return 'st';
  }
}

export function overflowTag(o: Overflow): string {
  return o === 'wrap' ? 'wrap' : 'sat';
}

/** The IR type holding the raw words of `f`. */
export function hwType(f: FixedFormat): HwType {
  return f.signed ? sint(width(f)) : uint(width(f));
}

/** Bits of an unsigned number v ≥ 0 (at least 1). */
export function bitsOf(v: number): number {
  let w = 1;
  while (2 ** w <= v) w++;
  return w;
}
