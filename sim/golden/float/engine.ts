/**
 * The float64 golden model: an MLP (hidden: Dense → relu → LayerNorm; output: Dense → logits) trained sample
 * by sample over a sliding window with the IB three-factor rule (learning-rule.md §6.4), the two-point pHSIC
 * rule or backprop. All buffers are allocated once, in the constructor; a training step allocates nothing.
 *
 * Window bookkeeping: B slots; after beginEpoch the window is empty (count 0, head 0); a new sample goes to
 * slot `head` (overwriting the oldest once full). The slots of a window are therefore 0 … count−1.
 */
import type { Split } from '../../data.js';
import type { Engine, EngineState, LayerWeights, TrainConfig } from '../../engine.js';
import { Rng } from '../../rng.js';
import { BLOCK, denseForwardBlock, denseForwardInterleaved, denseForwardOne, interleaveOne, lecunNormalInit } from './dense.js';
import { adamwRank1Forward, sgdRank1Forward } from './fused.js';
import { P as TP, RowHelper, sharedF64 } from './threads.js';
import { GramRing } from './gram.js';
import { bandwidth, gaussian, kernelRow, labelKernel, sqDist } from './kernel.js';
import { hiddenDelta, reluLayerNorm } from './layernorm.js';
import { adamCorrections, adamwDense, adamwRank1, sgdDense, sgdRank1, type AdamWParams } from './optim.js';
import { argmax, softmaxCrossEntropyGrad } from './softmax.js';
import { alphaRows, phsicModulator, windowStats, xiE, xiF, xiJ, xiP } from './xi.js';

const STATE_KIND = 'golden/float';
const STATE_VERSION = 1;

export function validateConfig(c: TrainConfig): void {
  const bad = (what: string) => {
    throw new RangeError(`float engine: ${what}`);
  };
  if (!Array.isArray(c.layers) || c.layers.length < 2) bad('layers needs at least an input and an output width');
  for (const n of c.layers) if (!Number.isInteger(n) || n < 1) bad(`layer width ${n} is not a positive integer`);
  if (!Number.isInteger(c.window) || c.window < 2) bad(`window ${c.window} must be an integer ≥ 2`);
  if (!['P', 'F', 'E', 'J'].includes(c.variant)) bad(`unknown variant ${String(c.variant)}`);
  if (!['recompute', 'stored'].includes(c.memory)) bad(`unknown memory ${String(c.memory)}`);
  if (!['adamw', 'sgd'].includes(c.optimizer)) bad(`unknown optimizer ${String(c.optimizer)}`);
  if (!['ib', 'phsic', 'backprop'].includes(c.rule)) bad(`unknown rule ${String(c.rule)}`);
  if (!Array.isArray(c.sigma) || c.sigma.length !== 3 || c.sigma.some((s) => !(s > 0))) bad('sigma must be three positive numbers');
  if (!(c.lnEps >= 0)) bad(`lnEps ${c.lnEps} must be ≥ 0`);
  if (!Number.isInteger(c.seed)) bad(`seed ${c.seed} must be an integer`);
  if (c.layers.at(-1)! > 255) bad('at most 255 classes (labels are u8)');
}

export interface FloatEngineOptions {
  /**
   * 2: a worker thread shares the first layer's update (recompute mode of the IB rule only; elsewhere
   * ignored). The results are bit-identical to 1 thread. Default 1.
   */
  threads?: number;
}

/**
 * Internals of one IB step, reported as they are computed (before any update of the step), for comparisons
 * with the fixed-point model. Every array is a copy.
 */
export interface FloatStepProbe {
  /** hidden layer l (0-based): the current slot c, its a, z, s; the K_Z row; ξ; δ */
  layer(l: number, v: { c: number; a: Float64Array; z: Float64Array; s: number; kz: Float64Array; xi: Float64Array; delta: Float64Array }): void;
  /** the output layer: logits O and errors E of every slot (B × C), the K_X and K_Y buffers (B × B) */
  output?(v: { O: Float64Array; E: Float64Array; Kx: Float64Array; Ky: Float64Array }): void;
}

export class FloatEngine implements Engine {
  readonly config: TrainConfig;
  /** When set, the IB steps report their internals to it (tests; allocates). */
  probe: FloatStepProbe | undefined;
  /** Number of dense layers (hidden + output). */
  private readonly L: number;
  private readonly sizes: number[];
  private readonly B: number;
  private readonly W: Float64Array[] = [];
  private readonly b: Float64Array[] = [];
  private readonly mW: Float64Array[] = [];
  private readonly vW: Float64Array[] = [];
  private readonly mb: Float64Array[] = [];
  private readonly vb: Float64Array[] = [];
  /** Optimizer step count. */
  private t = 0;

