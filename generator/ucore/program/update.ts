/**
 * § UPDATE as a ucore program: the rank-1 update of one hidden layer (sim/golden/fixed/update.ts rank1Update,
 * without the fused forward). Per row j: ν = −mul·δ_j; a row with ν = 0 is skipped (no write, no draw); else the
 * row's nIn weight words by one `vupd` (lane0 = layer lane base + (j mod G)·g, g = lanes / G), then the bias
 * (word nIn of the row) with one draw from lane lane0 + (nIn mod g) (srnd; shr for a deterministic rounding; an
 * exact shift for kB ≤ 0), saturated into the bias format (counter bias).
 *
 * MEMORY (at): params — row j at params + j·(nIn + 1): nIn weight words, then the bias word;
 *              h      — nIn input words of the layer (one signed word each: input or act format);
 *              delta  — n δ values, deltaWords (= wordsOf(delta format)) words each, signed, as the modulator
 *                       stores them;
 *              laneBase, lanes — the layer's LFSR bank: lanes laneBase … laneBase + lanes − 1.
 */
import type { Asm } from '../asm.js';
import { imm } from '../asm.js';
import type { UpdDesc } from '../isa.js';
import type { UpdateParams } from '../../../sim/golden/fixed/update.js';
import { counterOf } from './common.js';

export interface UpdateAt {
  params: number;
  h: number;
  delta: number;
  deltaWords: number;
  laneBase: number;
  lanes: number;
}

/** Bits of a signed word whose largest value is hi = 2^(w−1) − 1. */
function signedWidth(hi: number, what: string): number {
  const w = Math.log2(hi + 1) + 1;
  if (!Number.isInteger(w)) throw new RangeError(`ucore update: ${what} bound ${hi} is not 2^(w−1) − 1`);
  return w;
}

/** The vupd descriptor of the layer's weight words. */
export function weightDesc(p: UpdateParams): UpdDesc {
  return { k: p.kW, rounding: p.wRounding, w: signedWidth(p.wHi, 'weight'), q: counterOf('weight') };
}

export function emitUpdate(a: Asm, p: UpdateParams, at: UpdateAt): void {
  const { nIn, n, m, kB } = p;
  const G = p.groups;
  const g = at.lanes / G;
  if (!Number.isInteger(g) || g < 1) throw new RangeError(`ucore update: ${G} row groups do not divide ${at.lanes} lanes`);
  // vupd and the row layout hold a weight and a bias in one word each
  if (signedWidth(p.wHi, 'weight') > 16) throw new RangeError(`ucore update: the weight format is ${signedWidth(p.wHi, 'weight')} bits; vupd words are 16`);
  if (signedWidth(p.bHi, 'bias') > 16) throw new RangeError(`ucore update: the bias format is ${signedWidth(p.bHi, 'bias')} bits; the row's bias word is 16`);
  const dW = at.deltaWords;
  if (!Number.isInteger(dW) || dW < 1 || dW > 4) throw new RangeError(`ucore update: deltaWords ${dW} not in 1 … 4`);
  const u = weightDesc(p);
  const qb = counterOf('bias');
  const skip = a.label('upd.skip');
  a.with(8, (pw, pd, nr, hp, lane0, nu, t, laneB) => {
    a.li(pw, at.params);
    a.li(pd, at.delta);
    a.li(nr, nIn);
    a.li(hp, at.h);
    a.li(lane0, at.laneBase);
    const top = a.label('upd.row');
    const cnt = a.reg();
    a.li(cnt, n);
    a.bind(top);
    a.ld(nu, pd, 0, dW, true);
    if (m === -1) a.sub(nu, 0, nu); // mul = 1 (the chip's rates): ν = −δ
    else a.mul(nu, nu, imm(m));
    a.beq(nu, imm(0), skip);
    a.vupd(pw, hp, nr, nu, lane0, g, u);
    // the bias word: one draw from the lane after the row's last
    a.ld(t, pw, nIn, 1, true);
    if (kB <= 0) a.shl(nu, nu, imm(-kB));
    else if (p.bRounding === 'stochastic') {
      a.add(laneB, lane0, imm(nIn % g));
      a.srnd(nu, nu, kB, laneB);
    } else a.shr(nu, nu, imm(kB), p.bRounding);
    a.add(t, t, nu);
    a.satr(t, t, p.bLo, p.bHi, qb);
    a.st(t, pw, nIn, 1);
    a.bind(skip);
    a.add(pw, pw, imm(nIn + 1));
    a.add(pd, pd, imm(dW));
    if (G > 1) {
      // next row's group: lane0 += g, back to the base after G groups
      const ok = a.label('upd.grp');
      a.add(lane0, lane0, imm(g));
      a.blt(lane0, imm(at.laneBase + at.lanes), ok);
      a.li(lane0, at.laneBase);
      a.bind(ok);
    }
    a.dbnz(cnt, top);
    a.release(cnt);
  });
}
