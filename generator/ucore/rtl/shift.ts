/**
 * The shift unit of the UP5K engine's core: `shl`, `shr` in the four rounding modes of the fixed-point library,
 * and `srnd` (stochastic rounding with one LFSR draw), exactly as the ISS (sim/ucore/iss.ts) computes them.
 *
 * Ports:   clk, rst (sync, active high)
 *          start in  uint(1)       an operation begins on a, amt, op (held from this cycle to the result)
 *          a    in  sint(64)      the operand (ra)
 *          amt  in  uint(6)       the shift (b of shl/shr, 0 … 63; k of srnd, 1 … 63)
 *          op   in  uint(3)       SHIFT_OPS: shl, floor, truncate, nearest, nearest-even, srnd
 *          rho  in  uint(rbits)   srnd's draw ρ (ignored by the other operations; needed from SHIFT_LATENCY − 2
 *                                 cycles after start)
 *          en   in  uint(1)       y is 0 while en is low (the core ORs its units' results)
 *          y    out sint(64)      the result, SHIFT_LATENCY cycles after the start cycle (held until the next
 *                                 start)
 * Latency: 12 cycles, whatever the amount (the core's timing cannot depend on a register's value).
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
 * `shl` reverses the bits of a, shifts right with zero fill and reverses back. The shifter is one register of
 * 64 + g bits stepped over cycles: loaded at start, then shifted by 16 while amt's bits 5–4 count down, by 4
 * while bits 3–2 do, by 1 while bits 1–0 do (at most 9 steps; one 4-input choice a bit, about a quarter of a
 * six-level barrel shifter's logic), each step ORing the bits it drops into the sticky bit. Then a stage finds
 * the increment and where it carries to (srnd's g-bit carry and the mode logic, the mode decoded into one-hot
 * registers while the shifter steps; shl's bits reversed back into a register beside it) and a last one increments
 * in 16-bit chunks (common.ts; shl's increment is 0).
 *
 * A 32-bit variant (xlen = 32: a, y sint(32), amt uint(5): 16, 4 and 1 steps of bit 4, bits 3–2, bits 1–0)
 * serves the comparison of datapath widths.
 */
import { ModuleBuilder, cat, constant, mux, sint, uint, type Expr, type Module } from '../../ir/index.js';
import { chunkedIncrement, lowOnes } from './common.js';

/** The steps of the shifter (amt's bit groups of 16, 4 and 1: at most 3 each). */
const STEPS = 9;
/** From the start cycle to the result: the load, the steps, the increment found, the result. */
export const SHIFT_LATENCY = STEPS + 3;

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
  const start = m.input('start', uint(1));
  const a = m.input('a', sint(xlen));
  const amt = m.input('amt', uint(aw));
  const op = m.input('op', uint(3));
  const rho = m.input('rho', uint(rbits));
  const en = m.input('en', uint(1));

  // the shifter: loaded at start, then stepped by 16, 4, 1 while each count is not 0
  const isShl = op.eq(constant(SHIFT_OPS.shl, uint(3)));
  const au = a.asUnsigned();
  const fill = a.msb().and(isShl.not());
  const x = m.reg('x_q', uint(W), { reset: null });
  const sticky = m.reg('sticky_q', uint(1), { reset: null });
  const c16 = m.reg('c16_q', uint(2), { reset: 0 });
  const c4 = m.reg('c4_q', uint(2), { reset: 0 });
  const c1 = m.reg('c1_q', uint(2), { reset: 0 });
  const by = (n: number): Expr => cat(fill.repeat(n), x.slice(W - 1, n));
  const low = (n: number): Expr => x.slice(n - 1, 0).orReduce();
  // a step is due (some count not 0), as a flag set a cycle ahead: the shifter's enable is start or it, flat. After
  // a step the counts hold one step fewer, so one is still due when they held at least two
  const active = m.reg('active_q', uint(1), { reset: 0 });
  // at least two steps left: a count of 2 or 3, or two counts not 0 (logic of the six count bits, no adder)
  const [n16, n4, n1] = [c16, c4, c1].map((c) => c.ne(0));
  const twoLeft = c16.bit(1).or(c4.bit(1)).or(c1.bit(1)).or(n16.and(n4.or(n1))).or(n4.and(n1));
  m.seq('shifter', ($) => {
    $.set(active, mux(start, amt.ne(0), twoLeft));
    $.if(start, () => {
      $.set(x, cat(mux(isShl, reverseBits(au), au), constant(0, uint(g))));
      $.set(sticky, 0);
      $.set(c16, xlen === 64 ? amt.slice(5, 4) : amt.bit(4).zext(2));
      $.set(c4, amt.slice(3, 2));
      $.set(c1, amt.slice(1, 0));
    }).elseIf(active, () => {
      $.if(c16.ne(0), () => {
        $.set(x, by(16));
        $.set(sticky, sticky.or(low(16)));
        $.set(c16, c16.subWrap(1));
      })
        .elseIf(c4.ne(0), () => {
          $.set(x, by(4));
          $.set(sticky, sticky.or(low(4)));
          $.set(c4, c4.subWrap(1));
        })
        .else(() => {
          $.set(x, by(1));
          $.set(sticky, sticky.or(x.bit(0)));
          $.set(c1, c1.subWrap(1));
        });
    });
  });
  const q = x.slice(W - 1, g);
  const f = x.slice(g - 1, 0);

  // the increment and where it carries to (chunk c when every bit of q below it is one)
  const half = f.bit(g - 1);
  const below = g > 1 ? f.slice(g - 2, 0).orReduce().or(sticky) : sticky;
  const dropped = half.or(below);
  const carry = f.add(rho).bit(g);
  // the rounding mode one-hot in registers (op is held from start): each term of inc one LUT after `below`
  const is = (o: ShiftOp): Expr => op.eq(constant(SHIFT_OPS[o], uint(3)));
  const mode = m.pipe('mode_q', cat(is('srnd'), is('nearest-even'), is('nearest'), is('truncate')), { reset: null });
  const terms = [a.msb().and(dropped), half, half.and(below.or(q.bit(0))), carry];
  const inc = terms.map((t, k) => mode.bit(k).and(t)).reduce((x, y) => x.or(y));
  const incQ = m.pipe('inc_q', inc, { reset: null });
  const ones = m.pipe('ones_q', lowOnes(q), { reset: null });
  // q, or shl's reversal of it, registered beside inc (shl's inc is 0): the increment's chains end at y's flip-flops
  const qr = m.pipe('q_rev_q', mux(isShl, reverseBits(q), q), { reset: null });

  // the chunk increments (of q, held; shl's reversed q plus 0)
  m.output('y', m.pipe('y_q', mux(en, chunkedIncrement(qr, incQ, ones), constant(0, uint(xlen))).asSigned(), { reset: 0 }));
  return m.build();
}