  // --- window ---
  private readonly slotIdx: Int32Array;
  private count = 0;
  private head = 0;
  private split: Split | null = null;
  private readonly kx: GramRing;
  private readonly ky: GramRing;
  /** Per hidden layer l, per slot: pre-activation a (B×n), output z (B×n), LayerNorm s (B). */
  private readonly A: Float64Array[] = [];
  private readonly Z: Float64Array[] = [];
  private readonly S: Float64Array[] = [];
  /**
   * Cache of the first layer in recompute mode: xt0 holds the window's inputs interleaved (dense.ts), valid0[p]
   * says whether A[0] row p is the pre-activation of slot p's sample under the current W[0], b[0] (the fused
   * update keeps them valid; see fused.ts). Pure functions of the state, so never exported.
   */
  private readonly groups0: number;
  private readonly xt0: Float64Array;
  private readonly valid0: Uint8Array;
  /** The optional helper thread (threads.ts) with its shared copies of δ and x_c. */
  private readonly helper: RowHelper | null = null;
  private readonly delta0: Float64Array;
  private readonly h0: Float64Array;

  // --- scratch ---
  private readonly laneIn: Int32Array;
  private readonly laneOut: Int32Array;
  private readonly xOffs: Int32Array;
  private readonly slotOffs: Int32Array[] = [];
  private readonly xt: Float64Array;
  private readonly O: Float64Array;
  private readonly E: Float64Array;
  private readonly kRow: Float64Array;
  private readonly Kt: Float64Array;
  private readonly m: Float64Array;
  private readonly D: Float64Array;
  private readonly w: Float64Array;
  private readonly alpha: Float64Array;
  private readonly xi: Float64Array;
  private readonly xi2: Float64Array;
  private readonly delta: Float64Array;
  private readonly delta2: Float64Array;
  /** Dense gradient buffers: the output layer always; every layer for phsic/backprop. */
  private readonly gW: (Float64Array | null)[] = [];
  private readonly gb: (Float64Array | null)[] = [];
  private readonly gUp: Float64Array;
  private readonly gDown: Float64Array;
  private readonly adam: AdamWParams;
  // evaluation
  private readonly evAct: Float64Array[] = [];
  private readonly evOffs: Int32Array[] = [];
  private readonly evSrcOffs: Int32Array;

