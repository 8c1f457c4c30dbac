/**
 * Rounding and overflow modes, the random-bit source of stochastic rounding, and saturation counters.
 *
 * Rounding of an integer x by k bits (result ≈ x / 2^k), all defined exactly on integers:
 *   - `floor`        ⌊x / 2^k⌋ — drop the bits (arithmetic shift right); the cheapest in hardware
 *   - `truncate`     toward zero
 *   - `nearest`      round half up: ⌊(x + 2^(k−1)) / 2^k⌋ — add one at the first dropped bit, then floor
 *   - `nearest-even` round half to even (ties go to the even result)
 *   - `stochastic`   ⌊(x + ⌊r · 2^(k−rbits)⌋) / 2^k⌋ with r the next `rbits`-bit draw of a NoiseSource
 *                    (see lfsr.ts for the exact draw and the hardware spec)
 * When k ≤ 0 no bits are dropped: every mode is exact and a stochastic rounding draws nothing.
 *
 * Overflow to a narrower format: `wrap` keeps the low bits (two's complement), `saturate` clamps to
 * [min, max] and records the event in an optional SatSlot.
 */

export type Rounding = 'floor' | 'truncate' | 'nearest' | 'nearest-even' | 'stochastic';
export type Overflow = 'wrap' | 'saturate';

export const ROUNDINGS: readonly Rounding[] = ['floor', 'truncate', 'nearest', 'nearest-even', 'stochastic'];
export const OVERFLOWS: readonly Overflow[] = ['wrap', 'saturate'];

/**
 * Uniform random integers for stochastic rounding: each `draw()` returns the next value in
 * [0, 2^rbits). `Lfsr` is the hardware-reproducible implementation.
 */
export interface NoiseSource {
  readonly rbits: number;
  draw(): number;
}

/**
 * Saturation events of one named quantity. Ops increment `high` or `low` only when they clamp, so
 * passing a slot into a hot loop costs one property write per saturation and nothing otherwise.
 */
export class SatSlot {
  high = 0;
  low = 0;
  constructor(readonly name: string) {}
  /** total saturations (high + low) */
  get count(): number {
    return this.high + this.low;
  }
  reset(): void {
    this.high = 0;
    this.low = 0;
  }
}

/** A set of named SatSlots, e.g. one per quantity of the golden model ('w1', 'h1', 'xi', …). */
export class SatCounter {
  private readonly slots = new Map<string, SatSlot>();

  /** The slot for `name`, created on first use. Fetch it once outside the hot loop. */
  slot(name: string): SatSlot {
    let s = this.slots.get(name);
    if (!s) {
      s = new SatSlot(name);
      this.slots.set(name, s);
    }
    return s;
  }

  /** Saturations recorded under `name` (0 if never used). */
  count(name: string): number {
    return this.slots.get(name)?.count ?? 0;
  }

  /** Sum over all slots. */
  total(): number {
    let t = 0;
    for (const s of this.slots.values()) t += s.count;
    return t;
  }

  /** Plain object of all slots (JSON-friendly), names in insertion order. */
  snapshot(): Record<string, { high: number; low: number }> {
    const out: Record<string, { high: number; low: number }> = {};
    for (const [k, s] of this.slots) out[k] = { high: s.high, low: s.low };
    return out;
  }

  reset(): void {
    for (const s of this.slots.values()) s.reset();
  }

  /** Sets each slot named in `snap` (a snapshot()) to its counts; other slots keep theirs. */
  restore(snap: Record<string, { high: number; low: number }>): void {
    for (const [k, v] of Object.entries(snap)) {
      const s = this.slot(k);
      s.high = v.high;
      s.low = v.low;
    }
  }
}

export function checkRounding(r: string): asserts r is Rounding {
  if (!(ROUNDINGS as readonly string[]).includes(r)) {
    throw new RangeError(`unknown rounding ${JSON.stringify(r)}; expected one of ${ROUNDINGS.join(', ')}`);
  }
}

export function checkOverflow(o: string): asserts o is Overflow {
  if (!(OVERFLOWS as readonly string[]).includes(o)) {
    throw new RangeError(`unknown overflow ${JSON.stringify(o)}; expected one of ${OVERFLOWS.join(', ')}`);
  }
}
