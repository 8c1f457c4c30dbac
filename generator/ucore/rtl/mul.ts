/**
 * The multiply unit of the UP5K engine's core: `mul` (the low 64 bits of a·b) and `mulr k` (the exact 128-bit
 * product rounded half up by k ≥ 1 bits, ⌊(p + 2^(k−1)) / 2^k⌋, or shifted left by −k ≥ 0; the low 64 bits),
 * exactly as the ISS (sim/ucore/iss.ts) computes them, on ONE 16 × 16 unsigned multiplier (an SB_MAC16).
 *
 * Ports:   clk, rst (sync, active high)
 *          start  in  uint(1)    begin an operation on a, b, k (taken only while idle: busy low)
 *          a, b   in  sint(64)   the factors, held from the start cycle to the done cycle (the core holds its
 *                                operands until it takes the result, so the unit keeps no copy of them)
 *          k      in  sint(8)    0 for mul; mulr's k (−128 … 127)
 *          busy   out uint(1)    an operation is under way (from the cycle after start to the one before done)
 *          done   out uint(1)    high for one cycle: p holds the result
 *          en     in  uint(1)    p is 0 from the cycle after en is low (the core ORs its units' results)
 *          p      out sint(64)   the result (valid while done is high; held until the cycle after the next start)
 * Latency: mulCycles(a, b, k) cycles from the start cycle to the done cycle; start may be raised again in the
 *          done cycle.
 *
 * The product is formed from the magnitudes |a|, |b| split into 16-bit chunks, column by column (the partial
 * products a_i·b_j with i + j = d summed in column d, low column first), so the running sum stays 36 bits wide
 * and each finished column leaves one 16-bit chunk of the result. The chunks of a that are sign extension (a is
 * a signed 16n-bit value: |a| < 2^(16n−1), its chunks n … 3 are zero) take no partial product, nor do those of
 * b (small factors, the common case, need one or a few products).
 * The result window is aligned to whole chunks by multiplying b by 2^s, s = (−k) mod 16, as its chunks are
 * read (a 32-to-16 funnel shift): bits k … k + 63 of p are then the chunks K … K + 3 of p·2^s, K = ⌈k/16⌉. As
 * each chunk of |p|·2^s leaves the column sum, the signed value p·2^s + 2^(16K−1) (the rounding half, only for
 * k ≥ 1) is formed from it chunk by chunk (the negation ~x + 1 and the half are one carry chain across the
 * chunks) and shifted into the 64-bit result register: after the chunks 0 … K + 3 it holds the answer. For
 * k ≤ −64 (K + 4 ≤ 0) the answer is 0.
 *
 * Pipeline: start (flags of the factors' chunks; k's shift and columns) → prepare (the chunk counts, the
 * columns) → issue (one partial product or one empty column a cycle) → the chunks of |a| and |b| read, each
 * formed from the held factor's chunk as it is read (inverted and incremented when the factor is negative: a
 * 16-bit chain, no 64-bit magnitude kept) → b's funnel shift into the multiplier's input registers → its output
 * register → the column sum → the result chunk. No carry chain is longer than 20 bits.
 */
import { ModuleBuilder, cat, constant, mux, select, sint, uint, type Expr, type Module } from '../../ir/index.js';
import { lowOnes } from './common.js';

/** Cycles beside the issue slots: start, prepare, and the five stages from the last issue to done. */
const PIPE = 6;

/** The 16-bit chunks of x that are not sign extension: 0 for x = 0, else the least n with x a signed 16n-bit value. */
function chunksOf(x: bigint): number {
  let n = 0;
  while (BigInt.asIntN(16 * n, x) !== x) n++;
  return n;
}

/**
 * The schedule of an operation: the partial products (i, j) issued in order, null for an empty column; the
 * unit issues one entry a cycle.
 */
export function mulSchedule(a: bigint, b: bigint, k: number): ({ i: number; j: number } | null)[] {
  const na = chunksOf(a);
  const nbm = chunksOf(b);
  const s = (((-k) % 16) + 16) % 16;
  const nb = nbm + (s !== 0 && nbm > 0 ? 1 : 0);
  const cols = Math.max(0, Math.ceil(k / 16) + 4);
  const out: ({ i: number; j: number } | null)[] = [];
  for (let d = 0; d < cols; d++) {
    const lo = Math.max(0, d + 1 - nb);
    const hi = Math.min(na, d + 1);
    if (lo >= hi) out.push(null);
    for (let i = lo; i < hi; i++) out.push({ i, j: d - i });
  }
  return out;
}

