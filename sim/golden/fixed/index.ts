/**
 * The fixed-point golden model: the bit-exact specification of the chip's training step (engine.ts).
 * createFixedEngine(config, numeric) → FixedEngine; NumericConfig / DEFAULT_NUMERIC live in generator/numeric.ts
 * because the Verilog generator consumes the same object.
 */
import type { NumericConfig } from '../../../generator/numeric.js';
import type { TrainConfig } from '../../engine.js';
import { FixedPointEngine, type FixedEngine } from './engine.js';

export { FixedPointEngine, LN_BWD_GUARD, WEIGHT_MAGIC, encodeWeightFile, decodeWeightFile } from './engine.js';
export type { FixedEngine, FixedReport, MemoryReport, AccReport, RawLayer, StepTrace } from './engine.js';
export { LfsrBank, laneSeed } from './lfsr-bank.js';
export { ConstScale, mulShift, rshiftNearest } from './scale.js';
export { DEFAULT_NUMERIC, resolveNumeric, validateNumeric, withNumeric, lrShifts, describeFormat } from '../../../generator/numeric.js';
export type { NumericConfig } from '../../../generator/numeric.js';

export function createFixedEngine(config: TrainConfig, numeric: NumericConfig): FixedPointEngine & FixedEngine {
  return new FixedPointEngine(config, numeric);
}
