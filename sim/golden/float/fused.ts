/**
 * Hebbian rank-1 updates of the first layer followed, row by row, by the next step's forward of the window
 * (recompute mode). Right after row j is updated (while it is in L1) its dot products with every window input
 * are taken, so the next step finds the window's pre-activations already computed and only has to forward
 * the one new sample. Every a_pj is summed in the order of dense.ts (acc = 0; acc += W'_ji·x_pi, i ascending;
 * + b'_j), so the results equal a fresh forward with the updated weights, bit for bit. The row range
 * [j0, j1) lets two threads share a layer (threads.ts).
 *
 * Window lanes: xt holds `groups` interleaved blocks of BLOCK inputs (dense.ts `interleave`), block g at
 * xt[g·nIn·BLOCK ..]; lane p = slot p; out[p·nOut + j] receives a_pj for p < count.
 */
import { BLOCK } from './dense.js';

/** a_pj for row j of W (already updated) and every window lane; bj is the updated bias. */
export function rowForward(W: Float64Array, nIn: number, nOut: number, j: number, bj: number, xt: Float64Array, groups: number, count: number, out: Float64Array): void {
  const r = j * nIn;
  for (let g = 0; g < groups; g++) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let a4 = 0;
    let a5 = 0;
    let a6 = 0;
    let a7 = 0;
    for (let i = 0, q = g * nIn * BLOCK; i < nIn; i++, q += BLOCK) {
      const w = W[r + i];
      a0 += w * xt[q];
      a1 += w * xt[q + 1];
      a2 += w * xt[q + 2];
      a3 += w * xt[q + 3];
      a4 += w * xt[q + 4];
      a5 += w * xt[q + 5];
      a6 += w * xt[q + 6];
      a7 += w * xt[q + 7];
    }
    const k = count - g * BLOCK;
    const o = g * BLOCK * nOut + j;
    if (k > 0) out[o] = a0 + bj;
    if (k > 1) out[o + nOut] = a1 + bj;
    if (k > 2) out[o + 2 * nOut] = a2 + bj;
    if (k > 3) out[o + 3 * nOut] = a3 + bj;
    if (k > 4) out[o + 4 * nOut] = a4 + bj;
    if (k > 5) out[o + 5 * nOut] = a5 + bj;
    if (k > 6) out[o + 6 * nOut] = a6 + bj;
    if (k > 7) out[o + 7 * nOut] = a7 + bj;
  }
}

/**
 * Rows [j0, j1): AdamW with the rank-1 gradient g_ji = delta[j]·hv[hOff + i] (the doubles of optim.ts
 * adamwRank1), then the window forward of the new row. `b` must already hold the updated bias.
 */
export function adamwRank1Forward(
  W: Float64Array,
  m: Float64Array,
  v: Float64Array,
  nOut: number,
  nIn: number,
  delta: Float64Array,
  hv: Float64Array,
  hOff: number,
  lr: number,
  b1: number,
  b2: number,
  eps: number,
  wd: number,
  c1: number,
  c2: number,
  b: Float64Array,
  xt: Float64Array,
  groups: number,
  count: number,
  out: Float64Array,
  j0: number,
  j1: number,
): void {
  const ob1 = 1 - b1;
  const ob2 = 1 - b2;
  for (let j = j0; j < j1; j++) {
    const d = delta[j];
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
    } else {
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
    rowForward(W, nIn, nOut, j, b[j], xt, groups, count, out);
  }
}

/**
 * Rows [j0, j1): SGD with the rank-1 gradient (the doubles of optim.ts sgdRank1), then the window forward of
 * the changed rows. Rows with δ_j = 0 do not change, so their cached pre-activations stay exact.
 */
export function sgdRank1Forward(
  W: Float64Array,
  nOut: number,
  nIn: number,
  delta: Float64Array,
  hv: Float64Array,
  hOff: number,
  lr: number,
  b: Float64Array,
  xt: Float64Array,
  groups: number,
  count: number,
  out: Float64Array,
  j0: number,
  j1: number,
): void {
  for (let j = j0; j < j1; j++) {
    const d = delta[j];
    if (d === 0) continue;
    const r = j * nIn;
    for (let i = 0; i < nIn; i++) W[r + i] -= lr * (d * hv[hOff + i]);
    rowForward(W, nIn, nOut, j, b[j], xt, groups, count, out);
  }
}
