/**
 * The fixed-point engine against the float engine on the same state: at several points of an MNIST run in the
 * chip setting (stored window, SGD, variant E, ε 1e-2), the float engine is given the fixed engine's weights
 * (dequantised, so the same reals) and window (slots, stored z dequantised; K_X, K_Y recomputed in float from
 * the same inputs), then both take the same next sample. Compared, per hidden layer: the forward a = W·h + b,
 * the K_X and K_Z kernel rows (against exp(−d/2s²) within the expNeg table's stated bound plus the rounding of
 * t), ξ and δ (cosine ≥ 0.999, relative error ‖δ_fixed − δ_float‖/‖δ_float‖ ≤ 1%); and the output logits.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_NUMERIC } from '../../generator/numeric.js';
import { loadDataset } from '../../host/data/index.js';
import { CHIP_TRAIN, FixedPointEngine, type StepTrace } from '../../sim/golden/fixed/index.js';
import { bandwidth, FloatEngine, gramMatrix, labelGramMatrix } from '../../sim/golden/float/index.js';

const data = loadDataset('mnist');
const split = data.train;
const cfg = CHIP_TRAIN;
const N = new FixedPointEngine(cfg, DEFAULT_NUMERIC).numeric;

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
const relErr = (x: ArrayLike<number>, ref: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < x.length; i++) d += (x[i] - ref[i]) ** 2;
  return Math.sqrt(d / dot(ref, ref));
};
const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

type FloatLayer = Parameters<NonNullable<FloatEngine['probe']>['layer']>[1];

/** The float engine with the fixed engine's weights and window, then one step on `index`; returns its internals. */
function floatStep(fixed: FixedPointEngine, index: number): { layers: FloatLayer[]; O: Float64Array; Kx: Float64Array } {
  const f = new FloatEngine(cfg);
  const st = f.exportState();
  const wm = fixed.state.wm;
  const B = cfg.window;
  fixed.realWeights().forEach((w, l) => {
    (st.arrays[`W${l}`] as Float64Array).set(w.W);
    (st.arrays[`b${l}`] as Float64Array).set(w.b);
  });
  wm.zw.forEach((z, l) => (st.arrays[`Z${l}`] as Float64Array).set(Array.from(z, (v) => v * 2 ** -N.windowZ.format.fracBits)));
  (st.arrays.slots as Int32Array).set(wm.slotIdx);
  const dim = split.dim;
  const offs = Array.from(wm.slotIdx, (i) => i * dim);
  (st.arrays.Kx as Float64Array).set(gramMatrix(split.x, offs, B, dim, bandwidth(cfg.sigma[0], dim)));
  (st.arrays.Ky as Float64Array).set(labelGramMatrix(Array.from(wm.slotIdx, (i) => split.y[i]), B, bandwidth(cfg.sigma[1], cfg.layers.at(-1)!)));
  f.importState({ ...st, meta: { ...st.meta, count: wm.count, head: wm.head } });
  const layers: FloatLayer[] = [];
  let O = new Float64Array(0) as Float64Array;
  let Kx = new Float64Array(0) as Float64Array;
  f.probe = { layer: (l, v) => (layers[l] = v), output: (v) => ((O = v.O), (Kx = v.Kx)) };
  expect(f.trainSample(split, index)).toBe(true);
  return { layers, O, Kx };
}

/**
 * Bound of |k_fixed − e^(−t)| for t = d/(2s²): t is off by at most half its LSB plus κ's relative error times t
 * (e^(−t) moves by at most that times e^(−t_min)), then the expNeg table adds its stated abs + rel·1 bound.
 */
function kernelBound(t: number, kappaRel: number, table: { abs: number; rel: number }): number {
  const dt = 2 ** -(N.kernelArg.format.fracBits + 1) + t * kappaRel;
  return dt * Math.exp(-Math.max(0, t - dt)) + table.abs + table.rel;
}

