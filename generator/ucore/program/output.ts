/**
 * § OUTPUT (sim/golden/fixed/output.ts outputStep) as ucore code: the logits of the B stored h, the table
 * softmax, the errors, the exact gradient and the update of W and b with the output layer's LFSR bank — every
 * word, counter and LFSR state as the golden model.
 *
 * emitOutputStep(a, p, N, at, tables, lfsr), all B slots (a full window):
 *   at.W       W[j][i] at at.W + j·nIn + i (weight words, one word each; updated in place)
 *   at.b       b[j] at at.b + wordsOf(bias)·j (updated in place)
 *   at.H       h_p[i] at at.H + p·nIn + i (windowZ words, one word each; read only)
 *   at.labels  y_p at at.labels + p (one unsigned word; read only)
 *   at.logits  scratch, o_pj at at.logits + wordsOf(logit)·(p·C + j)
 *   at.errs    e_pj at at.errs + p·C + j (err words, one word each; left holding the errors)
 *   at.e       scratch of C WIDE words (the exp numerators of one slot)
 *   tables     the exp subroutine (emitted with counter prob) and the recip subroutine (no counter)
 *   lfsr       the machine lane of the bank's lane 0 (layer L − 1: (L − 1)·lanes) and the bank's lanes
 *
 * Logits: acc = b_j·bShift + vdot(W_j, h_p) (exact), resized to the logit format (its rounding, counted logit).
 * Softmax per slot: mx = max o; e_j = exp(o_j − mx) (counted prob); r = recip(Σ e); P_j = min(rnd(e_j·r, f_r),
 * prob max) (counted prob); e_pj = sat_err((1/B).apply(P_j − [y_p = j]·1.0, f_prob − f_e)) (counted err).
 * Update, rows j in order: G_ji = vdot over p of h_pi·e_pj (stride nIn / C), W_ji ← sat_w(W_ji + SR(−mul·G_ji,
 * kW)) with word i drawing from lane i mod lanes; the bias draws from lane nIn mod lanes: b_j ← sat_b(b_j +
 * SR(−mul·Σ_p e_pj, kB)). A deterministic weight/bias rounding shifts instead (no draw), k ≤ 0 shifts left.
 * The one-word restriction (weight, windowZ, err) is what vdot reads; a wider format is refused by name.
 */
import { width, type Rounding } from '../../fixed/index.js';
import type { ResolvedNumeric } from '../../numeric.js';
import type { OutputParams } from '../../../sim/golden/fixed/output.js';
import { Asm, imm } from '../asm.js';
import type { Reg } from '../isa.js';
import { counterOf, WIDE, wordsOf } from './common.js';
import { emitConstMul } from './kernel.js';
import type { TableSub } from './tables.js';

export interface OutputAt {
  W: number;
  b: number;
  H: number;
  labels: number;
  logits: number;
  errs: number;
  e: number;
}

const BIG = 2n ** 62n;

/** rd ← round(x, k) as § UPDATE's roundUpdate: k ≤ 0 exact shift; deterministic shift; stochastic srnd on lane. */
function emitRoundUpdate(a: Asm, rd: Reg, x: Reg, k: number, rounding: Rounding, lane: Reg): void {
  if (k <= 0) a.shl(rd, x, imm(-k));
  else if (rounding === 'stochastic') a.srnd(rd, x, k, lane);
  else a.shr(rd, x, imm(k), rounding);
}

/** The logits o_pj of `slots` vectors h_p at at.H (nIn windowZ words each) into at.logits, counted in logit. */
export function emitLogits(a: Asm, p: OutputParams, N: ResolvedNumeric, at: Pick<OutputAt, 'W' | 'b' | 'H' | 'logits'>, slots: number): void {
  const { nIn, C } = p;
  const wl = wordsOf(N.logit.format);
  const wb = wordsOf(N.bias.format);
  const logitF = N.logit.format;
  const dLogit = N.weight.format.fracBits + N.windowZ.format.fracBits - logitF.fracBits;
  const bShiftLog = Math.log2(p.bShift);
  if (!Number.isInteger(bShiftLog) || bShiftLog < 0) throw new RangeError(`ucore output: bias alignment ${p.bShift} is not 2^k, k ≥ 0`);
  const logitR = N.logit.rounding;
  if (logitR === 'stochastic') throw new RangeError('ucore output: stochastic logit rounding is not specified');
  a.with(6, (acc, pw, ph, po, one, n) => {
    a.li(one, 1);
    a.li(n, nIn);
    a.li(ph, at.H);
    a.li(po, at.logits);
    a.loop(slots, () => {
      a.li(pw, at.W);
      a.with(1, (pb) => {
        a.li(pb, at.b);
        a.loop(C, () => {
          a.ld(acc, pb, 0, wb, true);
          a.shl(acc, acc, imm(bShiftLog));
          a.vdot(acc, pw, one, ph, one, n, 'signed', 'signed');
          if (dLogit > 0) a.shr(acc, acc, imm(dLogit), logitR);
          else if (dLogit < 0) a.shl(acc, acc, imm(-dLogit));
          a.sat(acc, acc, width(logitF), true, counterOf('logit'));
          a.st(acc, po, 0, wl);
          a.add(po, po, imm(wl));
          a.add(pw, pw, imm(nIn));
          a.add(pb, pb, imm(wb));
        });
      });
      a.add(ph, ph, imm(nIn));
    });
  });
}

