/**
 * The fixed-point golden model: the bit-exact specification of the chip's training step (step.ts, composing
 * one spec function per unit: wm, gram, kernel, forward, modulator, update, output), wrapped as an Engine
 * (engine.ts). createFixedEngine(config, numeric) → FixedEngine; NumericConfig / DEFAULT_NUMERIC live in
 * generator/numeric.ts because the Verilog generator consumes the same object.
 */
import type { NumericConfig } from '../../../generator/numeric.js';
import { PAPER_MNIST, type TrainConfig } from '../../engine.js';
import { FixedPointEngine, type FixedEngine } from './engine.js';

export { FixedPointEngine, LN_BWD_GUARD, WEIGHT_MAGIC, encodeWeightFile, decodeWeightFile } from './engine.js';
export type { FixedEngine, FixedReport, MemoryReport, AccReport, RawLayer, StepTrace } from './engine.js';
export * from './wm.js';
export * from './gram.js';
export * from './kernel.js';
export * from './forward.js';
export * from './modulator.js';
export * from './update.js';
export * from './output.js';
export { trainStep, hiddenForwardAll, stepScratch, type ChipState, type StepInput, type StepScratch } from './step.js';
export { chipParams, engineNumeric, validateTrain, type ChipParams } from './params.js';
export { satSlots, type SatSlots } from './common.js';
export { LfsrBank, laneSeed } from './lfsr-bank.js';
export { ConstScale, mulShift, rshiftNearest } from './scale.js';
export { DEFAULT_NUMERIC, resolveNumeric, validateNumeric, withNumeric, lrShifts, describeFormat } from '../../../generator/numeric.js';
export type { NumericConfig } from '../../../generator/numeric.js';

export function createFixedEngine(config: TrainConfig, numeric: NumericConfig): FixedPointEngine & FixedEngine {
  return new FixedPointEngine(config, numeric);
}

/**
 * The chip's training setting: mode S (stored window), plain SGD with power-of-two rates (hidden 2^−1, output
 * 2^−7, matching DEFAULT_NUMERIC.lr), LayerNorm ε = 1e-2, variant E — the best of E / J / P after 1 and 3
 * MNIST epochs in bench/golden-fixed.ts (bench/RESULTS.md).
 */
export const CHIP_TRAIN: TrainConfig = {
  ...PAPER_MNIST,
  variant: 'E',
  memory: 'stored',
  optimizer: 'sgd',
  lr: 0.5,
  lrOut: 2 ** -7,
  lnEps: 1e-2,
};
