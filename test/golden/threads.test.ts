/** The optional helper thread gives exactly the results of one thread. */
import { describe, expect, it } from 'vitest';
import { Rng, epochOrder } from '../../sim/rng.js';
import { PAPER_MNIST, type TrainConfig } from '../../sim/engine.js';
import { FloatEngine } from '../../sim/golden/float/index.js';

describe('threads: 2', () => {
  const rng = new Rng(12);
  const n = 120;
  const dim = 30;
  const split = { n, dim, x: Float64Array.from({ length: n * dim }, () => rng.normal()), y: Uint8Array.from({ length: n }, () => rng.int(4)) };
  const base: TrainConfig = { ...PAPER_MNIST, layers: [dim, 20, 10, 4], window: 8, sigma: [0.5, 0.6, 1], lr: 1e-2, lrOut: 1e-2, lnEps: 1e-3 };
  for (const [name, cfg] of [
    ['AdamW, P', base],
    ['SGD, E, B = 11', { ...base, optimizer: 'sgd', variant: 'E', window: 11, lr: 0.5, lrOut: 0.05 }],
  ] as [string, TrainConfig][]) {
    it(`${name}: every state word equals the single-threaded run`, () => {
      const states = [1, 2].map((threads) => {
        const e = new FloatEngine(cfg, { threads });
        for (let ep = 1; ep <= 2; ep++) {
          e.beginEpoch();
          for (const i of epochOrder(3, ep, n)) e.trainSample(split, i);
        }
        const s = e.exportState();
        e.close();
        return Object.fromEntries(Object.entries(s.arrays).map(([k, a]) => [k, Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))]));
      });
      expect(states[1]).toEqual(states[0]);
      expect(states[0].W0).not.toEqual(Array.from(new Uint8Array(new FloatEngine(cfg).weights()[0].W.buffer)));
    });
  }
});