  constructor(config: TrainConfig, options: FloatEngineOptions = {}) {
    validateConfig(config);
    const threaded = (options.threads ?? 1) > 1 && config.rule === 'ib' && config.memory === 'recompute' && config.layers.length > 2;
    const f64 = (n: number, shared: boolean) => (shared ? sharedF64(n) : new Float64Array(n));
    this.config = { ...config, layers: [...config.layers], sigma: [...config.sigma] as [number, number, number] };
    const sizes = this.config.layers;
    this.sizes = sizes;
    this.L = sizes.length - 1;
    const B = (this.B = config.window);
    const rng = new Rng(config.seed);
    const needDense = config.rule !== 'ib';
    for (let l = 0; l < this.L; l++) {
      const nIn = sizes[l];
      const nOut = sizes[l + 1];
      const sh = threaded && l === 0;
      const W = f64(nIn * nOut, sh);
      const b = f64(nOut, sh);
      lecunNormalInit(rng, nIn, nOut, W, b);
      this.W.push(W);
      this.b.push(b);
      const adam = config.optimizer === 'adamw';
      this.mW.push(f64(adam ? nIn * nOut : 0, sh));
      this.vW.push(f64(adam ? nIn * nOut : 0, sh));
      this.mb.push(new Float64Array(adam ? nOut : 0));
      this.vb.push(new Float64Array(adam ? nOut : 0));
      const isOut = l === this.L - 1;
      this.gW.push(isOut || needDense ? new Float64Array(nIn * nOut) : null);
      this.gb.push(isOut || needDense ? new Float64Array(nOut) : null);
      if (!isOut) {
        this.A.push(f64(B * nOut, sh));
        this.Z.push(new Float64Array(B * nOut));
        this.S.push(new Float64Array(B));
      }
    }
    const maxIn = Math.max(...sizes.slice(0, -1));
    const maxW = Math.max(...sizes);
    const C = sizes[this.L];
    this.slotIdx = new Int32Array(B);
    this.kx = new GramRing(B);
    this.ky = new GramRing(B);
    this.xOffs = new Int32Array(B);
    for (let l = 0; l <= this.L; l++) {
      const o = new Int32Array(B);
      for (let p = 0; p < B; p++) o[p] = p * sizes[l];
      this.slotOffs.push(o);
    }
    this.xt = new Float64Array(maxIn * BLOCK);
    this.groups0 = Math.ceil(B / BLOCK);
    this.xt0 = f64(this.groups0 * BLOCK * sizes[0], threaded);
    this.delta0 = f64(sizes[1], threaded);
    this.h0 = f64(sizes[0], threaded);
    if (threaded) {
      this.helper = new RowHelper({
        nIn: sizes[0],
        nOut: sizes[1],
        W: this.W[0],
        m: this.mW[0],
        v: this.vW[0],
        b: this.b[0],
        xt: this.xt0,
        out: this.A[0],
        delta: this.delta0,
        h: this.h0,
      });
    }
    this.valid0 = new Uint8Array(B);
    this.laneIn = new Int32Array(BLOCK);
    this.laneOut = new Int32Array(BLOCK);
    this.O = new Float64Array(B * C);
    this.E = new Float64Array(B * C);
    this.kRow = new Float64Array(B);
    this.Kt = new Float64Array(B * B);
    this.m = new Float64Array(B);
    this.D = new Float64Array(B);
    this.w = new Float64Array(B);
    this.alpha = new Float64Array(B * maxW);
    this.xi = new Float64Array(maxW);
    this.xi2 = new Float64Array(maxW);
    this.delta = new Float64Array(maxW);
    this.delta2 = new Float64Array(maxW);
    this.gUp = new Float64Array(maxW);
    this.gDown = new Float64Array(maxW);
    this.adam = { lr: 0, b1: config.beta1, b2: config.beta2, eps: config.adamEps, wd: config.weightDecay, c1: 1, c2: 1 };
    for (let l = 1; l <= this.L; l++) {
      this.evAct.push(new Float64Array(BLOCK * sizes[l]));
      const o = new Int32Array(BLOCK);
      for (let p = 0; p < BLOCK; p++) o[p] = p * sizes[l];
      this.evOffs.push(o);
    }
    this.evSrcOffs = new Int32Array(BLOCK);
  }

  beginEpoch(): void {
    this.count = 0;
    this.head = 0;
    this.valid0.fill(0);
  }

  /** Sample `index` goes into `slot`. */
  private enter(split: Split, slot: number, index: number): void {
    this.slotIdx[slot] = index;
    this.valid0[slot] = 0;
    const n0 = this.sizes[0];
    const g = Math.floor(slot / BLOCK);
    interleaveOne(split.x, index * n0, n0, this.xt0, g * n0 * BLOCK, slot % BLOCK);
  }

  /** A different Split object than the window's: re-read the window's inputs from it. */
  private useSplit(split: Split): void {
    if (split === this.split) return;
    this.split = split;
    const n0 = this.sizes[0];
    for (let p = 0; p < this.count; p++) {
      interleaveOne(split.x, this.slotIdx[p] * n0, n0, this.xt0, Math.floor(p / BLOCK) * n0 * BLOCK, p % BLOCK);
    }
    this.valid0.fill(0);
  }

  trainSample(split: Split, index: number): boolean {
    const cfg = this.config;
    if (split.dim !== this.sizes[0]) throw new RangeError(`float engine: split has ${split.dim} features, the network takes ${this.sizes[0]}`);
    if (!(index >= 0 && index < split.n)) throw new RangeError(`float engine: sample ${index} out of range [0, ${split.n})`);
    this.useSplit(split);
    const B = this.B;
    if (cfg.rule === 'backprop') {
      this.enter(split, this.count, index);
      this.count++;
      this.head = this.count % B;
      if (this.count < B) return false;
      this.backpropStep(split);
      this.count = 0;
      this.head = 0;
      return true;
    }
    const c = this.head;
    this.enter(split, c, index);
    this.head = (c + 1) % B;
    if (this.count < B) this.count++;
    if (cfg.rule === 'ib') this.updateGrams(split, c);
    if (cfg.memory === 'stored') this.forwardHiddenOne(split, c);
    if (this.count < B) return false;
    if (cfg.memory === 'recompute') this.forwardHiddenAll(split);
    this.t++;
    const { c1, c2 } = adamCorrections(cfg.beta1, cfg.beta2, this.t);
    this.adam.c1 = c1;
    this.adam.c2 = c2;
    if (cfg.rule === 'ib') this.ibHidden(split, c);
    else this.phsicHidden(split, c, (c + B - 1) % B);
    this.outputStep(split);
    this.helper?.wait();
    return true;
  }

