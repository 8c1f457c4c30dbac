/**
 * Gram unit (spec function of generator/units/gram.ts): exact integer squared distances of the current vector
 * against every slot of the window (§ GRAM of the specification, step.ts header). Every term and sum is an
 * integer below 2^acc.gram (proved at construction), so float64 holds them exactly. kernel.ts turns a
 * distance into a kernel word.
 */

/**
 * d[q] = Σ_i (u_c,i − u_q,i)² for the slots q = 0 … count − 1, q ≠ c (d[c] = 0), where u_q = vecs[q·dim …
 * q·dim + dim). Entries q ≥ count are not written.
 */
export function gramRow(vecs: Int32Array, dim: number, c: number, count: number, d: Float64Array): void {
  const oc = c * dim;
  for (let q = 0; q < count; q++) {
    if (q === c) {
      d[q] = 0;
      continue;
    }
    const oq = q * dim;
    let s = 0;
    for (let i = 0; i < dim; i++) {
      const e = vecs[oc + i] - vecs[oq + i];
      s += e * e;
    }
    d[q] = s;
  }
}

/** The full count × count matrix of exact squared distances of a window (row-major, symmetric, diagonal 0). */
export function gramMatrix(vecs: Int32Array, dim: number, count: number): Float64Array {
  const D = new Float64Array(count * count);
  const row = new Float64Array(count);
  for (let c = 0; c < count; c++) {
    gramRow(vecs, dim, c, count, row);
    D.set(row, c * count);
  }
  return D;
}
