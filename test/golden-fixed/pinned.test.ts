/**
 * The specification pinned: SHA-256 of the integer weights (encodeWeights: every word of every W and b) after
 * a fixed number of MNIST (and XOR) training steps. The fixed-point engine is the specification the RTL is
 * held to, so these hashes change only when the spec's meaning changes.
 *
 * CHANGING THE SPEC'S MEANING REQUIRES AN EXPLICIT UPDATE OF THESE HASHES, in a commit that says what changed
 * and why. A refactoring (splitting files, speeding up a loop) must leave every hash as it is.
 *
 * Samples are fed in index order (no shuffle), so the hashes do not depend on the host's training loop.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NUMERIC, withNumeric, type NumericConfig } from '../../generator/numeric.js';
import { loadDataset } from '../../host/data/index.js';
import type { Split } from '../../sim/data.js';
import type { TrainConfig, Variant } from '../../sim/engine.js';
import { CHIP_TRAIN, createFixedEngine } from '../../sim/golden/fixed/index.js';

const mnist = loadDataset('mnist');

/** 784-16-8-10, B = 4, 8 LFSR lanes: every unit of the chip at a few thousand weights. */
const TINY: TrainConfig = { ...CHIP_TRAIN, layers: [784, 16, 8, 10], window: 4 };
const TINY_NUMERIC: NumericConfig = withNumeric(DEFAULT_NUMERIC, { lfsr: { ...DEFAULT_NUMERIC.lfsr, lanes: 8 } });

/** sha256 of the weight file after training on samples [from, to) of `split` in each of the given epochs. */
function trainedHash(config: TrainConfig, numeric: NumericConfig, split: Split, epochs: [number, number][]): string {
  const e = createFixedEngine(config, numeric);
  for (const [from, to] of epochs) {
    e.beginEpoch();
    for (let i = from; i < to; i++) e.trainSample(split, i);
  }
  return createHash('sha256').update(e.encodeWeights()).digest('hex');
}

