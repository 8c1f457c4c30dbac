/**
 * Gaussian (RBF) kernel of learning-rule.md §1.2: k(u, v) = exp(−‖u − v‖² / (2 s²)), s = σ·√dim.
 * The distance is the direct sum of squared differences (as the JAX code), so k(u, v) and k(v, u) are the
 * same double and k(u, u) = exp(−0) = 1 exactly.
 */

/** Effective bandwidth s = σ·√dim. */
export function bandwidth(sigma: number, dim: number): number {
  return sigma * Math.sqrt(dim);
}

/** ‖u − v‖² = Σ_k (u_k − v_k)², u = a[aOff .. aOff+n), v = b[bOff .. bOff+n). */
export function sqDist(a: Float64Array, aOff: number, b: Float64Array, bOff: number, n: number): number {
  let d = 0;
  for (let k = 0; k < n; k++) {
    const t = a[aOff + k] - b[bOff + k];
    d += t * t;
  }
  return d;
}

/** exp(d / (−2 s²)) for a squared distance d (the JAX `rbf_kernel` form). */
export function gaussian(d: number, s: number): number {
  return Math.exp(d / (-2 * s * s));
}

/**
 * Kernel between two one-hot label vectors of classes ya, yb: ‖y_a − y_b‖² is 0 or 2 exactly, so this is
 * the generic kernel on the one-hot vectors without building them.
 */
export function labelKernel(ya: number, yb: number, s: number): number {
  return gaussian(ya === yb ? 0 : 2, s);
}

/**
 * One Gram row: out[p] = k(v_c, v_p) for p < count, where vector p is src[offs[p] .. offs[p]+dim).
 * out[c] = 1 (k(v, v)).
 */
export function kernelRow(
  src: Float64Array,
  offs: ArrayLike<number>,
  count: number,
  dim: number,
  c: number,
  s: number,
  out: Float64Array,
): void {
  const oc = offs[c];
  for (let p = 0; p < count; p++) out[p] = p === c ? gaussian(0, s) : gaussian(sqDist(src, oc, src, offs[p], dim), s);
}

/** Full N×N Gram matrix of the vectors src[offs[p] ..] (row-major), by direct recomputation of every entry. */
export function gramMatrix(src: Float64Array, offs: ArrayLike<number>, count: number, dim: number, s: number): Float64Array {
  const K = new Float64Array(count * count);
  for (let p = 0; p < count; p++) {
    for (let q = 0; q < count; q++) K[p * count + q] = gaussian(sqDist(src, offs[p], src, offs[q], dim), s);
  }
  return K;
}

/** Full N×N Gram matrix of one-hot labels given as class indices. */
export function labelGramMatrix(labels: ArrayLike<number>, count: number, s: number): Float64Array {
  const K = new Float64Array(count * count);
  for (let p = 0; p < count; p++) for (let q = 0; q < count; q++) K[p * count + q] = labelKernel(labels[p], labels[q], s);
  return K;
}
