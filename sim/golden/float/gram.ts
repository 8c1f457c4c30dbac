/**
 * K_X / K_Y as B×B ring buffers (learning-rule.md §6.1 kernels 2–3, §6.2): the window's slot s holds one
 * sample; when a new sample enters slot c only row c and column c are recomputed. Since k is symmetric to
 * the last bit (kernel.ts), the buffer equals a full recompute over the slots exactly.
 */
export class GramRing {
  readonly B: number;
  /** K[p·B + q] = k(sample in slot p, sample in slot q). */
  readonly K: Float64Array;

  constructor(B: number) {
    this.B = B;
    this.K = new Float64Array(B * B);
  }

  /**
   * The sample in `slot` changed: row[q] = k(new sample, sample in slot q) for the `occupied` slots
   * q < occupied (row[slot] must be 1). Writes row and column `slot`.
   */
  insert(slot: number, row: Float64Array, occupied: number): void {
    const { B, K } = this;
    for (let q = 0; q < occupied; q++) {
      K[slot * B + q] = row[q];
      K[q * B + slot] = row[q];
    }
  }
}
