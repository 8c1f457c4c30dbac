/**
 * `--engine ucore` (sim/ucore/engine.ts) against the fixed-point engine through the Engine interface: the same
 * trainSample results, the same exported state (every array: weights, biases, LFSR states, window, slot
 * bookkeeping; count, head, steps, every saturation counter) across an epoch boundary, the same accuracy;
 * a state imported mid-run continues identically. On MNIST (u8 pixels) and on the xor set (input words,
 * quantised on the host, two hidden layers).
 */
import { describe, expect, it } from 'vitest';
import { loadChipConfig } from '../../generator/config.js';
import type { NumericConfig } from '../../generator/numeric.js';
import { chipTrainConfig } from '../../host/chip/config.js';
import { loadDataset } from '../../host/data/index.js';
import { FIXED_PRESETS } from '../../host/presets.js';
import type { Split } from '../../sim/data.js';
import type { Engine, EngineState, TrainConfig } from '../../sim/engine.js';
import { FixedPointEngine } from '../../sim/golden/fixed/index.js';
import { UcoreEngine } from '../../sim/ucore/engine.js';
import { loadMnistSubset } from '../units/mnist-subset.js';

function sameState(a: EngineState, b: EngineState, what: string): void {
  expect(a.meta, `${what}: meta`).toEqual(b.meta);
  expect(Object.keys(a.arrays), `${what}: arrays`).toEqual(Object.keys(b.arrays));
  for (const k of Object.keys(a.arrays)) expect(Array.from(a.arrays[k]), `${what}: ${k}`).toEqual(Array.from(b.arrays[k]));
}

function trainBoth(engines: Engine[], split: Split, from: number, to: number, what: string): void {
  for (let i = from; i < to; i++) {
    const r = engines.map((e) => e.trainSample(split, i % split.n));
    expect(r[0], `${what}: sample ${i} stepped`).toBe(r[1]);
  }
}

function compare(name: string, config: TrainConfig, numeric: NumericConfig, train: Split, test: Split, n: number): void {
  const gold = new FixedPointEngine(config, numeric);
  const core = new UcoreEngine(config, numeric);
  const both: Engine[] = [core, gold];
  const w0 = gold.exportState();
  trainBoth(both, train, 0, n, name);
  sameState(core.exportState(), gold.exportState(), `${name} after ${n} samples`);
  both.forEach((e) => e.beginEpoch());
  trainBoth(both, train, n, n + 7, name);
  sameState(core.exportState(), gold.exportState(), `${name} after an epoch boundary`);
  expect(core.evaluate(test), `${name}: accuracy`).toBe(gold.evaluate(test));
  sameState(core.exportState(), gold.exportState(), `${name} after evaluate`);
  // the hidden layers learned: their weights moved from the initial ones
  const moved = gold.exportState();
  expect(Array.from(moved.arrays.W0), `${name}: W0 never moved`).not.toEqual(Array.from(w0.arrays.W0));
  // a fresh engine from the golden state continues as the golden one
  const again = new UcoreEngine(config, numeric);
  again.importState(gold.exportState());
  trainBoth([again, gold], train, n + 7, n + 15, name);
  sameState(again.exportState(), gold.exportState(), `${name} after importState`);
  expect(core.figures.trainSamples).toBe(n + 7);
  expect(core.figures.trainCycles).toBeGreaterThan(0);
}

describe('the ucore engine against the fixed-point engine', () => {
  it('MNIST on the iCEBreaker config (784-32-10, window 4)', () => {
    const cfg = loadChipConfig('boards/icebreaker/chip.json');
    const data = loadMnistSubset(40, 30);
    compare('iCEBreaker', chipTrainConfig(cfg, 11), cfg.numeric, data.train, data.test, 20);
  });

  it('xor (input words quantised on the host, 2-16-16-2)', () => {
    const p = FIXED_PRESETS.xor;
    const data = loadDataset('xor', { seed: 2 });
    compare('xor', { ...p.config, seed: 2 }, p.numeric, data.train, data.test, 60);
  });
});
