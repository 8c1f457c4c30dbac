/**
 * Default training settings per dataset and arithmetic. Float MNIST: the paper's setting
 * (learning-rule.md §3.3). Fixed-point: the chip's setting (stored window, plain SGD with power-of-two rates,
 * variant E, LayerNorm ε 1e-2; sim/golden/fixed CHIP_TRAIN). The synthetic sets use our MLP (not the paper's
 * LIF network), with settings that reach ≥ 90% in a few seconds. Any option given on the command line
 * overrides its preset.
 */
import { PAPER_MNIST, type TrainConfig } from '../sim/engine.js';
import { CHIP_TRAIN } from '../sim/golden/fixed/index.js';
import { DEFAULT_NUMERIC, withNumeric, type NumericConfig } from '../generator/numeric.js';
import type { DatasetName } from './data/index.js';

export interface Preset {
  config: TrainConfig;
  epochs: number;
}

/** A fixed-point preset also sets the number formats. */
export interface FixedPreset extends Preset {
  numeric: NumericConfig;
}

const XOR_LIKE = { layers: [2, 16, 16, 2], gamma: 2 };
/** Synthetic inputs are not pixels: they need integer bits (the default Q1.8 input saturates on them). */
const SYNTHETIC_NUMERIC = withNumeric(DEFAULT_NUMERIC, { input: { format: 'Q4.12', rounding: 'nearest', overflow: 'saturate' } });

export const FLOAT_PRESETS: Record<DatasetName, Preset> = {
  mnist: { config: PAPER_MNIST, epochs: 25 },
  linear: { config: { ...PAPER_MNIST, ...XOR_LIKE, sigma: [0.5, 0.25, 1], lr: 1e-2, lrOut: 1e-2 }, epochs: 10 },
  xor: { config: { ...PAPER_MNIST, ...XOR_LIKE, sigma: [0.3, 0.25, 2], lr: 1e-2, lrOut: 1e-2 }, epochs: 10 },
};

export const FIXED_PRESETS: Record<DatasetName, FixedPreset> = {
  mnist: { config: CHIP_TRAIN, epochs: 3, numeric: DEFAULT_NUMERIC },
  linear: { config: { ...CHIP_TRAIN, ...XOR_LIKE, sigma: [0.5, 0.25, 1], lr: 0.25, lrOut: 0.25 }, epochs: 5, numeric: SYNTHETIC_NUMERIC },
  xor: { config: { ...CHIP_TRAIN, ...XOR_LIKE, sigma: [0.3, 0.25, 2], lr: 0.25, lrOut: 0.25 }, epochs: 5, numeric: SYNTHETIC_NUMERIC },
};

export function presetFor(numeric: 'float' | 'fixed', dataset: DatasetName): Preset {
  return (numeric === 'fixed' ? FIXED_PRESETS : FLOAT_PRESETS)[dataset];
}
