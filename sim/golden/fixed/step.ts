/**
 * THE SPECIFICATION of the chip's training step: the bit-exact fixed-point golden model (mode S, "stored":
 * each sample's layer outputs are written to the window memory when it is current and never recomputed;
 * plain SGD with learning rates mul·2^−shift). Every value is an integer ("raw") in the format NumericConfig
 * (generator/numeric.ts) gives it; the RTL must match it word for word. This header is the whole spec; each
 * unit of the chip is one file here with one exported function that computes its section (§) below:
 *
 *   wm.ts         § WM         working memory: slot write, K_X/K_Y ring rows and row sums, epoch clear
 *   gram.ts       § GRAM       exact integer squared distances (pixels; each hidden layer's stored z)
 *   kernel.ts     § KERNEL     kernel words from distances, the K_Y word, the table functions
 *   forward.ts    § FORWARD    hidden forward: MAC a = W·h + b; LayerNorm + relu → z; resize to windowZ
 *   modulator.ts  § MODULATOR  row means, coefficients c_p, ξ per variant, LayerNorm backward, relu′ → δ
 *   update.ts     § UPDATE     rank-1 update pass with stochastic rounding, optionally fused with the next MAC
 *   output.ts     § OUTPUT     output layer: logits, table softmax, errors, exact gradient, update
 *   step.ts       § STEP       this composition; params.ts derives every constant and proves the accumulators
 *
 * NOTATION. f(Q) = fraction bits of quantity Q's format (f_w weight, f_b bias, f_h a layer's input, f_a
 * preact, f_z act, f_wz windowZ, f_t kernelArg, f_k gram, f_coef, f_ξ, f_var lnVar, f_s lnInvStd, f_δ, f_e err,
 * f_in input); rnd(x, k) = ⌊(x + 2^(k−1))/2^k⌋ (round half up; an exact left shift when k ≤ 0); sat_Q =
 * saturate into Q's format (counted per quantity); N = B (window); 1.0 = 2^f_k in the gram format. A "resize
 * to Q" is generator/fixed's fast.resize with Q's rounding and overflow (saturate). A constant c (κ, 1/n, 1/B,
 * S) is stored as m·2^−s with constBits significant bits, powers of two exactly (ConstScale, scale.ts), and
 * multiplies as apply(x, e) = rnd(x·m, s + e). Tables expNeg (kernelArg → gram), exp (softmax), rsqrt
 * (lnVar → lnInvStd), recip (softmax sum → UQ1.f_prob) are generator/fixed table functions configured by
 * numeric.tables (chipTables in generator/numeric.ts; the ROM contents follow from it).
 *
 * INPUTS. A u8 pixel p is the input x = (2p − 255)/256 (sim/data.ts pixelToInput): raw (2p − 255)·2^(f_in − 8),
 * exact (the input format needs ≥ 8 fraction bits). The Gram unit reads the u8 pixels themselves. Non-image
 * sets: x is rounded into the input format (its rounding, saturating) and the Gram unit reads those words.
 *
 * CONSTANTS (report().constants lists them as the chip holds them):
 *   γ        an unsigned 24-bit word with gammaFracBits (fγ) fraction bits, round to nearest, saturating;
 *   ε        LayerNorm ε rounded to nearest into the lnVar format (ε_raw); an ε that rounds to 0 is refused;
 *   K_Y      off-class word expNeg(min(rnd-to-nearest(2/(2 σ_y² C)·2^f_t), t_max)) (one-hot labels are at
 *            squared distance 2); equal labels and the diagonal: 1.0;
 *   κ        see § KERNEL; S see § MODULATOR; 1/B see § OUTPUT;
 *   lr       TrainConfig lr = hiddenMul·2^−hiddenShift, lrOut = outMul·2^−outShift (numeric.lr), mul in 1..255
 *            (0: the layers are frozen); a rate without this form is refused, naming the nearest that have it.
 *   LFSRs    one bank of `lanes` Galois LFSRs per weight layer (width W, taps DEFAULT_TAPS[W], a draw = `leap`
 *            steps then the low `rbits` bits; generator/fixed/lfsr.ts), lane q of layer l seeded with
 *            laneSeed(numeric.lfsr.seed, training seed, l, q) (lfsr-bank.ts).
 *
 * § WM (wm.ts). Slot c = head of a new sample receives its input vector (u8 pixels or input words), its label
 * and, per hidden layer, its z as stored (windowZ); head ← (c + 1) mod B, count ← min(count + 1, B). After an
 * epoch clear slots fill 0, 1, …, so the occupied slots are always 0 … count − 1. K_X and K_Y are B × B,
 * symmetric, diagonal the constant 1.0 (not stored); row c is rewritten with the new words K_new[c][q] of the
 * occupied q ≠ c (both halves), R_q += K_new[c][q] − K_old[c][q] for those q, R_c = 1.0 + Σ_q K_new[c][q].
 * Every entry is an exact integer (rowSum format: f_k fraction bits, wide enough for B words), so R always
 * equals the recomputed sum of its row.
 *
 * § EPOCH BOUNDARY (beginEpoch → wmClear). count = head = 0; every slot, K_X, K_Y, R_X, R_Y and the stored z
 * cleared to 0. Weights, biases and the LFSR states are kept.
 *
 * § GRAM (gram.ts). d_q = Σ_i (u_c,i − u_q,i)² over the occupied slots q ≠ c, exact (< 2^acc.gram): u = the
 * u8 pixels (or input words) for K_X, the stored z of hidden layer l (windowZ words) for its K_Z row.
 *
 * § KERNEL (kernel.ts). k_q = expNeg(t), t = min(κ.apply(d_q, e), t_max) (kernelArg; t_max = its largest
 * word, counted when hit); k_c = 1.0. κ = 1/(2 s²), s² = σ²·dim:
 *   K_X from u8 pixels      κ_x = 4/(2^16·2 σ_x² d_in) (‖x_c − x_q‖² = 4 d/2^16), e = −f_t;
 *   K_X from input words    κ = 1/(2 σ_x² d_in), e = 2 f_in − f_t;
 *   K_Z of hidden layer l   κ_z = 1/(2 σ_z² n_l), e = 2 f_wz − f_t.
 *
 * § FORWARD (forward.ts), hidden layer l with nIn inputs h (the input words, or z of the layer below in the
 * act format) and n = 2^k outputs:
 *   MAC        acc_j = Σ_i W_ji h_i + b_j·2^(f_w + f_h − f_b), exact (< 2^acc.forward);
 *              a_j = sat_preact(resize(acc_j, f_w + f_h → f_a)) (the preact format's rounding)
 *   LayerNorm  r = max(a, 0), S1 = Σ r, V = n·Σ r² − S1² (= n²·var exactly, < 2^acc.ln);
 *              var = min(rnd(V·2^(f_var − 2 f_a)/n²) + ε_raw, lnVar max); s⁻¹ = rsqrt(var) (lnInvStd);
 *              z_j = sat_act(rnd((n r_j − S1)·s⁻¹·2^(f_z − f_a − f_s)/n))   (1/n and 1/n² are shifts)
 *   window z   zw_j = resize z_j act → windowZ.
 *
 * § MODULATOR (modulator.ts), hidden layer l, current slot c, window full:
 *   Rt_p = R_X,p·2^fγ − γ R_Y,p,  ND_p = (N·1.0 − R_X,p)·2^fγ − γ(N·1.0 − R_Y,p),  Kt_p = K_X[c][p]·2^fγ − γ K_Y[c][p]
 *   (exact, units 2^−(f_k + fγ); the row sums are N times the row means); variant weight of slot p ≠ c:
 *     E: −(N² Kt_p − N Rt_c − N Rt_p + Σ_q Rt_q)    J: −(N Kt_p − Rt_c)    P: ND_c    F: ND_p + ND_c
 *   u_p = rnd(W_p·k_p, f_k) (k_p: the K_Z row), c_p = sat_coef(S.apply(u_p, f_k + fγ − f_coef)), c_c = 0,
 *     S = (2/s_z²)/(N²(N−1)²) for E, P, F and (2/s_z²)/(N(N−1)²) for J, s_z² = σ_z² n;
 *   ξ_j = sat_ξ(rnd(Σ_{p≠c} c_p (zw_cj − zw_pj), f_coef + f_wz − f_ξ))  (sum exact, < 2^acc.xi);
 *   LayerNorm backward ⊙ relu′ (g = LN_BWD_GUARD = 4; z, a, s⁻¹ of the current sample from § FORWARD):
 *     G1 = Σ ξ_j, G2 = Σ ξ_j z_j (exact); M1 = rnd(G1·2^g/n), M2 = rnd(G2·2^g/n, f_z) (units 2^−(f_ξ+g));
 *     T_j = ξ_j·2^g − M1 − rnd(z_j·M2, f_z);  δ_j = a_j > 0 ? sat_δ(rnd(T_j·s⁻¹, g + f_ξ + f_s − f_δ)) : 0.
 *
 * § UPDATE (update.ts), hidden layer l (nIn inputs h, n outputs, v = δ, lr = mul·2^−shift):
 *   W_ji ← sat_w(W_ji + SR(−mul·v_j·h_i, kW)),  b_j ← sat_b(b_j + SR(−mul·v_j, kB)),
 *   kW = f_δ + f_h + shift − f_w,  kB = f_δ + shift − f_b.
 *   Order: row j holds words i = 0 … nIn − 1 and the bias as word i = nIn; rows j = 0, 1, … in order, words in
 *   order; word i draws from lane i mod lanes of layer l's bank — with lfsr.rowGroups G > 1, from lane
 *   (j mod G)·g + i mod g, g = lanes / G (the output layer always as G = 1). A row with mul·v_j = 0 is skipped: not
 *   written, no draws. SR(x, k), r = rbits, one draw ρ: ⌊(⌊x/2^(k−r)⌋ + ρ)/2^r⌋ for k ≥ r;
 *   ⌊(x + ⌊ρ/2^(r−k)⌋)/2^k⌋ for 0 < k < r; x·2^−k, no draw, for k ≤ 0. A deterministic weight (bias) rounding
 *   replaces SR and draws nothing. Fused: with the next input h' of the layer, the same pass also returns
 *   acc_j = b_j·2^(f_w + f_h − f_b) + Σ_i W_ji h'_i with row j as updated (§ FORWARD's MAC through the new W).
 *
 * § OUTPUT (output.ts), C classes, for every slot p (h_p = stored z of the last hidden layer, windowZ):
 *   o_pj = resize_logit(Σ_i W_ji h_pi + b_j·2^(f_w + f_wz − f_b))  (exact accumulator, then the logit format)
 *   e_j = exp(o_j − max o) (table), Σ = Σ_j e_j ≥ 1.0, r = recip(Σ), P_j = min(rnd(e_j·r, f_r), prob max)
 *   e_pj = sat_err((1/B).apply(P_pj − [y_p = j]·1.0_prob, f_prob − f_e))
 *   G_ji = Σ_p h_pi e_pj, G_b,j = Σ_p e_pj (exact, < 2^acc.grad)
 *   W_ji ← sat_w(W_ji + SR(−outMul·G_ji, f_wz + f_e + outShift − f_w)), b_j ← sat_b(b_j + SR(−outMul·G_b,j,
 *   f_e + outShift − f_b)), the output layer's own bank, the order of § UPDATE, no row skipped.
 *
 * § STEP (trainStep): sample c enters slot head (the oldest leaves).
 *  1. § FORWARD of c through the hidden layers with the current weights; its z stored (§ WM); a_c, s⁻¹_c and
 *     z_c kept for the backward.
 *  2. K_X row c from the pixels (§ GRAM → § KERNEL), K_Y row c from the labels; ring rows and row sums (§ WM).
 *  3. While the window holds fewer than B samples nothing else happens (returns false).
 *  4. Per hidden layer l = 1, 2, … in order: K_Z row from the stored z (§ GRAM → § KERNEL), § MODULATOR → δ,
 *     § UPDATE of W_l, b_l by δ ⊗ h with h = the current sample's input of layer l (input words, or z_c of
 *     the layer below in the act format).
 *  5. § OUTPUT with the current W_L over all B slots.
 * Inference (predict): § FORWARD; the last hidden z resized to windowZ; the logits; argmax, ties to the lowest
 * class.
 *
 * Arithmetic of this model: everything is integer. Hot loops use `number`; every product or sum that could
 * exceed 2^53 is bounded from the formats at construction (params.ts checkBounds), and every accumulator's
 * exact format (generator/fixed dotFormat / sumFormat) must fit its configured width, so none can wrap.
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
