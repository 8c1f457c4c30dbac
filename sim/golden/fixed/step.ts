/**
 * THE SPECIFICATION of the chip's training step: the bit-exact fixed-point golden model (mode S, "stored":
 * each sample's layer outputs are written to the window memory when it is current and never recomputed;
 * plain SGD with learning rates mul·2^−shift). Every value is an integer ("raw") in the format NumericConfig
 * gives it; the RTL must match it word for word. One unit of the chip = one file here, one exported function:
 *
 *   wm.ts         working memory: slot write (pixels, label, z), K_X/K_Y ring rows and row sums R, epoch clear
 *   gram.ts       Gram rows: exact integer squared distances (pixels; each hidden layer's stored z)
 *   kernel.ts     kernel words k = expNeg(rnd(d·κ)), the K_Y word, the table functions
 *   forward.ts    hidden forward: MAC a = W·h + b; LayerNorm + relu → z; resize to windowZ
 *   modulator.ts  row means, coefficients c_p, ξ per variant, LayerNorm backward, relu′ → δ
 *   update.ts     rank-1 update pass with stochastic rounding (LFSR bank order), optionally fused with the
 *                 next input's forward MAC
 *   output.ts     output layer: logits, table softmax, errors, exact gradient, update
 *   step.ts       this composition; params.ts derives every constant and proves the accumulator widths
 *
 * Notation: f(Q) = fraction bits of quantity Q's format; rnd(x, k) = ⌊(x + 2^(k−1))/2^k⌋ (round half up, an
 * exact left shift when k ≤ 0); sat_Q = saturate into Q's format (counted per quantity); SR = stochastic
 * rounding with one LFSR draw (generator/fixed/lfsr.ts); N = B (window). A "resize to Q" is the library's
 * fast.resize with Q's rounding and overflow. Constants κ, 1/n, 1/B, S are stored as m·2^−s with constBits
 * significant bits (ConstScale; powers of two exactly); apply(x, e) = rnd(x·m, s + e).
 *
 * INPUTS. A u8 pixel p is the input x = (2p − 255)/256 (sim/data.ts pixelToInput): raw (2p − 255)·2^(f_in − 8),
 * exact (the input format needs ≥ 8 fraction bits). The Gram unit reads the u8 pixels themselves. Non-image
 * sets: x is rounded into the input format (its rounding, saturating) and the Gram unit reads those words.
 *
 * CONSTANTS (report().constants lists the values as the chip holds them):
 *   γ:  round-to-nearest in units 2^−gammaFracBits (unsigned);
 *   ε:  LayerNorm ε rounded to nearest into the lnVar format; an ε that rounds to 0 is refused;
 *   K_Y off-class word: expNeg(sat_t(rnd(2/(2 σ_y² C)·2^f_t))) (one-hot labels are at distance² 2); equal
 *       labels and the diagonal: 1.0;
 *   κ_x = 4/(2^16·2 σ_x² d_in) for pixels (kernel.ts), κ_z = 1/(2 σ_z² n_l);
 *   learning rates: TrainConfig lr = hiddenMul·2^−hiddenShift, lrOut = outMul·2^−outShift (numeric.lr; an lr
 *       without this form, mul in 1..255, is refused, naming the nearest rates that have it).
 *
 * EPOCH BOUNDARY (beginEpoch): the window is emptied — count = head = 0, every slot, K_X, K_Y, R_X, R_Y and the
 * stored z cleared (wm.ts wmClear). Weights, biases and the LFSR states are kept.
 *
 * STEP (trainStep): sample c enters slot `head` (the oldest leaves).
 *  1. Forward of c through the hidden layers with the current weights (forward.ts); its z stored in the window
 *     memory (windowZ); a_c, s⁻¹_c and z_c kept for the backward.
 *  2. Gram rows: K_X[c][q] from the pixels' exact squared distances (gram.ts → kernel.ts), K_Y[c][q] from the
 *     labels, for every occupied slot q ≠ c; ring buffers and row sums updated incrementally (wm.ts).
 *  3. While the window holds fewer than B samples nothing else happens (returns false).
 *  4. Per hidden layer l = 1, 2, … in order: K_Z row from the stored z (gram.ts → kernel.ts), the modulator
 *     (modulator.ts) → δ, then the rank-1 update of W_l, b_l by δ ⊗ h (update.ts) with layer l's LFSR bank,
 *     h = the current sample's input of layer l (pixels as above, or z_c of the layer below, act format).
 *  5. Output layer (output.ts): logits of all B window samples from the stored h with the current W_L,
 *     table softmax, e_p = (P_p − y_p)/B, G = Σ_p h_p ⊗ e_p exact, update with the output layer's bank.
 * Inference (predict): the same forward; the last hidden z is resized to windowZ before the logits, as the
 * window memory would hold it; argmax with ties to the lowest class.
 *
 * Arithmetic: everything is integer. Hot loops use `number`; every place where a product or sum could exceed
 * 2^53 is bounded from the formats at construction (params.ts checkBounds), and every accumulator's exact
 * format (the generator/fixed library's dotFormat / sumFormat) must fit its configured width, so accumulators
 * never wrap.
 */
