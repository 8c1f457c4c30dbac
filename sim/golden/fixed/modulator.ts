/**
 * Modulator unit (spec function of generator/units/modulator.ts): from the window's Gram rows to δ of hidden
 * layer l (n = 2^k outputs, window of N = B slots, current slot c). All integers; units noted per line.
 *
 * Row means: the row sums R_X, R_Y (N times the row means, exact) enter through
 *   Rt_p = R_X,p·2^fγ − γ R_Y,p,   ND_p = (N·1.0 − R_X,p)·2^fγ − γ(N·1.0 − R_Y,p),   Kt_p = K_X[c][p]·2^fγ − γ K_Y[c][p]
 * (units 2^−(f_k + fγ); γ = round-to-nearest of γ with fγ = gammaFracBits fraction bits, 1.0 = 2^f_k).
 * Variant weight of slot p ≠ c (exact integers):
 *   E: −(N² Kt_p − N Rt_c − N Rt_p + Σ_q Rt_q)    J: −(N Kt_p − Rt_c)    P: ND_c    F: ND_p + ND_c
 * Per-sample coefficient (k_p = the K_Z row word of slot p, kernel.ts):
 *   u_p = rnd(W_p·k_p, f_k);  c_p = sat_coef(rnd(u_p·S·2^(f_coef − f_k − fγ)))  (c_c = 0),
 *   S = (2/s_z²)/(N²(N−1)²) for E, P, F and (2/s_z²)/(N(N−1)²) for J, s_z² = σ_z² n  (a ConstScale).
 * Global signal: ξ_j = sat_ξ(rnd(Σ_{p≠c} c_p (zw_cj − zw_pj), f_coef + f_wz − f_ξ))  (sum exact, < 2^acc.xi).
 * LayerNorm backward ⊙ relu′ (g = LN_BWD_GUARD, z and a of the current sample, s⁻¹ from the forward):
 *   G1 = Σ ξ_j, G2 = Σ ξ_j z_j (exact); M1 = rnd(G1·2^g/n), M2 = rnd(G2·2^g/n, f_z)  (units 2^−(f_ξ+g));
 *   T_j = ξ_j·2^g − M1 − rnd(z_j·M2, f_z);  δ_j = a_j > 0 ? sat_δ(rnd(T_j·s⁻¹, g + f_ξ + f_s − f_δ)) : 0.
 */
import { fromReal, fx, maxRawNum, minRawNum } from '../../../generator/fixed/index.js';
import type { ResolvedNumeric } from '../../../generator/numeric.js';
import type { Variant } from '../../engine.js';
import { sat, type SatSlots } from './common.js';
import { ConstScale, mulShift, rshiftNearest } from './scale.js';

/** Extra fraction bits of mean(ξ) and mean(ξ⊙z) in the LayerNorm backward. */
export const LN_BWD_GUARD = 4;

export interface ModulatorParams {
  readonly B: number;
  readonly n: number;
  readonly variant: Variant;
  /** 2^fγ and γ in units 2^−fγ */
  readonly gammaOne: number;
  readonly gamma: number;
  /** 1.0 in the gram format */
  readonly one: number;
  readonly fGram: number;
  /** S of the coefficients and the shift f_k + fγ − f_coef */
  readonly xiScale: ConstScale;
  readonly cShift: number;
  readonly cLo: number;
  readonly cHi: number;
  /** f_coef + f_wz − f_ξ */
  readonly xShift: number;
  readonly xLo: number;
  readonly xHi: number;
  /** 1/n (a shift) and f_z */
  readonly invN: ConstScale;
  readonly fz: number;
  /** g + f_ξ + f_s − f_δ */
  readonly dShift: number;
  readonly dLo: number;
  readonly dHi: number;
}

/** γ in units 2^−gammaFracBits (round to nearest). */
export function gammaRaw(N: ResolvedNumeric, gamma: number): number {
  return fromReal(gamma, fx(24, 24 - N.gammaFracBits, false), 'nearest', 'saturate');
}

/** Parameters of hidden layer l's modulator: n outputs, window B, σ_z, γ, variant. */
export function modulatorParams(N: ResolvedNumeric, n: number, B: number, variant: Variant, gamma: number, sigmaZ: number): ModulatorParams {
  const fb = (q: { format: { fracBits: number } }) => q.format.fracBits;
  const nrm = variant === 'J' ? B * (B - 1) ** 2 : B * B * (B - 1) ** 2;
  const s2 = sigmaZ * sigmaZ * n;
  return {
    B,
    n,
    variant,
    gammaOne: 2 ** N.gammaFracBits,
    gamma: gammaRaw(N, gamma),
    one: 2 ** fb(N.gram),
    fGram: fb(N.gram),
    xiScale: new ConstScale(2 / s2 / nrm, N.constBits),
    cShift: fb(N.gram) + N.gammaFracBits - fb(N.coef),
    cLo: minRawNum(N.coef.format),
    cHi: maxRawNum(N.coef.format),
    xShift: fb(N.coef) + fb(N.windowZ) - fb(N.xi),
    xLo: minRawNum(N.xi.format),
    xHi: maxRawNum(N.xi.format),
    invN: new ConstScale(1 / n, N.constBits),
    fz: fb(N.act),
    dShift: LN_BWD_GUARD + fb(N.xi) + fb(N.lnInvStd) - fb(N.delta),
    dLo: minRawNum(N.delta.format),
    dHi: maxRawNum(N.delta.format),
  };
}