describe('fixed-point engine vs float engine, same weights and window (MNIST, chip setting)', () => {
  it('forward a = W·h + b, K rows, ξ, δ and logits agree within stated bounds at 5 points of a 300-sample run', () => {
    const fixed = new FixedPointEngine(cfg, DEFAULT_NUMERIC);
    const B = cfg.window;
    const L = cfg.layers.length - 1;
    const table = fixed.params.tables.expNeg.bound;
    const fa = N.preact.format.fracBits;
    const fl = N.logit.format.fracBits;
    const stats: string[] = [];
    const worst = { deltaCos: 1, deltaRel: 0, xiCos: 1, aCos: 1, kx: 0, kz: 0 };
    let next = 0;
    for (const at of [30, 80, 150, 220, 300]) {
      while (next < at) fixed.trainSample(split, next++);
      const fl0 = floatStep(fixed, next);
      fixed.trace = true;
      expect(fixed.trainSample(split, next++)).toBe(true);
      fixed.trace = false;
      const T = fixed.lastTrace as StepTrace;
      const c = T.c;
      // K_X row c: the fixed words against the float engine's exp(−‖x_c − x_q‖²/(2 s_x²))
      const kxRel = Math.abs(fixed.params.kxPixels.kappa.effective / fixed.params.kxPixels.kappa.value - 1);
      for (let q = 0; q < B; q++) {
        const k = fl0.Kx[c * B + q];
        const t = -Math.log(k);
        expect(Math.abs(T.Kx[c * B + q] - k), `K_X[${c}][${q}] at ${at}`).toBeLessThanOrEqual(kernelBound(t, kxRel, table));
        worst.kx = Math.max(worst.kx, Math.abs(T.Kx[c * B + q] - k));
      }
      for (let l = 0; l < L - 1; l++) {
        const X = T.layers[l];
        const F = fl0.layers[l];
        const n = cfg.layers[l + 1];
        const nIn = cfg.layers[l];
        // forward: the fixed a is W·h + b of its own h, rounded to nearest in the preact format (exact MAC)
        const W = Array.from(X.Wbefore, (w) => w * 2 ** -N.weight.format.fracBits);
        const bb = Array.from(X.bBefore, (v) => v * 2 ** -N.bias.format.fracBits);
        for (let j = 0; j < n; j++) {
          let a = bb[j];
          for (let i = 0; i < nIn; i++) a += W[j * nIn + i] * X.h[i];
          expect(Math.abs(X.ac[j] - a), `a[${j}] layer ${l + 1}`).toBeLessThanOrEqual(2 ** -(fa + 1) + 1e-9);
        }
        // … and the float engine's a (its own h: the same pixels for layer 1, its float z below)
        if (l === 0) expect(maxAbs(X.ac, F.a)).toBeLessThanOrEqual(2 ** -(fa + 1) + 1e-9);
        worst.aCos = Math.min(worst.aCos, cosine(X.ac, F.a));
        // K_Z row: against exp(−‖zw_c − zw_p‖²/(2 s_z²)) of the fixed window (table bound), and the float row
        const kz = fixed.params.kz[l];
        const kzRel = Math.abs(kz.kappa.effective / kz.kappa.value - 1);
        const s2 = 2 * bandwidth(cfg.sigma[2], n) ** 2;
        for (let p = 0; p < B; p++) {
          let d = 0;
          for (let j = 0; j < n; j++) d += (X.zw[c * n + j] - X.zw[p * n + j]) ** 2;
          const t = d / s2;
          expect(Math.abs(X.k[p] - Math.exp(-t)), `K_Z[${p}] layer ${l + 1}`).toBeLessThanOrEqual(kernelBound(t, kzRel, table));
          worst.kz = Math.max(worst.kz, Math.abs(X.k[p] - F.kz[p]));
        }
        const dc = cosine(X.delta, F.delta);
        const dr = relErr(X.delta, F.delta);
        const xc = cosine(X.xi, F.xi);
        worst.deltaCos = Math.min(worst.deltaCos, dc);
        worst.deltaRel = Math.max(worst.deltaRel, dr);
        worst.xiCos = Math.min(worst.xiCos, xc);
        stats.push(`step ${at} layer ${l + 1}: δ cos ${dc.toFixed(5)} rel ${dr.toExponential(2)}, ξ cos ${xc.toFixed(5)}, a cos ${cosine(X.ac, F.a).toFixed(6)}`);
        expect(dc, `δ cosine, layer ${l + 1}, step ${at}`).toBeGreaterThanOrEqual(0.999);
        // measured ≤ 2.4e-3 (2026-11-30); the bound leaves 4× headroom
        expect(dr, `δ relative error, layer ${l + 1}, step ${at}`).toBeLessThanOrEqual(0.01);
      }
      // logits of the window slots other than c (the same stored h in both): rounding of the logit only
      const O = T.out!.logits;
      const C = cfg.layers[L];
      for (let p = 0; p < B; p++) {
        if (p === c) continue;
        expect(maxAbs(O.subarray(p * C, p * C + C), fl0.O.subarray(p * C, p * C + C))).toBeLessThanOrEqual(2 ** -(fl + 1) + 1e-9);
      }
    }
    console.log(`fixed vs float: ${stats.join('\n  ')}\n  worst: ${JSON.stringify(worst)}`);
  });
});
