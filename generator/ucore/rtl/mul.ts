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
 * columns) → issue (one partial product or one empty column a cycle) → the chunks of a and b read (inverted when
 * the factor is negative, with the +1 of the negation that carries into them) → the chunks of |a| and |b| (the
 * increment: a 16-bit chain from registers, no 64-bit magnitude kept) → b's funnel shift into the multiplier's
 * input registers (its last step by 0 … 7 an AND-OR of a one-hot shift: two LUT levels into the far DSP) → its
 * output register → the column sum (the sums straight into their registers; a column's end moves the high part
 * down by a choice before the chains, on the registers' side) → the result chunk. No carry chain is longer than
 * 20 bits, and every path of the unit alone fits 62 MHz in bench/ice40-depth.ts's estimate (at most four LUT
 * levels from a register, or a chain with a LUT before it).
 */
import { ModuleBuilder, cat, constant, mux, select, sint, uint, type Expr, type Module } from '../../ir/index.js';
import { lowOnes } from './common.js';

/** Cycles beside the issue slots: start, prepare, and the six stages from the last issue to done. */
const PIPE = 7;

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
  // at start, what needs no carry chain: whether the factors' chunks c … 3 are all ones, all zeros (registered
  // every cycle: the factors are held, so in the cycle after start they are the start's), whether the bits below
  // each chunk are zero (where the negation's +1 carries to)
  const chunkFlags = (x: Expr, name: string): { ones: Expr; zeros: Expr } => {
    const from = (c: number): Expr => x.asUnsigned().slice(63, 16 * c);
    return {
      ones: m.pipe(`${name}_ones_q`, cat(...[3, 2, 1].map((c) => from(c).andReduce())), { reset: null }), // chunks 1 … 3
      zeros: m.pipe(`${name}_zeros_q`, cat(...[3, 2, 1, 0].map((c) => from(c).orReduce().not())), { reset: null }),
    };
  };
  // in the cycle after start: bit c (1 … 3) x is a signed 16c-bit value (bits 63 … 16c − 1 all equal: chunks c … 3
  // all ones or all zeros, as bit 16c − 1 is), bit 0 x = 0
  const fitsOf = (x: Expr, name: string): Expr => {
    const { ones, zeros } = chunkFlags(x, name);
    const sign = (c: number): Expr => x.bit(16 * c - 1);
    const fits = [3, 2, 1].map((c) => ones.bit(c - 1).and(sign(c)).or(zeros.bit(c).and(sign(c).not())));
    return cat(...fits, zeros.bit(0));
  };
  const lowZero = (x: Expr): Expr => lowOnes(x.not().asUnsigned());

  const busy = m.reg('busy_q', uint(1), { reset: 0 });
  const prep = m.reg('prep_q', uint(1), { reset: 0 });
  const issuing = m.reg('issuing_q', uint(1), { reset: 0 });
  const fa = m.wire('fa', fitsOf(a, 'a'));
  const fb = m.wire('fb', fitsOf(b, 'b'));
  const za = m.reg('za_q', uint(3), { reset: null });
  const zb = m.reg('zb_q', uint(3), { reset: null });
  // from k, at start
  const sh8 = m.reg('s8_q', uint(1), { reset: null }); // s ≥ 8
  const shOne = m.reg('s_one_q', uint(8), { reset: null }); // s mod 8 one-hot
  const cols = m.reg('cols_q', uint(4), { reset: null });
  const rnd = m.reg('rnd_q', uint(1), { reset: null });
  const hcol = m.reg('hcol_q', uint(4), { reset: null });
  // loaded in the cycle after start
  const neg = m.reg('neg_q', uint(1), { reset: null });
  const i = m.reg('i_q', uint(4), { reset: null });

  const go = m.wire('go', start.and(busy.not()));
  const finish = m.wire('finish', uint(1)); // the last chunk enters the result
  // chunk c (0 … 3) of |x|: x's chunk c inverted when x < 0, plus 1 when every bit of x below the chunk is 0
  // (z = lowZero(x), registered at start; chunk 0 has nothing below); both registered as the issue reads them
  // ({carry, chunk}; b's 0 when c is outside 0 … 3), the increment a cycle later (magnitude)
  const readChunk = (x: Expr, c: Expr, z: Expr): Expr => {
    const raw = select(c.trunc(2), [0, 1, 2, 3].map((k) => x.asUnsigned().slice(16 * k + 15, 16 * k)));
    const carry = x.msb().and(select(c.trunc(2), [constant(1, uint(1)), z.bit(0), z.bit(1), z.bit(2)]));
    return cat(carry, raw.xor(x.msb().repeat(16)));
  };
  const readB = (c: Expr): Expr => mux(c.lt(4), readChunk(b, c, zb), constant(0, uint(17)));
  const magnitude = (r: Expr): Expr => r.slice(15, 0).add(r.bit(16).zext(16)).trunc(16);
  const sIn = m.wire('s_in', k.neg().slice(3, 0));
  // K = ⌈k/16⌉ (−8 … 8); K + 4 = ⌊(k + 79)/16⌋ columns, none when that is negative; the rounding column K − 1 =
  // ⌊(k − 1)/16⌋ (k ≥ 1)
  const k79 = m.wire('k79', k.add(79));
  const colsIn = m.wire('cols_in', mux(k79.msb(), u4(0), k79.slice(7, 4)));
  const hcolIn = k.sub(1).slice(7, 4);
  m.unused(k79.slice(3, 0));
  const sNz = m.reg('s_nz_q', uint(1), { reset: null }); // s ≠ 0: b·2^s takes one chunk more

  // issue: column d, chunk i of |a| and chunk j = d − i of |b|·2^s, i from lo to end − 1 (lo = max(0, d + 1 − nb),
  // end = min(na, d + 1), na and nb the chunks of a and of b·2^s that are not sign extension). What the issue
  // decides comes from registers set a column ahead (no count, sum or comparison on its path): emp (the column is
  // empty), last (this cycle issues the column's last product, or its empty slot), rem (products after this
  // one), gap_next (the next column's products, end − lo, 0 when that is negative), incLo (lo grows at this
  // column's end: d + 1 ≥ nb), and the counts as thermometer codes shifted at each column's end: gt_a bit t − 2 is
  // na > d + t, gt_b's nb > d + t (t = 2 …), so bit 0 of each says whether end (d + 2 < na) and lo (not
  // d + 2 ≥ nb) grow at the end of the next column
  const lo = m.reg('lo_q', uint(4), { reset: null });
  const incLo = m.reg('inc_lo_q', uint(1), { reset: null });
  const emp = m.reg('emp_q', uint(1), { reset: null });
  const last = m.reg('last_q', uint(1), { reset: null });
  const rem = m.reg('rem_q', uint(3), { reset: null });
  const gapN = m.reg('gap_next_q', uint(3), { reset: null });
  const gtA = m.reg('gt_a_q', uint(2), { reset: null });
  const gtB = m.reg('gt_b_q', uint(3), { reset: null });
  const has = m.wire('has', emp.not());
  const colsLeft = m.reg('cols_left_q', uint(4), { reset: null });
  const lastCol = m.wire('last_col', colsLeft.eq(1));
  const loN = m.wire('lo_next', lo.addWrap(incLo.zext(4)));
  // j = d − i and j − 1 (mod 8) in registers of their own, stepped with i: no subtraction before the chunk selects;
  // j0 = d − lo, j at the column's start: the next column's is j0 + 1 − incLo
  const j = m.reg('j_q', uint(3), { reset: null });
  const jm = m.reg('jm_q', uint(3), { reset: null });
  const j0 = m.reg('j0_q', uint(3), { reset: null });
  const j0N = m.wire('j0_next', mux(incLo, j0, j0.addWrap(1)));
  const jmN = mux(incLo, j0.subWrap(1), j0);
  const u3 = (v: number): Expr => constant(v, uint(3));
  // the next column's products after this column's end: gap_next + (end grows) − (lo grows), at least 0
  const grow = gtA.bit(0);
  const shrink = gtB.bit(0).not();
  const gapNN = mux(grow.and(shrink.not()), gapN.addWrap(1), mux(shrink.and(grow.not()).and(gapN.ne(0)), gapN.subWrap(1), gapN));

  m.seq('control', ($) => {
    $.set(prep, go);
    $.if(go, () => {
      $.set(busy, 1);
      $.set(sh8, sIn.bit(3));
      $.set(shOne, cat(...[7, 6, 5, 4, 3, 2, 1, 0].map((n) => sIn.slice(2, 0).eq(n))));
      $.set(sNz, k.slice(3, 0).ne(0));
      $.set(cols, colsIn);
      $.set(rnd, k.gt(0));
      $.set(hcol, hcolIn);
      $.set(za, lowZero(a));
      $.set(zb, lowZero(b));
    });
    $.if(prep, () => {
      $.set(issuing, cols.ne(0));
      $.if(cols.eq(0), () => $.set(busy, 0));
      $.set(neg, a.msb().xor(b.msb()));
      // column 0: lo = 1 when b = 0 (nb = 0), end = 1 when a ≠ 0 (na > 0); read from the flags, not the counts
      const aZero = fa.bit(0);
      const bZero = fb.bit(0);
      const lo0 = cat(constant(0, uint(3)), bZero);
      // na > t: a is not a signed 16t-bit value; nb > t: b's chunks (nbm) > t, or = t with s ≠ 0 (t ≥ 1)
      const gtBm = (t: number): Expr => (t > 3 ? constant(0, uint(1)) : fb.bit(t).not());
      $.set(gtA, cat(fa.bit(3).not(), fa.bit(2).not()));
      $.set(gtB, cat(...[4, 3, 2].map((t) => gtBm(t).or(sNz.and(gtBm(t - 1))))));
      $.set(colsLeft, cols);
      $.set(i, lo0);
      $.set(j, mux(bZero, u3(7), u3(0))); // 0 − lo
      $.set(j0, mux(bZero, u3(7), u3(0)));
      $.set(jm, mux(bZero, u3(6), u3(7)));
      $.set(lo, lo0);
      // column 0 holds one product (a, b ≠ 0) or none; column 1 1 + (na > 1) − (nb ≤ 1), none when a or b is 0
      const nb1 = fb.bit(1).and(sNz.not()); // nb ≤ 1 for b ≠ 0: one chunk and no shift
      const na2 = fa.bit(1).not(); // na > 1
      $.set(emp, aZero.or(bZero));
      $.set(last, 1);
      $.set(rem, 0);
      $.set(gapN, mux(aZero.or(bZero), u3(0), mux(na2, mux(nb1, u3(1), u3(2)), mux(nb1, u3(0), u3(1)))));
      $.set(incLo, bZero.or(nb1));
    }).elseIf(issuing, () => {
      $.if(last, () => {
        $.set(colsLeft, colsLeft.subWrap(1));
        $.set(i, loN);
        $.set(j, j0N);
        $.set(jm, jmN);
        $.set(j0, j0N);
        $.set(lo, loN);
        $.set(emp, gapN.eq(0));
        $.set(last, gapN.le(1));
        $.set(rem, gapN.subWrap(1));
        $.set(gapN, gapNN);
        $.set(incLo, shrink);
        $.set(gtA, gtA.shr(1).zext(2));
        $.set(gtB, gtB.shr(1).zext(3));
        $.if(lastCol, () => $.set(issuing, 0));
      }).else(() => {
        $.set(i, i.addWrap(1));
        $.set(j, j.subWrap(1));
        $.set(jm, jm.subWrap(1));
        $.set(rem, rem.subWrap(1));
        $.set(last, rem.eq(1));
      });
    });
    $.if(finish, () => $.set(busy, 0));
  });

  // the chunks read (chunk i of a, chunks j and j − 1 of b for b's funnel shift), their magnitudes; then b's
  // funnel shift into the multiplier's input registers, and its output register
  const ra = m.pipe('ra_q', readChunk(a, i, za), { reset: null });
  const rb = m.pipe('rb_q', cat(readB(j), readB(jm)), { reset: null });
  const hr = m.pipe('hr_q', has, { reset: null });
  const vr = m.pipe('vr_q', issuing, { reset: 0 });
  const lr = m.pipe('lr_q', last, { reset: null });
  const ia = m.pipe('ia_q', magnitude(ra), { reset: null });
  // b's funnel shift in two steps: by 8 with the magnitudes (one LUT after their chains), by 0 … 7 after them
  const pair = cat(magnitude(rb.slice(33, 17)), magnitude(rb.slice(16, 0)));
  const pb = m.pipe('pb_q', mux(sh8, pair.slice(23, 0), pair.slice(31, 8)).slice(23, 1), { reset: null }); // bits 31 … 9
  const h0 = m.pipe('h0_q', hr, { reset: null });
  const v0 = m.pipe('v0_q', vr, { reset: 0 });
  const l0 = m.pipe('l0_q', lr, { reset: null });
  // an empty column multiplies by 0 (its i, j may point anywhere)
  const xa = m.pipe('xa_q', mux(v0.and(h0), ia, constant(0, uint(16))), { reset: null });
  // the shift by 0 … 7 as an AND-OR of the one-hot shift (two LUT levels from registers into the multiplier)
  const xb = m.pipe('xb_q', [0, 1, 2, 3, 4, 5, 6, 7].map((n) => pb.slice(22 - n, 7 - n).and(shOne.bit(n).repeat(16))).reduce((x, y) => x.or(y)), { reset: null });
  const v1 = m.pipe('v1_q', v0, { reset: 0 });
  const l1 = m.pipe('l1_q', l0, { reset: null });
  const pp = m.pipe('pp_q', xa.mul(xb), { reset: null });
  const v2 = m.pipe('v2_q', v1, { reset: 0 });
  const l2 = m.pipe('l2_q', l1, { reset: null });

  // the column sum V = L + cL + 2^16·(H + cH), kept as two chains of 16 and 20 bits (one 36-bit chain is too
  // slow), each carry waiting in a bit: adding pp, L' = L + pp_lo + cL and H' = H + pp_hi + cH, and the carry
  // out of L' waits in cH; at a column's end L' is its chunk (V mod 2^16) and V/2^16 = H' + that carry goes on
  // as L = H' mod 2^16, cL = the carry, H = H'/2^16
  // (the sums go straight into acc_l_q and acc_h_q: at a column's end H' stays whole in acc_h_q and `moved_q` says
  // that the next sum takes L from its low 16 bits and H from its high 4, a choice before the chains, on the
  // registers' side, while pp arrives later from the multiplier)
  const accL = m.reg('acc_l_q', uint(16), { reset: null });
  const accCL = m.reg('acc_cl_q', uint(1), { reset: null });
  const accH = m.reg('acc_h_q', uint(20), { reset: null });
  const accCH = m.reg('acc_ch_q', uint(1), { reset: null });
  const moved = m.reg('moved_q', uint(1), { reset: null });
  const lo3 = m.reg('lo3_q', uint(16), { reset: null });
  const v3 = m.reg('v3_q', uint(1), { reset: 0 });
  const curL = mux(moved, accH.trunc(16), accL);
  const curH = mux(moved, accH.shr(16).zext(20), accH);
  const sumL = m.wire('sum_l', curL.add(pp.slice(15, 0)).add(accCL).trunc(17));
  const sumH = m.wire('sum_h', curH.add(pp.slice(31, 16)).add(accCH).trunc(20)); // V < 2^36
  m.seq('column', ($) => {
    $.set(v3, v2.and(l2));
    $.if(prep, () => {
      $.set(accL, 0);
      $.set(accCL, 0);
      $.set(accH, 0);
      $.set(accCH, 0);
      $.set(moved, 0);
    }).elseIf(v2, () => {
      $.set(lo3, sumL.trunc(16));
      $.set(accL, sumL.trunc(16));
      $.set(accH, sumH);
      $.set(moved, l2);
      $.set(accCL, l2.and(sumL.bit(16)));
      $.set(accCH, l2.not().and(sumL.bit(16)));
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