/**
 * Variant weights w[p] of the slots p ≠ c (w[c] = 0) from row c of K_X, K_Y (kx[p] = K_X[c][p]) and the row
 * sums (the row means times N).
 */
export function variantWeights(p: ModulatorParams, c: number, kx: Int32Array, ky: Int32Array, Rx: Float64Array, Ry: Float64Array, w: Float64Array): void {
  const { B, gammaOne: fg, gamma: g, one } = p;
  const Rt = (q: number) => Rx[q] * fg - g * Ry[q];
  const ND = (q: number) => (B * one - Rx[q]) * fg - g * (B * one - Ry[q]);
  let sumRt = 0;
  if (p.variant === 'E') for (let q = 0; q < B; q++) sumRt += Rt(q);
  for (let q = 0; q < B; q++) {
    if (q === c) {
      w[q] = 0;
      continue;
    }
    switch (p.variant) {
      case 'E':
        w[q] = -(B * B * (kx[q] * fg - g * ky[q]) - B * Rt(c) - B * Rt(q) + sumRt);
        break;
      case 'J':
        w[q] = -(B * (kx[q] * fg - g * ky[q]) - Rt(c));
        break;
      case 'P':
        w[q] = ND(c);
        break;
      case 'F':
        w[q] = ND(q) + ND(c);
        break;
    }
  }
}

/** coef[q] = sat_coef(rnd(rnd(w_q·k_q, f_k)·S)) for q ≠ c, coef[c] = 0 (k: the K_Z row). */
export function coefficients(p: ModulatorParams, w: Float64Array, k: Int32Array, c: number, coef: Float64Array, s: SatSlots): void {
  for (let q = 0; q < p.B; q++) {
    if (q === c) {
      coef[q] = 0;
      continue;
    }
    // |w_q·k_q| < 2^53: checkBounds
    const u = mulShift(w[q], k[q], p.fGram);
    coef[q] = sat(p.xiScale.apply(u, p.cShift), p.cLo, p.cHi, s.coef);
  }
}

/** ξ_j = sat_ξ(rnd(Σ_{q≠c} coef_q (zw_cj − zw_qj))) over the window's stored z (zw: B × n). */
export function globalSignal(p: ModulatorParams, coef: Float64Array, zw: Int32Array, c: number, xi: Float64Array, s: SatSlots): void {
  const { B, n } = p;
  for (let j = 0; j < n; j++) {
    let acc = 0; // exact: < 2^acc.xi
    const zcj = zw[c * n + j];
    for (let q = 0; q < B; q++) if (q !== c) acc += coef[q] * (zcj - zw[q * n + j]);
    xi[j] = sat(rshiftNearest(acc, p.xShift), p.xLo, p.xHi, s.xi);
  }
}

/** δ = LayerNorm backward of ξ ⊙ relu′(a) (see the header); z, a of the current sample, sInv its s⁻¹. */
export function lnBackward(p: ModulatorParams, xi: Float64Array, z: Int32Array, a: Int32Array, sInv: number, delta: Float64Array, s: SatSlots): void {
  const n = p.n;
  const g = LN_BWD_GUARD;
  let G1 = 0;
  let G2 = 0;
  for (let j = 0; j < n; j++) {
    G1 += xi[j];
    G2 += xi[j] * z[j];
  }
  const M1 = p.invN.apply(G1, -g);
  const M2 = p.invN.apply(G2, p.fz - g);
  const pg = 2 ** g;
  for (let j = 0; j < n; j++) {
    if (!(a[j] > 0)) {
      delta[j] = 0;
      continue;
    }
    const T = xi[j] * pg - M1 - rshiftNearest(z[j] * M2, p.fz);
    delta[j] = sat(rshiftNearest(T * sInv, p.dShift), p.dLo, p.dHi, s.delta);
  }
}

/** Scratch of modulate(): variant weights, coefficients (B each), ξ (n). */
export interface ModulatorScratch {
  w: Float64Array;
  coef: Float64Array;
  xi: Float64Array;
}

/** The whole modulator of one layer: variant weights → coefficients → ξ → δ. */
export function modulate(
  p: ModulatorParams,
  win: { c: number; kx: Int32Array; ky: Int32Array; Rx: Float64Array; Ry: Float64Array; kz: Int32Array; zw: Int32Array },
  cur: { z: Int32Array; a: Int32Array; sInv: number },
  delta: Float64Array,
  scratch: ModulatorScratch,
  s: SatSlots,
): void {
  variantWeights(p, win.c, win.kx, win.ky, win.Rx, win.Ry, scratch.w);
  coefficients(p, scratch.w, win.kz, win.c, scratch.coef, s);
  globalSignal(p, scratch.coef, win.zw, win.c, scratch.xi, s);
  lnBackward(p, scratch.xi, cur.z, cur.a, cur.sInv, delta, s);
}
