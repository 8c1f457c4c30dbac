/**
 * Naive, direct transcriptions of learning-rule.md §1 for the tests: full matrices as arrays of arrays,
 * explicit loops, no reuse of the model's code. Slow and obvious on purpose.
 */
export type Mat = number[][];

export const zeros = (r: number, c: number): Mat => Array.from({ length: r }, () => new Array<number>(c).fill(0));

export function matmul(A: Mat, B: Mat): Mat {
  const out = zeros(A.length, B[0].length);
  for (let i = 0; i < A.length; i++) for (let j = 0; j < B[0].length; j++) for (let k = 0; k < B.length; k++) out[i][j] += A[i][k] * B[k][j];
  return out;
}

export function centering(N: number): Mat {
  const H = zeros(N, N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) H[i][j] = (i === j ? 1 : 0) - 1 / N;
  return H;
}

/** Gram matrix of the rows with the Gaussian kernel, s = σ·√dim. */
export function gram(rows: number[][], sigma: number): Mat {
  const s = sigma * Math.sqrt(rows[0].length);
  return rows.map((u) =>
    rows.map((v) => {
      let d = 0;
      for (let k = 0; k < u.length; k++) d += (u[k] - v[k]) ** 2;
      return Math.exp(-d / (2 * s * s));
    }),
  );
}

export const oneHot = (y: number, C: number): number[] => Array.from({ length: C }, (_, k) => (k === y ? 1 : 0));

/** Biased HSIC estimator tr(K_A H K_B H)/(N−1)². */
export function hsic(KA: Mat, KB: Mat): number {
  const N = KA.length;
  const H = centering(N);
  const M = matmul(matmul(matmul(KA, H), KB), H);
  let tr = 0;
  for (let i = 0; i < N; i++) tr += M[i][i];
  return tr / (N - 1) ** 2;
}

/** The layer's HSIC-bottleneck loss L = HSIC(X, Z) − γ HSIC(Y, Z). */
export function ibLoss(KX: Mat, KY: Mat, Z: number[][], sigmaZ: number, gamma: number): number {
  const KZ = gram(Z, sigmaZ);
  return hsic(KX, KZ) - gamma * hsic(KY, KZ);
}

/** a_p = −(2/s²) k(z_c, z_p)(z_c − z_p) as rows (N × n). */
export function aRows(Z: number[][], c: number, sigmaZ: number): number[][] {
  const n = Z[0].length;
  const s = sigmaZ * Math.sqrt(n);
  const K = gram(Z, sigmaZ);
  return Z.map((zp, p) => zp.map((_, j) => -(2 / (s * s)) * K[c][p] * (Z[c][j] - zp[j])));
}

function kTilde(KX: Mat, KY: Mat, gamma: number): Mat {
  return KX.map((row, p) => row.map((v, q) => v - gamma * KY[p][q]));
}

/** D_p = K̄_pp with K̄ = K̃ minus its column means. */
function diagColumnCentred(Kt: Mat): number[] {
  const N = Kt.length;
  const D: number[] = [];
  for (let p = 0; p < N; p++) {
    let colMean = 0;
    for (let q = 0; q < N; q++) colMean += Kt[q][p];
    colMean /= N;
    D.push(Kt[p][p] - colMean);
  }
  return D;
}

/** E: (N−1)^−2 (H K̃ H a)_c. */
export function xiE(KX: Mat, KY: Mat, Z: number[][], c: number, sigmaZ: number, gamma: number): number[] {
  const N = Z.length;
  const H = centering(N);
  const M = matmul(matmul(H, kTilde(KX, KY, gamma)), H);
  const a = aRows(Z, c, sigmaZ);
  const r = matmul([M[c]], a)[0];
  return r.map((v) => v / (N - 1) ** 2);
}

/** J: (N−1)^−2 (K̃ H a)_c. */
export function xiJ(KX: Mat, KY: Mat, Z: number[][], c: number, sigmaZ: number, gamma: number): number[] {
  const N = Z.length;
  const M = matmul(kTilde(KX, KY, gamma), centering(N));
  const r = matmul([M[c]], aRows(Z, c, sigmaZ))[0];
  return r.map((v) => v / (N - 1) ** 2);
}

