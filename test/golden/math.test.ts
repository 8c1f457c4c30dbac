/**
 * The model's math, piece by piece, against finite differences and against naive transcriptions of
 * learning-rule.md §1 (test/golden/naive.ts).
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/rng.js';
import {
  alphaRows,
  gaussian,
  GramRing,
  gramMatrix,
  hiddenDelta,
  labelGramMatrix,
  layerNormBackward,
  phsicModulator,
  reluLayerNorm,
  softmaxCrossEntropyGrad,
  windowStats,
  xiE,
  xiF,
  xiJ,
  xiP,
} from '../../sim/golden/float/index.js';
import * as naive from './naive.js';

const flat = (M: number[][]) => Float64Array.from(M.flat());

/** A random window: x (N × dx), labels, z (N × n) — z looks like LayerNorm outputs. */
function randomWindow(seed: number, N: number, dx: number, C: number, n: number) {
  const rng = new Rng(seed);
  const X = Array.from({ length: N }, () => Array.from({ length: dx }, () => rng.normal()));
  const y = Array.from({ length: N }, () => rng.int(C));
  const Z = Array.from({ length: N }, () => naive.reluLn(Array.from({ length: n }, () => rng.normal()), 1e-6).z);
  return { X, y, Z };
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** ξ from the model's functions for the window, variant v, current sample c. */
function modelXi(v: 'P' | 'F' | 'E' | 'J', KX: number[][], KY: number[][], Z: number[][], c: number, sigmaZ: number, gamma: number): Float64Array {
  const N = Z.length;
  const n = Z[0].length;
  const Kt = new Float64Array(N * N);
  const m = new Float64Array(N);
  const D = new Float64Array(N);
  const mbar = windowStats(flat(KX), flat(KY), N, gamma, Kt, m, D);
  const k = new Float64Array(N);
  const alpha = new Float64Array(N * n);
  alphaRows(flat(Z), n, N, c, sigmaZ * Math.sqrt(n), k, alpha);
  const out = new Float64Array(n);
  if (v === 'P') xiP(alpha, n, N, c, D, out);
  if (v === 'F') xiF(alpha, n, N, c, D, out);
  if (v === 'E') xiE(alpha, n, N, c, Kt, m, mbar, out, new Float64Array(N));
  if (v === 'J') xiJ(alpha, n, N, c, Kt, m, out);
  return out;
}

const SIG = { x: 0.5, y: 0.1, z: 1 };

describe('global signal ξ', () => {
  for (const [N, n, seed] of [
    [8, 16, 1],
    [5, 7, 2],
    [12, 32, 3],
  ] as const) {
    const { X, y, Z } = randomWindow(seed, N, 20, 4, n);
    const KX = naive.gram(X, SIG.x);
    const KY = naive.gram(
      y.map((v) => naive.oneHot(v, 4)),
      SIG.y,
    );
    // a larger σ_y than MNIST's so that K_Y is not just a class-equality matrix
    const KY2 = naive.gram(
      y.map((v) => naive.oneHot(v, 4)),
      0.8,
    );

    for (const c of [N - 1, 0, Math.floor(N / 2)]) {
      it(`E equals the central finite-difference gradient of HSIC(X,Z) − γ HSIC(Y,Z) w.r.t. z_c (N=${N}, n=${n}, c=${c})`, () => {
        for (const [Ky, gamma] of [
          [KY, 2],
          [KY2, 5],
        ] as const) {
          const xi = modelXi('E', KX, Ky, Z, c, SIG.z, gamma);
          const fd = new Float64Array(n);
          const h = 1e-5;
          for (let j = 0; j < n; j++) {
            const Zp = Z.map((r) => [...r]);
            const Zm = Z.map((r) => [...r]);
            Zp[c][j] += h;
            Zm[c][j] -= h;
            fd[j] = (naive.ibLoss(KX, Ky, Zp, SIG.z, gamma) - naive.ibLoss(KX, Ky, Zm, SIG.z, gamma)) / (2 * h);
          }
          expect(relErr(xi, fd)).toBeLessThan(1e-4);
        }
      });

      it(`P, F, J equal their closed forms and E its matrix form (N=${N}, n=${n}, c=${c})`, () => {
        for (const [Ky, gamma] of [
          [KY, 2],
          [KY2, 5],
        ] as const) {
          const ref = { P: naive.xiP, F: naive.xiF, J: naive.xiJ, E: naive.xiE };
          for (const v of ['P', 'F', 'J', 'E'] as const) {
            const got = modelXi(v, KX, Ky, Z, c, SIG.z, gamma);
            const want = ref[v](KX, Ky, Z, c, SIG.z, gamma);
            expect(relErr(got, want), v).toBeLessThan(1e-12);
          }
        }
      });
    }
  }

  it('the variants differ from each other (the test would notice a swapped formula)', () => {
    const { X, y, Z } = randomWindow(9, 8, 20, 4, 16);
    const KX = naive.gram(X, SIG.x);
    const KY = naive.gram(
      y.map((v) => naive.oneHot(v, 4)),
      0.8,
    );
    const xs = (['P', 'F', 'J', 'E'] as const).map((v) => modelXi(v, KX, KY, Z, 7, SIG.z, 2));
    for (let a = 0; a < 4; a++) for (let b = a + 1; b < 4; b++) expect(relErr(xs[a], xs[b])).toBeGreaterThan(1e-3);
  });

  it('two-point pHSIC modulator: ∂/∂z_1 of pHSIC(Z,Z) − γ pHSIC(Z,Y) is −M (z_1 − z_2)', () => {
    const rng = new Rng(5);
    const n = 6;
    const s = 1 * Math.sqrt(n);
    const z1 = Array.from({ length: n }, () => rng.normal());
    const z2 = Array.from({ length: n }, () => rng.normal());
    const phsic = (A: naive.Mat, B: naive.Mat) => {
      const m = A.length;
      const abar = A.flat().reduce((u, v) => u + v, 0) / (m * m);
      let t = 0;
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) t += (A[i][j] - abar) * B[i][j];
      return t / (m * m);
    };
    for (const ky of [1, Math.exp(-3)]) {
      const KY = [
        [1, ky],
        [ky, 1],
      ];
      const loss = (a: number[]) => {
        const KZ = naive.gram([a, z2], 1);
        return phsic(KZ, KZ) - 2 * phsic(KZ, KY);
      };
      let d = 0;
      for (let j = 0; j < n; j++) d += (z1[j] - z2[j]) ** 2;
      const M = phsicModulator(gaussian(d, s), ky, 2, s);
      const h = 1e-6;
      for (let j = 0; j < n; j++) {
        const p = [...z1];
        const q = [...z1];
        p[j] += h;
        q[j] -= h;
        const fd = (loss(p) - loss(q)) / (2 * h);
        expect(Math.abs(fd - -M * (z1[j] - z2[j]))).toBeLessThan(1e-8 * Math.max(1, Math.abs(fd)) + 1e-10);
      }
    }
  });
});

