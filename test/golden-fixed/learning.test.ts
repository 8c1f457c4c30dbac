/**
 * The fixed-point engine learns: a 5000-sample MNIST subset (5 epochs, first 1000 test images) and the XOR set
 * through the host's training loop.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_NUMERIC, withNumeric } from '../../generator/numeric.js';
import { loadDataset } from '../../host/data/index.js';
import { runTraining } from '../../host/train.js';
import { createFixedEngine } from '../../sim/golden/fixed/index.js';
import { CHIP_MNIST } from './helpers.js';

describe('the fixed-point engine learns', () => {
  it('MNIST 784-128-64-10, B = 8, variant J, lr >>1 / >>6: ≥ 85% on 1000 test images after 5 epochs of 5000 samples', async () => {
    const data = loadDataset('mnist');
    const e = createFixedEngine({ ...CHIP_MNIST, lrOut: 2 ** -6 }, DEFAULT_NUMERIC);
    const before = e.evaluate(data.test, 1000);
    const r = await runTraining(e, data, { epochs: 5, trainLimit: 5000, testLimit: 1000, shuffleSeed: 1 });
    const acc = r.epochs.map((x) => x.testAccuracy);
    expect(before).toBeLessThan(0.3);
    expect(acc[4]).toBeGreaterThanOrEqual(0.85);
    // nothing saturated that would mean a format is too narrow for MNIST
    for (const q of ['weight', 'preact', 'act', 'windowZ', 'xi', 'delta', 'logit', 'coef']) expect(e.sat.count(q)).toBe(0);
  });

  it('XOR (2-16-16-2, inputs Q4.12): ≥ 95% after 5 epochs', async () => {
    const data = loadDataset('xor');
    const cfg = { ...CHIP_MNIST, layers: [2, 16, 16, 2], sigma: [0.3, 0.25, 2] as [number, number, number], lr: 0.25, lrOut: 0.25 };
    const e = createFixedEngine(cfg, withNumeric(DEFAULT_NUMERIC, { input: { format: 'Q4.12', rounding: 'nearest', overflow: 'saturate' } }));
    const r = await runTraining(e, data, { epochs: 5, shuffleSeed: 1 });
    expect(r.epochs[4].testAccuracy).toBeGreaterThanOrEqual(0.95);
  });
});
