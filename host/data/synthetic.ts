/**
 * The paper's two synthetic 2-D sets (learning-rule.md §3.2), generated from a seed with the project's
 * Rng so that the same seed always gives bit-identical arrays:
 *
 * - linear: 1000 points ~ U[−1, 1]², a direction w ~ N(0, I) drawn first from the same stream,
 *   label = [x·w > 0];
 * - xor: 1000 corners of {0, 1}² drawn uniformly, plus N(0, 0.1²) noise per coordinate,
 *   label = XOR of the corner's two bits.
 *
 * The points are i.i.d., so the split is simply the first 900 for training and the last 100 for testing.
 */
import type { Dataset, Split } from '../../sim/data.js';
import { Rng } from '../../sim/rng.js';

export const SYNTHETIC_SIZE = 1000;
export const SYNTHETIC_TRAIN = 900;
export const XOR_NOISE_SD = 0.1;
/** The paper draws the linear set with PRNGKey(24); used when no seed is given. */
export const DEFAULT_SYNTHETIC_SEED = 24;

/** The linear set also carries the direction that labelled it. */
export interface LinearDataset extends Dataset {
  readonly w: readonly [number, number];
}

/** Cuts n × 2 arrays into the 900/100 train/test splits (copies, so the splits share no memory). */
function split900(x: Float64Array, y: Uint8Array): { train: Split; test: Split } {
  const t = SYNTHETIC_TRAIN;
  const n = y.length;
  return {
    train: { n: t, dim: 2, x: x.slice(0, 2 * t), y: y.slice(0, t) },
    test: { n: n - t, dim: 2, x: x.slice(2 * t), y: y.slice(t) },
  };
}

/** The linearly separable set. */
export function makeLinear(seed: number = DEFAULT_SYNTHETIC_SEED): LinearDataset {
  const rng = new Rng(seed);
  const w: [number, number] = [rng.normal(), rng.normal()];
  const x = new Float64Array(2 * SYNTHETIC_SIZE);
  const y = new Uint8Array(SYNTHETIC_SIZE);
  for (let i = 0; i < SYNTHETIC_SIZE; i++) {
    const a = 2 * rng.uniform() - 1;
    const b = 2 * rng.uniform() - 1;
    x[2 * i] = a;
    x[2 * i + 1] = b;
    y[i] = a * w[0] + b * w[1] > 0 ? 1 : 0;
  }
  return { name: 'linear', dim: 2, classes: 2, w, ...split900(x, y) };
}

/** The noisy XOR set. */
export function makeXor(seed: number = DEFAULT_SYNTHETIC_SEED): Dataset {
  const rng = new Rng(seed);
  const x = new Float64Array(2 * SYNTHETIC_SIZE);
  const y = new Uint8Array(SYNTHETIC_SIZE);
  for (let i = 0; i < SYNTHETIC_SIZE; i++) {
    const corner = rng.int(4); // bit 0 → first coordinate, bit 1 → second
    const a = corner & 1;
    const b = corner >> 1;
    x[2 * i] = a + XOR_NOISE_SD * rng.normal();
    x[2 * i + 1] = b + XOR_NOISE_SD * rng.normal();
    y[i] = a ^ b;
  }
  return { name: 'xor', dim: 2, classes: 2, ...split900(x, y) };
}