  /** Stops the helper thread, if any (the engine must not train afterwards). */
  close(): void {
    this.helper?.close();
  }

  // ---------------------------------------------------------------------------------------------------
  // forward

  /** The array holding layer l's inputs: the split's features for l = 0, else hidden layer l−1's z. */
  private inputArray(split: Split, l: number): Float64Array {
    return l === 0 ? split.x : this.Z[l - 1];
  }

  /** Offset of slot p's input vector to layer l in inputArray(split, l). */
  private inputOffset(l: number, p: number): number {
    return l === 0 ? this.slotIdx[p] * this.sizes[0] : p * this.sizes[l];
  }

  private inputOffsets(l: number): Int32Array {
    if (l === 0) {
      const dim = this.sizes[0];
      for (let p = 0; p < this.count; p++) this.xOffs[p] = this.slotIdx[p] * dim;
      return this.xOffs;
    }
    return this.slotOffs[l];
  }

  /** Forward of the sample in slot c through the hidden layers (A, Z, S of slot c). */
  private forwardHiddenOne(split: Split, c: number): void {
    const { sizes } = this;
    for (let l = 0; l < this.L - 1; l++) {
      const nIn = sizes[l];
      const nOut = sizes[l + 1];
      const src = this.inputArray(split, l);
      const srcOff = this.inputOffset(l, c);
      denseForwardOne(this.W[l], this.b[l], nIn, nOut, src, srcOff, this.A[l], c * nOut);
      this.S[l][c] = reluLayerNorm(this.A[l], c * nOut, nOut, this.config.lnEps, this.Z[l], c * nOut);
    }
  }

  /** Forward of every slot 0 … count−1 through the hidden layers, BLOCK slots at a time. */
  private forwardHiddenAll(split: Split): void {
    const { sizes, count } = this;
    for (let l = 0; l < this.L - 1; l++) {
      const nOut = sizes[l + 1];
      if (l === 0) this.forwardFirstLayer(split);
      else this.blockForward(l, this.Z[l - 1], this.slotOffs[l], this.A[l]);
      const A = this.A[l];
      const Z = this.Z[l];
      const S = this.S[l];
      for (let p = 0; p < count; p++) S[p] = reluLayerNorm(A, p * nOut, nOut, this.config.lnEps, Z, p * nOut);
    }
  }

  /** Pre-activations of layer l for slots 0 … count−1: out[p·nOut ..] from the inputs src[offs[p] ..]. */
  private blockForward(l: number, src: Float64Array, offs: ArrayLike<number>, out: Float64Array): void {
    const nIn = this.sizes[l];
    const nOut = this.sizes[l + 1];
    const { laneIn, laneOut, count } = this;
    for (let p0 = 0; p0 < count; p0 += BLOCK) {
      const k = Math.min(BLOCK, count - p0);
      for (let p = 0; p < k; p++) {
        laneIn[p] = offs[p0 + p];
        laneOut[p] = (p0 + p) * nOut;
      }
      denseForwardBlock(this.W[l], this.b[l], nIn, nOut, src, laneIn, k, this.xt, out, laneOut);
    }
  }

  /** First layer: recompute only the slots whose cached pre-activation is stale (usually just the new one). */
  private forwardFirstLayer(split: Split): void {
    const { count, valid0, laneOut } = this;
    const n0 = this.sizes[0];
    const n1 = this.sizes[1];
    let stale = 0;
    let last = -1;
    for (let p = 0; p < count; p++) {
      if (!valid0[p]) {
        stale++;
        last = p;
      }
    }
    if (stale === 1) {
      denseForwardOne(this.W[0], this.b[0], n0, n1, split.x, this.slotIdx[last] * n0, this.A[0], last * n1);
    } else if (stale > 1) {
      for (let p0 = 0; p0 < count; p0 += BLOCK) {
        const k = Math.min(BLOCK, count - p0);
        let any = false;
        for (let p = 0; p < k; p++) {
          laneOut[p] = (p0 + p) * n1;
          if (!valid0[p0 + p]) any = true;
        }
        if (any) denseForwardInterleaved(this.W[0], this.b[0], n0, n1, this.xt0, (p0 / BLOCK) * n0 * BLOCK, k, this.A[0], laneOut);
      }
    }
    for (let p = 0; p < count; p++) valid0[p] = 1;
  }

