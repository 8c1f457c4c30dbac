/**
 * Optimizers (learning-rule.md §1.6f): optax.adamw (b1, b2, ε, weight decay on every parameter, bias
 * correction, eps_root 0) and plain SGD θ −= lr·g. The rank-1 forms take the gradient g_ji = δ_j·h_i of a
 * hidden layer's Hebbian update without materialising it; they give the same doubles as the dense forms.
 *
 * AdamW per parameter (t = step count after increment):
 *   m ← (1−b1)·g + b1·m;  v ← (1−b2)·g² + b2·v;  θ ← θ − lr·( (m·c1)/(√(v·c2) + ε) + wd·θ ),
 * with c1 = 1/(1 − b1^t), c2 = 1/(1 − b2^t). (optax divides by the bias corrections; multiplying by their
 * reciprocals differs only in rounding.)
 */

export interface AdamWParams {
  lr: number;
  b1: number;
  b2: number;
  eps: number;
  wd: number;
  /** 1/(1 − b1^t) */
  c1: number;
  /** 1/(1 − b2^t) */
  c2: number;
}

/** Bias-correction factors for step t (1-based). */
export function adamCorrections(b1: number, b2: number, t: number): { c1: number; c2: number } {
  return { c1: 1 / (1 - Math.pow(b1, t)), c2: 1 / (1 - Math.pow(b2, t)) };
}

/** AdamW on theta[0..n) with the dense gradient g. */
export function adamwDense(theta: Float64Array, m: Float64Array, v: Float64Array, g: Float64Array, n: number, h: AdamWParams): void {
  const { lr, b1, b2, eps, wd, c1, c2 } = h;
  const ob1 = 1 - b1;
  const ob2 = 1 - b2;
  for (let k = 0; k < n; k++) {
    const gk = g[k];
    const mk = ob1 * gk + b1 * m[k];
    const vk = ob2 * (gk * gk) + b2 * v[k];
    m[k] = mk;
    v[k] = vk;
    const th = theta[k];
    theta[k] = th - lr * ((mk * c1) / (Math.sqrt(vk * c2) + eps) + wd * th);
  }
}

/** AdamW on an nOut×nIn weight matrix with the rank-1 gradient g_ji = delta[j]·h[hOff + i]. */
export function adamwRank1(
  W: Float64Array,
  m: Float64Array,
  v: Float64Array,
  nOut: number,
  nIn: number,
  delta: Float64Array,
  hv: Float64Array,
  hOff: number,
  h: AdamWParams,
): void {
  const { lr, b1, b2, eps, wd, c1, c2 } = h;
  for (let j = 0; j < nOut; j++) adamwRow(W, m, v, nIn, j, delta[j], hv, hOff, lr, b1, b2, eps, wd, c1, c2);
}

/**
 * AdamW on row j of an nIn-wide weight matrix with the rank-1 gradient g_ji = d·hv[hOff + i] (adamwRank1,
 * and fused.ts adamwRank1Forward row by row); the hyper-parameters are scalars so a worker can pass them.
 */
export function adamwRow(
  W: Float64Array,
  m: Float64Array,
  v: Float64Array,
  nIn: number,
  j: number,
  d: number,
  hv: Float64Array,
  hOff: number,
  lr: number,
  b1: number,
  b2: number,
  eps: number,
  wd: number,
  c1: number,
  c2: number,
): void {
  const r = j * nIn;
  if (d === 0) {
    // g = ±0 for the whole row (a dead relu unit): the same doubles without the gradient terms
    // ((1−b1)·(±0) + b1·m = b1·m and (1−b2)·0 + b2·v = b2·v, up to the sign of a zero moment)
    for (let k = r; k < r + nIn; k++) {
      const mk = b1 * m[k];
      const vk = b2 * v[k];
      m[k] = mk;
      v[k] = vk;
      const th = W[k];
      W[k] = th - lr * ((mk * c1) / (Math.sqrt(vk * c2) + eps) + wd * th);
    }
    return;
  }
  const ob1 = 1 - b1;
  const ob2 = 1 - b2;
  for (let i = 0; i < nIn; i++) {
    const k = r + i;
    const gk = d * hv[hOff + i];
    const mk = ob1 * gk + b1 * m[k];
    const vk = ob2 * (gk * gk) + b2 * v[k];
    m[k] = mk;
    v[k] = vk;
    const th = W[k];
    W[k] = th - lr * ((mk * c1) / (Math.sqrt(vk * c2) + eps) + wd * th);
  }
}

/** SGD θ −= lr·g on theta[0..n). */
export function sgdDense(theta: Float64Array, g: Float64Array, n: number, lr: number): void {
  for (let k = 0; k < n; k++) theta[k] -= lr * g[k];
}

/**
 * SGD with the rank-1 gradient g_ji = delta[j]·h[hOff + i]: W_ji −= lr·(δ_j·h_i). Rows with δ_j = 0 are
 * skipped (their update is exactly zero).
 */
export function sgdRank1(W: Float64Array, nOut: number, nIn: number, delta: Float64Array, hv: Float64Array, hOff: number, lr: number): void {
  for (let j = 0; j < nOut; j++) {
    const d = delta[j];
    if (d === 0) continue;
    const r = j * nIn;
    for (let i = 0; i < nIn; i++) W[r + i] -= lr * (d * hv[hOff + i]);
  }
}
