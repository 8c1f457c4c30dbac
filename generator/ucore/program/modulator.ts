/**
 * § MODULATOR as a ucore program (sim/golden/fixed/modulator.ts modulate): from the window's K_X/K_Y rows of the
 * current slot c, the row sums, the K_Z row and the stored z to δ of one hidden layer, in three loops:
 *   1. q = 0 … B−1: the variant weight w_q (E J P F, exact integers), u_q = rnd(w_q·k_q, f_k) and
 *      c_q = sat_coef(S.apply(u_q, f_k + fγ − f_coef)) (mulr, mulr, satr); c_c = 0. Σ_q c_q kept.
 *   2. j = 0 … n−1: ξ_j = sat_ξ(rnd(zw_cj·Σ_q c_q − Σ_q c_q·zw_qj, xShift)) — the golden sum over q ≠ c, as
 *      c_c = 0 — with the column sum by one vdot per word of a coefficient (stride n through the window,
 *      stride wordsOf(coef) through the coefficients; the low words unsigned, the top word signed); G1 = Σ ξ,
 *      G2 = Σ ξ·z on the way.
 *   3. j = 0 … n−1: M1 = (1/n).apply(G1, −g), M2 = (1/n).apply(G2, f_z − g) (mulr); T_j = ξ_j·2^g − M1 −
 *      rnd(z_j·M2, f_z); δ_j = a_j > 0 ? sat_δ(rnd(T_j·s⁻¹, dShift)) : 0.
 *
 * MEMORY (at; a value of quantity Q takes wordsOf(Q's format) words, signed as Q's format):
 *   c         one word: the current slot c (0 … B−1)
 *   Kx, Ky    B × B gram words, row-major (row c is read, q ≠ c)
 *   Rx, Ry    B row sums, WIDE words each (signed)
 *   kz        B gram words: the K_Z row of slot c
 *   zw        B × n windowZ words (one word each), slot q at zw + q·n
 *   z, a      n act words, n preact words of the current sample; sInv its s⁻¹ (lnInvStd)
 *   delta     n delta words (written)
 *   scratch   modulatorScratchWords(p, N) words (written): the coefficients, then ξ
 */
import type { Asm } from '../asm.js';
import { imm } from '../asm.js';
import type { Reg } from '../isa.js';
import type { ResolvedNumeric } from '../../numeric.js';
import type { ModulatorParams } from '../../../sim/golden/fixed/modulator.js';
import { LN_BWD_GUARD } from '../../../sim/golden/fixed/modulator.js';
import { counterOf, signedOf, wordsOf, WIDE } from './common.js';

export interface ModulatorAt {
  c: number;
  Kx: number;
  Ky: number;
  Rx: number;
  Ry: number;
  kz: number;
  zw: number;
  z: number;
  a: number;
  sInv: number;
  delta: number;
  scratch: number;
}

/** Scratch words the modulator needs: B coefficients and n ξ words. */
export function modulatorScratchWords(p: ModulatorParams, N: ResolvedNumeric): number {
  return p.B * wordsOf(N.coef.format) + p.n * wordsOf(N.xi.format);
}

/** rd ← ra·c for a constant c (a shift when c is a power of two). */
function mulConst(a: Asm, rd: Reg, ra: Reg, c: number): void {
  if (!Number.isSafeInteger(c)) throw new RangeError(`ucore modulator: constant ${c} is not a safe integer`);
  if (c > 0 && (c & (c - 1)) === 0 && c < 2 ** 30) a.shl(rd, ra, imm(Math.log2(c)));
  else a.mul(rd, ra, imm(c));
}

