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
import { adamwRow } from './optim.js';

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
 * rowForward for rows j and j+1 together, four lanes at a time (each input loaded once for both rows —
 * fewer loads per multiply-add than one row × eight lanes). Same sums, same order.
 */
export function rowPairForward(W: Float64Array, nIn: number, nOut: number, j: number, b: Float64Array, xt: Float64Array, groups: number, count: number, out: Float64Array): void {
  const r = j * nIn;
  const s = r + nIn;
  const bj = b[j];
  const bk = b[j + 1];
  for (let h = 0; h < groups * BLOCK; h += 4) {
    const k = count - h;
    if (k <= 0) break;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let c3 = 0;
    const g = h >> 3;
    for (let i = 0, q = g * nIn * BLOCK + (h & 7); i < nIn; i++, q += BLOCK) {
      const w = W[r + i];
      const u = W[s + i];
      const x0 = xt[q];
      const x1 = xt[q + 1];
      const x2 = xt[q + 2];
      const x3 = xt[q + 3];
      a0 += w * x0;
      a1 += w * x1;
      a2 += w * x2;
      a3 += w * x3;
      c0 += u * x0;
      c1 += u * x1;
      c2 += u * x2;
      c3 += u * x3;
    }
    const o = h * nOut + j;
    out[o] = a0 + bj;
    out[o + 1] = c0 + bk;
    if (k > 1) {
      out[o + nOut] = a1 + bj;
      out[o + nOut + 1] = c1 + bk;
    }
    if (k > 2) {
      out[o + 2 * nOut] = a2 + bj;
      out[o + 2 * nOut + 1] = c2 + bk;
    }
    if (k > 3) {
      out[o + 3 * nOut] = a3 + bj;
      out[o + 3 * nOut + 1] = c3 + bk;
    }
  }
}

/**
 * Rows [j0, j1): AdamW with the rank-1 gradient g_ji = delta[j]·hv[hOff + i] (optim.ts adamwRow, the row
 * update of adamwRank1), then the window forward of the new row. `b` must already hold the updated bias.
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
  let j = j0;
  for (; j + 1 < j1; j += 2) {
    adamwRow(W, m, v, nIn, j, delta[j], hv, hOff, lr, b1, b2, eps, wd, c1, c2);
    adamwRow(W, m, v, nIn, j + 1, delta[j + 1], hv, hOff, lr, b1, b2, eps, wd, c1, c2);
    rowPairForward(W, nIn, nOut, j, b, xt, groups, count, out);
  }
  if (j < j1) {
    adamwRow(W, m, v, nIn, j, delta[j], hv, hOff, lr, b1, b2, eps, wd, c1, c2);
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
  let pending = -1; // a changed row waiting for a partner row j + 1
  for (let j = j0; j < j1; j++) {
    const d = delta[j];
    if (d === 0) continue;
    const r = j * nIn;
    for (let i = 0; i < nIn; i++) W[r + i] -= lr * (d * hv[hOff + i]);
    if (pending >= 0 && pending === j - 1) {
      rowPairForward(W, nIn, nOut, pending, b, xt, groups, count, out);
      pending = -1;
    } else {
      if (pending >= 0) rowForward(W, nIn, nOut, pending, b[pending], xt, groups, count, out);
      pending = j;
    }
  }
  if (pending >= 0) rowForward(W, nIn, nOut, pending, b[pending], xt, groups, count, out);
}
