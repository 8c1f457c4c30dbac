/** Shared fixtures of the float golden model tests. */
import type { Split } from '../../sim/data.js';
import { Rng } from '../../sim/rng.js';

/** n samples of dim standard-normal features (drawn first) and labels uniform over C classes. */
export function randomSplit(seed: number, n: number, dim: number, C: number): Split {
  const rng = new Rng(seed);
  const x = Float64Array.from({ length: n * dim }, () => rng.normal());
  const y = Uint8Array.from({ length: n }, () => rng.int(C));
  return { n, dim, x, y };
}
