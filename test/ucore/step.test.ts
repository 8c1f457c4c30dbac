/**
 * The whole step program (generator/ucore/program/step.ts) against the fixed-point engine, sample by sample on
 * real MNIST: after every sample the machine's parameters (every weight and bias of every layer), LFSR states,
 * window (count, head, labels, vectors, stored z, K_X, K_Y, R_X, R_Y) and every saturation counter equal the
 * golden engine's; an epoch boundary half-way (the clear entry against beginEpoch); then inference (the infer
 * entry against predict) on test samples. The hidden and output weights must have moved.
 */
import { describe, expect, it } from 'vitest';
import { loadChipConfig } from '../../generator/config.js';
import { countersOf } from '../../generator/ucore/program/common.js';
import { stepProgram } from '../../generator/ucore/program/step.js';
import { DEFAULT_NUMERIC, type NumericConfig } from '../../generator/numeric.js';
import { chipTrainConfig } from '../../host/chip/config.js';
import type { Split } from '../../sim/data.js';
import { CHIP_TRAIN, FixedPointEngine } from '../../sim/golden/fixed/index.js';
import type { TrainConfig } from '../../sim/engine.js';
import { loadCounters, loadState, readState, ucoreMachine, writeSample } from '../../sim/ucore/state.js';
import { loadMnistSubset } from '../units/mnist-subset.js';

const counters = (e: FixedPointEngine): Record<string, { high: number; low: number }> => {
  const s = e.sat.snapshot() as Record<string, { high: number; low: number }>;
  const out: Record<string, { high: number; low: number }> = {};
  for (const [k, v] of Object.entries(s)) if (k !== 'rowSum') out[k] = { high: v.high, low: v.low };
  return out;
};

/** Trains `n` samples of `train` on both, an epoch boundary after `clearAt`; predicts `test` samples on both. */
function run(name: string, config: TrainConfig, numeric: NumericConfig, train: Split, test: Split, clearAt: number, nTest: number): Record<string, number> {
  const e = new FixedPointEngine(config, numeric);
  const P = e.params;
  const pixels = train.pixels !== undefined;
  const sp = stepProgram(P, pixels);
  const m = ucoreMachine(P, sp);
  loadState(m, P, sp, e.state);
  // the constructor's quantisation counted into the golden counters: the machine starts from the same
  loadCounters(m, e.sat.snapshot());
  const W0 = e.state.W.map((w) => w.slice());
  /** what the chip receives of sample i (the pixels, or the input words) */
  const u = (s: Split, i: number): ArrayLike<number> => e.sampleInput(s, i).u;
  let steps = 0;
  let cycles = 0;
  for (let i = 0; i < train.n; i++) {
    if (i === clearAt) {
      e.beginEpoch();
      m.run(sp.program, sp.entry.clear);
    }
    const stepped = e.trainSample(train, i);
    writeSample(m, sp, u(train, i), train.y[i]);
    const c0 = m.cycles;
    m.run(sp.program, sp.entry.train);
    if (stepped) {
      steps++;
      cycles = m.cycles - c0;
    }
    const what = `${name} sample ${i}`;
    const got = readState(m, P, sp);
    const S = e.state;
    got.W.forEach((w, l) => expect(Array.from(w), `${what}: W of layer ${l + 1}`).toEqual(Array.from(S.W[l])));
    got.b.forEach((b, l) => expect(Array.from(b), `${what}: b of layer ${l + 1}`).toEqual(Array.from(S.b[l])));
    got.lfsr.forEach((st, l) => expect(Array.from(st), `${what}: LFSR states of layer ${l + 1}`).toEqual(Array.from(S.banks[l].states, (v) => v >>> 0)));
    expect([got.wm.count, got.wm.head], `${what}: count, head`).toEqual([S.wm.count, S.wm.head]);
    expect(Array.from(got.wm.slotLabel), `${what}: labels`).toEqual(Array.from(S.wm.slotLabel));
    expect(Array.from(got.wm.inputs), `${what}: window vectors`).toEqual(Array.from(S.wm.inputs));
    got.wm.zw.forEach((z, l) => expect(Array.from(z), `${what}: stored z of layer ${l + 1}`).toEqual(Array.from(S.wm.zw[l])));
    expect(Array.from(got.wm.Kx), `${what}: K_X`).toEqual(Array.from(S.wm.Kx));
    expect(Array.from(got.wm.Ky), `${what}: K_Y`).toEqual(Array.from(S.wm.Ky));
    expect(Array.from(got.wm.Rx), `${what}: R_X`).toEqual(Array.from(S.wm.Rx));
    expect(Array.from(got.wm.Ry), `${what}: R_Y`).toEqual(Array.from(S.wm.Ry));
    const mc = countersOf(m.sat);
    const gc = counters(e);
    for (const q of Object.keys(gc)) expect(mc[q], `${what}: ${q} counters`).toEqual(gc[q]);
  }
  expect(steps).toBeGreaterThan(0);
  e.state.W.forEach((w, l) => expect(Array.from(w), `${name}: layer ${l + 1} never moved`).not.toEqual(Array.from(W0[l])));
  // inference
  for (let i = 0; i < nTest; i++) {
    const want = e.predict(test, i);
    writeSample(m, sp, u(test, i), 0);
    m.run(sp.program, sp.entry.infer);
    expect(Number(m.load(sp.layout.at('out.class'), 1, false)), `${name} test sample ${i}: class`).toBe(want);
  }
  const gc = counters(e);
  const mc = countersOf(m.sat);
  expect(mc.logit, `${name}: logit counters after inference`).toEqual(gc.logit);
  return { steps, cycles };
}

describe('the ucore step program against the fixed-point engine', () => {
  it('the iCEBreaker chip (784-32-10, window 4) on 24 MNIST samples, an epoch boundary after 13; inference on 20', () => {
    const cfg = loadChipConfig('boards/icebreaker/chip.json');
    const data = loadMnistSubset(24, 20);
    const r = run('iCEBreaker', chipTrainConfig(cfg, 5), cfg.numeric, data.train, data.test, 13, 20);
    console.log(`[ucore step] iCEBreaker 784-32-10 B4: ${r.steps} steps, the last ${r.cycles} cycles (ISS plan)`);
  });

  it('two hidden layers, window 6, 5 lanes, variant J (784-16-8-10 on MNIST)', () => {
    const data = loadMnistSubset(20, 8);
    const numeric: NumericConfig = { ...DEFAULT_NUMERIC, lfsr: { ...DEFAULT_NUMERIC.lfsr, lanes: 5 } };
    run('784-16-8-10', { ...CHIP_TRAIN, layers: [784, 16, 8, 10], window: 6, variant: 'J', seed: 3 }, numeric, data.train, data.test, 11, 8);
  });
});
