/**
 * The modulator's specification as the fixed-point engine computes it (computeXi + computeDelta of
 * sim/golden/fixed/engine.ts), over explicit inputs.
 */
import { fromReal, fx, maxRawNum, minRawNum } from '../../generator/fixed/index.js';
import type { ChipConfig } from '../../generator/config.js';
import { resolveNumeric } from '../../generator/numeric.js';
import { ConstScale, mulShift, rshiftNearest } from '../../sim/golden/fixed/scale.js';
import { LN_BWD_GUARD } from '../../sim/golden/fixed/engine.js';

export interface ModulatorInputs {
  /** hidden-layer index */
  layer: number;
  /** slot of the current sample */
  c: number;
  /** K_X[c][p], K_Y[c][p], K_Z[c][p] (gram raw), row sums R_X[p], R_Y[p] (rowSum raw), p = 0 … B−1 */
  kx: number[];
  ky: number[];
  kz: number[];
  rx: number[];
  ry: number[];
  /** window z, zw[p·n + j] (windowZ raw) */
  zw: Int32Array;
  /** forward of the current sample: a_c (preact raw), z_c (act raw) */
  a: Int32Array;
  z: Int32Array;
  /** s⁻¹ (lnInvStd raw) */
  sInv: number;
}

export interface ModulatorOutputs {
  coef: number[];
  xi: number[];
  delta: number[];
  sat: { coef: number; xi: number; delta: number };
}

export function modulatorRef(cfg: ChipConfig, x: ModulatorInputs): ModulatorOutputs {
  const N = resolveNumeric(cfg.numeric);
  const B = cfg.window;
  const n = cfg.layers[x.layer + 1];
  const fb = (q: { format: { fracBits: number } }) => q.format.fracBits;
  const ONE = 2 ** fb(N.gram);
  const fg = 2 ** N.gammaFracBits;
  const g = fromReal(cfg.gamma, fx(24, 24 - N.gammaFracBits, false), 'nearest', 'saturate');
  const v = cfg.variant;
  const sz = cfg.sigma[2];
  const nrm = v === 'J' ? B * (B - 1) ** 2 : B * B * (B - 1) ** 2;
  const scale = new ConstScale(2 / (sz * sz * n) / nrm, N.constBits);
  const Rt = (p: number) => x.rx[p] * fg - g * x.ry[p];
  const ND = (p: number) => (B * ONE - x.rx[p]) * fg - g * (B * ONE - x.ry[p]);
  let sumRt = 0;
  for (let p = 0; p < B; p++) sumRt += Rt(p);
  const sat = { coef: 0, xi: 0, delta: 0 };
  const clamp = (y: number, lo: number, hi: number, k: keyof typeof sat) => {
    if (y > hi) {
      sat[k]++;
      return hi;
    }
    if (y < lo) {
      sat[k]++;
      return lo;
    }
    return y;
  };
  const c = x.c;
  const coef: number[] = [];
  const cShift = fb(N.gram) + N.gammaFracBits - fb(N.coef);
  for (let p = 0; p < B; p++) {
    if (p === c) {
      coef.push(0);
      continue;
    }
    let Wp: number;
    const Kt = x.kx[p] * fg - g * x.ky[p];
    switch (v) {
      case 'E':
        Wp = -(B * B * Kt - B * Rt(c) - B * Rt(p) + sumRt);
        break;
      case 'J':
        Wp = -(B * Kt - Rt(c));
        break;
      case 'P':
        Wp = ND(c);
        break;
      case 'F':
        Wp = ND(p) + ND(c);
        break;
    }
    const u = mulShift(Wp, x.kz[p], fb(N.gram));
    coef.push(clamp(scale.apply(u, cShift), minRawNum(N.coef.format), maxRawNum(N.coef.format), 'coef'));
  }
  const xi: number[] = [];
  const xShift = fb(N.coef) + fb(N.windowZ) - fb(N.xi);
  for (let j = 0; j < n; j++) {
    let acc = 0;
    const zcj = x.zw[c * n + j];
    for (let p = 0; p < B; p++) if (p !== c) acc += coef[p] * (zcj - x.zw[p * n + j]);
    xi.push(clamp(rshiftNearest(acc, xShift), minRawNum(N.xi.format), maxRawNum(N.xi.format), 'xi'));
  }
  const gd = LN_BWD_GUARD;
  let G1 = 0;
  let G2 = 0;
  for (let j = 0; j < n; j++) {
    G1 += xi[j];
    G2 += xi[j] * x.z[j];
  }
  const inv = new ConstScale(1 / n, N.constBits);
  const M1 = inv.apply(G1, -gd);
  const M2 = inv.apply(G2, fb(N.act) - gd);
  const k = gd + fb(N.xi) + fb(N.lnInvStd) - fb(N.delta);
  const delta: number[] = [];
  for (let j = 0; j < n; j++) {
    if (!(x.a[j] > 0)) {
      delta.push(0);
      continue;
    }
    const T = xi[j] * 2 ** gd - M1 - rshiftNearest(x.z[j] * M2, fb(N.act));
    delta.push(clamp(rshiftNearest(T * x.sInv, k), minRawNum(N.delta.format), maxRawNum(N.delta.format), 'delta'));
  }
  return { coef, xi, delta, sat };
}