import type { FixedFormat } from '../../../generator/fixed/index.js';
import type { SatSlots } from './common.js';
import { forwardMac, layerNormRelu, windowZ } from './forward.js';
import { gramRow } from './gram.js';
import { kernelRow, labelRow } from './kernel.js';
import type { LfsrBank } from './lfsr-bank.js';
import { modulate, type ModulatorScratch } from './modulator.js';
import { outputScratch, outputStep, type OutputScratch } from './output.js';
import type { ChipParams } from './params.js';
import { rank1Update } from './update.js';
import { wmUpdateRows, wmWriteSlot, wmWriteZ, type WindowMemory } from './wm.js';

/** What the chip holds between steps: parameters, LFSR banks (one per weight layer), the working memory. */
export interface ChipState {
  readonly W: Int32Array[];
  readonly b: Int32Array[];
  readonly banks: LfsrBank[];
  readonly wm: WindowMemory;
}

/** One sample as the chip receives it. */
export interface StepInput {
  /** the network input in the input format (nIn words of layer 1) */
  h0: Int32Array;
  /** the vector the Gram unit reads: u8 pixel values (pixels: true) or h0 */
  u: Int32Array;
  pixels: boolean;
  label: number;
  /** sample index (host bookkeeping only) */
  index: number;
}

/** Working buffers of a step (allocated once). */
export interface StepScratch {
  /** per hidden layer: a_c, z_c of the current sample, s⁻¹ */
  a: Int32Array[];
  z: Int32Array[];
  sInv: Float64Array;
  zWin: Int32Array;
  dist: Float64Array;
  kx: Int32Array;
  ky: Int32Array;
  kz: Int32Array;
  delta: Float64Array;
  mod: ModulatorScratch;
  rbuf: Int32Array;
  out: OutputScratch;
}

export function stepScratch(P: ChipParams): StepScratch {
  const maxN = Math.max(...P.sizes);
  const hidden = P.sizes.slice(1, P.L);
  return {
    a: hidden.map((n) => new Int32Array(n)),
    z: hidden.map((n) => new Int32Array(n)),
    sInv: new Float64Array(P.L),
    zWin: new Int32Array(maxN),
    dist: new Float64Array(P.B),
    kx: new Int32Array(P.B),
    ky: new Int32Array(P.B),
    kz: new Int32Array(P.B),
    delta: new Float64Array(maxN),
    mod: { w: new Float64Array(P.B), coef: new Float64Array(P.B), xi: new Float64Array(maxN) },
    rbuf: new Int32Array(maxN + 4),
    out: outputScratch(P.output),
  };
}

/** Dequantised copies and raw W/b before and after, per unit, of one step (tests; allocates). */
export interface StepTrace {
  c: number;
  layers: {
    /** dequantised, length B×n: window memory z */
    zw: Float64Array;
    k: Float64Array;
    coef: Float64Array;
    xi: Float64Array;
    zc: Float64Array;
    ac: Float64Array;
    sInv: number;
    delta: Float64Array;
    h: Float64Array;
    Wbefore: Int32Array;
    bBefore: Int32Array;
    Wafter: Int32Array;
    bAfter: Int32Array;
  }[];
  Kx: Float64Array;
  Ky: Float64Array;
  /** output layer (dequantised): stored h (B×nIn), logits, P, e (B×C), labels; raw W/b before and after */
  out?: {
    h: Float64Array;
    logits: Float64Array;
    P: Float64Array;
    e: Float64Array;
    labels: Int32Array;
    Wbefore: Int32Array;
    bBefore: Int32Array;
    Wafter: Int32Array;
    bAfter: Int32Array;
  };
}

/** a·2^−f of every word (the first n). */
export function deq(a: ArrayLike<number>, f: FixedFormat, n = a.length): Float64Array {
  const out = new Float64Array(n);
  const s = 2 ** -f.fracBits;
  for (let i = 0; i < n; i++) out[i] = a[i] * s;
  return out;
}

/** The forward of sample h0 through the hidden layers (a, z, s⁻¹ into x). */
export function hiddenForwardAll(P: ChipParams, S: ChipState, h0: Int32Array, x: StepScratch, s: SatSlots): void {
  let h = h0;
  for (let l = 0; l < P.L - 1; l++) {
    forwardMac(P.forward[l], S.W[l], S.b[l], h, x.a[l], s);
    x.sInv[l] = layerNormRelu(P.forward[l], x.a[l], x.z[l], s);
    h = x.z[l];
  }
}