export function emitOutputStep(
  a: Asm,
  p: OutputParams,
  N: ResolvedNumeric,
  at: OutputAt,
  tables: { exp: TableSub; recip: TableSub },
  lfsr: { base: number; lanes: number },
): void {
  for (const [q, what] of [['weight', 'W'], ['windowZ', 'h'], ['err', 'e']] as const) {
    if (wordsOf(N[q].format) !== 1) throw new RangeError(`ucore output: numeric.${q}.format is wider than one word; the vdot of ${what} needs one-word values`);
  }
  if (tables.exp.fn !== p.exp || tables.recip.fn !== p.recip) throw new Error('ucore output: the table subroutines are not the output layer\'s exp / recip');
  const { nIn, C, B } = p;
  const wl = wordsOf(N.logit.format);
  const wb = wordsOf(N.bias.format);
  const X = tables.exp.regs;
  // −mul·G: a negation when mul = 1 (1 cycle instead of a multiply)
  const mulM = (g: Reg): void => (p.m === -1 ? a.sub(g, 0, g) : a.mul(g, g, imm(p.m)));
  const fr = p.recip.outFormat.fracBits;

  emitLogits(a, p, N, at, B);

  // ---- softmax and errors per slot
  a.with(7, (mx, S, r, po, pe, lab, j) => {
    a.li(po, at.logits);
    a.li(pe, at.errs);
    a.with(1, (pl) => {
      a.li(pl, at.labels);
      a.loop(B, () => {
        // mx
        a.ld(mx, po, 0, wl, true);
        a.with(2, (t, q) => {
          a.mov(q, po);
          a.loop(C, () => {
            a.ld(t, q, 0, wl, true);
            a.max(mx, mx, t);
            a.add(q, q, imm(wl));
          });
          // e_j = exp(o_j − mx), S = Σ e_j
          a.li(S, 0);
          a.mov(q, po);
          a.li(t, at.e);
          a.loop(C, () => {
            a.ld(X.x, q, 0, wl, true);
            a.sub(X.x, X.x, mx);
            a.call(tables.exp.entry);
            a.st(X.y, t, 0, WIDE);
            a.add(S, S, X.y);
            a.add(q, q, imm(wl));
            a.add(t, t, imm(WIDE));
          });
          // r = recip(S)
          a.mov(tables.recip.regs.x, S);
          a.call(tables.recip.entry);
          a.mov(r, tables.recip.regs.y);
          // P_j and e_pj
          a.ld(lab, pl, 0, 1, false);
          a.li(j, 0);
          a.li(q, at.e);
          a.loop(C, () => {
            const notY = a.label('out_noty');
            a.ld(t, q, 0, WIDE, true);
            a.mulr(t, t, r, fr);
            a.satr(t, t, -BIG, BigInt(p.pHi), counterOf('prob'));
            a.bne(j, lab, notY);
            a.sub(t, t, imm(p.oneP));
            a.bind(notY);
            emitConstMul(a, t, t, p.invB.m, p.invB.s + p.eShift);
            a.sat(t, t, width(N.err.format), true, counterOf('err'));
            a.st(t, pe, 0, 1);
            a.add(pe, pe, imm(1));
            a.add(q, q, imm(WIDE));
            a.add(j, j, imm(1));
          });
        });
        a.add(po, po, imm(C * wl));
        a.add(pl, pl, imm(1));
      });
    });
  });

  // ---- gradient and update, rows j in order
  const last = lfsr.base + lfsr.lanes - 1;
  a.with(8, (pw, pb, ph, pe, nIn_, sC, nB, lane) => {
    a.li(pw, at.W);
    a.li(pb, at.b);
    a.li(pe, at.errs);
    a.li(nIn_, nIn);
    a.li(sC, C);
    a.li(nB, B);
    a.loop(C, () => {
      a.li(lane, lfsr.base);
      a.li(ph, at.H);
      a.with(2, (g, w) => {
        a.loop(nIn, () => {
          a.li(g, 0);
          a.vdot(g, ph, nIn_, pe, sC, nB, 'signed', 'signed');
          mulM(g);
          emitRoundUpdate(a, g, g, p.kW, p.wRounding, lane);
          a.ld(w, pw, 0, 1, true);
          a.add(w, w, g);
          a.sat(w, w, width(N.weight.format), true, counterOf('weight'));
          a.st(w, pw, 0, 1);
          a.add(pw, pw, imm(1));
          a.add(ph, ph, imm(1));
          // lane ← lane + 1, wrapping to the bank's lane 0
          const keep = a.label('out_lane');
          a.add(lane, lane, imm(1));
          a.bne(lane, imm(last + 1), keep);
          a.li(lane, lfsr.base);
          a.bind(keep);
        });
        // bias: G_b = Σ_p e_pj
        a.li(g, 0);
        a.with(1, (q) => {
          a.mov(q, pe);
          a.loop(B, () => {
            a.ld(w, q, 0, 1, true);
            a.add(g, g, w);
            a.add(q, q, imm(C));
          });
        });
        mulM(g);
        emitRoundUpdate(a, g, g, p.kB, p.bRounding, lane);
        a.ld(w, pb, 0, wb, true);
        a.add(w, w, g);
        a.sat(w, w, width(N.bias.format), true, counterOf('bias'));
        a.st(w, pb, 0, wb);
      });
      a.add(pb, pb, imm(wb));
      a.add(pe, pe, imm(1));
    });
  });
}
