/**
 * What every section program of the UP5K engine shares: how a value of a fixed-point format is kept in the
 * 16-bit data memory, the saturation counter of each quantity, and the machine a ChipParams needs.
 *
 * STORAGE. A value of format f takes wordsOf(f) = ⌈width(f)/16⌉ consecutive words, little-endian, read back
 * signed when f is signed (ld … signedOf(f)). Wider intermediates (exact accumulators, row sums) are kept in
 * 4 words, signed. A section program reads and writes only the addresses its `at` argument gives, so the
 * step composes sections by handing them regions of one layout (program/layout.ts).
 */
import { width, type FixedFormat } from '../../fixed/index.js';
import { QUANTITIES, type Quantity } from '../../numeric.js';
import type { ChipParams } from '../../../sim/golden/fixed/params.js';
import type { MachineConfig } from '../../../sim/ucore/iss.js';

/** Words a value of format f takes in the data memory (1 … 4). */
export function wordsOf(f: FixedFormat): number {
  const w = width(f);
  if (w > 64) throw new RangeError(`ucore: a ${w}-bit format does not fit 4 memory words`);
  return Math.max(1, Math.ceil(w / 16));
}

export const signedOf = (f: FixedFormat): boolean => f.signed;

/** Words of an exact wide intermediate (accumulator, distance, row sum). */
export const WIDE = 4;

/** The saturation counter pair of a quantity (sat / satr / vupd `q`): its index in QUANTITIES. */
export function counterOf(name: Quantity): number {
  return QUANTITIES.indexOf(name);
}

/** Lowest and highest raw value of format f, as BigInt (satr bounds). */
export function boundsOf(f: FixedFormat): { lo: bigint; hi: bigint } {
  const w = BigInt(width(f));
  return f.signed ? { lo: -(1n << (w - 1n)), hi: (1n << (w - 1n)) - 1n } : { lo: 0n, hi: (1n << w) - 1n };
}

/** The machine (LFSR lanes of every weight layer, counters) that runs the step of P, with `memWords` of memory. */
export function machineFor(P: ChipParams, memWords: number): MachineConfig {
  const l = P.numeric.lfsr;
  return { memWords, lanes: l.lanes * P.L, lfsr: { width: l.width, rbits: l.rbits, leap: l.leap }, quantities: QUANTITIES.length };
}

/** Golden-model counters (SatCounter snapshot order) from the machine's: { name: { high, low } } of every quantity but rowSum. */
export function countersOf(sat: Float64Array): Record<string, { high: number; low: number }> {
  const out: Record<string, { high: number; low: number }> = {};
  QUANTITIES.forEach((name, q) => {
    if (name !== 'rowSum') out[name] = { high: sat[2 * q], low: sat[2 * q + 1] };
  });
  return out;
}
