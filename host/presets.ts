/**
 * Default training settings per dataset. MNIST: the paper's setting (learning-rule.md §3.3). The synthetic
 * sets use our MLP (not the paper's LIF network), with settings that reach ≥ 90% in a few seconds.
 * Any option given on the command line overrides its preset.
 */
import { PAPER_MNIST, type TrainConfig } from '../sim/engine.js';
import type { DatasetName } from './data/index.js';

export interface Preset {
  config: TrainConfig;
  epochs: number;
}

export const PRESETS: Record<DatasetName, Preset> = {
  mnist: { config: PAPER_MNIST, epochs: 25 },
  linear: {
    config: { ...PAPER_MNIST, layers: [2, 16, 16, 2], sigma: [0.5, 0.25, 1], gamma: 2, lr: 1e-2, lrOut: 1e-2 },
    epochs: 10,
  },
  xor: {
    config: { ...PAPER_MNIST, layers: [2, 16, 16, 2], sigma: [0.3, 0.25, 2], gamma: 2, lr: 1e-2, lrOut: 1e-2 },
    epochs: 10,
  },
};
