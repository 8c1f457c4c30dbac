/**
 * The saturation unit of the UP5K engine's core: `sat` (clamp into a w-bit signed or unsigned word), `satr`
 * (clamp into [lo, hi]) with the flags of the clamp, and `lone` (the index of the leading one), exactly as the
 * ISS (sim/ucore/iss.ts) computes them. The saturation counters are the core's: it adds the flags to them.
 *
 * Ports:   clk, rst (sync, active high)
 *          a       in  sint(64)   the operand (ra)
 *          w       in  uint(6)    sat's word width, 1 … 63
 *          sgn     in  uint(1)    sat: a signed word (−2^(w−1) … 2^(w−1) − 1), else unsigned (0 … 2^w − 1)
 *          range   in  uint(1)    satr: clamp into [lo, hi] instead of the w-bit word
 *          lo, hi  in  sint(64)   satr's bounds
 *          y       out sint(64)   a clamped: hi when a > hi, else lo when a < lo, else a (the ISS's order)
 *          sat_hi  out uint(1)    a > hi: the clamp counts in the quantity's high counter
 *          sat_lo  out uint(1)    a < lo and not a > hi: the low counter (both only while y_en is high: the
 *                                 comparisons' carries are common.ts's carryOut, valid with y_en)
 *          lone    out sint(7)    ⌊log2 a⌋ for a > 0, −1 for a ≤ 0
 *          y_en, lone_en  in uint(1)  y, lone are 0 while these are low (the core ORs its units' results)
 * Latency: 4: the inputs held for 4 cycles give y and the flags in the fourth cycle after the first (the core
 *          holds its operands until it takes the result, so the unit keeps no copy of a, lo or hi).
 *
 * sat's bounds: with n = w − 1 (signed) or w (unsigned), hi = 2^n − 1 (n ones) and lo = ~hi (signed) or 0.
 * Stage 1 registers the bounds inverted (~hi, ~lo: sat's decoded from w, satr's taken), so that each comparison
 * is the carry out of one sum of a and a register, a carry chain with no logic before it (the signed order as
 * the unsigned one with bit 63 flipped): a > hi exactly when a + ~hi carries out, a < lo when a + ~lo + 1 does
 * not. Bit i of hi is n > i, i.e. w > i + sgn, which is {w, ¬sgn} > 2i + 2 (no subtraction w − 1 before the
 * decode: three LUT levels from w to the register as written). Stage 2 sums the low 32 bits and registers their
 * carries, stage 3 the high 32 bits with them (a 64-bit chain is longer than a 48 MHz cycle on the UP5K) and
 * registers the verdicts (a > hi and a ≥ lo: each chain's carry straight into its flip-flop), stage 4 clamps.
 * lone finds the leading one of each group of four bits in stage 1, of each 16-bit chunk (of its four groups) in
 * stage 2, the top chunk holding a one in stage 3 (at most four LUT levels a stage).
 *
 * A 32-bit variant (xlen = 32: a, lo, hi, y sint(32), w uint(5), lone sint(6)) serves the comparison of datapath
 * widths.
 */
import { ModuleBuilder, cat, constant, mux, select, sint, uint, type Expr, type Module } from '../../ir/index.js';
import { carryOut } from './common.js';

export const SAT_LATENCY = 4;

/**
 * Module `ucore_sat` (`ucore_sat<xlen>` for a datapath other than 64 bits: xlen 32 or 64; w then log2(xlen) bits,
 * lone log2(xlen) + 1); ports and timing in the file comment.
 */
