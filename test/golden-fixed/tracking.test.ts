/**
 * The fixed-point step against a float64 reference of the same step, computed here from the same dequantised
 * inputs (the trace of one engine step). Tolerances are derived from the formats: half an output step per
 * rounding, the tables' stated error bounds, the constants' mantissa width. This is what makes the integer
 * specification trustworthy: each unit computes the formula of learning-rule.md §1.4–1.6 up to its roundings.
 */
import { describe, expect, it } from 'vitest';
import { exp as expTable, expNeg, fx, recip, rsqrt, sumFormat } from '../../generator/fixed/index.js';
import { DEFAULT_NUMERIC, resolveNumeric } from '../../generator/numeric.js';
import type { TrainConfig, Variant } from '../../sim/engine.js';
import { createFixedEngine, LN_BWD_GUARD, type StepTrace } from '../../sim/golden/fixed/index.js';
import { CHIP_MNIST, randomPixelSplit } from './helpers.js';

const N = resolveNumeric(DEFAULT_NUMERIC);
const ulp = (q: { format: { fracBits: number } }) => 2 ** -q.format.fracBits;

function traceOf(variant: Variant, seed: number, steps: number): { trace: StepTrace; cfg: TrainConfig } {
  const cfg: TrainConfig = { ...CHIP_MNIST, layers: [64, 32, 16, 4], variant, seed };
  const e = createFixedEngine(cfg, DEFAULT_NUMERIC);
  const split = randomPixelSplit(64, 64, 4, seed + 7);
  e.beginEpoch();
  for (let k = 0; k < steps; k++) e.trainSample(split, k);
  e.trace = true;
  expect(e.trainSample(split, steps)).toBe(true);
  const trace = e.lastTrace!;
  expect(trace).toBeDefined();
  return { trace, cfg };
}

/** ξ of learning-rule.md §1.5, written from the formulas (float64). */
function xiRef(v: Variant, Kx: Float64Array, Ky: Float64Array, B: number, c: number, gamma: number, zw: Float64Array, n: number, k: Float64Array, s2: number): Float64Array {
  const Kt = new Float64Array(B * B);
  const m = new Float64Array(B);
  const D = new Float64Array(B);
  let mbar = 0;
  for (let p = 0; p < B; p++) {
    let sx = 0;
    let sy = 0;
    for (let q = 0; q < B; q++) {
      Kt[p * B + q] = Kx[p * B + q] - gamma * Ky[p * B + q];
      sx += Kx[p * B + q];
      sy += Ky[p * B + q];
    }
    m[p] = (sx - gamma * sy) / B;
    D[p] = 1 - sx / B - gamma * (1 - sy / B);
    mbar += m[p] / B;
  }
  const alpha = (p: number, j: number) => (2 / s2) * k[p] * (zw[c * n + j] - zw[p * n + j]);
  const xi = new Float64Array(n);
  const N1 = (B - 1) ** 2;
  for (let j = 0; j < n; j++) {
    let s = 0;
    if (v === 'E') for (let p = 0; p < B; p++) s += (Kt[c * B + p] - m[c] - m[p] + mbar) * -alpha(p, j);
    if (v === 'J') {
      let abar = 0;
      for (let p = 0; p < B; p++) abar += -alpha(p, j) / B;
      for (let p = 0; p < B; p++) s += (Kt[c * B + p] - m[c]) * (-alpha(p, j) - abar);
    }
    if (v === 'P') for (let p = 0; p < B; p++) if (p !== c) s += (D[c] / B) * alpha(p, j);
    if (v === 'F') for (let p = 0; p < B; p++) if (p !== c) s += ((D[p] + D[c]) / B) * alpha(p, j);
    xi[j] = s / N1;
  }
  return xi;
}

