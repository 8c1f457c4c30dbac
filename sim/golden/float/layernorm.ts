/**
 * relu followed by the parameter-free LayerNorm of the hidden layers (learning-rule.md §1.6a), "fast variance"
 * form of Flax: μ = mean(r), var = max(0, mean(r²) − μ²), s = √(var + ε), z = (r − μ)·(1/s).
 */

/**
 * z[zOff + j] = LN(relu(a[aOff + j])) for j < n; returns s = √(var + ε). (The relu mask is a > 0, so
 * relu′(0) = 0 as in JAX.)
 */
export function reluLayerNorm(a: Float64Array, aOff: number, n: number, eps: number, z: Float64Array, zOff: number): number {
  let sum = 0;
  let sum2 = 0;
  for (let j = 0; j < n; j++) {
    const v = a[aOff + j];
    const r = v > 0 ? v : 0;
    sum += r;
    sum2 += r * r;
  }
  const mu = sum / n;
  const raw = sum2 / n - mu * mu;
  const s = Math.sqrt((raw > 0 ? raw : 0) + eps);
  const inv = 1 / s;
  for (let j = 0; j < n; j++) {
    const v = a[aOff + j];
    z[zOff + j] = ((v > 0 ? v : 0) - mu) * inv;
  }
  return s;
}

/**
 * LayerNorm backward: given the cotangent g of z (with z, s of the same sample) writes
 * g_r = (g − mean(g) − z·mean(g ⊙ z)) / s into out.
 */
export function layerNormBackward(
  g: Float64Array,
  gOff: number,
  z: Float64Array,
  zOff: number,
  s: number,
  n: number,
  out: Float64Array,
  outOff: number,
): void {
  let sg = 0;
  let sgz = 0;
  for (let j = 0; j < n; j++) {
    const gj = g[gOff + j];
    sg += gj;
    sgz += gj * z[zOff + j];
  }
  const mg = sg / n;
  const mgz = sgz / n;
  const inv = 1 / s;
  for (let j = 0; j < n; j++) out[outOff + j] = (g[gOff + j] - mg - z[zOff + j] * mgz) * inv;
}

/** δ of a hidden layer: δ = LNbackward(g) ⊙ 1[a > 0] (relu′(0) = 0). */
export function hiddenDelta(
  g: Float64Array,
  gOff: number,
  z: Float64Array,
  zOff: number,
  s: number,
  a: Float64Array,
  aOff: number,
  n: number,
  out: Float64Array,
  outOff: number,
): void {
  layerNormBackward(g, gOff, z, zOff, s, n, out, outOff);
  for (let j = 0; j < n; j++) if (!(a[aOff + j] > 0)) out[outOff + j] = 0;
}