describe('Gram matrices', () => {
  it('K_X, K_Y and K_Z have a unit diagonal', () => {
    const { X, y, Z } = randomWindow(4, 8, 784, 10, 64);
    const offs = Array.from({ length: 8 }, (_, p) => p * 784);
    const KX = gramMatrix(Float64Array.from(X.flat()), offs, 8, 784, 0.5 * Math.sqrt(784));
    const KY = labelGramMatrix(y, 8, 0.1 * Math.sqrt(10));
    const KZ = gramMatrix(
      Float64Array.from(Z.flat()),
      offs.map((o) => (o / 784) * 64),
      8,
      64,
      8,
    );
    for (const K of [KX, KY, KZ]) for (let p = 0; p < 8; p++) expect(K[p * 8 + p]).toBe(1);
    // the K_Z row used for ξ: k(z_c, z_c) = 1 too
    const k = new Float64Array(8);
    alphaRows(Float64Array.from(Z.flat()), 64, 8, 3, 8, k, new Float64Array(8 * 64));
    expect(k[3]).toBe(1);
    for (let p = 0; p < 8; p++) expect(k[p]).toBe(KZ[3 * 8 + p]);
    // label kernel equals the generic kernel on one-hot vectors
    const KY1 = naive.gram(
      y.map((v) => naive.oneHot(v, 10)),
      0.1,
    );
    for (let p = 0; p < 8; p++) for (let q = 0; q < 8; q++) expect(KY[p * 8 + q]).toBeCloseTo(KY1[p][q], 15);
  });

  it('a GramRing updated one row/column per step equals a full recompute after many steps, exactly', () => {
    const rng = new Rng(11);
    const B = 8;
    const dim = 30;
    const s = 0.5 * Math.sqrt(dim);
    const pool = Float64Array.from({ length: 200 * dim }, () => rng.normal());
    const ring = new GramRing(B);
    const slots = new Int32Array(B);
    const row = new Float64Array(B);
    let count = 0;
    for (let step = 0; step < 157; step++) {
      const slot = step % B;
      slots[slot] = rng.int(200);
      count = Math.min(B, count + 1);
      const offs = Array.from(slots, (i) => i * dim);
      for (let q = 0; q < count; q++) row[q] = q === slot ? 1 : gaussian(naiveSq(pool, offs[slot], offs[q], dim), s);
      ring.insert(slot, row, count);
    }
    const full = gramMatrix(
      pool,
      Array.from(slots, (i) => i * dim),
      B,
      dim,
      s,
    );
    expect(Array.from(ring.K)).toEqual(Array.from(full));
  });
});

