/** The chip's constant multipliers live with the fixed-point library (generator/fixed/scale.ts), which the generator shares. */
export { ConstScale, mulShift, rshiftNearest } from '../../../generator/fixed/scale.js';
