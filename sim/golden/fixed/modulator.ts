/**
 * Modulator unit (spec function of generator/units/modulator.ts): from the window's Gram rows and row sums to
 * δ of one hidden layer — variant weights from the row means (variantWeights), per-sample coefficients
 * (coefficients), the global signal ξ (globalSignal), LayerNorm backward ⊙ relu′ (lnBackward); modulate()
 * runs the four. § MODULATOR of the specification (step.ts header).
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
