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
 *          sat_lo  out uint(1)    a < lo and not a > hi: the low counter
 *          lone    out sint(7)    ⌊log2 a⌋ for a > 0, −1 for a ≤ 0
 * Latency: 3: the inputs held for 3 cycles give y and the flags in the third cycle after the first (the core
 *          holds its operands until it takes the result, so the unit keeps no copy of a, lo or hi).
 *
 * sat's bounds: with n = w − 1 (signed) or w (unsigned), hi = 2^n − 1 (n ones) and lo = ~hi (signed) or 0.
 * lone finds the leading one of each 16-bit chunk (in groups of four bits, then of four groups) in stage 1 and
 * the top chunk holding a one in stage 2. Stage 1 also decodes the bounds, stage 2 compares (in 16-bit chunks:
 * common.ts), stage 3 combines the chunks' verdicts and clamps: on the UP5K (about 3 ns a LUT level with its
 * routing) a 16-bit carry chain, the verdicts combined and a 3-way multiplexer do not fit one 48 MHz cycle.
 *
 * A 32-bit variant (xlen = 32: a, lo, hi, y sint(32), w uint(5), lone sint(6)) serves the comparison of datapath
 * widths.
 */
import { ModuleBuilder, cat, constant, mux, select, sint, uint, type Expr, type Module } from '../../ir/index.js';
import { byChunks, chunkCompares } from './common.js';

export const SAT_LATENCY = 3;

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

  // stage 1: sat's bounds from w; the leading one of each 16-bit chunk
  // hi = 2^(w − sgn) − 1: w ones (a decoder of w's six bits), halved when signed
  const t = constant(2n ** BigInt(xlen) - 1n, uint(xlen)).shlBy(w).not();
  const ones = m.wire('ones', mux(signed, cat(constant(0, uint(1)), t.slice(xlen - 1, 1)), t));
  const hiW = ones.asSigned();
  const loW = mux(signed, ones.not(), constant(0, uint(xlen))).asSigned();
  const hi1 = m.pipe('hi_q', mux(range, hi, hiW), { reset: null });
  const lo1 = m.pipe('lo_q', mux(range, lo, loW), { reset: null });
  const au = a.asUnsigned();
  const ones16 = Array.from({ length: chunks }, (_, c) => leadingOne(au.slice(16 * c + 15, 16 * c)));
  const nz1 = m.pipe('nz_q', cat(...ones16.map((c) => c.any).reverse()), { reset: null });
  const idx1 = m.pipe('idx_q', cat(...ones16.map((c) => c.index).reverse()), { reset: null });

  // stage 2: the comparisons chunk by chunk (common.ts); the chunk of the leading one
  const cHi = chunkCompares(a, hi1);
  const cLo = chunkCompares(a, lo1);
  const gtHi = m.pipe('gt_hi_q', cHi.gt, { reset: null });
  const eqHi = m.pipe('eq_hi_q', cHi.eq, { reset: null });
  const ltLo = m.pipe('lt_lo_q', cLo.lt, { reset: null });
  const eqLo = m.pipe('eq_lo_q', cLo.eq, { reset: null });
  const top = pickTop(nz1, idx1, chunks);
  const none = a.msb().or(top.any.not());
  const lone2 = m.pipe('lone2_q', mux(none, constant(-1, sint(aw + 1)), top.index.zext(aw + 1).asSigned()), { reset: null });

  // stage 3: the verdicts and the clamp
  const over = m.wire('over', byChunks(gtHi, eqHi));
  const under = m.wire('under', byChunks(ltLo, eqLo));
  m.output('y', m.pipe('y_q', mux(over, hi1, mux(under, lo1, a)), { reset: 0 }));
  m.output('sat_hi', m.pipe('sat_hi_q', over, { reset: 0 }));
  m.output('sat_lo', m.pipe('sat_lo_q', under.and(over.not()), { reset: 0 }));
  m.output('lone', m.pipe('lone_q', lone2, { reset: 0 }));
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

/** The leading one of x (width 4·4^j): any one at all, and its index (log2 width bits), in groups of four. */
function leadingOne(x: Expr): { any: Expr; index: Expr } {
  if (x.width === 4) {
    const b = (i: number): Expr => x.bit(i);
    // 4 inputs: each output bit is one LUT
    const hi = b(3).or(b(2));
    const lo = b(3).or(b(2).not().and(b(1)));
    return { any: x.orReduce(), index: cat(hi, lo) };
  }
  const q = x.width / 4;
  const parts = [0, 1, 2, 3].map((c) => leadingOne(x.slice(q * c + q - 1, q * c)));
  return pickTop(cat(...parts.map((p) => p.any).reverse()), cat(...parts.map((p) => p.index).reverse()), 4);
}