describe('fixed-point step tracks float64 of the same step', () => {
  for (const variant of ['E', 'J', 'P', 'F'] as Variant[]) {
    for (const seed of [1, 2, 3]) {
      it(`variant ${variant}, window ${seed}: K_Z row, ξ, 1/s, z, δ and ΔW within the format-derived bounds`, () => {
        const { trace, cfg } = traceOf(variant, seed, 9 + seed);
        const B = cfg.window;
        const c = trace.c;
        const expT = expNeg({ inFormat: N.kernelArg.format, outFormat: N.gram.format, ...N.tables.expNeg });
        const rsq = rsqrt({ inFormat: N.lnVar.format, outFormat: N.lnInvStd.format, ...N.tables.rsqrt });
        for (let l = 0; l < trace.layers.length; l++) {
          const T = trace.layers[l];
          const n = cfg.layers[l + 1];
          const nIn = cfg.layers[l];
          const s2 = cfg.sigma[2] ** 2 * n;
          // --- K_Z row: exp table of the rounded argument
          for (let p = 0; p < B; p++) {
            if (p === c) continue;
            let d = 0;
            for (let j = 0; j < n; j++) d += (T.zw[c * n + j] - T.zw[p * n + j]) ** 2;
            const want = Math.exp(-d / (2 * s2));
            const tol = expT.bound.abs + expT.bound.rel * want + want * ulp(N.kernelArg) / 2 + 1e-12;
            expect(Math.abs(T.k[p] - want)).toBeLessThanOrEqual(tol);
          }
          // --- ξ from the fixed K rows (dequantised)
          const want = xiRef(variant, trace.Kx, trace.Ky, B, c, cfg.gamma, T.zw, n, T.k, s2);
          const A = 2 / s2 / (B - 1) ** 2;
          let maxXi = 0;
          let maxTol = 0;
          for (let j = 0; j < n; j++) {
            let tol = ulp(N.xi) / 2 + 1e-15;
            for (let p = 0; p < B; p++) {
              if (p === c) continue;
              const dz = Math.abs(T.zw[c * n + j] - T.zw[p * n + j]);
              tol += dz * (ulp(N.coef) / 2 + (A * ulp(N.gram) * 2 ** -N.gammaFracBits) / 2 + 2 ** -(N.constBits - 1) * Math.abs(T.coef[p]));
            }
            expect(Math.abs(T.xi[j] - want[j])).toBeLessThanOrEqual(tol);
            maxXi = Math.max(maxXi, Math.abs(want[j]));
            maxTol = Math.max(maxTol, tol);
          }
          expect(maxXi).toBeGreaterThan(0);
          expect(maxTol).toBeLessThan(0.1 * maxXi); // the bound is tight enough to mean something
          // --- 1/s from the dequantised pre-activations
          let m1 = 0;
          let m2 = 0;
          for (let j = 0; j < n; j++) {
            const r = Math.max(0, T.ac[j]);
            m1 += r / n;
            m2 += (r * r) / n;
          }
          const v = m2 - m1 * m1 + cfg.lnEps;
          const sWant = 1 / Math.sqrt(v);
          const dv = ulp(N.lnVar); // var rounding (½) + ε rounding (½)
          const sTol = rsq.bound.abs + rsq.bound.rel * sWant + 0.5 * sWant ** 3 * dv * 1.01;
          expect(Math.abs(T.sInv - sWant)).toBeLessThanOrEqual(sTol);
          // --- z: (r − μ)·(1/s) with the chip's 1/s, a single rounding
          for (let j = 0; j < n; j++) {
            const zWant = (Math.max(0, T.ac[j]) - m1) * T.sInv;
            expect(Math.abs(T.zc[j] - zWant)).toBeLessThanOrEqual(ulp(N.act) / 2 + 1e-12);
          }
          // --- δ: LayerNorm backward ⊙ relu′ from ξ, z, 1/s
          let g1 = 0;
          let g2 = 0;
          for (let j = 0; j < n; j++) {
            g1 += T.xi[j] / n;
            g2 += (T.xi[j] * T.zc[j]) / n;
          }
          const gu = 2 ** -(N.xi.format.fracBits + LN_BWD_GUARD);
          for (let j = 0; j < n; j++) {
            const dWant = T.ac[j] > 0 ? (T.xi[j] - g1 - T.zc[j] * g2) * T.sInv : 0;
            const tol = ulp(N.delta) / 2 + gu * (1 + Math.abs(T.zc[j]) / 2 + 0.5) * T.sInv + 1e-15;
            expect(Math.abs(T.delta[j] - dWant)).toBeLessThanOrEqual(tol);
            if (!(T.ac[j] > 0)) expect(T.delta[j]).toBe(0);
          }
          // --- ΔW = −lr·δ⊗h with stochastic rounding: each word within one weight step, unbiased on average
          const lr = N.lr.hiddenMul * 2 ** -N.lr.hiddenShift;
          const wu = ulp(N.weight);
          let sum = 0;
          let count = 0;
          for (let j = 0; j < n; j++) {
            for (let i = 0; i < nIn; i++) {
              const got = (T.Wafter[j * nIn + i] - T.Wbefore[j * nIn + i]) * wu;
              const ref = -lr * T.delta[j] * T.h[i];
              if (T.delta[j] === 0) expect(got).toBe(0);
              else {
                expect(Math.abs(got - ref)).toBeLessThan(wu * (1 + 2 ** -N.lfsr.rbits));
                sum += (got - ref) / wu;
                count++;
              }
            }
            const gotB = (T.bAfter[j] - T.bBefore[j]) * ulp(N.bias);
            expect(Math.abs(gotB - -lr * T.delta[j])).toBeLessThan(ulp(N.bias) * (1 + 2 ** -N.lfsr.rbits));
          }
          if (count > 200) {
            // mean rounding error of stochastic rounding: |mean| ≤ bias 2^−rbits + 5σ/√count with σ ≤ ½
            expect(Math.abs(sum / count)).toBeLessThan(2 ** -N.lfsr.rbits + 2.5 / Math.sqrt(count));
          }
        }
      });
    }
  }
});