/** Cycles from the start cycle to the done cycle of mul (k = 0) or mulr k on a, b. */
export function mulCycles(a: bigint, b: bigint, k: number): number {
  const n = mulSchedule(a, b, k).length;
  return n === 0 ? 2 : n + PIPE;
}

/** Module `ucore_mul`; ports and timing in the file comment. */
export function mulUnit(): Module {
  const m = new ModuleBuilder('ucore_mul', { multiplier: '16x16 unsigned', pipe: PIPE });
  m.clock();
  const start = m.input('start', uint(1));
  const a = m.input('a', sint(64));
  const b = m.input('b', sint(64));
  const k = m.input('k', sint(8));
  const en = m.input('en', uint(1));

  const u4 = (v: number): Expr => constant(v, uint(4));
  // at start, what needs no carry chain: the factors, whether their chunks are sign extension, whether the bits
  // below each chunk are zero (where the negation's +1 carries to)
  const fitsOf = (x: Expr): Expr =>
    cat(
      ...[3, 2, 1].map((c) => {
        const top = x.slice(63, 16 * c - 1);
        return top.andReduce().or(top.orReduce().not());
      }),
      x.eq(0),
    );
  const lowZero = (x: Expr): Expr => lowOnes(x.not().asUnsigned());

  const busy = m.reg('busy_q', uint(1), { reset: 0 });
  const prep = m.reg('prep_q', uint(1), { reset: 0 });
  const issuing = m.reg('issuing_q', uint(1), { reset: 0 });
  const fa = m.reg('fa_q', uint(4), { reset: null });
  const fb = m.reg('fb_q', uint(4), { reset: null });
  const za = m.reg('za_q', uint(3), { reset: null });
  const zb = m.reg('zb_q', uint(3), { reset: null });
  // from k, at start
  const sh = m.reg('s_q', uint(4), { reset: null });
  const cols = m.reg('cols_q', uint(4), { reset: null });
  const rnd = m.reg('rnd_q', uint(1), { reset: null });
  const hcol = m.reg('hcol_q', uint(4), { reset: null });
  // loaded in the cycle after start
  const neg = m.reg('neg_q', uint(1), { reset: null });
  const na = m.reg('na_q', uint(4), { reset: null });
  const nb = m.reg('nb_q', uint(4), { reset: null });
  const d = m.reg('d_q', uint(4), { reset: null });
  const i = m.reg('i_q', uint(4), { reset: null });

  const go = m.wire('go', start.and(busy.not()));
  const finish = m.wire('finish', uint(1)); // the last chunk enters the result
  // chunk c (0 … 3) of |x|: x's chunk c inverted when x < 0, plus 1 when every bit of x below the chunk is 0
  // (z = lowZero(x), registered at start; chunk 0 has nothing below), formed when the issue reads it
  const magChunk = (x: Expr, c: Expr, z: Expr): Expr => {
    const raw = select(c, [0, 1, 2, 3].map((k) => x.asUnsigned().slice(16 * k + 15, 16 * k)));
    const carry = x.msb().and(select(c, [constant(1, uint(1)), z.bit(0), z.bit(1), z.bit(2)]));
    return raw.xor(x.msb().repeat(16)).add(carry.zext(16)).trunc(16);
  };
  // chunks that are not sign extension: 0 for x = 0, else the least n with x a signed 16n-bit value
  const count = (f: Expr): Expr => mux(f.bit(0), u4(0), mux(f.bit(1), u4(1), mux(f.bit(2), u4(2), mux(f.bit(3), u4(3), u4(4)))));
  const sIn = m.wire('s_in', k.neg().slice(3, 0));
  // K = ⌈k/16⌉ (−8 … 8); K + 4 = ⌊(k + 79)/16⌋ columns, none when that is negative; the rounding column K − 1 =
  // ⌊(k − 1)/16⌋ (k ≥ 1)
  const k79 = m.wire('k79', k.add(79));
  const colsIn = m.wire('cols_in', mux(k79.msb(), u4(0), k79.slice(7, 4)));
  const hcolIn = k.sub(1).slice(7, 4);
  m.unused(k79.slice(3, 0));
  const naIn = m.wire('na_in', count(fa));
  const nbmIn = count(fb);
  const nbIn = m.wire('nb_in', mux(sh.ne(0).and(nbmIn.ne(0)), nbmIn.addWrap(1), nbmIn));

  // issue: column d, chunk i of |a| and chunk j = d − i of |b|·2^s, i from lo to end − 1 (lo = max(0, d + 1 − nb),
  // end = min(na, d + 1)); lo and end grow by one at a column's end while d + 1 ≥ nb and d + 1 < na, which
  // incLo and incEnd hold for the current d, and emp says lo ≥ end (an empty column): no comparison of counts
  // lies on the issue path
  const lo = m.reg('lo_q', uint(4), { reset: null });
  const end = m.reg('end_q', uint(4), { reset: null });
  const endm = m.reg('endm_q', uint(4), { reset: null }); // end − 1
  const incLo = m.reg('inc_lo_q', uint(1), { reset: null });
  const incEnd = m.reg('inc_end_q', uint(1), { reset: null });
  const emp = m.reg('emp_q', uint(1), { reset: null });
  const has = m.wire('has', emp.not());
  const last = m.wire('last', emp.or(i.eq(endm)));
  const colsLeft = m.reg('cols_left_q', uint(4), { reset: null });
  const lastCol = m.wire('last_col', colsLeft.eq(1));
  const loN = m.wire('lo_next', lo.addWrap(incLo.zext(4)));
  const endN = m.wire('end_next', end.addWrap(incEnd.zext(4)));
  const d2 = d.zext(5).add(2); // the d + 1 of the next column
  // j = d − i and j − 1 (mod 8) in registers of their own, stepped with i: no subtraction before the chunk selects
  const j = m.reg('j_q', uint(3), { reset: null });
  const jm = m.reg('jm_q', uint(3), { reset: null });
  const chunkA = magChunk(a, i.trunc(2), za);
  // chunks j and j − 1 of |b| (0 outside 0 … 3), for b's funnel shift
  const zero16 = constant(0, uint(16));
  const pair = cat(mux(j.lt(4), magChunk(b, j.trunc(2), zb), zero16), mux(jm.lt(4), magChunk(b, jm.trunc(2), zb), zero16));


  m.seq('control', ($) => {
    $.set(prep, go);
    $.if(go, () => {
      $.set(busy, 1);
      $.set(sh, sIn);
      $.set(cols, colsIn);
      $.set(rnd, k.gt(0));
      $.set(hcol, hcolIn);
      $.set(fa, fitsOf(a));
      $.set(fb, fitsOf(b));
      $.set(za, lowZero(a));
      $.set(zb, lowZero(b));
    });
    $.if(prep, () => {
      $.set(issuing, cols.ne(0));
      $.if(cols.eq(0), () => $.set(busy, 0));
      $.set(neg, a.msb().xor(b.msb()));
      $.set(na, naIn);
      $.set(nb, nbIn);
      // column 0: lo = 1 when b = 0 (nb = 0), end = 1 when a ≠ 0 (na > 0); read from the flags, not the counts
      const aZero = fa.bit(0);
      const bZero = fb.bit(0);
      const lo0 = cat(constant(0, uint(3)), bZero);
      $.set(d, 0);
      $.set(colsLeft, cols);
      $.set(i, lo0);
      $.set(j, mux(bZero, constant(7, uint(3)), constant(0, uint(3)))); // 0 − lo
      $.set(jm, mux(bZero, constant(6, uint(3)), constant(7, uint(3))));
      $.set(lo, lo0);
      $.set(end, cat(constant(0, uint(3)), aZero.not()));
      $.set(endm, mux(aZero, u4(15), u4(0)));
      $.set(emp, aZero.or(bZero));
      // nb ≤ 1: b = 0, or one chunk and no shift (s = 0); na > 1: a is not a signed 16-bit value
      $.set(incLo, bZero.or(fb.bit(1).and(sh.eq(0))));
      $.set(incEnd, fa.bit(1).not());
    }).elseIf(issuing, () => {
      $.if(last, () => {
        $.set(d, d.addWrap(1));
        $.set(colsLeft, colsLeft.subWrap(1));
        $.set(i, loN);
        $.set(j, d.addWrap(1).subWrap(loN).trunc(3));
        $.set(jm, d.subWrap(loN).trunc(3));
        $.set(lo, loN);
        $.set(end, endN);
        $.set(endm, endm.addWrap(incEnd.zext(4)));
        $.set(emp, loN.ge(endN));
        $.set(incLo, d2.ge(nb.zext(5)));
        $.set(incEnd, d2.lt(na.zext(5)));
        $.if(lastCol, () => $.set(issuing, 0));
      }).else(() => {
        $.set(i, i.addWrap(1));
        $.set(j, j.subWrap(1));
        $.set(jm, jm.subWrap(1));
      });
    });
    $.if(finish, () => $.set(busy, 0));
  });

  // the chunks read; then b's funnel shift into the multiplier's input registers, and its output register
  const ia = m.pipe('ia_q', chunkA, { reset: null });
  const pb = m.pipe('pb_q', pair, { reset: null });
  const h0 = m.pipe('h0_q', has, { reset: null });
  const v0 = m.pipe('v0_q', issuing, { reset: 0 });
  const l0 = m.pipe('l0_q', last, { reset: null });
  // an empty column multiplies by 0 (its i, j may point anywhere)
  const xa = m.pipe('xa_q', mux(v0.and(h0), ia, constant(0, uint(16))), { reset: null });
  const xb = m.pipe('xb_q', pb.shlBy(sh).slice(31, 16), { reset: null });
  const v1 = m.pipe('v1_q', v0, { reset: 0 });
  const l1 = m.pipe('l1_q', l0, { reset: null });
  const pp = m.pipe('pp_q', xa.mul(xb), { reset: null });
  const v2 = m.pipe('v2_q', v1, { reset: 0 });
  const l2 = m.pipe('l2_q', l1, { reset: null });

  // the column sum V = L + cL + 2^16·(H + cH), kept as two chains of 16 and 20 bits (one 36-bit chain is too
  // slow), each carry waiting in a bit: adding pp, L' = L + pp_lo + cL and H' = H + pp_hi + cH, and the carry
  // out of L' waits in cH; at a column's end L' is its chunk (V mod 2^16) and V/2^16 = H' + that carry goes on
  // as L = H' mod 2^16, cL = the carry, H = H'/2^16
  const accL = m.reg('acc_l_q', uint(16), { reset: null });
  const accCL = m.reg('acc_cl_q', uint(1), { reset: null });
  const accH = m.reg('acc_h_q', uint(20), { reset: null });
  const accCH = m.reg('acc_ch_q', uint(1), { reset: null });
  const lo3 = m.reg('lo3_q', uint(16), { reset: null });
  const v3 = m.reg('v3_q', uint(1), { reset: 0 });
  const sumL = m.wire('sum_l', accL.add(pp.slice(15, 0)).add(accCL).trunc(17));
  const sumH = m.wire('sum_h', accH.add(pp.slice(31, 16)).add(accCH).trunc(20)); // V < 2^36
  m.seq('column', ($) => {
    $.set(v3, v2.and(l2));
    $.if(prep, () => {
      $.set(accL, 0);
      $.set(accCL, 0);
      $.set(accH, 0);
      $.set(accCH, 0);
    }).elseIf(v2, () => {
      $.set(lo3, sumL.trunc(16));
      $.if(l2, () => {
        $.set(accL, sumH.trunc(16));
        $.set(accCL, sumL.bit(16));
        $.set(accH, sumH.shr(16).zext(20));
        $.set(accCH, 0);
      }).else(() => {
        $.set(accL, sumL.trunc(16));
        $.set(accCL, 0);
        $.set(accH, sumH);
        $.set(accCH, sumL.bit(16));
      });
    });
  });

  // the result chunk: (chunk ^ sign) + half + carry, shifted into the result
  const res = m.reg('res_q', uint(64), { reset: null });
  const cr = m.reg('cr_q', uint(1), { reset: null });
  const c4 = m.reg('c4_q', uint(4), { reset: null });
  const left = m.reg('left_q', uint(4), { reset: null }); // chunks still to come
  const done = m.reg('done_q', uint(1), { reset: 0 });
  const half = mux(rnd.and(c4.eq(hcol)), constant(0x8000, uint(16)), constant(0, uint(16)));
  const t = m.wire('t', lo3.xor(neg.repeat(16)).add(half).add(cr).trunc(17)); // < 2^17: 0xffff + 0x8000 + 1
  m.assign(finish, v3.and(left.eq(1)));
  m.seq('result', ($) => {
    $.set(done, 0);
    $.if(prep, () => {
      $.set(res, 0);
      $.set(cr, a.msb().xor(b.msb()));
      $.set(c4, 0);
      $.set(left, cols);
      $.if(cols.eq(0), () => $.set(done, 1));
    }).elseIf(v3, () => {
      $.set(res, cat(t.trunc(16), res.slice(63, 16)));
      $.set(cr, t.bit(16));
      $.set(c4, c4.addWrap(1));
      $.set(left, left.subWrap(1));
      $.if(finish, () => $.set(done, 1));
    });
    $.if(en.not(), () => $.set(res, 0));
  });
  m.output('busy', busy);
  m.output('done', done);
  m.output('p', res.asSigned());
  return m.build();
}