/** P: D_c/(N(N−1)²) Σ_{p≠c} α_p. */
export function xiP(KX: Mat, KY: Mat, Z: number[][], c: number, sigmaZ: number, gamma: number): number[] {
  const N = Z.length;
  const D = diagColumnCentred(kTilde(KX, KY, gamma));
  const a = aRows(Z, c, sigmaZ);
  const out = new Array<number>(Z[0].length).fill(0);
  for (let p = 0; p < N; p++) if (p !== c) for (let j = 0; j < out.length; j++) out[j] += -a[p][j];
  return out.map((v) => (D[c] * v) / (N * (N - 1) ** 2));
}

/** F: 1/(N(N−1)²) Σ_{p≠c} (D_p + D_c) α_p. */
export function xiF(KX: Mat, KY: Mat, Z: number[][], c: number, sigmaZ: number, gamma: number): number[] {
  const N = Z.length;
  const D = diagColumnCentred(kTilde(KX, KY, gamma));
  const a = aRows(Z, c, sigmaZ);
  const out = new Array<number>(Z[0].length).fill(0);
  for (let p = 0; p < N; p++) if (p !== c) for (let j = 0; j < out.length; j++) out[j] += (D[p] + D[c]) * -a[p][j];
  return out.map((v) => v / (N * (N - 1) ** 2));
}

/** relu then LayerNorm (fast variance), returning z and s. */
export function reluLn(a: number[], eps: number): { z: number[]; s: number } {
  const r = a.map((v) => Math.max(0, v));
  const n = r.length;
  const mu = r.reduce((x, y) => x + y, 0) / n;
  const m2 = r.reduce((x, y) => x + y * y, 0) / n;
  const s = Math.sqrt(Math.max(0, m2 - mu * mu) + eps);
  return { z: r.map((v) => (v - mu) / s), s };
}

export function lnBackward(g: number[], z: number[], s: number): number[] {
  const n = g.length;
  const mg = g.reduce((x, y) => x + y, 0) / n;
  const mgz = g.reduce((x, y, j) => x + y * z[j], 0) / n;
  return g.map((v, j) => (v - mg - z[j] * mgz) / s);
}

export function softmax(o: number[]): number[] {
  const mx = Math.max(...o);
  const e = o.map((v) => Math.exp(v - mx));
  const s = e.reduce((x, y) => x + y, 0);
  return e.map((v) => v / s);
}

// ---------------------------------------------------------------------------------------------------
// A naive reference trainer for the IB rule (§6.4), both memory modes, AdamW (optax) or SGD.

export interface NaiveConfig {
  layers: number[];
  window: number;
  variant: 'P' | 'F' | 'E' | 'J';
  memory: 'recompute' | 'stored';
  optimizer: 'adamw' | 'sgd';
  lr: number;
  lrOut: number;
  gamma: number;
  sigma: [number, number, number];
  lnEps: number;
  beta1: number;
  beta2: number;
  adamEps: number;
  weightDecay: number;
}

export interface NaiveParams {
  /** W[l][j][i] */
  W: number[][][];
  b: number[][];
}

interface Forward {
  /** per hidden layer: a, z, s; h[l] = input of layer l (h[0] = x) */
  a: number[][];
  z: number[][];
  s: number[];
  h: number[][];
  o: number[];
}

function forward(P: NaiveParams, x: number[], eps: number): Forward {
  const L = P.W.length;
  const f: Forward = { a: [], z: [], s: [], h: [x], o: [] };
  let h = x;
  for (let l = 0; l < L; l++) {
    const a = P.W[l].map((row, j) => row.reduce((acc, w, i) => acc + w * h[i], 0) + P.b[l][j]);
    if (l === L - 1) {
      f.o = a;
      break;
    }
    const { z, s } = reluLn(a, eps);
    f.a.push(a);
    f.z.push(z);
    f.s.push(s);
    h = z;
    f.h.push(z);
  }
  return f;
}

export function naivePredict(P: NaiveParams, x: number[], eps: number): number {
  const o = forward(P, x, eps).o;
  return o.indexOf(Math.max(...o));
}