  /** Logits of every slot with the current output weights (from the stored or recomputed penultimate h). */
  private logitsAll(split: Split): void {
    const l = this.L - 1;
    this.blockForward(l, this.inputArray(split, l), this.inputOffsets(l), this.O);
  }

  // ---------------------------------------------------------------------------------------------------
  // IB rule

  /** New row/column `c` of the K_X and K_Y ring buffers (slots 0 … count−1 are occupied). */
  private updateGrams(split: Split, c: number): void {
    const { count, kRow, slotIdx } = this;
    const dim = this.sizes[0];
    const C = this.sizes[this.L];
    const sx = bandwidth(this.config.sigma[0], dim);
    const sy = bandwidth(this.config.sigma[1], C);
    kernelRow(split.x, this.inputOffsets(0), count, dim, c, sx, kRow);
    this.kx.insert(c, kRow, count);
    const yc = split.y[slotIdx[c]];
    for (let q = 0; q < count; q++) kRow[q] = labelKernel(yc, split.y[slotIdx[q]], sy);
    this.ky.insert(c, kRow, count);
  }

  private ibHidden(split: Split, c: number): void {
    const cfg = this.config;
    const { B, sizes } = this;
    if (this.L < 2) return;
    const mbar = windowStats(this.kx.K, this.ky.K, B, cfg.gamma, this.Kt, this.m, this.D);
    for (let l = 0; l < this.L - 1; l++) {
      const n = sizes[l + 1];
      const nIn = sizes[l];
      const Z = this.Z[l];
      alphaRows(Z, n, B, c, bandwidth(cfg.sigma[2], n), this.kRow, this.alpha);
      switch (cfg.variant) {
        case 'P':
          xiP(this.alpha, n, B, c, this.D, this.xi);
          break;
        case 'F':
          xiF(this.alpha, n, B, c, this.D, this.xi);
          break;
        case 'E':
          xiE(this.alpha, n, B, c, this.Kt, this.m, mbar, this.xi, this.w);
          break;
        case 'J':
          xiJ(this.alpha, n, B, c, this.Kt, this.m, this.xi);
          break;
      }
      hiddenDelta(this.xi, 0, Z, c * n, this.S[l][c], this.A[l], c * n, n, this.delta, 0);
      this.probe?.layer(l, {
        c,
        a: this.A[l].slice(c * n, c * n + n),
        z: Z.slice(c * n, c * n + n),
        s: this.S[l][c],
        kz: this.kRow.slice(0, B),
        xi: this.xi.slice(0, n),
        delta: this.delta.slice(0, n),
      });
      const h = this.inputArray(split, l);
      const hOff = this.inputOffset(l, c);
      // first layer in recompute mode: the update also forwards the window for the next step (fused.ts)
      const fuse = l === 0 && cfg.memory === 'recompute';
      if (cfg.optimizer === 'adamw') {
        this.adam.lr = cfg.lr;
        adamwDense(this.b[l], this.mb[l], this.vb[l], this.delta, n, this.adam);
        if (fuse) {
          const { lr, b1, b2, eps, wd, c1, c2 } = this.adam;
          let j1 = n;
          if (this.helper) {
            j1 = this.postFirstLayer(0, n, h, hOff);
          }
          adamwRank1Forward(this.W[0], this.mW[0], this.vW[0], n, nIn, this.delta, h, hOff, lr, b1, b2, eps, wd, c1, c2, this.b[0], this.xt0, this.groups0, B, this.A[0], 0, j1);
        } else {
          adamwRank1(this.W[l], this.mW[l], this.vW[l], n, nIn, this.delta, h, hOff, this.adam);
        }
      } else {
        sgdDense(this.b[l], this.delta, n, cfg.lr);
        if (fuse) {
          let j1 = n;
          if (this.helper) j1 = this.postFirstLayer(1, n, h, hOff);
          sgdRank1Forward(this.W[0], n, nIn, this.delta, h, hOff, cfg.lr, this.b[0], this.xt0, this.groups0, B, this.A[0], 0, j1);
        } else sgdRank1(this.W[l], n, nIn, this.delta, h, hOff, cfg.lr);
      }
      if (l === 0) {
        if (fuse) for (let p = 0; p < B; p++) this.valid0[p] = 1;
        else this.valid0.fill(0);
      }
    }
  }

