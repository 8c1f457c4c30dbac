/**
 * Linear-feedback shift register: the chip's source of random bits for stochastic rounding.
 *
 * HARDWARE SPEC (the Verilog must match this bit for bit). A Galois LFSR, shifting right, of width
 * W ∈ 2..32, with a W-bit tap mask TAPS whose top bit W−1 is set, and a W-bit state register that
 * resets to SEED (nonzero). One step, one clock edge, is
 *     state <= (state >> 1) ^ ({W{state[0]}} & TAPS);
 * i.e. shift right by one with a zero entering at the top and, if the bit shifted out (state[0]) was 1,
 * XOR the mask into the shifted word. Its characteristic polynomial is 1 + Σ x^(i+1) over the set bits
 * i of TAPS; the defaults below are primitive, so the state runs through all 2^W − 1 nonzero values.
 * A DRAW of RBITS bits (1 ≤ RBITS ≤ W) advances the register by LEAP steps (default 1; LEAP > 1 is the
 * step unrolled LEAP times in one clock) and yields the low bits of the new state, r = state[RBITS−1:0].
 * The j-th draw (j = 1, 2, …) therefore reads state_j with state_0 = SEED and state_j = step^LEAP(state_{j−1});
 * an implementation that registers state_j directly resets to step^LEAP(SEED). A stochastic rounding
 * that drops k > 0 bits of x performs exactly one draw and returns ⌊(x + ⌊r · 2^(k−RBITS)⌋) / 2^k⌋:
 * for k ≥ RBITS, r is added with its lsb at bit position k − RBITS of x (the dropped bits below that are
 * ignored, which biases the result down by less than 2^−RBITS of an output step); for k < RBITS only the
 * top k bits of r are added (r >> (RBITS − k)), which is exactly unbiased. Roundings that drop no bits
 * (k ≤ 0) do not draw. Which operations share one LFSR, and in what order they draw, is the unit's
 * schedule and is specified with that unit; different lanes use different LFSRs (seeds).
 *
 * Successive draws with LEAP = 1 overlap (each is the previous one shifted by a bit, plus taps): every
 * single draw is uniform over the period, but neighbours are correlated. Use LEAP ≥ RBITS where that matters.
 */
import type { NoiseSource } from './types.js';

/** Maximal-length tap masks (Galois, right shift) for widths 2..32: the fewest taps found by search. */
export const DEFAULT_TAPS: Readonly<Record<number, number>> = Object.freeze({
  2: 0x3, 3: 0x5, 4: 0x9, 5: 0x12, 6: 0x21, 7: 0x41, 8: 0xc3, 9: 0x108, 10: 0x204, 11: 0x402,
  12: 0x883, 13: 0x1013, 14: 0x2803, 15: 0x4001, 16: 0x8805, 17: 0x10004, 18: 0x20040,
  19: 0x40013, 20: 0x80004, 21: 0x100002, 22: 0x200001, 23: 0x400010, 24: 0x800043,
  25: 0x1000004, 26: 0x2000023, 27: 0x4000013, 28: 0x8000004, 29: 0x10000002, 30: 0x20400003,
  31: 0x40000004, 32: 0x80200003,
});

/** Serializable LFSR state (for checkpoints): `Lfsr.fromState(lfsr.toState())` continues identically. */
export interface LfsrState {
  width: number;
  taps: number;
  state: number;
  rbits: number;
  leap: number;
}

export interface LfsrOptions {
  /** register width W, 2..32 (default 16) */
  width?: number;
  /** tap mask; default DEFAULT_TAPS[width] */
  taps?: number;
  /** reset value, nonzero, < 2^W (default 1) */
  seed?: number;
  /** bits per draw, 1..W (default min(16, W)) */
  rbits?: number;
  /** steps per draw (default 1) */
  leap?: number;
}

function checkInt(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`Lfsr: ${name} must be an integer in ${lo}..${hi}, got ${v}`);
}

export class Lfsr implements NoiseSource {
  readonly width: number;
  readonly taps: number;
  readonly rbits: number;
  readonly leap: number;
  private s: number;
  private readonly rmask: number;

  constructor(opts: LfsrOptions = {}) {
    const w = opts.width ?? 16;
    checkInt('width', w, 2, 32);
    const taps = opts.taps ?? DEFAULT_TAPS[w];
    checkInt('taps', taps, 0, 2 ** w - 1);
    if (taps < 2 ** (w - 1)) throw new RangeError(`Lfsr: taps 0x${taps.toString(16)} must have bit ${w - 1} set for width ${w}`);
    const seed = opts.seed ?? 1;
    checkInt('seed', seed, 1, 2 ** w - 1);
    const rbits = opts.rbits ?? Math.min(16, w);
    checkInt('rbits', rbits, 1, w);
    const leap = opts.leap ?? 1;
    checkInt('leap', leap, 1, 1 << 16);
    this.width = w;
    this.taps = taps;
    this.rbits = rbits;
    this.leap = leap;
    this.s = seed;
    this.rmask = rbits === 32 ? 0xffffffff : 2 ** rbits - 1;
  }

  /** Current state (the register's value). */
  get state(): number {
    return this.s;
  }

  /** One clock: shift right, XOR the taps in if the bit shifted out was 1. Returns the new state. */
  step(): number {
    const s = this.s;
    this.s = ((s >>> 1) ^ (s & 1 ? this.taps : 0)) >>> 0;
    return this.s;
  }

  /** `leap` steps, then the low `rbits` bits of the state. */
  draw(): number {
    for (let i = 0; i < this.leap; i++) this.step();
    return (this.s & this.rmask) >>> 0;
  }

  toState(): LfsrState {
    return { width: this.width, taps: this.taps, state: this.s, rbits: this.rbits, leap: this.leap };
  }

  toJSON(): LfsrState {
    return this.toState();
  }

  static fromState(st: LfsrState): Lfsr {
    return new Lfsr({ width: st.width, taps: st.taps, seed: st.state, rbits: st.rbits, leap: st.leap });
  }

  clone(): Lfsr {
    return Lfsr.fromState(this.toState());
  }
}
