/**
 * Chip configurations the unit co-simulations build: hidden widths 2 … 256 in one design (the `layer`
 * argument picks one per call, so data vary without a rebuild), every ξ variant, and narrow number formats
 * under which the LayerNorm and modulator saturations are reachable.
 */
import { DEFAULT_CHIP, type ChipConfig } from '../../generator/config.js';
import { withNumeric, type NumericConfig } from '../../generator/numeric.js';

/** Narrow formats: z, windowZ, var, s⁻¹, coefficient, ξ and δ all clamp on ordinary data; other roundings. */
export const NARROW_NUMERIC: NumericConfig = withNumeric(DEFAULT_CHIP.numeric, {
  preact: { format: 'Q4.10', rounding: 'floor', overflow: 'saturate' },
  act: { format: 'Q2.10', rounding: 'nearest', overflow: 'saturate' },
  windowZ: { format: 'Q1.8', rounding: 'truncate', overflow: 'saturate' },
  lnVar: { format: 'UQ3.16', rounding: 'nearest', overflow: 'saturate' },
  lnInvStd: { format: 'UQ3.15', rounding: 'nearest', overflow: 'saturate' },
  coef: { format: 'Q-8.28', rounding: 'nearest', overflow: 'saturate' },
  xi: { format: 'Q-6.20', rounding: 'nearest', overflow: 'saturate' },
  delta: { format: 'Q-6.22', rounding: 'nearest', overflow: 'saturate' },
});

/** A configuration with the given hidden widths, window and variant. */
export function unitConfig(hidden: number[], window: number, variant: ChipConfig['variant'], numeric: NumericConfig = DEFAULT_CHIP.numeric): ChipConfig {
  // the row sums hold B gram words exactly: UQ(1 + ⌈log2 B⌉).16 at least
  const rowSum = { format: `UQ${Math.max(4, 1 + Math.ceil(Math.log2(window)))}.16`, rounding: 'nearest' as const, overflow: 'saturate' as const };
  return { ...DEFAULT_CHIP, layers: [8, ...hidden, 3], window, variant, numeric: withNumeric(numeric, { rowSum }) };
}