  /**
   * Hands rows [split, n) of the first layer's fused update to the helper thread (kind 0 AdamW, 1 SGD);
   * returns split, the end of the caller's rows. The caller waits for the helper at the end of the step.
   */
  private postFirstLayer(kind: number, n: number, h: Float64Array, hOff: number): number {
    const helper = this.helper!;
    const q = helper.params;
    const nIn = this.sizes[0];
    for (let j = 0; j < n; j++) this.delta0[j] = this.delta[j];
    for (let i = 0; i < nIn; i++) this.h0[i] = h[hOff + i];
    // the calling thread also does the deeper layers and the output layer: give it a little less
    const split = Math.round(n * 0.45);
    q[TP.kind] = kind;
    q[TP.lr] = kind === 0 ? this.adam.lr : this.config.lr;
    q[TP.b1] = this.adam.b1;
    q[TP.b2] = this.adam.b2;
    q[TP.eps] = this.adam.eps;
    q[TP.wd] = this.adam.wd;
    q[TP.c1] = this.adam.c1;
    q[TP.c2] = this.adam.c2;
    q[TP.groups] = this.groups0;
    q[TP.count] = this.B;
    q[TP.j0] = split;
    q[TP.j1] = n;
    helper.start();
    return split;
  }

  // ---------------------------------------------------------------------------------------------------
  // pHSIC rule (two points: current c and previous p2)
  //
  // The objective pHSIC(Z,Z) − γ pHSIC(Z,Y) over the pair has cotangents −M(z_c − z_p2) for z_c and
  // +M(z_c − z_p2) for z_p2 (xi.ts phsicModulator). Each goes through LayerNorm backward and relu′ of its own
  // sample, and ∇W = h_c ⊗ δ_c + h_p2 ⊗ δ_p2; with an elementwise f instead of relu+LN this is exactly the
  // two-point rule of learning-rule.md §1.7, ΔW = +η M (z_1 − z_2) ⊗ (f′(a_1) h_1 − f′(a_2) h_2).

