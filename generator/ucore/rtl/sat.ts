/**
 * The saturation unit of the UP5K engine's core: `sat` (clamp into a w-bit signed or unsigned word) and `satr`
 * (clamp into [lo, hi]) with the flags of the clamp, exactly as the ISS (sim/ucore/iss.ts) computes them (`lone`
 * is the shift unit's). The saturation counters are the core's: it adds the flags to them.
 *
 * Ports:   clk, rst (sync, active high)
 *          a       in  sint(64)   the operand (ra)
 *          w       in  uint(6)    sat's word width, 1 … 63
 *          sgn     in  uint(1)    sat: a signed word (−2^(w−1) … 2^(w−1) − 1), else unsigned (0 … 2^w − 1)
 *          range   in  uint(1)    satr: clamp into [lo, hi] instead of the w-bit word
 *          lo, hi  in  sint(64)   satr's bounds
 *          y       out sint(64)   a clamped: hi when a > hi, else lo when a < lo, else a (the ISS's order)
 *          sat_hi  out uint(1)    a > hi: the clamp counts in the quantity's high counter
 *          sat_lo  out uint(1)    a < lo and not a > hi: the low counter
 *          y_en    in  uint(1)    y is 0 while y_en is low (the core ORs its units' results)
 * Latency: 4: the inputs held for 4 cycles give y and the flags in the fourth cycle after the first (the core
 *          holds its operands until it takes the result, so the unit keeps no copy of a, lo or hi).
 *
 * sat's bounds: with n = w − 1 (signed) or w (unsigned), hi = 2^n − 1 (n ones) and lo = ~hi (signed) or 0.
 * Stage 1 registers the bounds inverted (~hi, ~lo: sat's decoded from w, satr's taken), so that each comparison
 * is the carry out of one sum of a and a register, a carry chain with no logic before it (the signed order as
 * the unsigned one with bit 63 flipped): a > hi exactly when a + ~hi carries out, a < lo when a + ~lo + 1 does
 * not. Stage 2 sums the low 32 bits and registers their carries, stage 3 the high 32 bits with them (a 64-bit
 * chain is longer than a 48 MHz cycle on the UP5K) and registers the verdicts, stage 4 clamps.
 *
 * A 32-bit variant (xlen = 32: a, lo, hi, y sint(32), w uint(5)) serves the comparison of datapath
 * widths.
 */
import { ModuleBuilder, cat, constant, mux, sint, uint, type Expr, type Module } from '../../ir/index.js';

export const SAT_LATENCY = 4;

/**
 * Module `ucore_sat` (`ucore_sat<xlen>` for a datapath other than 64 bits: xlen 32 or 64; w then log2(xlen) bits);
 * ports and timing in the file comment.
 */
export function satUnit(xlen = 64): Module {
  if (xlen !== 32 && xlen !== 64) throw new RangeError(`satUnit: xlen must be 32 or 64, got ${xlen}`);
  const aw = Math.log2(xlen);
  const m = new ModuleBuilder(xlen === 64 ? 'ucore_sat' : `ucore_sat${xlen}`, { xlen, latency: SAT_LATENCY });
  m.clock();
  const a = m.input('a', sint(xlen));
  const w = m.input('w', uint(aw));
  const signed = m.input('sgn', uint(1));
  const range = m.input('range', uint(1));
  const lo = m.input('lo', sint(xlen));
  const hi = m.input('hi', sint(xlen));
  const yEn = m.input('y_en', uint(1));

  // stage 1: the bounds, sat's from w
  // hi = 2^(w − sgn) − 1: w ones (a decoder of w's six bits), halved when signed
  const t = constant(2n ** BigInt(xlen) - 1n, uint(xlen)).shlBy(w).not();
  const ones = m.wire('ones', mux(signed, cat(constant(0, uint(1)), t.slice(xlen - 1, 1)), t));
  const hiW = ones.asSigned();
  const loW = mux(signed, ones.not(), constant(0, uint(xlen))).asSigned();
  const nhi = m.pipe('not_hi_q', mux(range, hi, hiW).asUnsigned().not(), { reset: null });
  const nlo = m.pipe('not_lo_q', mux(range, lo, loW).asUnsigned().not(), { reset: null });
  const au = a.asUnsigned();

  // stages 2 and 3: the carries of a + ~hi and a + ~lo + 1, the low halves' then the high halves' (bit 63 flipped)
  const h = xlen / 2;
  const flip = (x: Expr): Expr => cat(x.msb().not(), x.slice(h - 2, 0));
  const carryOut = (x: Expr, y: Expr, cin: Expr): Expr => x.zext(h + 1).addWrap(y.zext(h + 1)).addWrap(cin.zext(h + 1)).bit(h);
  const low = (x: Expr): Expr => x.slice(h - 1, 0);
  const high = (x: Expr): Expr => flip(x.slice(xlen - 1, h));
  const one = constant(1, uint(1));
  const cHi = m.pipe('carry_hi_q', carryOut(low(au), low(nhi), constant(0, uint(1))), { reset: null });
  const cLo = m.pipe('carry_lo_q', carryOut(low(au), low(nlo), one), { reset: null });
  const over = m.pipe('over_q', carryOut(high(au), high(nhi), cHi), { reset: null });
  const under = m.pipe('under_q', carryOut(high(au), high(nlo), cLo).not(), { reset: null });

  // stage 4: the clamp (the flags already final: the inputs are held)
  m.output('y', m.pipe('y_q', mux(yEn, mux(over, nhi.not(), mux(under, nlo.not(), au)), constant(0, uint(xlen))).asSigned(), { reset: 0 }));
  m.output('sat_hi', over);
  m.output('sat_lo', under.and(over.not()));
  return m.build();
}