describe('pinned fixed-point specification (weights after N steps, SHA-256)', () => {
  it.each([
    ['E', 'b1c90aee1c704124aa50997d41eaca071587c662f51003f9c58a8368a16c005e'],
    ['J', 'fe510fad1356d018e3c6bd83943512b1858c1aa35b459623995b5ff450721aa1'],
    ['P', 'e1b61ac6f55f6adc791cc54e8bc554eb61d412d1218ea775cd51e9245c587722'],
    ['F', '877be67af1c0e5e7e420811d55a5875d067caf6b4bed7b2f306d1b3e20a6a9c8'],
  ] as [Variant, string][])('784-16-8-10, B = 4, 8 lanes, variant %s, 300 MNIST samples', (variant, hash) => {
    expect(trainedHash({ ...TINY, variant }, TINY_NUMERIC, mnist.train, [[0, 300]])).toBe(hash);
  });

  it('784-12-6-10 (hidden widths not powers of two: 1/n and 1/n² by their mantissas), B = 4, 8 lanes, variant E, 300 MNIST samples', () => {
    expect(trainedHash({ ...TINY, layers: [784, 12, 6, 10] }, TINY_NUMERIC, mnist.train, [[0, 300]])).toBe('2d94f99ee5555e774e0a9941fd700bef3484c8850e6397d94a9e2cfe25cc6fe3');
  });

  it('784-16-8-10, B = 4, 8 lanes in 4 row groups (numeric.lfsr.rowGroups: row j rounds with lanes 2·(j mod 4) and 2·(j mod 4) + 1), variant E, 300 MNIST samples', () => {
    const numeric = withNumeric(TINY_NUMERIC, { lfsr: { ...TINY_NUMERIC.lfsr, rowGroups: 4 } });
    expect(trainedHash(TINY, numeric, mnist.train, [[0, 300]])).toBe('a6e01513d45f5250cf0c78423f6c27ef99679c37e9b8c9362f8658c794c90d2c');
  });

  it('784-16-8-10, B = 4, 8 lanes, variant E, an epoch boundary: samples 0..149, beginEpoch, samples 150..299', () => {
    expect(trainedHash(TINY, TINY_NUMERIC, mnist.train, [[0, 150], [150, 300]])).toBe('33c42b0d01722d26f00dc3cf3d65fd583177c478196d3fdf3ce76d6134eb083e');
  });

  it.each([
    ['lr 3·2^−3, lrOut 5·2^−9 (multipliers ≠ 1)', { lr: 3 / 8, lrOut: 5 / 512 }, {}, '65bc081c72345c0449e32beddeff72c5998756e158f958b922b3f7ed2137814e'],
    ['weights and biases rounded to nearest (no LFSR)', {}, { weight: { format: 'Q4.12', rounding: 'nearest', overflow: 'saturate' }, bias: { format: 'Q4.12', rounding: 'nearest', overflow: 'saturate' } }, 'f164f64b157e33a1e5a7aad09cd8c4e5b18d6b0ef0b4b51728737b53245ce203'],
    ['30 random bits per draw (shift < random bits)', {}, { lfsr: { ...TINY_NUMERIC.lfsr, rbits: 30 } }, 'dc3f7ab48bb739dd1c08c04d290c213e7b708a24d692806187e53c0a3e24617d'],
    ['narrow ξ, δ, z formats', {}, { xi: { format: 'Q-8.12', rounding: 'nearest', overflow: 'saturate' }, delta: { format: 'Q-8.12', rounding: 'nearest', overflow: 'saturate' }, act: { format: 'Q2.6', rounding: 'nearest', overflow: 'saturate' }, windowZ: { format: 'Q2.6', rounding: 'nearest', overflow: 'saturate' } }, 'c11855d5c9847db3d724cd70af1f314272537e5ee44a6de3e0607cd89dbd5461'],
  ] as [string, Partial<TrainConfig>, Partial<NumericConfig>, string][])('784-16-8-10, B = 4, variant E, 300 MNIST samples, %s', (_name, cfg, patch, hash) => {
    expect(trainedHash({ ...TINY, ...cfg }, withNumeric(TINY_NUMERIC, patch), mnist.train, [[0, 300]])).toBe(hash);
  });

  it('the chip default: 784-128-64-10, B = 8, 66 lanes, variant E (CHIP_TRAIN, DEFAULT_NUMERIC), 300 MNIST samples', () => {
    expect(trainedHash(CHIP_TRAIN, DEFAULT_NUMERIC, mnist.train, [[0, 300]])).toBe('670a064ac5c33b4042a9870f9f9678ee5e2c8dd3361abfffd2ca92ce5fc4ac37');
  });

  it('784-128-64-10, B = 8, 48 lanes in 3 row groups (the unit meets 1.1 × ⌈words/L⌉ there), variant E, 300 MNIST samples', () => {
    const numeric = withNumeric(DEFAULT_NUMERIC, { lfsr: { ...DEFAULT_NUMERIC.lfsr, lanes: 48, rowGroups: 3 } });
    expect(trainedHash(CHIP_TRAIN, numeric, mnist.train, [[0, 300]])).toBe('ef80e9d2517f6605b523034e43ecec68c3a7fdba701c7bfc30a421b4927ed443');
  });

  it('XOR 2-16-16-2 (inputs Q4.12, not pixels), B = 8, variant E, lr 2^−2, 400 samples', () => {
    const xor = loadDataset('xor');
    const cfg: TrainConfig = { ...CHIP_TRAIN, layers: [2, 16, 16, 2], sigma: [0.3, 0.25, 2], lr: 0.25, lrOut: 0.25 };
    const n = withNumeric(DEFAULT_NUMERIC, { input: { format: 'Q4.12', rounding: 'nearest', overflow: 'saturate' } });
    expect(trainedHash(cfg, n, xor.train, [[0, 400]])).toBe('1b24e2c20519d31c8ecbc5f29992af02398eeee171e9dee969da506cc5dea007');
  });
});
