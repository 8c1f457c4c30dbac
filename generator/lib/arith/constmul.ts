/**
 * A product by a constant written as shifts and adds (the constant's canonical signed digits: at most about
 * a third of its bits non-zero), so that synthesis makes adders of it. A `mul` by a constant is mapped to
 * DSP tiles by Yosys (synth_xilinx, synth_ice40 -dsp) like any product — on the Arty 4 DSP48E1s for a
 * 32 × 32 hash multiply — where the tiles are the scarce resource and the product is rare or small.
 */
import { constant, uint, type Expr } from '../../ir/index.js';

/** Canonical signed digits of c ≥ 0: [shift, +1 | −1] from the lowest, no two adjacent non-zero. */
export function csdDigits(c: bigint): [number, 1 | -1][] {
  if (c < 0n) throw new RangeError(`csdDigits: ${c} must be ≥ 0`);
  const out: [number, 1 | -1][] = [];
  let x = c;
  for (let i = 0; x > 0n; i++, x >>= 1n) {
    if ((x & 1n) === 0n) continue;
    // x ≡ 1 (mod 4): digit +1; x ≡ 3 (mod 4): digit −1 and carry
    if ((x & 3n) === 3n) {
      out.push([i, -1]);
      x += 1n;
    } else {
      out.push([i, 1]);
      x -= 1n;
    }
  }
  return out;
}

/** (x · c) mod 2^w for an unsigned x and a constant c ≥ 0, as uint(w) (w ≥ the exact width gives x·c). */
export function constMulWrap(x: Expr, c: number | bigint, w: number): Expr {
  if (x.signed) throw new RangeError('constMulWrap: x must be unsigned');
  const xw = x.width < w ? x.zext(w) : x.width > w ? x.trunc(w) : x;
  const term = (sh: number): Expr => (sh === 0 ? xw : sh >= w ? constant(0, uint(w)) : xw.shl(sh).trunc(w));
  const digits = csdDigits(BigInt(c));
  if (digits.length === 0) return constant(0, uint(w));
  // the top digit is +1: start from it, then add or subtract the others (wrapping at w bits)
  const [top, ...rest] = digits.slice().reverse();
  let acc = term(top[0]);
  for (const [sh, d] of rest) acc = d > 0 ? acc.addWrap(term(sh)) : acc.subWrap(term(sh));
  return acc;
}
