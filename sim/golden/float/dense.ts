/**
 * Dense layers: a = W·h + b with W[j·nIn + i] (row j = output j), and the Flax default initialisation.
 *
 * Every output is summed in the same order whichever routine computes it (acc = 0; acc += W_ji·h_i for
 * i = 0 … nIn−1; a_j = acc + b_j), so the blocked window forward, the single-sample forward and the batched
 * evaluation give identical doubles.
 */
import type { Rng } from '../../rng.js';

/** Samples per block of denseForwardBlock (one accumulator per sample in the inner loop). */
export const BLOCK = 8;

/**
 * Interleaves up to BLOCK input vectors for denseForwardInterleaved: xt[xtOff + i·BLOCK + p] = src[offs[p] + i]
 * for p < count; lanes count … BLOCK−1 are zeroed.
 */
export function interleave(src: Float64Array, offs: ArrayLike<number>, count: number, nIn: number, xt: Float64Array, xtOff: number): void {
  for (let p = 0; p < BLOCK; p++) {
    if (p < count) {
      const o = offs[p];
      for (let i = 0, q = xtOff + p; i < nIn; i++, q += BLOCK) xt[q] = src[o + i];
    } else {
      for (let i = 0, q = xtOff + p; i < nIn; i++, q += BLOCK) xt[q] = 0;
    }
  }
}

/** Writes one vector into lane p of an interleaved block: xt[xtOff + i·BLOCK + p] = src[off + i]. */
export function interleaveOne(src: Float64Array, off: number, nIn: number, xt: Float64Array, xtOff: number, p: number): void {
  for (let i = 0, q = xtOff + p; i < nIn; i++, q += BLOCK) xt[q] = src[off + i];
}

/**
 * Forward of the BLOCK interleaved inputs xt[xtOff ..] (see interleave): out[outOffs[p] + j] = a_pj for
 * p < count. Two output rows × four lanes per pass: each loaded weight and input serves several sums.
 */
export function denseForwardInterleaved(
  W: Float64Array,
  b: Float64Array,
  nIn: number,
  nOut: number,
  xt: Float64Array,
  xtOff: number,
  count: number,
  out: Float64Array,
  outOffs: ArrayLike<number>,
): void {
  let j = 0;
  for (; j + 1 < nOut; j += 2) {
    const r = j * nIn;
    const s = r + nIn;
    const bj = b[j];
    const bk = b[j + 1];
    for (let h = 0; h < count; h += 4) {
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let c0 = 0;
      let c1 = 0;
      let c2 = 0;
      let c3 = 0;
      for (let i = 0, q = xtOff + h; i < nIn; i++, q += BLOCK) {
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
      const k = count - h;
      out[outOffs[h] + j] = a0 + bj;
      out[outOffs[h] + j + 1] = c0 + bk;
      if (k > 1) {
        out[outOffs[h + 1] + j] = a1 + bj;
        out[outOffs[h + 1] + j + 1] = c1 + bk;
      }
      if (k > 2) {
        out[outOffs[h + 2] + j] = a2 + bj;
        out[outOffs[h + 2] + j + 1] = c2 + bk;
      }
      if (k > 3) {
        out[outOffs[h + 3] + j] = a3 + bj;
        out[outOffs[h + 3] + j + 1] = c3 + bk;
      }
    }
  }
  for (; j < nOut; j++) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let a4 = 0;
    let a5 = 0;
    let a6 = 0;
    let a7 = 0;
    const r = j * nIn;
    for (let i = 0, q = xtOff; i < nIn; i++, q += BLOCK) {
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
    storeLanes(out, outOffs, count, j, b[j], a0, a1, a2, a3, a4, a5, a6, a7);
  }
}

/** out[outOffs[p] + j] = a_p + bj for the first `count` lanes. */
export function storeLanes(
  out: Float64Array,
  outOffs: ArrayLike<number>,
  count: number,
  j: number,
  bj: number,
  a0: number,
  a1: number,
  a2: number,
  a3: number,
  a4: number,
  a5: number,
  a6: number,
  a7: number,
): void {
  if (count > 0) out[outOffs[0] + j] = a0 + bj;
  if (count > 1) out[outOffs[1] + j] = a1 + bj;
  if (count > 2) out[outOffs[2] + j] = a2 + bj;
  if (count > 3) out[outOffs[3] + j] = a3 + bj;
  if (count > 4) out[outOffs[4] + j] = a4 + bj;
  if (count > 5) out[outOffs[5] + j] = a5 + bj;
  if (count > 6) out[outOffs[6] + j] = a6 + bj;
  if (count > 7) out[outOffs[7] + j] = a7 + bj;
}

/**
 * Forward of up to BLOCK samples at once: out[outOffs[p] + j] = Σ_i W[j·nIn+i]·src[srcOffs[p]+i] + b[j] for
 * p < count; xt (≥ nIn·BLOCK) is scratch for the interleaved inputs.
 */
export function denseForwardBlock(
  W: Float64Array,
  b: Float64Array,
  nIn: number,
  nOut: number,
  src: Float64Array,
  srcOffs: ArrayLike<number>,
  count: number,
  xt: Float64Array,
  out: Float64Array,
  outOffs: ArrayLike<number>,
): void {
  if (count > BLOCK) throw new RangeError(`denseForwardBlock: at most ${BLOCK} samples`);
  interleave(src, srcOffs, count, nIn, xt, 0);
  denseForwardInterleaved(W, b, nIn, nOut, xt, 0, count, out, outOffs);
}

/** Forward of one sample: out[outOff + j] = Σ_i W[j·nIn+i]·src[srcOff+i] + b[j] (four outputs per pass). */
export function denseForwardOne(
  W: Float64Array,
  b: Float64Array,
  nIn: number,
  nOut: number,
  src: Float64Array,
  srcOff: number,
  out: Float64Array,
  outOff: number,
): void {
  let j = 0;
  for (; j + 4 <= nOut; j += 4) {
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    const r0 = j * nIn;
    const r1 = r0 + nIn;
    const r2 = r1 + nIn;
    const r3 = r2 + nIn;
    for (let i = 0; i < nIn; i++) {
      const x = src[srcOff + i];
      a0 += W[r0 + i] * x;
      a1 += W[r1 + i] * x;
      a2 += W[r2 + i] * x;
      a3 += W[r3 + i] * x;
    }
    out[outOff + j] = a0 + b[j];
    out[outOff + j + 1] = a1 + b[j + 1];
    out[outOff + j + 2] = a2 + b[j + 2];
    out[outOff + j + 3] = a3 + b[j + 3];
  }
  for (; j < nOut; j++) {
    let a = 0;
    const r = j * nIn;
    for (let i = 0; i < nIn; i++) a += W[r + i] * src[srcOff + i];
    out[outOff + j] = a + b[j];
  }
}

/** Flax's truncation correction: the std of a standard normal truncated to [−2, 2]. */
export const TRUNC_STD = 0.87962566103423978;

/**
 * Flax `lecun_normal` kernel + zero bias: W ~ truncated normal on ±2σ with σ = √(1/nIn)/0.8796…, so that
 * Var W = 1/nIn. Draws in Flax's kernel order (kernel[i][j], i = input) from `rng`.
 */
export function lecunNormalInit(rng: Rng, nIn: number, nOut: number, W: Float64Array, b: Float64Array): void {
  const std = Math.sqrt(1 / nIn) / TRUNC_STD;
  for (let i = 0; i < nIn; i++) for (let j = 0; j < nOut; j++) W[j * nIn + i] = rng.truncatedNormal() * std;
  b.fill(0);
}
