/**
 * Seeded pseudo-random numbers for everything the host and the golden models draw in software
 * (initialisation, epoch shuffles, synthetic datasets). xoshiro128** over 32-bit words, seeded through
 * splitmix32, with a state small enough to checkpoint. (The chip's own random bits — stochastic rounding —
 * come from the LFSRs specified in generator/fixed, not from here.)
 */
export class Rng {
  private readonly s = new Uint32Array(4);

  constructor(seed: number | Uint32Array) {
    if (typeof seed === 'number') {
      if (!Number.isInteger(seed)) throw new RangeError(`rng seed must be an integer, got ${seed}`);
      let z = seed >>> 0;
      let hi = Math.floor(seed / 2 ** 32) >>> 0;
      for (let i = 0; i < 4; i++) {
        // splitmix32 over (seed, high word, index)
        z = (z + 0x9e3779b9 + hi) >>> 0;
        let t = z;
        t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
        t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
        this.s[i] = (t ^ (t >>> 15)) >>> 0;
        hi = 0;
      }
      if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
    } else {
      if (seed.length !== 4) throw new RangeError('rng state must be 4 words');
      this.s.set(seed);
    }
  }

  /** Copy of the state, for checkpoints: new Rng(rng.state()) continues the same sequence. */
  state(): Uint32Array {
    return this.s.slice();
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n > 0) || n > 2 ** 32) throw new RangeError(`rng.int bound must be in (0, 2^32], got ${n}`);
    // rejection sampling: unbiased
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const r = this.nextU32();
      if (r < limit) return r % n;
    }
  }

  /** Standard normal (Box–Muller, one value per two uniforms; no cached spare so the state stays 4 words). */
  normal(): number {
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Standard normal truncated to [−2, 2] (as Flax's truncated-normal initialisers). */
  truncatedNormal(): number {
    for (;;) {
      const z = this.normal();
      if (z >= -2 && z <= 2) return z;
    }
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The shuffled sample order of one epoch: a pure function of (seed, epoch, n). */
export function epochOrder(seed: number, epoch: number, n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return new Rng(seed * 1_000_003 + epoch + 1).shuffle(order);
}
