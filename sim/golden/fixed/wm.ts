/**
 * Working-memory unit (spec function of generator/units/wm.ts): the window of the B most recent samples, its
 * K_X/K_Y ring rows and row sums, the epoch clear. The formulas are § WM and § EPOCH BOUNDARY of the
 * specification (step.ts header). wmRowSumsExact checks the invariant that R equals the sum of its row.
 */

export interface WindowMemory {
  /** window length B */
  readonly B: number;
  /** input words per slot */
  readonly dim: number;
  /** occupied slots (0 … count − 1) */
  count: number;
  /** slot the next sample is written to */
  head: number;
  /** host bookkeeping: the sample index held by each slot, −1 when empty (not stored on chip) */
  readonly slotIdx: Int32Array;
  /** label per slot, −1 when empty */
  readonly slotLabel: Int32Array;
  /** B × dim: the input vector per slot as the Gram unit reads it (u8 pixel values, or input words) */
  readonly inputs: Int32Array;
  /** per hidden layer: B × n stored z (windowZ raw) */
  readonly zw: Int32Array[];
  /** B × B K_X and K_Y words (gram raw) */
  readonly Kx: Int32Array;
  readonly Ky: Int32Array;
  /** row sums of K_X, K_Y (rowSum raw, exact) */
  readonly Rx: Float64Array;
  readonly Ry: Float64Array;
}

/** An empty window of B slots for inputs of `dim` words and hidden layers of the given widths. */
export function createWindowMemory(B: number, dim: number, hidden: readonly number[]): WindowMemory {
  return {
    B,
    dim,
    count: 0,
    head: 0,
    slotIdx: new Int32Array(B).fill(-1),
    slotLabel: new Int32Array(B).fill(-1),
    inputs: new Int32Array(B * dim),
    zw: hidden.map((n) => new Int32Array(B * n)),
    Kx: new Int32Array(B * B),
    Ky: new Int32Array(B * B),
    Rx: new Float64Array(B),
    Ry: new Float64Array(B),
  };
}

/** Epoch boundary: the window, K_X, K_Y and the row sums are cleared (weights and LFSRs are not touched). */
export function wmClear(wm: WindowMemory): void {
  wm.count = 0;
  wm.head = 0;
  wm.slotIdx.fill(-1);
  wm.slotLabel.fill(-1);
  wm.inputs.fill(0);
  wm.Kx.fill(0);
  wm.Ky.fill(0);
  wm.Rx.fill(0);
  wm.Ry.fill(0);
  for (const z of wm.zw) z.fill(0);
}

/**
 * A new sample enters slot c = head (the oldest leaves once the window is full): its input vector and label
 * are written, head advances (mod B), count grows up to B. Returns c.
 */
export function wmWriteSlot(wm: WindowMemory, input: Int32Array, label: number, index: number): number {
  const c = wm.head;
  wm.slotIdx[c] = index;
  wm.slotLabel[c] = label;
  wm.inputs.set(input.subarray(0, wm.dim), c * wm.dim);
  wm.head = (c + 1) % wm.B;
  if (wm.count < wm.B) wm.count++;
  return c;
}

/** Stored z of hidden layer l (windowZ raw, n words) into slot c. */
export function wmWriteZ(wm: WindowMemory, l: number, c: number, z: Int32Array): void {
  const zw = wm.zw[l];
  const n = zw.length / wm.B;
  zw.set(z.subarray(0, n), c * n);
}

/**
 * Row c of K_X and K_Y rewritten with kx[q], ky[q] for the occupied slots q ≠ c (q < count), both halves of
 * the symmetric buffer; R_q += new − old for those q, R_c = one + Σ_q new (one = 1.0 in gram raw, the diagonal).
 */
export function wmUpdateRows(wm: WindowMemory, c: number, kx: ArrayLike<number>, ky: ArrayLike<number>, one: number): void {
  const { B, Kx, Ky, Rx, Ry } = wm;
  let rx = one;
  let ry = one;
  for (let q = 0; q < wm.count; q++) {
    if (q === c) continue;
    const x = kx[q];
    const y = ky[q];
    Rx[q] += x - Kx[c * B + q];
    Ry[q] += y - Ky[c * B + q];
    Kx[c * B + q] = x;
    Kx[q * B + c] = x;
    Ky[c * B + q] = y;
    Ky[q * B + c] = y;
    rx += x;
    ry += y;
  }
  Rx[c] = rx;
  Ry[c] = ry;
}

/** True when every row sum equals 1.0 + the sum of its row's occupied off-diagonal words (the invariant). */
export function wmRowSumsExact(wm: WindowMemory, one: number): boolean {
  const { B, Kx, Ky, Rx, Ry } = wm;
  for (let p = 0; p < wm.count; p++) {
    let sx = one;
    let sy = one;
    for (let q = 0; q < wm.count; q++) {
      if (q === p) continue;
      sx += Kx[p * B + q];
      sy += Ky[p * B + q];
    }
    if (sx !== Rx[p] || sy !== Ry[p]) return false;
  }
  return true;
}