function naiveSq(a: Float64Array, o1: number, o2: number, n: number): number {
  let d = 0;
  for (let k = 0; k < n; k++) d += (a[o1 + k] - a[o2 + k]) ** 2;
  return d;
}

describe('LayerNorm and relu', () => {
  it('forward matches the fast-variance transcription', () => {
    const rng = new Rng(3);
    const a = Float64Array.from({ length: 40 }, () => rng.normal());
    const z = new Float64Array(40);
    const s = reluLayerNorm(a, 0, 40, 1e-6, z, 0);
    const ref = naive.reluLn(Array.from(a), 1e-6);
    expect(s).toBeCloseTo(ref.s, 14);
    expect(relErr(z, ref.z)).toBeLessThan(1e-14);
  });

  it('backward equals central finite differences of ⟨g, LN(r)⟩ w.r.t. r, and relu′ masks it', () => {
    const rng = new Rng(8);
    for (const eps of [1e-6, 1e-2]) {
      const n = 24;
      // positive pre-activations except a few: relu is the identity there, so LN backward alone is probed
      const a = Float64Array.from({ length: n }, (_, j) => (j % 5 === 0 ? -0.5 - rng.uniform() : 0.1 + rng.uniform()));
      const g = Float64Array.from({ length: n }, () => rng.normal());
      const z = new Float64Array(n);
      const s = reluLayerNorm(a, 0, n, eps, z, 0);
      const gr = new Float64Array(n);
      layerNormBackward(g, 0, z, 0, s, n, gr, 0);
      const delta = new Float64Array(n);
      hiddenDelta(g, 0, z, 0, s, a, 0, n, delta, 0);
      const f = (r: number[]) => {
        // LN applied directly to r (no relu): the function layerNormBackward differentiates
        const rr = r.map((v) => v);
        const mu = rr.reduce((x, y) => x + y, 0) / n;
        const m2 = rr.reduce((x, y) => x + y * y, 0) / n;
        const sd = Math.sqrt(Math.max(0, m2 - mu * mu) + eps);
        return rr.reduce((acc, v, j) => acc + g[j] * ((v - mu) / sd), 0);
      };
      const r = Array.from(a, (v) => Math.max(0, v));
      const h = 1e-6;
      for (let j = 0; j < n; j++) {
        const p = [...r];
        const q = [...r];
        p[j] += h;
        q[j] -= h;
        const fd = (f(p) - f(q)) / (2 * h);
        expect(Math.abs(gr[j] - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
        expect(delta[j]).toBe(a[j] > 0 ? gr[j] : 0);
      }
    }
  });

  it('relu′(0) = 0', () => {
    const a = Float64Array.from([0, 1, 2, -1]);
    const z = new Float64Array(4);
    const s = reluLayerNorm(a, 0, 4, 1e-6, z, 0);
    const d = new Float64Array(4);
    hiddenDelta(Float64Array.from([1, 2, 3, 4]), 0, z, 0, s, a, 0, 4, d, 0);
    expect(d[0]).toBe(0);
    expect(d[3]).toBe(0);
    expect(d[1]).not.toBe(0);
  });
});

describe('softmax cross-entropy', () => {
  it('gradient equals finite differences of the CE and the loss its definition', () => {
    const rng = new Rng(2);
    const C = 7;
    const o = Float64Array.from({ length: C }, () => 3 * rng.normal());
    const e = new Float64Array(C);
    const label = 4;
    const loss = softmaxCrossEntropyGrad(o, 0, C, label, 0.25, e, 0);
    const ce = (v: number[]) => -Math.log(naive.softmax(v)[label]);
    expect(loss).toBeCloseTo(ce(Array.from(o)), 12);
    const h = 1e-6;
    for (let j = 0; j < C; j++) {
      const p = Array.from(o);
      const q = Array.from(o);
      p[j] += h;
      q[j] -= h;
      expect(e[j]).toBeCloseTo((0.25 * (ce(p) - ce(q))) / (2 * h), 8);
    }
  });
});
