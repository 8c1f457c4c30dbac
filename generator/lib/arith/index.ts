/**
 * Arithmetic library blocks, each bit-exact with generator/fixed (the golden model's arithmetic):
 *
 *   lfsr.ts   lfsr(spec)                       the stochastic-rounding LFSR (latency 0: r is the current draw)
 *   mul.ts    fixedMul(fa, fb, out, rnd, ovf)  exact product, rounding, wrap/saturate (latency 1)
 *   table.ts  tableLookup(fn)                  expNeg / exp / recip / rsqrt table + interpolation (latency 4)
 *   constmul.ts  constMulWrap(x, c, w)         a product by a constant as shifts and adds (no DSP tile)
 */
import { expNeg, exp, parseFormat, recip, rsqrt } from '../../fixed/index.js';
import type { Module } from '../../ir/index.js';
import { lfsr } from './lfsr.js';
import { fixedMul } from './mul.js';
import { tableLookup } from './table.js';

export { lfsr, lfsrParams, type LfsrSpec } from './lfsr.js';
export { fixedMul, resizeHw, FIXED_MUL_LATENCY, type FixedMulOptions } from './mul.js';
export { tableLookup, TABLE_LATENCY } from './table.js';
export { formatTag, hwType } from './common.js';
export { constMulWrap, csdDigits } from './constmul.js';

/**
 * One instance of each block at representative defaults: a 16-bit LFSR; the weight-update product
 * Q−4.20 × Q6.10 → Q4.12 with stochastic rounding (16-bit draws) and saturation; the kernel unit's
 * expNeg, and exp, recip and rsqrt, at their default configurations.
 */
export function arithBlocks(): Module[] {
  return [
    lfsr({ width: 16 }),
    fixedMul(parseFormat('Q-4.20'), parseFormat('Q6.10'), parseFormat('Q4.12'), 'stochastic', 'saturate', { rbits: 16 }),
    tableLookup(expNeg()),
    tableLookup(exp()),
    tableLookup(recip()),
    tableLookup(rsqrt()),
  ];
}
