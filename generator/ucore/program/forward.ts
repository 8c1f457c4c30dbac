/**
 * § FORWARD's MAC as a ucore program: a_j = sat_preact(resize(b_j·2^(f_w + f_h − f_b) + Σ_i W_ji h_i)) for the
 * n rows of hidden layer l, one `vdot` a row (sim/golden/fixed/forward.ts forwardMac, preactWord); and the input
 * words of a u8 sample, h0_i = (2p_i − 255)·2^(f_in − 8) (sim/data.ts pixelToInput), which the Gram unit's pixels
 * do not replace.
 *
 * Layout: a layer's parameters are n rows of nIn + 1 words (the weights, then the bias as word nIn: the order of
 * § UPDATE); h is nIn words of the layer's input format; a is n values of the preact format (wordsOf words each).
 */
import { PIXEL_SHIFT } from '../../../sim/data.js';
import type { ChipParams } from '../../../sim/golden/fixed/params.js';
import { imm, type Asm } from '../asm.js';
import { counterOf, wordsOf } from './common.js';

export interface ForwardAt {
  /** layer parameters: row j at W + j·(nIn + 1) */
  W: number;
  /** the layer's input words */
  h: number;
  /** preactivations out */
  a: number;
}

/** The MAC of hidden layer l (0-based) of P. */
export function emitForwardMac(a: Asm, P: ChipParams, l: number, at: ForwardAt): void {
  const p = P.forward[l];
  const N = P.numeric;
  const { nIn, n } = p;
  const aw = wordsOf(N.preact.format);
  const bShiftBits = Math.log2(p.bShift);
  if (!Number.isInteger(bShiftBits) || bShiftBits < 0) throw new RangeError(`ucore forward: bias alignment ${p.bShift} is not 2^k, k ≥ 0`);
  const hF = l === 0 ? N.input.format : N.act.format;
  if (wordsOf(N.weight.format) !== 1 || wordsOf(hF) !== 1) throw new RangeError('ucore forward: vdot reads one-word weights and inputs (formats of ≤ 16 bits)');
  a.with(6, (acc, wRow, hBase, one, cnt, aOut) => {
    a.li(wRow, at.W);
    a.li(hBase, at.h);
    a.li(one, 1);
    a.li(cnt, nIn);
    a.li(aOut, at.a);
    a.loop(n, () => {
      a.ld(acc, wRow, nIn, 1, true); // the bias
      a.shl(acc, acc, imm(bShiftBits));
      a.vdot(acc, wRow, one, hBase, one, cnt);
      // resize to preact: right shift by dShift with its rounding, or an exact left shift
      if (p.dShift > 0) a.shr(acc, acc, imm(p.dShift), p.rounding === 'stochastic' ? 'nearest' : p.rounding);
      else if (p.dShift < 0) a.shl(acc, acc, imm(-p.dShift));
      a.satr(acc, acc, p.aLo, p.aHi, counterOf('preact'));
      a.st(acc, aOut, 0, aw);
      a.add(aOut, aOut, imm(aw));
      a.add(wRow, wRow, imm(nIn + 1));
    });
  });
}

export interface InputAt {
  /** u8 pixels (one word each) */
  u: number;
  /** input words out (wordsOf(input format) each) */
  h: number;
  /** also the pixels, as read, into the window's slot: the slot index at `c`, slot s at base + s·nIn */
  slot?: { c: number; base: number };
}

/**
 * h0_i = (2u_i − 255)·2^(f_in − 8) for the nIn pixels at `u`, as u_i·2^(k+1) − 255·2^k (k = f_in − 8; the
 * doubling an add when k = 0), four pixels a loop pass (the rest after); with `slot`, each pixel also into the
 * window's slot (the slot write's copy, done in the same pass).
 */
export function emitInputWords(a: Asm, P: ChipParams, at: InputAt): void {
  const F = P.numeric.input.format;
  const k = F.fracBits - PIXEL_SHIFT;
  if (k < 0) throw new RangeError(`ucore input: the input format needs ≥ ${PIXEL_SHIFT} fraction bits, has ${F.fracBits}`);
  const hw = wordsOf(F);
  const n = P.sizes[0];
  a.with(4, (src, dst, v, win) => {
    const word = (i: number): void => {
      a.ld(v, src, i, 1, false);
      if (at.slot) a.st(v, win, i, 1);
      if (k === 0) a.add(v, v, v);
      else a.shl(v, v, imm(k + 1));
      a.sub(v, v, imm(255 * 2 ** k));
      a.st(v, dst, i * hw, hw);
    };
    a.li(src, at.u);
    a.li(dst, at.h);
    if (at.slot) {
      a.ld(win, 0, at.slot.c, 1, false);
      a.mul(win, win, imm(n));
      a.add(win, win, imm(at.slot.base));
    }
    if (n >= 4)
      a.loop(Math.floor(n / 4), () => {
        for (let i = 0; i < 4; i++) word(i);
        a.add(src, src, imm(4));
        a.add(dst, dst, imm(4 * hw));
        if (at.slot) a.add(win, win, imm(4));
      });
    for (let i = 0; i < n % 4; i++) word(i);
  });
}
