/**
 * Kernel unit (spec function of generator/units/kernel.ts): kernel words from exact squared distances and the
 * K_Y word (§ KERNEL and CONSTANTS of the specification, step.ts header). The table functions of the chip
 * (expNeg, exp, rsqrt, recip) are defined once in generator/numeric.ts (chipTables), re-exported here.
 */
import { fromReal, maxRawNum, type TableFunction } from '../../../generator/fixed/index.js';
import { type ResolvedNumeric } from '../../../generator/numeric.js';
import { PIXEL_SHIFT } from '../../data.js';
import type { SatSlots } from './common.js';
import { ConstScale } from './scale.js';

export { chipTables } from '../../../generator/numeric.js';

export interface KernelParams {
  /** κ as mantissa and shift (the chip's constant) */
  readonly kappa: ConstScale;
  /** extra shift e of kappa.apply(d, e): brings d·κ to kernelArg units */
  readonly shift: number;
  /** largest kernelArg word (t saturates here) */
  readonly tMax: number;
  readonly expNeg: TableFunction;
  /** 1.0 in the gram format (the diagonal) */
  readonly one: number;
}

/** Which distances a kernel reads: u8 pixels, input words (non-image sets), or hidden layer l's stored z. */
export type KernelSource = 'pixels' | 'inputs' | 'z';

/**
 * Kernel parameters for bandwidth base σ over vectors of `dim` words (s² = σ²·dim); for K_Z, dim is the
 * layer width n.
 */
export function kernelParams(N: ResolvedNumeric, expNegT: TableFunction, sigma: number, dim: number, src: KernelSource): KernelParams {
  const ft = N.kernelArg.format.fracBits;
  // (each expression in a fixed evaluation order: the constant is part of the specification)
  let kappa: number;
  let shift: number;
  if (src === 'pixels') {
    kappa = 4 / (2 ** (2 * PIXEL_SHIFT) * 2 * sigma * sigma * dim);
    shift = -ft;
  } else if (src === 'inputs') {
    kappa = 1 / (2 * sigma * sigma * dim);
    shift = 2 * N.input.format.fracBits - ft;
  } else {
    kappa = 1 / (2 * (sigma * sigma * dim));
    shift = 2 * N.windowZ.format.fracBits - ft;
  }
  return { kappa: new ConstScale(kappa, N.constBits), shift, tMax: maxRawNum(N.kernelArg.format), expNeg: expNegT, one: 2 ** N.gram.format.fracBits };
}

/** k = expNeg(sat_t(rnd(d·κ))) of an exact squared distance d (saturations counted in kernelArg, gram). */
export function kernelWord(p: KernelParams, d: number, sat: SatSlots): number {
  let t = p.kappa.apply(d, p.shift);
  if (t > p.tMax) {
    t = p.tMax;
    sat.kernelArg.high++;
  }
  return p.expNeg.eval(t, sat.gram);
}

/** k[q] = kernelWord(d[q]) for the slots q = 0 … count − 1, q ≠ c; k[c] = 1.0. Entries q ≥ count are not written. */
export function kernelRow(p: KernelParams, d: Float64Array, c: number, count: number, k: Int32Array, sat: SatSlots): void {
  for (let q = 0; q < count; q++) k[q] = q === c ? p.one : kernelWord(p, d[q], sat);
}

/** The K_Y word of two different labels: expNeg(sat_t(rnd(2/(2 s_y²)))), s_y² = σ_y²·classes. */
export function labelOffWord(N: ResolvedNumeric, expNegT: TableFunction, sigmaY: number, classes: number): number {
  const tY = Math.min(fromReal(2 / (2 * sigmaY * sigmaY * classes), N.kernelArg.format, 'nearest', 'saturate'), maxRawNum(N.kernelArg.format));
  return expNegT.eval(tY);
}

/** K_Y row: ky[q] = one if labels[q] = labels[c] else off, for q = 0 … count − 1 (ky[c] = one). */
export function labelRow(labels: Int32Array, c: number, count: number, one: number, off: number, ky: Int32Array): void {
  const yc = labels[c];
  for (let q = 0; q < count; q++) ky[q] = labels[q] === yc ? one : off;
}
