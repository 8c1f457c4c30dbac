/**
 * Optional second thread for the first layer's fused update + forward (fused.ts) in recompute mode: a worker
 * takes rows [split, nOut) while the calling thread does rows [0, split) and the rest of the step. All arrays
 * the two touch live in SharedArrayBuffers; the hand-off is two counters in a shared Int32Array (Atomics).
 * The doubles do not depend on which thread computes a row, so results are identical with 1 or 2 threads.
 */
import { Worker } from 'node:worker_threads';

/** Parameter slots of the shared Float64Array. */
export const P = { kind: 0, lr: 1, b1: 2, b2: 3, eps: 4, wd: 5, c1: 6, c2: 7, groups: 8, count: 9, j0: 10, j1: 11 } as const;
export const N_PARAMS = 12;

export interface SharedLayer {
  nIn: number;
  nOut: number;
  W: Float64Array;
  m: Float64Array;
  v: Float64Array;
  b: Float64Array;
  xt: Float64Array;
  out: Float64Array;
  delta: Float64Array;
  h: Float64Array;
}

export const sharedF64 = (n: number) => new Float64Array(new SharedArrayBuffer(Math.max(1, n) * 8));

/** ctrl[0]: task sequence number posted by the caller (−1 = quit); ctrl[1]: last sequence number done. */
export class RowHelper {
  readonly params: Float64Array;
  private readonly ctrl: Int32Array;
  private readonly worker: Worker;
  private seq = 0;
  private pending = false;
  private failure: unknown = null;

  constructor(layer: SharedLayer) {
    this.params = sharedF64(N_PARAMS);
    this.ctrl = new Int32Array(new SharedArrayBuffer(8));
    const self = import.meta.url;
    // from TypeScript sources the thread starts in worker-boot.mjs, which registers tsx first
    const entry = self.endsWith('.ts') ? './worker-boot.mjs' : './worker.js';
    this.worker = new Worker(new URL(entry, self), { workerData: { ...layer, params: this.params, ctrl: this.ctrl } });
    this.worker.on('error', (e) => {
      this.failure = e;
    });
    this.worker.unref();
  }

  /** Posts the task described by `params` (filled by the caller). */
  start(): void {
    if (this.pending) throw new Error('RowHelper: a task is already running');
    this.seq++;
    Atomics.store(this.ctrl, 0, this.seq);
    Atomics.notify(this.ctrl, 0);
    this.pending = true;
  }

  /** Blocks until the posted task is done. */
  wait(): void {
    if (!this.pending) return;
    const deadline = Date.now() + 60_000;
    let v: number;
    while ((v = Atomics.load(this.ctrl, 1)) !== this.seq) {
      if (Atomics.wait(this.ctrl, 1, v, 1000) === 'timed-out' && Date.now() > deadline) {
        throw new Error(`float engine: the helper thread did not answer${this.failure ? `: ${String(this.failure)}` : ''}`);
      }
    }
    this.pending = false;
  }

  close(): void {
    Atomics.store(this.ctrl, 0, -1);
    Atomics.notify(this.ctrl, 0);
    void this.worker.terminate();
  }
}
