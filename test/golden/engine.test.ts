/**
 * The whole engine: against the naive reference trainer (test/golden/naive.ts), the first-layer cache,
 * the Gram ring buffers inside the engine, state export/import, and input checks.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/rng.js';
import type { Split } from '../../sim/data.js';
import { PAPER_MNIST, type Engine, type TrainConfig } from '../../sim/engine.js';
import { createFloatEngine, FloatEngine, gramMatrix, labelGramMatrix } from '../../sim/golden/float/index.js';
import { naivePredict, naiveTrainIb, type NaiveParams } from './naive.js';
import { randomSplit } from './helpers.js';

const rows = (s: Split) => Array.from({ length: s.n }, (_, i) => Array.from(s.x.subarray(i * s.dim, (i + 1) * s.dim)));

function paramsOf(e: Engine): NaiveParams {
  return {
    W: e.weights().map((l) => Array.from({ length: l.nOut }, (_, j) => Array.from(l.W.subarray(j * l.nIn, (j + 1) * l.nIn)))),
    b: e.weights().map((l) => Array.from(l.b)),
  };
}

function maxRelDiff(a: NaiveParams, b: NaiveParams): number {
  let worst = 0;
  a.W.forEach((M, l) =>
    M.forEach((r, j) =>
      r.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - b.W[l][j][i]) / Math.max(1e-3, Math.abs(b.W[l][j][i])));
      }),
    ),
  );
  a.b.forEach((r, l) => r.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b.b[l][j]) / Math.max(1e-3, Math.abs(b.b[l][j]))))));
  return worst;
}

function totalChange(a: NaiveParams, b: NaiveParams): number {
  let s = 0;
  a.W.forEach((M, l) => M.forEach((r, j) => r.forEach((v, i) => (s += Math.abs(v - b.W[l][j][i])))));
  return s;
}

const SMALL: TrainConfig = {
  ...PAPER_MNIST,
  layers: [6, 5, 4, 3],
  window: 4,
  sigma: [0.5, 0.6, 1],
  lr: 1e-2,
  lrOut: 1e-2,
  lnEps: 1e-3,
};

describe('float engine against the naive reference trainer', () => {
  const split = randomSplit(1, 40, 6, 3);
  const X = rows(split);
  const order1 = Array.from(new Rng(2).shuffle(Int32Array.from({ length: 40 }, (_, i) => i)));
  const order2 = Array.from(new Rng(3).shuffle(Int32Array.from({ length: 40 }, (_, i) => i))).slice(0, 17);
  for (const variant of ['P', 'F', 'E', 'J'] as const) {
    for (const memory of ['recompute', 'stored'] as const) {
      for (const optimizer of ['adamw', 'sgd'] as const) {
        it(`${variant} ${memory} ${optimizer}: same weights after two epochs of steps`, () => {
          const cfg: TrainConfig = { ...SMALL, variant, memory, optimizer, lr: optimizer === 'sgd' ? 2 : 1e-2, lrOut: optimizer === 'sgd' ? 0.3 : 1e-2 };
          const e = createFloatEngine(cfg);
          const init = paramsOf(e);
          for (const order of [order1, order2]) {
            e.beginEpoch();
            for (const i of order) e.trainSample(split, i);
          }
          const got = paramsOf(e);
          const want = naiveTrainIb(cfg, init, X, Array.from(split.y), [order1, order2]);
          expect(totalChange(want, init)).toBeGreaterThan(1e-3); // training moved the weights
          expect(maxRelDiff(got, want)).toBeLessThan(1e-9);
          for (let i = 0; i < 10; i++) expect(e.predict(split, i)).toBe(naivePredict(want, X[i], cfg.lnEps));
        });
      }
    }
  }

  it('a three-layer net and a window longer than one forward block (B = 11) also match', () => {
    const cfg: TrainConfig = { ...SMALL, layers: [6, 9, 7, 5, 3], window: 11, variant: 'E', optimizer: 'adamw' };
    const e = createFloatEngine(cfg);
    const init = paramsOf(e);
    e.beginEpoch();
    for (const i of order1) e.trainSample(split, i);
    const want = naiveTrainIb(cfg, init, X, Array.from(split.y), [order1]);
    expect(maxRelDiff(paramsOf(e), want)).toBeLessThan(1e-9);
  });

  it('the window only trains once it holds B samples, and beginEpoch empties it', () => {
    const e = createFloatEngine(SMALL);
    e.beginEpoch();
    const updated = order1.slice(0, 6).map((i) => e.trainSample(split, i));
    expect(updated).toEqual([false, false, false, true, true, true]);
    e.beginEpoch();
    expect(order1.slice(0, 5).map((i) => e.trainSample(split, i))).toEqual([false, false, false, true, true]);
  });
});

describe('engine internals', () => {
  it('the K_X/K_Y ring buffers equal a full recompute over the window after many steps; unit diagonals', () => {
    const split = randomSplit(4, 300, 20, 5);
    const cfg: TrainConfig = { ...SMALL, layers: [20, 8, 5], window: 8 };
    const e = new FloatEngine(cfg);
    const order = new Rng(5).shuffle(Int32Array.from({ length: 300 }, (_, i) => i));
    e.beginEpoch();
    for (let k = 0; k < 253; k++) e.trainSample(split, order[k]);
    const { slots, Kx, Ky } = e.inspect();
    const KX = gramMatrix(
      split.x,
      Array.from(slots, (i) => i * 20),
      8,
      20,
      0.5 * Math.sqrt(20),
    );
    const KY = labelGramMatrix(
      Array.from(slots, (i) => split.y[i]),
      8,
      0.6 * Math.sqrt(5),
    );
    expect(Array.from(Kx)).toEqual(Array.from(KX));
    expect(Array.from(Ky)).toEqual(Array.from(KY));
    for (let p = 0; p < 8; p++) {
      expect(Kx[p * 9]).toBe(1);
      expect(Ky[p * 9]).toBe(1);
    }
  });

  it('evaluate agrees with predict', () => {
    const split = randomSplit(6, 53, 6, 3);
    const e = createFloatEngine(SMALL);
    e.beginEpoch();
    for (let i = 0; i < 53; i++) e.trainSample(split, i);
    let correct = 0;
    for (let i = 0; i < 53; i++) if (e.predict(split, i) === split.y[i]) correct++;
    expect(e.evaluate(split)).toBe(correct / 53);
    let c20 = 0;
    for (let i = 0; i < 20; i++) if (e.predict(split, i) === split.y[i]) c20++;
    expect(e.evaluate(split, 20)).toBe(c20 / 20);
  });

  it('initialisation: Flax lecun_normal (truncated at ±2σ, variance 1/fan_in), zero bias, seeded', () => {
    const cfg: TrainConfig = { ...PAPER_MNIST, layers: [784, 128, 10] };
    const w = createFloatEngine(cfg).weights();
    const W = w[0].W;
    let s2 = 0;
    let max = 0;
    for (const v of W) {
      s2 += v * v;
      max = Math.max(max, Math.abs(v));
    }
    expect(s2 / W.length).toBeGreaterThan(0.97 / 784);
    expect(s2 / W.length).toBeLessThan(1.03 / 784);
    expect(max).toBeLessThanOrEqual((2 * Math.sqrt(1 / 784)) / 0.87962566103423978);
    expect(Array.from(w[0].b).every((v) => v === 0)).toBe(true);
    expect(createFloatEngine(cfg).weights()[1].W).toEqual(w[1].W);
    expect(createFloatEngine({ ...cfg, seed: 43 }).weights()[1].W).not.toEqual(w[1].W);
  });

  it('rejects bad configurations and foreign states', () => {
    expect(() => createFloatEngine({ ...SMALL, window: 1 })).toThrow(/window/);
    expect(() => createFloatEngine({ ...SMALL, layers: [6] })).toThrow(/layers/);
    const a = createFloatEngine(SMALL);
    const b = createFloatEngine({ ...SMALL, lr: 0.5 });
    expect(() => b.importState(a.exportState())).toThrow(/different configuration/);
    const s = a.exportState();
    delete s.arrays.Kx;
    expect(() => createFloatEngine(SMALL).importState(s)).toThrow(/Kx/);
    const split = randomSplit(1, 10, 5, 3);
    expect(() => a.trainSample(split, 0)).toThrow(/features/);
  });
});