/**
 * Trains on `epochs`: each inner array is one epoch's sample order (the window is emptied at each start).
 * X[i] and y[i] are sample i. Returns the final parameters.
 */
export function naiveTrainIb(cfg: NaiveConfig, init: NaiveParams, X: number[][], y: number[], epochs: number[][]): NaiveParams {
  const P: NaiveParams = { W: init.W.map((M) => M.map((r) => [...r])), b: init.b.map((r) => [...r]) };
  const mW = P.W.map((M) => M.map((r) => r.map(() => 0)));
  const vW = P.W.map((M) => M.map((r) => r.map(() => 0)));
  const mb = P.b.map((r) => r.map(() => 0));
  const vb = P.b.map((r) => r.map(() => 0));
  let t = 0;
  const L = P.W.length;
  const C = cfg.layers[L];
  const B = cfg.window;
  const fxi = { P: xiP, F: xiF, E: xiE, J: xiJ }[cfg.variant];
  for (const order of epochs) {
    const win: { idx: number; f: Forward | null }[] = [];
    for (const idx of order) {
      win.push({ idx, f: cfg.memory === 'stored' ? forward(P, X[idx], cfg.lnEps) : null });
      if (win.length > B) win.shift();
      if (win.length < B) continue;
      const fw = win.map((w) => (cfg.memory === 'stored' ? w.f! : forward(P, X[w.idx], cfg.lnEps)));
      const KX = gram(
        win.map((w) => X[w.idx]),
        cfg.sigma[0],
      );
      const KY = gram(
        win.map((w) => oneHot(y[w.idx], C)),
        cfg.sigma[1],
      );
      const c = B - 1;
      const gW: number[][][] = [];
      const gb: number[][] = [];
      for (let l = 0; l < L - 1; l++) {
        const Z = fw.map((f) => f.z[l]);
        const xi = fxi(KX, KY, Z, c, cfg.sigma[2], cfg.gamma);
        const gr = lnBackward(xi, fw[c].z[l], fw[c].s[l]);
        const delta = gr.map((v, j) => (fw[c].a[l][j] > 0 ? v : 0));
        gW.push(delta.map((d) => fw[c].h[l].map((hv) => d * hv)));
        gb.push(delta);
      }
      const lo = L - 1;
      const GW = P.W[lo].map((r) => r.map(() => 0));
      const GB = P.b[lo].map(() => 0);
      for (let p = 0; p < B; p++) {
        // logits with the current output weights (in stored mode from the stored penultimate h)
        const o = P.W[lo].map((row, j) => row.reduce((acc, w, i) => acc + w * fw[p].h[lo][i], 0) + P.b[lo][j]);
        const sm = softmax(o);
        const e = sm.map((v, j) => (v - (j === y[win[p].idx] ? 1 : 0)) / B);
        for (let j = 0; j < C; j++) {
          GB[j] += e[j];
          for (let i = 0; i < GW[j].length; i++) GW[j][i] += fw[p].h[lo][i] * e[j];
        }
      }
      gW.push(GW);
      gb.push(GB);
      t++;
      for (let l = 0; l < L; l++) {
        const lr = l === L - 1 ? cfg.lrOut : cfg.lr;
        const upd = (th: number, g: number, m: number[], v: number[], k: number): number => {
          if (cfg.optimizer === 'sgd') return th - lr * g;
          m[k] = (1 - cfg.beta1) * g + cfg.beta1 * m[k];
          v[k] = (1 - cfg.beta2) * g * g + cfg.beta2 * v[k];
          const mh = m[k] / (1 - cfg.beta1 ** t);
          const vh = v[k] / (1 - cfg.beta2 ** t);
          return th - lr * (mh / (Math.sqrt(vh) + cfg.adamEps) + cfg.weightDecay * th);
        };
        for (let j = 0; j < P.W[l].length; j++) {
          for (let i = 0; i < P.W[l][j].length; i++) P.W[l][j][i] = upd(P.W[l][j][i], gW[l][j][i], mW[l][j], vW[l][j], i);
          P.b[l][j] = upd(P.b[l][j], gb[l][j], mb[l], vb[l], j);
        }
      }
    }
  }
  return P;
}
