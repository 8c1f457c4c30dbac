import { describe, expect, it } from 'vitest';
import type { Dataset, Split } from '../../sim/data.js';
import { Rng } from '../../sim/rng.js';
import { DatasetError, DATASET_NAMES, loadDataset, type DatasetName } from '../../host/data/index.js';
import { DEFAULT_SYNTHETIC_SEED, makeLinear, makeXor } from '../../host/data/synthetic.js';

const SEEDS = [0, 1, 7, 24, 123456789];

function checkShape(d: Dataset, name: string): void {
  expect([d.name, d.dim, d.classes]).toEqual([name, 2, 2]);
  for (const [s, n] of [[d.train, 900], [d.test, 100]] as const) {
    expect(s.n).toBe(n);
    expect(s.dim).toBe(2);
    expect(s.x).toBeInstanceOf(Float64Array);
    expect(s.x.length).toBe(2 * n);
    expect(s.y).toBeInstanceOf(Uint8Array);
    expect(s.y.length).toBe(n);
    expect(s.pixels).toBeUndefined();
    expect(s.x.every(Number.isFinite)).toBe(true);
  }
  // the splits are separate arrays, not views of one another
  expect(d.train.x.buffer).not.toBe(d.test.x.buffer);
}

const ones = (s: Split) => s.y.reduce((a, b) => a + b, 0);
const both = (d: Dataset) => [d.train, d.test];

describe.each([
  ['linear', makeLinear],
  ['xor', makeXor],
] as const)('%s', (name, make) => {
  it('has 900 train / 100 test points of dim 2 and 2 classes', () => {
    for (const seed of SEEDS) checkShape(make(seed), name);
  });

  it('is identical for the same seed and different for another', () => {
    const a = make(5);
    const b = make(5);
    expect(b.train.x).toEqual(a.train.x);
    expect(b.train.y).toEqual(a.train.y);
    expect(b.test.x).toEqual(a.test.x);
    expect(b.test.y).toEqual(a.test.y);
    const c = make(6);
    expect(c.train.x).not.toEqual(a.train.x);
    expect(c.test.x).not.toEqual(a.test.x);
  });

  it('has balanced-ish labels', () => {
    for (const seed of SEEDS) {
      const d = make(seed);
      expect(ones(d.train) / 900).toBeGreaterThan(0.4);
      expect(ones(d.train) / 900).toBeLessThan(0.6);
      expect(ones(d.test)).toBeGreaterThan(25);
      expect(ones(d.test)).toBeLessThan(75);
    }
  });

  it('is what loadDataset returns, with the default seed when none is given', () => {
    expect(loadDataset(name, { seed: 9 })).toEqual(make(9));
    expect(loadDataset(name)).toEqual(make(DEFAULT_SYNTHETIC_SEED));
    expect(loadDataset(name)).not.toEqual(make(DEFAULT_SYNTHETIC_SEED + 1));
  });
});

describe('linear', () => {
  it('draws w ~ N(0, I) first from the seed and labels every point by [x·w > 0]', () => {
    for (const seed of SEEDS) {
      const d = makeLinear(seed);
      const rng = new Rng(seed);
      const w = [rng.normal(), rng.normal()];
      expect(d.w).toEqual(w);
      for (const s of both(d)) {
        for (let i = 0; i < s.n; i++) {
          const a = s.x[2 * i];
          const b = s.x[2 * i + 1];
          expect(Math.abs(a) <= 1 && Math.abs(b) <= 1).toBe(true);
          expect(s.y[i]).toBe(a * w[0] + b * w[1] > 0 ? 1 : 0);
        }
      }
    }
  });

  it('fills the square [−1, 1]² uniformly (each quadrant ~ 1/4, mean ~ 0)', () => {
    const d = makeLinear(3);
    const q = [0, 0, 0, 0];
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < 900; i++) {
      const a = d.train.x[2 * i];
      const b = d.train.x[2 * i + 1];
      q[(a > 0 ? 1 : 0) + (b > 0 ? 2 : 0)]++;
      sx += a;
      sy += b;
    }
    for (const c of q) expect(Math.abs(c - 225)).toBeLessThan(60);
    expect(Math.abs(sx / 900)).toBeLessThan(0.08);
    expect(Math.abs(sy / 900)).toBeLessThan(0.08);
  });
});

describe('xor', () => {
  it('labels each point by the XOR of its corner bits, with N(0, 0.1²) noise around uniform corners', () => {
    for (const seed of SEEDS) {
      const d = makeXor(seed);
      const corners = [0, 0, 0, 0];
      let sum = 0;
      let sq = 0;
      for (const s of both(d)) {
        for (let i = 0; i < s.n; i++) {
          const a = s.x[2 * i];
          const b = s.x[2 * i + 1];
          // noise of sd 0.1 never reaches 0.5 for these seeds, so rounding recovers the corner
          const ca = a > 0.5 ? 1 : 0;
          const cb = b > 0.5 ? 1 : 0;
          expect(s.y[i]).toBe(ca ^ cb);
          corners[ca + 2 * cb]++;
          for (const e of [a - ca, b - cb]) {
            sum += e;
            sq += e * e;
          }
        }
      }
      for (const c of corners) expect(Math.abs(c - 250)).toBeLessThan(60);
      const mean = sum / 2000;
      const sd = Math.sqrt(sq / 2000 - mean * mean);
      expect(Math.abs(mean)).toBeLessThan(0.01);
      expect(sd).toBeGreaterThan(0.09);
      expect(sd).toBeLessThan(0.11);
    }
  });
});

describe('loadDataset', () => {
  it('rejects an unknown name, naming the valid choices', () => {
    expect(DATASET_NAMES).toEqual(['mnist', 'linear', 'xor']);
    expect(() => loadDataset('cifar10' as DatasetName)).toThrow(DatasetError);
    expect(() => loadDataset('cifar10' as DatasetName)).toThrow("unknown dataset 'cifar10': choose one of mnist, linear, xor");
  });
});