/**
 * One training step (the header's STEP 1–5) on the chip state S: returns true when the parameters were
 * updated (the window was full). With `trace`, fills it (tests only; allocates).
 */
export function trainStep(P: ChipParams, S: ChipState, input: StepInput, x: StepScratch, s: SatSlots, trace?: StepTrace): boolean {
  const { B, L } = P;
  const N = P.numeric;
  const wm = S.wm;
  const c = wmWriteSlot(wm, input.u, input.label, input.index);
  // 1. forward of c, z stored
  hiddenForwardAll(P, S, input.h0, x, s);
  for (let l = 0; l < L - 1; l++) {
    windowZ(P.forward[l], x.z[l], x.zWin, s.windowZ);
    wmWriteZ(wm, l, c, x.zWin);
  }
  // 2. Gram rows of K_X, K_Y; ring buffers and row sums
  gramRow(wm.inputs, wm.dim, c, wm.count, x.dist);
  kernelRow(input.pixels ? P.kxPixels : P.kxWords, x.dist, c, wm.count, x.kx, s);
  labelRow(wm.slotLabel, c, wm.count, P.one, P.kyOff, x.ky);
  wmUpdateRows(wm, c, x.kx, x.ky, P.one);
  // 3.
  if (wm.count < B) return false;
  if (trace) {
    trace.c = c;
    trace.Kx = deq(wm.Kx, N.gram.format);
    trace.Ky = deq(wm.Ky, N.gram.format);
    for (let p = 0; p < B; p++) trace.Kx[p * B + p] = trace.Ky[p * B + p] = 1;
  }
  // 4. hidden layers in order
  const kx = wm.Kx.subarray(c * B, c * B + B);
  const ky = wm.Ky.subarray(c * B, c * B + B);
  for (let l = 0; l < L - 1; l++) {
    const n = P.sizes[l + 1];
    gramRow(wm.zw[l], n, c, B, x.dist);
    kernelRow(P.kz[l], x.dist, c, B, x.kz, s);
    modulate(P.modulator[l], { c, kx, ky, Rx: wm.Rx, Ry: wm.Ry, kz: x.kz, zw: wm.zw[l] }, { z: x.z[l], a: x.a[l], sInv: x.sInv[l] }, x.delta, x.mod, s);
    const h = l === 0 ? input.h0 : x.z[l - 1];
    const rec = trace ? traceLayer(P, S, x, l, h) : undefined;
    rank1Update(P.update[l], S.W[l], S.b[l], x.delta, h, S.banks[l], x.rbuf, s);
    if (rec && trace) {
      rec.Wafter = S.W[l].slice();
      rec.bAfter = S.b[l].slice();
      trace.layers.push(rec);
    }
  }
  // 5. output layer
  const lo = L - 1;
  outputStep(P.output, S.W[lo], S.b[lo], wm.zw[lo - 1], wm.slotLabel, S.banks[lo], x.out, s, trace ? (o) => traceOutput(P, S, o, trace) : undefined);
  if (trace?.out) {
    trace.out.Wafter = S.W[lo].slice();
    trace.out.bAfter = S.b[lo].slice();
  }
  return true;
}

function traceLayer(P: ChipParams, S: ChipState, x: StepScratch, l: number, h: Int32Array): StepTrace['layers'][number] {
  const N = P.numeric;
  const n = P.sizes[l + 1];
  return {
    zw: deq(S.wm.zw[l], N.windowZ.format),
    k: deq(x.kz, N.gram.format, P.B),
    coef: deq(x.mod.coef, N.coef.format, P.B),
    xi: deq(x.mod.xi, N.xi.format, n),
    zc: deq(x.z[l], N.act.format, n),
    ac: deq(x.a[l], N.preact.format, n),
    sInv: x.sInv[l] * 2 ** -N.lnInvStd.format.fracBits,
    delta: deq(x.delta, N.delta.format, n),
    h: deq(h, l === 0 ? N.input.format : N.act.format, P.sizes[l]),
    Wbefore: S.W[l].slice(),
    bBefore: S.b[l].slice(),
    Wafter: S.W[l],
    bAfter: S.b[l],
  };
}

function traceOutput(P: ChipParams, S: ChipState, o: OutputScratch, trace: StepTrace): void {
  const N = P.numeric;
  const lo = P.L - 1;
  trace.out = {
    h: deq(S.wm.zw[lo - 1], N.windowZ.format),
    logits: deq(o.logits, N.logit.format),
    P: deq(o.probs, N.prob.format),
    e: deq(o.errs, N.err.format),
    labels: S.wm.slotLabel.slice(),
    Wbefore: S.W[lo].slice(),
    bBefore: S.b[lo].slice(),
    Wafter: S.W[lo],
    bAfter: S.b[lo],
  };
}
