/**
 * The global (modulatory) signal ξ of one hidden layer for the current sample c (learning-rule.md §1.4–1.5).
 *
 * Notation: N = B window samples; K̃ = K_X − γ K_Y; m_p = row mean of K̃ (= column mean, K̃ is symmetric);
 * m̄ = grand mean; D_p = (1 − m^x_p) − γ (1 − m^y_p) (the diagonal of K̃ minus its column means);
 * α_p = (2/s_z²) k(z_c, z_p) (z_c − z_p), a_p = −α_p (α_c = 0).
 *
 * All vectors of a window are rows of row-major B×n arrays; ξ has n entries (one per post-synaptic neuron).
 */

/**
 * Window statistics from the two B×B Gram matrices: Kt = K_X − γ K_Y (B×B), m = row means of Kt,
 * D_p = (1 − m^x_p) − γ (1 − m^y_p). Returns m̄ (the grand mean of Kt).
 */
export function windowStats(
  Kx: Float64Array,
  Ky: Float64Array,
  B: number,
  gamma: number,
  Kt: Float64Array,
  m: Float64Array,
  D: Float64Array,
): number {
  let total = 0;
  for (let p = 0; p < B; p++) {
    let sx = 0;
    let sy = 0;
    let st = 0;
    for (let q = 0; q < B; q++) {
      const kx = Kx[p * B + q];
      const ky = Ky[p * B + q];
      const kt = kx - gamma * ky;
      Kt[p * B + q] = kt;
      sx += kx;
      sy += ky;
      st += kt;
    }
    m[p] = st / B;
    D[p] = 1 - sx / B - gamma * (1 - sy / B);
    total += m[p];
  }
  return total / B;
}

/**
 * K_Z row of the current sample and α: k[p] = k(z_c, z_p) (k[c] = 1), alpha[p·n + j] = (2 k_p / s²)(z_cj − z_pj)
 * (row c is 0). Z is B×n row-major (slot p = row p).
 */
export function alphaRows(Z: Float64Array, n: number, B: number, c: number, s: number, k: Float64Array, alpha: Float64Array): void {
  const oc = c * n;
  const twoOverS2 = 2 / (s * s);
  const den = -2 * s * s;
  for (let p = 0; p < B; p++) {
    const op = p * n;
    if (p === c) {
      k[p] = Math.exp(0 / den);
      for (let j = 0; j < n; j++) alpha[op + j] = 0;
      continue;
    }
    let d = 0;
    for (let j = 0; j < n; j++) {
      const t = Z[oc + j] - Z[op + j];
      d += t * t;
    }
    const kp = Math.exp(d / den);
    k[p] = kp;
    const f = twoOverS2 * kp;
    for (let j = 0; j < n; j++) alpha[op + j] = f * (Z[oc + j] - Z[op + j]);
  }
}

/** Variant P (JAX as run for the paper): ξ = D_c / (N (N−1)²) · Σ_{p≠c} α_p. */
export function xiP(alpha: Float64Array, n: number, B: number, c: number, D: Float64Array, out: Float64Array): void {
  const f = D[c] / (B * (B - 1) * (B - 1));
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < B; p++) if (p !== c) s += alpha[p * n + j];
    out[j] = f * s;
  }
}

/** Variant F (JAX after PR #3): ξ = 1/(N (N−1)²) · Σ_{p≠c} (D_p + D_c) α_p. */
export function xiF(alpha: Float64Array, n: number, B: number, c: number, D: Float64Array, out: Float64Array): void {
  const f = 1 / (B * (B - 1) * (B - 1));
  const Dc = D[c];
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < B; p++) if (p !== c) s += (D[p] + Dc) * alpha[p * n + j];
    out[j] = f * s;
  }
}

/** Variant E (exact ∂L/∂z_c): ξ = (N−1)^−2 Σ_p (K̃_cp − m_c − m_p + m̄) a_p, a_p = −α_p. */
export function xiE(
  alpha: Float64Array,
  n: number,
  B: number,
  c: number,
  Kt: Float64Array,
  m: Float64Array,
  mbar: number,
  out: Float64Array,
  w: Float64Array,
): void {
  const f = 1 / ((B - 1) * (B - 1));
  for (let p = 0; p < B; p++) w[p] = Kt[c * B + p] - m[c] - m[p] + mbar;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < B; p++) s += w[p] * -alpha[p * n + j];
    out[j] = f * s;
  }
}

/** Variant J (Julia GlobalError): ξ = (N−1)^−2 Σ_p (K̃_cp − m_c)(a_p − ā), ā = (1/N) Σ_p a_p. */
export function xiJ(alpha: Float64Array, n: number, B: number, c: number, Kt: Float64Array, m: Float64Array, out: Float64Array): void {
  const f = 1 / ((B - 1) * (B - 1));
  const mc = m[c];
  for (let j = 0; j < n; j++) {
    let abar = 0;
    for (let p = 0; p < B; p++) abar += -alpha[p * n + j];
    abar /= B;
    let s = 0;
    for (let p = 0; p < B; p++) s += (Kt[c * B + p] - mc) * (-alpha[p * n + j] - abar);
    out[j] = f * s;
  }
}

/**
 * Two-point pHSIC third factor (learning-rule.md §1.7) for samples 1 (current) and 2 (previous):
 * M = k^z [(k^z − 1) − (γ/2)(k^y − 1)] / (2 s_z²). The objective pHSIC(Z,Z) − γ pHSIC(Z,Y) over the pair has
 * ∂/∂z_1 = −M (z_1 − z_2) and ∂/∂z_2 = +M (z_1 − z_2).
 */
export function phsicModulator(kz: number, ky: number, gamma: number, s: number): number {
  return (kz * (kz - 1 - (gamma / 2) * (ky - 1))) / (2 * s * s);
}
