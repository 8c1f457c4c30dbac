/**
 * A bank of `lanes` LFSRs for one layer's stochastic-rounding unit, each behaving exactly as
 * generator/fixed's `Lfsr` (Galois, right shift, taps DEFAULT_TAPS[width], a draw = `leap` steps then the
 * low `rbits` bits). One draw advances the register by `leap` steps at once: the step is linear over GF(2),
 * so step^leap(s) = XOR over the bytes of s of a 256-entry table per byte position (computed once from the
 * step itself). Hardware unrolls the same `leap` steps in one clock; the result is identical (tested against
 * `Lfsr.draw`).
 *
 * Lane seeds: laneSeed(base, trainSeed, layer, lane) mixes its arguments (a splitmix32-style hash) into a
 * nonzero W-bit value; the host loads these seeds into the chip's LFSRs at reset.
 */
import { DEFAULT_TAPS } from '../../../generator/fixed/index.js';

function mix32(x: number): number {
  let t = x >>> 0;
  t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
  t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
  return (t ^ (t >>> 15)) >>> 0;
}

/** Nonzero W-bit seed of lane `lane` of layer `layer`. */
export function laneSeed(base: number, trainSeed: number, layer: number, lane: number, width: number): number {
  let h = mix32((base >>> 0) ^ 0x9e3779b9);
  h = mix32(h ^ (trainSeed >>> 0) ^ Math.imul(Math.floor(trainSeed / 2 ** 32) >>> 0, 0x85ebca6b));
  h = mix32(h ^ Math.imul(layer + 1, 0xc2b2ae35));
  h = mix32(h ^ Math.imul(lane + 1, 0x27d4eb2f));
  const period = 2 ** width - 1; // nonzero states 1 … 2^W − 1
  return (h % period) + 1;
}

/** One Galois step (as Lfsr.step). */
function step(s: number, taps: number): number {
  return ((s >>> 1) ^ (s & 1 ? taps : 0)) >>> 0;
}

export class LfsrBank {
  /** lane states as int32 words (the register's bits; read with >>> 0 for the unsigned value) */
  readonly states: Int32Array;
  /** step^leap of byte b at position k: T[k * 256 + b] (int32 words, so hot loops stay in int32) */
  readonly jump: Int32Array;
  readonly rmask: number;
  readonly taps: number;

  constructor(
    readonly width: number,
    readonly rbits: number,
    readonly leap: number,
    readonly lanes: number,
    seeds: ArrayLike<number>,
  ) {
    const taps = DEFAULT_TAPS[width];
    if (taps === undefined) throw new RangeError(`LfsrBank: no taps for width ${width}`);
    this.taps = taps;
    this.rmask = rbits >= 32 ? 0xffffffff : 2 ** rbits - 1;
    this.states = new Int32Array(lanes);
    for (let q = 0; q < lanes; q++) {
      const s = seeds[q];
      if (!Number.isInteger(s) || s < 1 || s > 2 ** width - 1) throw new RangeError(`LfsrBank: seed ${s} of lane ${q} must be in 1..2^${width}−1`);
      this.states[q] = s;
    }
    this.jump = new Int32Array(4 * 256);
    for (let k = 0; k < 4; k++) {
      for (let b = 0; b < 256; b++) {
        let s = (b * 2 ** (8 * k)) >>> 0;
        if (s >= 2 ** width) s = 0; // bits above the register do not exist (never set)
        for (let i = 0; i < leap; i++) s = step(s, taps);
        this.jump[k * 256 + b] = s;
      }
    }
  }

  /**
   * The next draw of each of `words` consecutive words i = 0 … words−1, word i drawing from lane
   * first + i mod count (default: all lanes, lane i mod lanes), into out[i] as full int32 states (mask with
   * rmask). Same states as `words` calls draw(first + i mod count); computed lane by lane with four lanes
   * interleaved.
   */
  fillRow(out: Int32Array, words: number, first = 0, count = this.lanes): void {
    const J = this.jump;
    const st = first === 0 ? this.states : this.states.subarray(first, first + count);
    const lanes = count;
    let q = 0;
    for (; q + 3 < lanes && q + 3 < words; q += 4) {
      let a = st[q];
      let b = st[q + 1];
      let c = st[q + 2];
      let d = st[q + 3];
      let i = q;
      for (; i + 3 < words; i += lanes) {
        a = J[a & 255] ^ J[256 + ((a >>> 8) & 255)] ^ J[512 + ((a >>> 16) & 255)] ^ J[768 + (a >>> 24)];
        b = J[b & 255] ^ J[256 + ((b >>> 8) & 255)] ^ J[512 + ((b >>> 16) & 255)] ^ J[768 + (b >>> 24)];
        c = J[c & 255] ^ J[256 + ((c >>> 8) & 255)] ^ J[512 + ((c >>> 16) & 255)] ^ J[768 + (c >>> 24)];
        d = J[d & 255] ^ J[256 + ((d >>> 8) & 255)] ^ J[512 + ((d >>> 16) & 255)] ^ J[768 + (d >>> 24)];
        out[i] = a;
        out[i + 1] = b;
        out[i + 2] = c;
        out[i + 3] = d;
      }
      st[q] = a;
      st[q + 1] = b;
      st[q + 2] = c;
      st[q + 3] = d;
      // tail: words i, i+1, i+2 that exist
      for (let k = 0; k < 4 && i + k < words; k++) {
        const s = st[q + k];
        const ns = J[s & 255] ^ J[256 + ((s >>> 8) & 255)] ^ J[512 + ((s >>> 16) & 255)] ^ J[768 + (s >>> 24)];
        st[q + k] = ns;
        out[i + k] = ns;
      }
    }
    for (; q < lanes && q < words; q++) {
      let s = st[q];
      for (let i = q; i < words; i += lanes) {
        s = J[s & 255] ^ J[256 + ((s >>> 8) & 255)] ^ J[512 + ((s >>> 16) & 255)] ^ J[768 + (s >>> 24)];
        out[i] = s;
      }
      st[q] = s;
    }
  }

  /** Next draw of lane q (as Lfsr.draw). For hot loops, inline the same expression. */
  draw(q: number): number {
    const J = this.jump;
    const s = this.states[q];
    const n = J[s & 255] ^ J[256 + ((s >>> 8) & 255)] ^ J[512 + ((s >>> 16) & 255)] ^ J[768 + (s >>> 24)];
    this.states[q] = n;
    return (n & this.rmask) >>> 0;
  }
}
