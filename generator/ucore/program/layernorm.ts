/**
 * § FORWARD's LayerNorm + relu (sim/golden/fixed/forward.ts layerNormRelu) and the resize to windowZ (windowZ)
 * as ucore code, bit-exact with their saturation counters.
 *
 * emitLayerNormRelu(a, p, N, at, rsqrt):
 *   at.a     a[j] at at.a + wordsOf(preact)·j, j < n (read only)
 *   at.z     z[j] at at.z + wordsOf(act)·j (written; used as scratch for r_j = max(a_j, 0) first)
 *   at.sInv  s⁻¹ (the return value of layerNormRelu, lnInvStd raw) in wordsOf(lnInvStd) words
 *   S1 = Σ r, S2 = Σ r² (vdot over the r stored in z when a and z are one word each, else scalar), V = n·S2 −
 *   S1², v = min(invN2.apply(V, varShift) + ε, vMax) (counted lnVar), s⁻¹ = rsqrt(v) (the rsqrt subroutine,
 *   emitted with counter lnInvStd), z_j = sat_act(invN.apply((n r_j − S1)·s⁻¹, zShift)) (counted act).
 *
 * emitWindowZ(a, p, N, at): out[j] = resize act → windowZ of z[j] (its rounding; saturation counted in
 *   windowZ), at.z as above, at.out[j] at at.out + wordsOf(windowZ)·j.
 */
import { width } from '../../fixed/index.js';
import type { ResolvedNumeric } from '../../numeric.js';
import type { ForwardParams } from '../../../sim/golden/fixed/forward.js';
import { Asm, imm } from '../asm.js';
import type { Reg } from '../isa.js';
import { counterOf, wordsOf } from './common.js';
import { emitConstMul } from './kernel.js';
import type { TableSub } from './tables.js';

export interface LayerNormAt {
  a: number;
  z: number;
  sInv: number;
}

export interface WindowZAt {
  z: number;
  out: number;
}

/** rd ← ra·n (a shift when n is a power of two). */
function mulConst(a: Asm, rd: Reg, ra: Reg, n: number): void {
  if (n > 0 && (n & (n - 1)) === 0) a.shl(rd, ra, imm(Math.log2(n)));
  else a.mul(rd, ra, imm(n));
}

export function emitLayerNormRelu(a: Asm, p: ForwardParams, N: ResolvedNumeric, at: LayerNormAt, rsqrt: TableSub): void {
  if (rsqrt.fn !== p.rsqrt) throw new Error('ucore layernorm: the table subroutine is not the layer\'s rsqrt');
  const n = p.n;
  const wa = wordsOf(N.preact.format);
  const wz = wordsOf(N.act.format);
  const ws = wordsOf(N.lnInvStd.format);
  const vec = wa === 1 && wz === 1;
  a.with(5, (S1, S2, r, pa, pz) => {
    // pass 1: r_j, S1, S2
    a.li(S1, 0);
    a.li(S2, 0);
    a.li(pa, at.a);
    a.li(pz, at.z);
    a.loop(n, () => {
      a.ld(r, pa, 0, wa, true);
      a.max(r, r, imm(0));
      a.add(S1, S1, r);
      if (vec) a.st(r, pz, 0, 1);
      else {
        a.mul(r, r, r);
        a.add(S2, S2, r);
      }
      a.add(pa, pa, imm(wa));
      if (vec) a.add(pz, pz, imm(1));
    });
    if (vec)
      a.with(2, (one, cnt) => {
        a.li(one, 1);
        a.li(cnt, n);
        a.li(pz, at.z);
        a.vdot(S2, pz, one, pz, one, cnt, 'signed', 'signed');
      });
    // V, var, s⁻¹
    const x = rsqrt.regs.x;
    mulConst(a, S2, S2, n);
    a.mul(r, S1, S1);
    a.sub(S2, S2, r); // V
    emitConstMul(a, x, S2, p.invN2.m, p.invN2.s + p.varShift);
    a.add(x, x, imm(p.eps));
    a.satr(x, x, -(2n ** 62n), BigInt(p.vMax), counterOf('lnVar'));
    a.call(rsqrt.entry);
    const sInv = S2;
    a.mov(sInv, rsqrt.regs.y);
    a.st(sInv, 0, at.sInv, ws);
    // pass 2: z_j
    a.li(pa, at.a);
    a.li(pz, at.z);
    a.loop(n, () => {
      a.ld(r, pa, 0, wa, true);
      a.max(r, r, imm(0));
      mulConst(a, r, r, n);
      a.sub(r, r, S1);
      a.mul(r, r, sInv);
      emitConstMul(a, r, r, p.invN.m, p.invN.s + p.zShift);
      a.sat(r, r, width(N.act.format), true, counterOf('act'));
      a.st(r, pz, 0, wz);
      a.add(pa, pa, imm(wa));
      a.add(pz, pz, imm(wz));
    });
  });
}

export function emitWindowZ(a: Asm, p: ForwardParams, N: ResolvedNumeric, at: WindowZAt): void {
  const from = N.act.format;
  const to = N.windowZ.format;
  const rounding = N.windowZ.rounding;
  if (rounding === 'stochastic') throw new RangeError('ucore windowZ: stochastic rounding is not specified for windowZ');
  const d = from.fracBits - to.fracBits;
  const wz = wordsOf(from);
  const wo = wordsOf(to);
  a.with(3, (v, pz, po) => {
    a.li(pz, at.z);
    a.li(po, at.out);
    a.loop(p.n, () => {
      a.ld(v, pz, 0, wz, true);
      if (d > 0) a.shr(v, v, imm(d), rounding);
      else if (d < 0) a.shl(v, v, imm(-d)); // |z| < 2^32, −d ≤ 8: no overflow
      a.sat(v, v, width(to), to.signed, counterOf('windowZ'));
      a.st(v, po, 0, wo);
      a.add(pz, pz, imm(wz));
      a.add(po, po, imm(wo));
    });
  });
}
