/**
 * The shift unit of the UP5K engine's core: `shl`, `shr` in the four rounding modes of the fixed-point library,
 * and `srnd` (stochastic rounding with one LFSR draw), exactly as the ISS (sim/ucore/iss.ts) computes them.
 *
 * Ports:   clk, rst (sync, active high)
 *          a    in  sint(64)      the operand (ra)
 *          amt  in  uint(6)       the shift (b of shl/shr, 0 … 63; k of srnd, 1 … 63)
 *          op   in  uint(3)       SHIFT_OPS: shl, floor, truncate, nearest, nearest-even, srnd
 *          rho  in  uint(rbits)   srnd's draw ρ (ignored by the other operations)
 *          y    out sint(64)      the result of the a, amt, op, rho of SHIFT_LATENCY cycles before
 * Latency: 4: the inputs held for 4 cycles give y in the fourth cycle after the first (the core holds its
 *          operands until it takes the result, so only what the stages compute is registered, no copy of the
 *          inputs).
 *
 * One right shifter serves every operation. It shifts the 64 + g bit word {a, 0^g} (g = rbits guard bits) right
 * by amt, filling with the sign, and ORs every bit that falls off its bottom into a sticky bit; what remains is
 * q = ⌊a / 2^amt⌋, the g bits just below the binary point (the top g bits of the dropped fraction) and the sticky
 * bit. Every right operation is then q + inc with inc ∈ {0, 1}:
 *   floor          0
 *   truncate       a < 0 and something was dropped
 *   nearest        the first dropped bit (⌊(a + 2^(amt−1)) / 2^amt⌋ = q + that bit)
 *   nearest-even   the first dropped bit, and another dropped bit or q odd
 *   srnd           the carry of (guard bits + ρ) out of g bits: with f = the top g bits of the dropped fraction,
 *                  both cases of isa.ts's formula are ⌊(q·2^g + f + ρ) / 2^g⌋ (for k < g the fraction has only k
 *                  bits, zero-padded, which is ⌊ρ / 2^(g−k)⌋ added to them)
 * `shl` reverses the bits of a, shifts right with zero fill and reverses back. On the UP5K a LUT level costs
 * about 3 ns with its routing, so a 48 MHz cycle holds about six: stages 1 and 2 are the shifter (three
 * levels of 2:1 multiplexers each; the bits one stage drops are ORed into the sticky bit by a mask of its amount,
 * beside the shift), stage 3 finds the increment and where it carries to (srnd's 16-bit carry and the mode
 * logic), stage 4 increments in 16-bit chunks.
 *
 * A 32-bit variant (xlen = 32: a, y sint(32), amt uint(5)) serves the comparison of datapath widths.
 */
import { ModuleBuilder, cat, constant, mux, sint, uint, type Expr, type Module } from '../../ir/index.js';
import { chunkedIncrement, lowOnes } from './common.js';

export const SHIFT_LATENCY = 4;

/** The operations of the `op` port, by code. */
export const SHIFT_OPS = { shl: 0, floor: 1, truncate: 2, nearest: 3, 'nearest-even': 4, srnd: 5 } as const;
export type ShiftOp = keyof typeof SHIFT_OPS;

/** The bits of `x` in reverse order (bit 0 becomes the top bit). */
export function reverseBits(x: Expr): Expr {
  return cat(...Array.from({ length: x.width }, (_, i) => x.bit(i)));
}

/**
 * Module `ucore_shift_r<rbits>` (`ucore_shift<xlen>_r<rbits>` for a datapath other than 64 bits: xlen 32 or 64,
 * amt then log2(xlen) bits); ports and timing in the file comment.
 */
export function shiftUnit(rbits = 16, xlen = 64): Module {
  if (!Number.isInteger(rbits) || rbits < 1 || rbits > 32) throw new RangeError(`shiftUnit: rbits must be in 1 … 32, got ${rbits}`);
  if (xlen !== 32 && xlen !== 64) throw new RangeError(`shiftUnit: xlen must be 32 or 64, got ${xlen}`);
  const g = rbits;
  const W = xlen + g;
  const aw = Math.log2(xlen);
  const m = new ModuleBuilder(xlen === 64 ? `ucore_shift_r${rbits}` : `ucore_shift${xlen}_r${rbits}`, { rbits, xlen, latency: SHIFT_LATENCY });
  m.clock();
  const a = m.input('a', sint(xlen));
  const amt = m.input('amt', uint(aw));
  const op = m.input('op', uint(3));
  const rho = m.input('rho', uint(rbits));

  // stages 1 and 2: the shifter, by amt[2:0] then by the rest of amt, with its sticky bit
  const isShl = op.eq(constant(SHIFT_OPS.shl, uint(3)));
  const au = a.asUnsigned();
  const x0 = cat(mux(isShl, reverseBits(au), au), constant(0, uint(g)));
  const fill0 = a.msb().and(isShl.not());
  const s1 = shiftGroup(x0, amt.slice(2, 0), 0, fill0);
  const x1 = m.pipe('x1_q', s1.x, { reset: null });
  const st1 = m.pipe('sticky1_q', s1.dropped, { reset: null });
  const s2 = shiftGroup(x1, amt.slice(aw - 1, 3), 3, fill0);
  const q2 = m.pipe('q2_q', s2.x.slice(W - 1, g), { reset: null });
  const f2 = m.pipe('f2_q', s2.x.slice(g - 1, 0), { reset: null });
  const st2 = m.pipe('sticky2_q', st1.or(s2.dropped), { reset: null });

  // stage 3: the increment and where it carries to (chunk c when every bit of q below it is one)
  const half = f2.bit(g - 1);
  const below = g > 1 ? f2.slice(g - 2, 0).orReduce().or(st2) : st2;
  const dropped = half.or(below);
  const carry = f2.add(rho).bit(g);
  const zero = constant(0, uint(1));
  const is = (o: ShiftOp): Expr => op.eq(constant(SHIFT_OPS[o], uint(3)));
  const inc = mux(is('truncate'), a.msb().and(dropped), mux(is('nearest'), half, mux(is('nearest-even'), half.and(below.or(q2.bit(0))), mux(is('srnd'), carry, zero))));
  const inc3 = m.pipe('inc3_q', inc, { reset: null });
  const ones3 = m.pipe('ones3_q', lowOnes(q2), { reset: null });

  // stage 4: the chunk increments (of q, held), or shl's reversal
  const y = mux(is('shl'), reverseBits(q2), chunkedIncrement(q2, inc3, ones3));
  m.output('y', m.pipe('y_q', y.asSigned(), { reset: 0 }));
  return m.build();
}

/**
 * x (width W) shifted right by field·2^lo (field: the amount's bits lo … lo + width − 1), filled with `fill`,
 * through one 2:1 multiplexer level per bit of field; `dropped` ORs the bits that fall off its bottom (the low
 * field·2^lo bits of x, in blocks of 2^lo bits, each enabled by field > its number).
 */
function shiftGroup(x: Expr, field: Expr, lo: number, fill: Expr): { x: Expr; dropped: Expr } {
  const W = x.width;
  let y = x;
  for (let t = 0; t < field.width; t++) {
    const n = 2 ** (lo + t);
    y = mux(field.bit(t), cat(fill.repeat(n), y.slice(W - 1, n)), y);
  }
  const block = 2 ** lo;
  const blocks = Array.from({ length: 2 ** field.width - 1 }, (_, b) => field.gt(b).and(x.slice(Math.min((b + 1) * block, W) - 1, b * block).orReduce()));
  return { x: y, dropped: blocks.reduce((p, q) => p.or(q)) };
}