  private phsicHidden(split: Split, c: number, p2: number): void {
    const cfg = this.config;
    const { sizes } = this;
    const C = sizes[this.L];
    const ky = labelKernel(split.y[this.slotIdx[c]], split.y[this.slotIdx[p2]], bandwidth(cfg.sigma[1], C));
    for (let l = 0; l < this.L - 1; l++) {
      const n = sizes[l + 1];
      const nIn = sizes[l];
      const Z = this.Z[l];
      const s = bandwidth(cfg.sigma[2], n);
      const kz = gaussian(sqDist(Z, c * n, Z, p2 * n, n), s);
      const M = phsicModulator(kz, ky, cfg.gamma, s);
      for (let j = 0; j < n; j++) {
        const dz = Z[c * n + j] - Z[p2 * n + j];
        this.xi[j] = -M * dz;
        this.xi2[j] = M * dz;
      }
      hiddenDelta(this.xi, 0, Z, c * n, this.S[l][c], this.A[l], c * n, n, this.delta, 0);
      hiddenDelta(this.xi2, 0, Z, p2 * n, this.S[l][p2], this.A[l], p2 * n, n, this.delta2, 0);
      const h = this.inputArray(split, l);
      const o1 = this.inputOffset(l, c);
      const o2 = this.inputOffset(l, p2);
      const gW = this.gW[l]!;
      const gb = this.gb[l]!;
      for (let j = 0; j < n; j++) {
        const d1 = this.delta[j];
        const d2 = this.delta2[j];
        const r = j * nIn;
        for (let i = 0; i < nIn; i++) gW[r + i] = d1 * h[o1 + i] + d2 * h[o2 + i];
        gb[j] = d1 + d2;
      }
      this.applyDense(l, cfg.lr);
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // output layer: softmax cross-entropy averaged over the window

  private outputStep(split: Split): void {
    this.logitsAll(split);
    const l = this.L - 1;
    const nIn = this.sizes[l];
    const C = this.sizes[l + 1];
    const B = this.B;
    const { O, E } = this;
    for (let p = 0; p < B; p++) softmaxCrossEntropyGrad(O, p * C, C, split.y[this.slotIdx[p]], 1 / B, E, p * C);
    this.probe?.output?.({ O: O.slice(), E: E.slice(), Kx: this.kx.K.slice(), Ky: this.ky.K.slice() });
    const h = this.inputArray(split, l);
    const offs = this.inputOffsets(l);
    const gW = this.gW[l]!;
    const gb = this.gb[l]!;
    gW.fill(0);
    gb.fill(0);
    for (let p = 0; p < B; p++) {
      const o = offs[p];
      for (let j = 0; j < C; j++) {
        const e = E[p * C + j];
        gb[j] += e;
        const r = j * nIn;
        for (let i = 0; i < nIn; i++) gW[r + i] += h[o + i] * e;
      }
    }
    this.applyDense(l, this.config.lrOut);
  }

  private applyDense(l: number, lr: number): void {
    if (l === 0) this.valid0.fill(0);
    const gW = this.gW[l]!;
    const gb = this.gb[l]!;
    if (this.config.optimizer === 'adamw') {
      this.adam.lr = lr;
      adamwDense(this.W[l], this.mW[l], this.vW[l], gW, gW.length, this.adam);
      adamwDense(this.b[l], this.mb[l], this.vb[l], gb, gb.length, this.adam);
    } else {
      sgdDense(this.W[l], gW, gW.length, lr);
      sgdDense(this.b[l], gb, gb.length, lr);
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // backprop on a batch of B samples (slots 0 … B−1)

  private backpropStep(split: Split): void {
    const cfg = this.config;
    const { B, sizes, L } = this;
    this.forwardHiddenAll(split);
    this.logitsAll(split);
    this.t++;
    const { c1, c2 } = adamCorrections(cfg.beta1, cfg.beta2, this.t);
    this.adam.c1 = c1;
    this.adam.c2 = c2;
    for (let l = 0; l < L; l++) {
      this.gW[l]!.fill(0);
      this.gb[l]!.fill(0);
    }
    const C = sizes[L];
    const { O, E, gUp, gDown } = this;
    for (let p = 0; p < B; p++) {
      softmaxCrossEntropyGrad(O, p * C, C, split.y[this.slotIdx[p]], 1 / B, E, p * C);
      // gradient at the output layer's input, then down through the hidden layers
      let up = gUp;
      let down = gDown;
      for (let j = 0; j < C; j++) up[j] = E[p * C + j];
      for (let l = L - 1; l >= 0; l--) {
        const nIn = sizes[l];
        const nOut = sizes[l + 1];
        let dl: Float64Array;
        if (l === L - 1) {
          dl = up;
        } else {
          // up holds ∂/∂z of layer l; δ = LN backward ⊙ relu′
          hiddenDelta(up, 0, this.Z[l], p * nOut, this.S[l][p], this.A[l], p * nOut, nOut, this.delta, 0);
          dl = this.delta;
        }
        const h = this.inputArray(split, l);
        const hOff = this.inputOffset(l, p);
        const gW = this.gW[l]!;
        const gb = this.gb[l]!;
        for (let j = 0; j < nOut; j++) {
          const d = dl[j];
          gb[j] += d;
          if (d === 0) continue;
          const r = j * nIn;
          for (let i = 0; i < nIn; i++) gW[r + i] += h[hOff + i] * d;
        }
        if (l > 0) {
          const W = this.W[l];
          for (let i = 0; i < nIn; i++) down[i] = 0;
          for (let j = 0; j < nOut; j++) {
            const d = dl[j];
            if (d === 0) continue;
            const r = j * nIn;
            for (let i = 0; i < nIn; i++) down[i] += W[r + i] * d;
          }
          const t = up;
          up = down;
          down = t;
        }
      }
    }
    for (let l = 0; l < L; l++) this.applyDense(l, cfg.lr);
  }

  // ---------------------------------------------------------------------------------------------------
  // inference

  predict(split: Split, index: number): number {
    const { sizes, L } = this;
    let src = split.x;
    let off = index * sizes[0];
    for (let l = 0; l < L; l++) {
      const out = this.evAct[l];
      denseForwardOne(this.W[l], this.b[l], sizes[l], sizes[l + 1], src, off, out, 0);
      if (l < L - 1) reluLayerNorm(out, 0, sizes[l + 1], this.config.lnEps, out, 0);
      src = out;
      off = 0;
    }
    return argmax(this.evAct[L - 1], 0, sizes[L]);
  }

  evaluate(split: Split, limit?: number): number {
    const { sizes, L } = this;
    const n = Math.min(split.n, limit ?? split.n);
    if (n <= 0) return 0;
    const C = sizes[L];
    let correct = 0;
    for (let p0 = 0; p0 < n; p0 += BLOCK) {
      const k = Math.min(BLOCK, n - p0);
      for (let p = 0; p < k; p++) this.evSrcOffs[p] = (p0 + p) * sizes[0];
      let src = split.x;
      let offs: Int32Array = this.evSrcOffs;
      for (let l = 0; l < L; l++) {
        const out = this.evAct[l];
        const nOut = sizes[l + 1];
        denseForwardBlock(this.W[l], this.b[l], sizes[l], nOut, src, offs, k, this.xt, out, this.evOffs[l]);
        if (l < L - 1) for (let p = 0; p < k; p++) reluLayerNorm(out, p * nOut, nOut, this.config.lnEps, out, p * nOut);
        src = out;
        offs = this.evOffs[l];
      }
      const out = this.evAct[L - 1];
      for (let p = 0; p < k; p++) if (argmax(out, p * C, C) === split.y[p0 + p]) correct++;
    }
    return correct / n;
  }

  weights(): LayerWeights[] {
    return this.W.map((W, l) => ({ nIn: this.sizes[l], nOut: this.sizes[l + 1], W: W.slice(), b: this.b[l].slice() }));
  }

  // ---------------------------------------------------------------------------------------------------
  // state

  /** The state's arrays by name, in export order (exportState writes copies, importState fills them). */
  private stateArrays(): [string, Float64Array | Int32Array][] {
    const pairs: [string, Float64Array | Int32Array][] = [];
    for (let l = 0; l < this.L; l++) {
      pairs.push([`W${l}`, this.W[l]], [`b${l}`, this.b[l]]);
      if (this.config.optimizer === 'adamw') pairs.push([`mW${l}`, this.mW[l]], [`vW${l}`, this.vW[l]], [`mb${l}`, this.mb[l]], [`vb${l}`, this.vb[l]]);
    }
    for (let l = 0; l < this.L - 1; l++) pairs.push([`A${l}`, this.A[l]], [`Z${l}`, this.Z[l]], [`S${l}`, this.S[l]]);
    pairs.push(['slots', this.slotIdx], ['Kx', this.kx.K], ['Ky', this.ky.K]);
    return pairs;
  }

  exportState(): EngineState {
    const arrays: EngineState['arrays'] = {};
    for (const [name, a] of this.stateArrays()) arrays[name] = a.slice();
    return {
      meta: { kind: STATE_KIND, version: STATE_VERSION, config: this.config, t: this.t, count: this.count, head: this.head },
      arrays,
    };
  }

  importState(state: EngineState): void {
    const meta = state.meta as { kind?: unknown; version?: unknown; config?: unknown; t?: unknown; count?: unknown; head?: unknown };
    if (meta.kind !== STATE_KIND || meta.version !== STATE_VERSION) {
      throw new Error(`float engine: not a ${STATE_KIND} v${STATE_VERSION} state (kind ${String(meta.kind)}, version ${String(meta.version)})`);
    }
    if (JSON.stringify(meta.config) !== JSON.stringify(this.config)) {
      throw new Error('float engine: the state was saved with a different configuration');
    }
    const { t, count, head } = meta;
    if (!Number.isInteger(t) || (t as number) < 0) throw new Error('float engine: bad step count in state');
    if (!Number.isInteger(count) || (count as number) < 0 || (count as number) > this.B) throw new Error('float engine: bad window count in state');
    if (!Number.isInteger(head) || (head as number) < 0 || (head as number) >= this.B) throw new Error('float engine: bad window head in state');
    // check everything first, then copy (a failed import leaves the engine unchanged)
    const pairs = this.stateArrays();
    for (const [name, dst] of pairs) {
      const src = state.arrays[name];
      if (!src || src.constructor !== dst.constructor || src.length !== dst.length) {
        throw new Error(`float engine: state array ${name} missing or of the wrong type/length`);
      }
    }
    for (const [name, dst] of pairs) dst.set(state.arrays[name] as Float64Array & Int32Array);
    this.t = t as number;
    this.count = count as number;
    this.head = head as number;
    // the first-layer cache is rebuilt from the Split of the next trainSample
    this.split = null;
    this.valid0.fill(0);
  }

  /** Read-only views of the window (for tests and the fixed-point model's comparisons). */
  inspect(): { count: number; head: number; t: number; slots: Int32Array; Kx: Float64Array; Ky: Float64Array; Z: Float64Array[] } {
    return { count: this.count, head: this.head, t: this.t, slots: this.slotIdx, Kx: this.kx.K, Ky: this.ky.K, Z: this.Z };
  }
}
