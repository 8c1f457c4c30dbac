/**
 * The fixed-point library shared by the Verilog generator and the fixed-point golden model.
 *
 *   format.ts  formats (`fixed<16,4>` / Q4.12), parsing, printing, ranges, result formats, fromReal
 *   types.ts   rounding / overflow modes, NoiseSource, saturation counters
 *   ref.ts     exact bigint arithmetic — the oracle (`ref.resize`, `ref.add`, …)
 *   fast.ts    the same on numbers, for hot loops, with stated bounds and checked variants
 *   lfsr.ts    the hardware LFSR and the stochastic-rounding spec
 *   tables.ts  exp / expNeg / recip / rsqrt as table + interpolation integer computations, maxError
 *   scale.ts   ConstScale: multiplication by a real constant as mantissa and shift (κ, 1/B, …), round half up
 */
export * from './format.js';
export * from './types.js';
export * from './lfsr.js';
export * from './tables.js';
export * as ref from './ref.js';
export * as fast from './fast.js';
export { ConstScale, mulShift, rshiftNearest } from './scale.js';