export function satUnit(xlen = 64): Module {
  if (xlen !== 32 && xlen !== 64) throw new RangeError(`satUnit: xlen must be 32 or 64, got ${xlen}`);
  const aw = Math.log2(xlen);
  const chunks = xlen / 16;
  const m = new ModuleBuilder(xlen === 64 ? 'ucore_sat' : `ucore_sat${xlen}`, { xlen, latency: SAT_LATENCY });
  m.clock();
  const a = m.input('a', sint(xlen));
  const w = m.input('w', uint(aw));
  const signed = m.input('sgn', uint(1));
  const range = m.input('range', uint(1));
  const lo = m.input('lo', sint(xlen));
  const hi = m.input('hi', sint(xlen));
  const yEn = m.input('y_en', uint(1));
  const loneEn = m.input('lone_en', uint(1));

  // stage 1: sat's bounds from w; the leading one of each group of four bits
  // hi = 2^(w − sgn) − 1: bit i is w > i + sgn, i.e. u = 2w + 1 − sgn ≥ 2i + 3 (u odd unless signed), where u is
  // {w, ¬sgn} (no arithmetic): a thermometer code of u (two LUT levels a bit)
  const ones = m.wire('ones', thermometer(cat(w, signed.not()), xlen, (i) => 2 * i + 2));
  const hiW = ones.asSigned();
  const loW = mux(signed, ones.not(), constant(0, uint(xlen))).asSigned();
  const nhi = m.pipe('not_hi_q', mux(range, hi, hiW).asUnsigned().not(), { reset: null });
  const nlo = m.pipe('not_lo_q', mux(range, lo, loW).asUnsigned().not(), { reset: null });
  const au = a.asUnsigned();
  const groups = Array.from({ length: xlen / 4 }, (_, c) => leadingOne4(au.slice(4 * c + 3, 4 * c)));
  const gAny = m.pipe('g_any_q', cat(...groups.map((g) => g.any).reverse()), { reset: null });
  const gIdx = m.pipe('g_idx_q', cat(...groups.map((g) => g.index).reverse()), { reset: null });

  // stage 2: the leading one of each 16-bit chunk (of its four groups)
  const ones16 = Array.from({ length: chunks }, (_, c) => pickTop(gAny.slice(4 * c + 3, 4 * c), gIdx.slice(8 * c + 7, 8 * c), 4));
  const nz1 = m.pipe('nz_q', cat(...ones16.map((c) => c.any).reverse()), { reset: null });
  const idx1 = m.pipe('idx_q', cat(...ones16.map((c) => c.index).reverse()), { reset: null });

  // stages 2 and 3: the carries of a + ~hi and a + ~lo + 1, the low halves' then the high halves' (bit 63 flipped)
  const h = xlen / 2;
  const flip = (x: Expr): Expr => cat(x.msb().not(), x.slice(h - 2, 0));
  const low = (x: Expr): Expr => x.slice(h - 1, 0);
  const high = (x: Expr): Expr => flip(x.slice(xlen - 1, h));
  const one = constant(1, uint(1));
  const cHi = m.pipe('carry_hi_q', carryOut(low(au), low(nhi), constant(0, uint(1)), yEn), { reset: null });
  const cLo = m.pipe('carry_lo_q', carryOut(low(au), low(nlo), one, yEn), { reset: null });
  const over = m.pipe('over_q', carryOut(high(au), high(nhi), cHi, yEn), { reset: null });
  // a ≥ lo (the chain's carry straight into its flip-flop, no inverter after the chain): under is its negation
  const notUnder = m.pipe('not_under_q', carryOut(high(au), high(nlo), cLo, yEn), { reset: null });
  // stage 3: the top chunk holding a one
  const top = pickTop(nz1, idx1, chunks);
  const none = a.msb().or(top.any.not());
  const lone3 = m.pipe('lone3_q', mux(none, constant(-1, sint(aw + 1)), top.index.zext(aw + 1).asSigned()), { reset: null });

  // stage 4: the clamp (the flags already final: the inputs are held), lone
  m.output('y', m.pipe('y_q', mux(yEn, mux(over, nhi.not(), mux(notUnder, au, nlo.not())), constant(0, uint(xlen))).asSigned(), { reset: 0 }));
  m.output('sat_hi', over);
  m.output('sat_lo', notUnder.or(over).not());
  m.output('lone', m.pipe('lone_q', mux(loneEn, lone3, constant(0, sint(aw + 1))), { reset: 0 }));
  return m.build();
}

/**
 * The leading one of groups: `any` (uint(g)) flags the groups holding a one, `index` (g fields of b bits, group 0
 * lowest) the leading one's index inside each; returns whether any group holds a one and the index of the
 * leading one over all of them (the top such group's number, then its field).
 */
function pickTop(any: Expr, index: Expr, g: number): { any: Expr; index: Expr } {
  const b = index.width / g;
  const field = (i: number): Expr => index.slice(b * i + b - 1, b * i);
  // the top group with a one (g = 2 or 4: one or two bits, each one LUT of the flags)
  const tw = Math.log2(g);
  let top: Expr = constant(0, uint(tw));
  for (let i = 1; i < g; i++) top = mux(any.bit(i), constant(i, uint(tw)), top);
  const inner = select(top, Array.from({ length: g }, (_, i) => field(i)));
  return { any: any.orReduce(), index: cat(top, inner) };
}

/** The leading one of four bits: any one at all, and its index (2 bits; each output bit one LUT). */
function leadingOne4(x: Expr): { any: Expr; index: Expr } {
  const b = (i: number): Expr => x.bit(i);
  const hi = b(3).or(b(2));
  const lo = b(3).or(b(2).not().and(b(1)));
  return { any: x.orReduce(), index: cat(hi, lo) };
}

/**
 * A thermometer code of n: bit i is n > at(i) (i = 0 … width − 1, at increasing), from n's high and low bit groups
 * decoded apart (each bit a function of three decoded signals: one LUT).
 */
function thermometer(n: Expr, width: number, at: (i: number) => number): Expr {
  const lb = Math.ceil(n.width / 2);
  const hiN = n.slice(n.width - 1, lb);
  const loN = n.slice(lb - 1, 0);
  const g = 2 ** lb;
  const bits: Expr[] = [];
  for (let i = width - 1; i >= 0; i--) {
    const j = Math.floor(at(i) / g);
    const k = at(i) % g;
    if (j >= 2 ** hiN.width) {
      bits.push(constant(0, uint(1))); // above every value of n
      continue;
    }
    bits.push(above(hiN, j).or(hiN.eq(j).and(above(loN, k))));
  }
  return cat(...bits);
}

/** x > v (0 where no value of x is above v). */
const above = (x: Expr, v: number): Expr => (v >= 2 ** x.width - 1 ? constant(0, uint(1)) : x.gt(v));