export function emitModulator(a: Asm, p: ModulatorParams, N: ResolvedNumeric, at: ModulatorAt): void {
  const { B, n, variant } = p;
  const fg = p.gammaOne;
  const g = p.gamma;
  const wg = wordsOf(N.gram.format);
  const wc = wordsOf(N.coef.format);
  const wx = wordsOf(N.xi.format);
  const wz = wordsOf(N.act.format);
  const wa = wordsOf(N.preact.format);
  const wd = wordsOf(N.delta.format);
  const ws = wordsOf(N.lnInvStd.format);
  if (wordsOf(N.windowZ.format) !== 1) throw new RangeError('ucore modulator: the windowZ format must be one word (vdot through the window)');
  const gSigned = signedOf(N.gram.format);
  const coefQ = counterOf('coef');
  const xiQ = counterOf('xi');
  const deltaQ = counterOf('delta');
  const coefAt = at.scratch;
  const xiAt = at.scratch + B * wc;
  const Bone = B * p.one;
  /**
   * The golden model's tilde quantities (Kt, Rt, ND) of an X and a Y value: dst ← x·2^fγ − γ·y (neg: γ·y −
   * x·2^fγ); yt receives γ·y (yt may be y, dst may be x, dst is not y).
   */
  const tildeOf = (dst: Reg, x: Reg, y: Reg, yt: Reg, neg = false): void => {
    mulConst(a, dst, x, fg);
    a.mul(yt, y, imm(g));
    if (neg) a.sub(dst, yt, dst);
    else a.sub(dst, dst, yt);
  };
  /**
   * dst ← tildeOf of X − bias and Y − bias, X and Y the `n`-word values at ptr + offX and ptr + offY (tmp
   * clobbered).
   */
  const tilde = (dst: Reg, tmp: Reg, ptr: Reg, offX: number, offY: number, n: number, signed: boolean, bias = 0, neg = false): void => {
    a.ld(dst, ptr, offX, n, signed);
    if (bias !== 0) a.sub(dst, dst, imm(bias));
    a.ld(tmp, ptr, offY, n, signed);
    if (bias !== 0) a.sub(tmp, tmp, imm(bias));
    tildeOf(dst, dst, tmp, tmp, neg);
  };

  a.with(6, (rc, rowK, RtC, NDc, sumRt, sumC) => {
    // c, the address offset of row c of K_X / K_Y, Rt_c, ND_c (and Σ Rt for E)
    a.ld(rc, 0, at.c, 1, false);
    mulConst(a, rowK, rc, B * wg);
    a.with(3, (t, rx, ry) => {
      mulConst(a, t, rc, WIDE);
      a.ld(rx, t, at.Rx, WIDE, true);
      a.ld(ry, t, at.Ry, WIDE, true);
      // Rt_c = Rx·fg − γ·Ry; ND_c = (B·1 − Rx)·fg − γ·(B·1 − Ry)
      tildeOf(RtC, rx, ry, t);
      a.sub(rx, rx, imm(Bone));
      a.sub(ry, ry, imm(Bone));
      tildeOf(NDc, rx, ry, t, true);
      if (variant === 'E') {
        // Σ_q Rt_q over all B slots; then RtC ← B·Rt_c − Σ Rt (the part of −w_q that does not depend on q)
        a.li(sumRt, 0);
        a.with(1, (ptr) => {
          a.li(ptr, 0);
          a.loop(B, () => {
            tilde(rx, ry, ptr, at.Rx, at.Ry, WIDE, true);
            a.add(sumRt, sumRt, rx);
            a.add(ptr, ptr, imm(WIDE));
          });
        });
        mulConst(a, RtC, RtC, B);
        a.sub(RtC, RtC, sumRt);
      }
    });

    // 1. coefficients
    a.li(sumC, 0);
    a.with(6, (q, pk, w, t, u, pr) => {
      a.li(q, 0);
      a.mov(pk, rowK); // offset of K[c][q] in the matrices
      a.li(pr, 0); // offset of R_q
      a.loop(B, () => {
        const isC = a.label('mod.qc');
        const next = a.label('mod.qn');
        a.beq(q, rc, isC);
        // Kt_q = K_X[c][q]·fg − γ·K_Y[c][q]
        tilde(w, t, pk, at.Kx, at.Ky, wg, gSigned);
        switch (variant) {
          case 'E':
            // w = B·Rt_c − ΣRt + B·Rt_q − B²·Kt_q
            mulConst(a, w, w, B * B);
            a.sub(w, RtC, w);
            tilde(t, u, pr, at.Rx, at.Ry, WIDE, true);
            mulConst(a, t, t, B);
            a.add(w, w, t);
            break;
          case 'J':
            // w = Rt_c − B·Kt_q
            mulConst(a, w, w, B);
            a.sub(w, RtC, w);
            break;
          case 'P':
            a.mov(w, NDc);
            break;
          case 'F':
            // w = ND_q + ND_c
            tilde(w, u, pr, at.Rx, at.Ry, WIDE, true, Bone, true);
            a.add(w, w, NDc);
            break;
        }
        // u = rnd(w·k_q, f_k); c_q = sat_coef(rnd(u·m_S, s_S + cShift))
        mulConst(a, t, q, wg);
        a.ld(t, t, at.kz, wg, gSigned);
        a.mulr(u, w, t, p.fGram);
        a.mulr(u, u, imm(p.xiScale.m), p.xiScale.s + p.cShift);
        a.satr(u, u, p.cLo, p.cHi, coefQ);
        a.b(next);
        a.bind(isC);
        a.li(u, 0);
        a.bind(next);
        mulConst(a, t, q, wc);
        a.st(u, t, coefAt, wc);
        a.add(sumC, sumC, u);
        a.add(q, q, imm(1));
        a.add(pk, pk, imm(wg));
        a.add(pr, pr, imm(WIDE));
      });
    });

    // 2. ξ, G1 = Σ ξ, G2 = Σ ξ·z
    a.with(9, (G1, G2, pzw, pzc, stN, stC, nB, acc, t) => {
      a.li(G1, 0);
      a.li(G2, 0);
      a.li(pzw, at.zw); // zw + j: column j of the window
      mulConst(a, pzc, rc, n);
      a.add(pzc, pzc, imm(at.zw)); // zw + c·n + j
      a.li(stN, n);
      a.li(stC, wc);
      a.li(nB, B);
      a.with(3, (pc, j, s) => {
        a.li(j, 0);
        a.loop(n, () => {
          a.ld(acc, pzc, 0, 1, true);
          a.mul(acc, acc, sumC);
          for (let k = 0; k < wc; k++) {
            a.li(s, 0);
            a.li(pc, coefAt + k);
            a.vdot(s, pzw, stN, pc, stC, nB, 'signed', k === wc - 1 ? 'signed' : 'unsigned');
            if (k > 0) a.shl(s, s, imm(16 * k));
            a.sub(acc, acc, s);
          }
          a.rnd(acc, acc, p.xShift);
          a.satr(acc, acc, p.xLo, p.xHi, xiQ);
          mulConst(a, t, j, wx);
          a.st(acc, t, xiAt, wx);
          a.add(G1, G1, acc);
          mulConst(a, t, j, wz);
          a.ld(t, t, at.z, wz, signedOf(N.act.format));
          a.mul(t, t, acc);
          a.add(G2, G2, t);
          a.add(pzw, pzw, imm(1));
          a.add(pzc, pzc, imm(1));
          a.add(j, j, imm(1));
        });
      });

      // 3. LayerNorm backward ⊙ relu′ → δ
      const gg = LN_BWD_GUARD;
      const M1 = G1;
      const M2 = G2;
      a.mulr(M1, G1, imm(p.invN.m), p.invN.s - gg);
      a.mulr(M2, G2, imm(p.invN.m), p.invN.s + p.fz - gg);
      const sInv = pzw;
      a.ld(sInv, 0, at.sInv, ws, signedOf(N.lnInvStd.format));
      a.with(2, (j, x) => {
        a.li(j, 0);
        a.loop(n, () => {
          const store = a.label('mod.ds');
          a.li(acc, 0);
          mulConst(a, t, j, wa);
          a.ld(t, t, at.a, wa, signedOf(N.preact.format));
          a.blt(t, imm(1), store); // relu′: δ_j = 0 unless a_j > 0
          mulConst(a, t, j, wx);
          a.ld(acc, t, xiAt, wx, true);
          a.shl(acc, acc, imm(gg));
          a.sub(acc, acc, M1);
          mulConst(a, t, j, wz);
          a.ld(x, t, at.z, wz, signedOf(N.act.format));
          a.mulr(x, x, M2, p.fz);
          a.sub(acc, acc, x);
          a.mulr(acc, acc, sInv, p.dShift);
          a.satr(acc, acc, p.dLo, p.dHi, deltaQ);
          a.bind(store);
          mulConst(a, t, j, wd);
          a.st(acc, t, at.delta, wd);
          a.add(j, j, imm(1));
        });
      });
    });
  });
}
