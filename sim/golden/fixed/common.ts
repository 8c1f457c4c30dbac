/**
 * Small pieces every unit function of the fixed-point specification shares: the saturation counters (one
 * per stored quantity) and saturation itself.
 */
import { SatCounter, type SatSlot } from '../../../generator/fixed/index.js';
import { QUANTITIES, type Quant, type Quantity } from '../../../generator/numeric.js';

/** One counter per stored quantity; rowSum is exact (proved at construction) and never saturates. */
export type SatSlots = Record<Exclude<Quantity, 'rowSum'>, SatSlot>;

/** The slots of `counter` (a fresh counter when none is given, e.g. in a co-simulation test). */
export function satSlots(counter: SatCounter = new SatCounter()): SatSlots {
  const out: Record<string, SatSlot> = {};
  for (const name of QUANTITIES) if (name !== 'rowSum') out[name] = counter.slot(name);
  return out as SatSlots;
}

/** Fraction bits of a quantity's format. */
export const fb = (q: Quant): number => q.format.fracBits;

/** y clamped into [lo, hi]; a clamp is counted in `slot` (high or low). */
export function sat(y: number, lo: number, hi: number, slot: SatSlot): number {
  if (y > hi) {
    slot.high++;
    return hi;
  }
  if (y < lo) {
    slot.low++;
    return lo;
  }
  return y;
}