describe('output layer tracks float64 of the same step', () => {
  for (const seed of [1, 2, 3]) {
    it(`window ${seed}: logits, table softmax, e = (P − y)/B and ΔW_L within the format-derived bounds`, () => {
      const { trace, cfg } = traceOf('E', seed, 9 + seed);
      const O = trace.out!;
      const B = cfg.window;
      const nIn = cfg.layers[2];
      const C = cfg.layers[3];
      const wu = ulp(N.weight);
      const bu = ulp(N.bias);
      const lo = N.logit.format;
      const eT = expTable({ inFormat: fx(lo.intBits + lo.fracBits + 1, lo.intBits + 1), outFormat: N.prob.format, ...N.tables.exp });
      const rT = recip({ inFormat: sumFormat(N.prob.format, C), outFormat: fx(N.prob.format.fracBits + 1, 1, false), ...N.tables.recip });
      let gMax = 0;
      for (let p = 0; p < B; p++) {
        // logits: exact accumulator, one rounding
        for (let j = 0; j < C; j++) {
          let o = O.bBefore[j] * bu;
          for (let i = 0; i < nIn; i++) o += O.Wbefore[j * nIn + i] * wu * O.h[p * nIn + i];
          expect(Math.abs(O.logits[p * C + j] - o)).toBeLessThanOrEqual(ulp(N.logit) / 2 + 1e-12);
        }
        // softmax of the chip's logits: exp table (abs, rel), its exact sum S ≥ 1, recip table, one rounding
        let mx = -Infinity;
        for (let j = 0; j < C; j++) mx = Math.max(mx, O.logits[p * C + j]);
        let S = 0;
        for (let j = 0; j < C; j++) S += Math.exp(O.logits[p * C + j] - mx);
        for (let j = 0; j < C; j++) {
          const ej = Math.exp(O.logits[p * C + j] - mx);
          const P = ej / S;
          const tol = eT.bound.abs + eT.bound.rel * ej + P * (C * eT.bound.abs + eT.bound.rel * S) + rT.bound.abs + rT.bound.rel + ulp(N.prob) / 2;
          expect(Math.abs(O.P[p * C + j] - P)).toBeLessThanOrEqual(tol);
          // e = (P − y)/B from the chip's P: one rounding
          const e = (O.P[p * C + j] - (O.labels[p] === j ? 1 : 0)) / B;
          expect(Math.abs(O.e[p * C + j] - e)).toBeLessThanOrEqual(ulp(N.err) / 2 + 1e-15);
        }
      }
      // ΔW_L = −lr_out · Σ_p h_p e_p, stochastic rounding: within one weight step
      const lr = N.lr.outMul * 2 ** -N.lr.outShift;
      for (let j = 0; j < C; j++) {
        for (let i = 0; i < nIn; i++) {
          let g = 0;
          for (let p = 0; p < B; p++) g += O.h[p * nIn + i] * O.e[p * C + j];
          gMax = Math.max(gMax, Math.abs(g));
          const got = (O.Wafter[j * nIn + i] - O.Wbefore[j * nIn + i]) * wu;
          expect(Math.abs(got + lr * g)).toBeLessThan(wu * (1 + 2 ** -N.lfsr.rbits));
        }
        let gb = 0;
        for (let p = 0; p < B; p++) gb += O.e[p * C + j];
        expect(Math.abs((O.bAfter[j] - O.bBefore[j]) * bu + lr * gb)).toBeLessThan(bu * (1 + 2 ** -N.lfsr.rbits));
      }
      expect(gMax).toBeGreaterThan(0);
    });
  }
});
