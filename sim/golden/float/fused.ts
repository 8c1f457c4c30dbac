/**
 * Hebbian rank-1 updates of the first layer fused with the next step's forward of the window (recompute
 * mode). While a weight row is in registers/L1 after its update, its dot products with every window input are
 * taken, so the next step finds the window's pre-activations already computed and only has to forward the one
 * new sample. Every a_pj is summed in the order of dense.ts (acc = 0; acc += W'_ji·x_pi, i ascending; + b'_j),
 * so the results equal a fresh forward with the updated weights, bit for bit.
 *
 * Window lanes: xt holds `groups` interleaved blocks of BLOCK inputs (dense.ts `interleave`), block g at
 * xt[g·nIn·BLOCK ..]; lane p = slot p; out[outOffs[p] + j] receives a_pj for p < count.
 */
import { BLOCK, storeLanes } from './dense.js';
import type { AdamWParams } from './optim.js';

/** The dot products of row j of W with the lanes of blocks 1 … groups−1 (block 0 is done by the caller). */
function otherBlocks(
  W: Float64Array,
  r: number,
  nIn: number,
  j: number,
  bj: number,
  xt: Float64Array,
  groups: number,
  count: number,
  out: Float64Array,
  outOffs: ArrayLike<number>,
  lanes: Int32Array,
): void {
  for (let g = 1; g < groups; g++) {
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
    for (let p = 0; p < BLOCK; p++) lanes[p] = outOffs[g * BLOCK + p];
    storeLanes(out, lanes, Math.min(BLOCK, count - g * BLOCK), j, bj, a0, a1, a2, a3, a4, a5, a6, a7);
  }
}

/**
 * AdamW with the rank-1 gradient g_ji = delta[j]·hv[hOff + i] (as optim.ts adamwRank1, same doubles), then
 * the window forward with the new row. `b` must already hold the updated bias. lanes: Int32Array(BLOCK) scratch.
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
  h: AdamWParams,
  b: Float64Array,
  xt: Float64Array,
  groups: number,
  count: number,
  out: Float64Array,
  outOffs: ArrayLike<number>,
  lanes: Int32Array,
): void {
  const { lr, b1, b2, eps, wd, c1, c2 } = h;
  const ob1 = 1 - b1;
  const ob2 = 1 - b2;
  for (let j = 0; j < nOut; j++) {
    const d = delta[j];
    const r = j * nIn;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let a4 = 0;
    let a5 = 0;
    let a6 = 0;
    let a7 = 0;
    for (let i = 0, q = 0; i < nIn; i++, q += BLOCK) {
      const k = r + i;
      const gk = d * hv[hOff + i];
      const mk = ob1 * gk + b1 * m[k];
      const vk = ob2 * (gk * gk) + b2 * v[k];
      m[k] = mk;
      v[k] = vk;
      const th = W[k];
      const w = th - lr * ((mk * c1) / (Math.sqrt(vk * c2) + eps) + wd * th);
      W[k] = w;
      a0 += w * xt[q];
      a1 += w * xt[q + 1];
      a2 += w * xt[q + 2];
      a3 += w * xt[q + 3];
      a4 += w * xt[q + 4];
      a5 += w * xt[q + 5];
      a6 += w * xt[q + 6];
      a7 += w * xt[q + 7];
    }
    const bj = b[j];
    storeLanes(out, outOffs, Math.min(BLOCK, count), j, bj, a0, a1, a2, a3, a4, a5, a6, a7);
    if (groups > 1) otherBlocks(W, r, nIn, j, bj, xt, groups, count, out, outOffs, lanes);
  }
}

/**
 * SGD with the rank-1 gradient (as optim.ts sgdRank1, same doubles), then the window forward of the changed
 * rows. Rows with δ_j = 0 do not change, so their cached pre-activations stay exact and are not recomputed.
 * `b` must already hold the updated bias.
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
  outOffs: ArrayLike<number>,
  lanes: Int32Array,
): void {
  for (let j = 0; j < nOut; j++) {
    const d = delta[j];
    if (d === 0) continue;
    const r = j * nIn;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let a4 = 0;
    let a5 = 0;
    let a6 = 0;
    let a7 = 0;
    for (let i = 0, q = 0; i < nIn; i++, q += BLOCK) {
      const w = W[r + i] - lr * (d * hv[hOff + i]);
      W[r + i] = w;
      a0 += w * xt[q];
      a1 += w * xt[q + 1];
      a2 += w * xt[q + 2];
      a3 += w * xt[q + 3];
      a4 += w * xt[q + 4];
      a5 += w * xt[q + 5];
      a6 += w * xt[q + 6];
      a7 += w * xt[q + 7];
    }
    const bj = b[j];
    storeLanes(out, outOffs, Math.min(BLOCK, count), j, bj, a0, a1, a2, a3, a4, a5, a6, a7);
    if (groups > 1) otherBlocks(W, r, nIn, j, bj, xt, groups, count, out, outOffs, lanes);
  }
}
