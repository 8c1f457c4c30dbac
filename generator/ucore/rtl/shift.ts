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
 * Latency: 3, a new operation every cycle.
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
 * `shl` reverses the bits of a, shifts right with zero fill and reverses back. Stage 1 is the shifter, stage 2
 * where the increment goes (registered: on the UP5K the 16-bit carry of srnd and the mode logic before it
 * leave no time for the increment in the same cycle), stage 3 the increment in 16-bit chunks.
 */
import { ModuleBuilder, cat, constant, mux, sint, uint, type Expr, type Module } from '../../ir/index.js';
import { chunkedIncrement, lowOnes } from './common.js';

export const SHIFT_LATENCY = 3;

/** The operations of the `op` port, by code. */
export const SHIFT_OPS = { shl: 0, floor: 1, truncate: 2, nearest: 3, 'nearest-even': 4, srnd: 5 } as const;
export type ShiftOp = keyof typeof SHIFT_OPS;

/** The bits of `x` in reverse order (bit 0 becomes the top bit). */
export function reverseBits(x: Expr): Expr {
  return cat(...Array.from({ length: x.width }, (_, i) => x.bit(i)));
}

/** Module `ucore_shift_r<rbits>`; ports and timing in the file comment. */
export function shiftUnit(rbits = 16): Module {
  if (!Number.isInteger(rbits) || rbits < 1 || rbits > 32) throw new RangeError(`shiftUnit: rbits must be in 1 … 32, got ${rbits}`);
  const g = rbits;
  const W = 64 + g;
  const m = new ModuleBuilder(`ucore_shift_r${rbits}`, { rbits, latency: SHIFT_LATENCY });
  m.clock();
  const a = m.input('a', sint(64));
  const amt = m.input('amt', uint(6));
  const op = m.input('op', uint(3));
  const rho = m.input('rho', uint(rbits));

  // stage 1: the shifter with its sticky bit
  const isShl = op.eq(constant(SHIFT_OPS.shl, uint(3)));
  const au = a.asUnsigned();
  const fill = a.msb().and(isShl.not());
  let x: Expr = cat(mux(isShl, reverseBits(au), au), constant(0, uint(g)));
  let sticky: Expr = constant(0, uint(1));
  for (let s = 0; s < 6; s++) {
    const n = 2 ** s;
    const shifted = cat(fill.repeat(n), x.slice(W - 1, n));
    sticky = mux(amt.bit(s), sticky.or(x.slice(n - 1, 0).orReduce()), sticky);
    x = m.wire(`sh${s}`, mux(amt.bit(s), shifted, x));
  }
  const q1 = m.pipe('q_q', x.slice(W - 1, g), { reset: null });
  const f1 = m.pipe('f_q', x.slice(g - 1, 0), { reset: null });
  const st1 = m.pipe('sticky_q', sticky, { reset: null });
  const op1 = m.pipe('op_q', op, { reset: null });
  const neg1 = m.pipe('neg_q', a.msb(), { reset: null });
  const rho1 = m.pipe('rho_q', rho, { reset: null });

  // stage 2: the increment and where it carries to (chunk c when every bit of q below it is one)
  const half = f1.bit(g - 1);
  const below = g > 1 ? f1.slice(g - 2, 0).orReduce().or(st1) : st1;
  const dropped = half.or(below);
  const carry = f1.add(rho1).bit(g);
  const zero = constant(0, uint(1));
  const is = (o: ShiftOp): Expr => op1.eq(constant(SHIFT_OPS[o], uint(3)));
  const inc = mux(is('truncate'), neg1.and(dropped), mux(is('nearest'), half, mux(is('nearest-even'), half.and(below.or(q1.bit(0))), mux(is('srnd'), carry, zero))));
  const inc2 = m.pipe('inc_q', inc, { reset: null });
  const q2 = m.pipe('q2_q', q1, { reset: null });
  const shl2 = m.pipe('shl_q', is('shl'), { reset: null });
  const ones2 = m.pipe('ones_q', lowOnes(q1), { reset: null });

  // stage 3: the chunk increments, or shl's reversal
  const y = mux(shl2, reverseBits(q2), chunkedIncrement(q2, inc2, ones2));
  m.output('y', m.pipe('y_q', y.asSigned(), { reset: 0 }));
  return m.build();
}
