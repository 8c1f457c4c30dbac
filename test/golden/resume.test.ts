/**
 * exportState → importState into a fresh engine mid-epoch, then continuing, gives exactly (every word) the state
 * of an uninterrupted run.
 */
import { describe, expect, it } from 'vitest';
import { epochOrder } from '../../sim/rng.js';
import type { Split } from '../../sim/data.js';
import { PAPER_MNIST, type Engine, type EngineState, type TrainConfig } from '../../sim/engine.js';
import { createFloatEngine } from '../../sim/golden/float/index.js';
import { randomSplit } from './helpers.js';

/** Bytes of every array of a state (and its meta as JSON), for word-by-word comparison. */
function bytesOf(s: EngineState): Record<string, number[] | string> {
  const out: Record<string, number[] | string> = { meta: JSON.stringify(s.meta) };
  for (const [k, a] of Object.entries(s.arrays)) out[k] = Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return out;
}

/** As a checkpoint file would carry it: meta through JSON, arrays copied. */
function roundTrip(s: EngineState): EngineState {
  const arrays: EngineState['arrays'] = {};
  for (const [k, a] of Object.entries(s.arrays)) arrays[k] = a.slice();
  return { meta: JSON.parse(JSON.stringify(s.meta)) as Record<string, unknown>, arrays };
}

function run(engine: Engine, split: Split, from: { epoch: number; offset: number }, to: { epoch: number; offset: number }): void {
  for (let ep = from.epoch; ep <= to.epoch; ep++) {
    const order = epochOrder(9, ep, split.n);
    const start = ep === from.epoch ? from.offset : 0;
    const end = ep === to.epoch ? to.offset : split.n;
    if (start === 0 && end > 0) engine.beginEpoch();
    for (let k = start; k < end; k++) engine.trainSample(split, order[k]);
  }
}

const SMALL: TrainConfig = { ...PAPER_MNIST, layers: [7, 12, 8, 3], window: 5, sigma: [0.5, 0.6, 1], lr: 1e-2, lrOut: 1e-2, lnEps: 1e-3 };

const CASES: [string, TrainConfig][] = [
  ['ib P recompute adamw', SMALL],
  ['ib E stored sgd', { ...SMALL, variant: 'E', memory: 'stored', optimizer: 'sgd', lr: 0.5, lrOut: 0.05 }],
  ['ib J recompute sgd, B = 11', { ...SMALL, variant: 'J', optimizer: 'sgd', window: 11, lr: 0.5, lrOut: 0.05 }],
  ['ib F stored adamw', { ...SMALL, variant: 'F', memory: 'stored' }],
  ['phsic recompute adamw', { ...SMALL, rule: 'phsic' }],
  ['phsic stored sgd', { ...SMALL, rule: 'phsic', memory: 'stored', optimizer: 'sgd', lr: 0.1 }],
  ['backprop adamw', { ...SMALL, rule: 'backprop' }],
];

describe('resume from an exported state', () => {
  const split = randomSplit(3, 60, 7, 3);
  for (const [name, cfg] of CASES) {
    it(`${name}: bit-identical to the uninterrupted run`, () => {
      const end = { epoch: 3, offset: 21 };
      const full = createFloatEngine(cfg);
      run(full, split, { epoch: 1, offset: 0 }, end);
      for (const cut of [
        { epoch: 2, offset: 3 }, // window not yet full
        { epoch: 2, offset: 37 }, // mid-epoch, window full
      ]) {
        const first = createFloatEngine(cfg);
        run(first, split, { epoch: 1, offset: 0 }, cut);
        const resumed = createFloatEngine(cfg);
        resumed.importState(roundTrip(first.exportState()));
        // a copy of the split: the engine may only keep indices, not the object
        const copy: Split = { n: split.n, dim: split.dim, x: split.x.slice(), y: split.y.slice() };
        run(resumed, copy, cut, end);
        expect(bytesOf(resumed.exportState())).toEqual(bytesOf(full.exportState()));
        const a = full.weights();
        const b = resumed.weights();
        for (let l = 0; l < a.length; l++) {
          expect(Buffer.from(b[l].W.buffer).equals(Buffer.from(a[l].W.buffer))).toBe(true);
          expect(Buffer.from(b[l].b.buffer).equals(Buffer.from(a[l].b.buffer))).toBe(true);
        }
      }
      // and the run did train
      expect(full.weights()[0].W).not.toEqual(createFloatEngine(cfg).weights()[0].W);
    });
  }
});
