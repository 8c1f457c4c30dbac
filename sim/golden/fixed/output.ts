/**
 * Output-layer unit (spec function of generator/units/output.ts): logits of the window's stored h, table
 * softmax, errors (P − y)/B, the exact gradient and the update with the output layer's LFSR bank. § OUTPUT of
 * the specification (step.ts header).
 */
import { fast, fx, maxRawNum, minRawNum, type FixedFormat, type Rounding, type SatSlot, type TableFunction } from '../../../generator/fixed/index.js';
import type { ResolvedNumeric } from '../../../generator/numeric.js';
import { sat, type SatSlots } from './common.js';
import type { Resizer } from './forward.js';
import type { LfsrBank } from './lfsr-bank.js';
import { ConstScale, rshiftNearest } from './scale.js';
import { roundUpdate, updateRow } from './update.js';

export interface OutputParams {
  readonly nIn: number;
  readonly C: number;
  readonly B: number;
  /** bias alignment 2^(f_w + f_wz − f_b) */
  readonly bShift: number;
  readonly toLogit: Resizer;
  readonly exp: TableFunction;
  readonly recip: TableFunction;
  /** 1.0 in the prob format, its largest word */
  readonly oneP: number;
  readonly pHi: number;
  readonly invB: ConstScale;
  /** f_prob − f_err */
  readonly eShift: number;
  readonly eLo: number;
  readonly eHi: number;
  /** the update: −mul, shifts, rounding, limits */
  readonly m: number;
  readonly kW: number;
  readonly kB: number;
  readonly wRounding: Rounding;
  readonly bRounding: Rounding;
  readonly wLo: number;
  readonly wHi: number;
  readonly bLo: number;
  readonly bHi: number;
  readonly rbits: number;
}

/** Parameters of the output layer: nIn inputs (windowZ), C classes, window B, tables exp and recip. */
export function outputParams(N: ResolvedNumeric, nIn: number, C: number, B: number, expT: TableFunction, recipT: TableFunction): OutputParams {
  const fw = N.weight.format.fracBits;
  const fwz = N.windowZ.format.fracBits;
  const fe = N.err.format.fracBits;
  const accF: FixedFormat = fx(53, 53 - (fw + fwz), true);
  return {
    nIn,
    C,
    B,
    bShift: 2 ** (fw + fwz - N.bias.format.fracBits),
    toLogit: fast.resizer(accF, N.logit.format, N.logit.rounding, N.logit.overflow),
    exp: expT,
    recip: recipT,
    oneP: 2 ** N.prob.format.fracBits,
    pHi: maxRawNum(N.prob.format),
    invB: new ConstScale(1 / B, N.constBits),
    eShift: N.prob.format.fracBits - fe,
    eLo: minRawNum(N.err.format),
    eHi: maxRawNum(N.err.format),
    m: -N.lr.outMul,
    kW: fwz + fe + N.lr.outShift - fw,
    kB: fe + N.lr.outShift - N.bias.format.fracBits,
    wRounding: N.weight.rounding,
    bRounding: N.bias.rounding,
    wLo: minRawNum(N.weight.format),
    wHi: maxRawNum(N.weight.format),
    bLo: minRawNum(N.bias.format),
    bHi: maxRawNum(N.bias.format),
    rbits: N.lfsr.rbits,
  };
}

/** Logits of one input h[hOff … hOff + nIn) (windowZ raw) into out[o … o + C). */
export function outputLogits(p: OutputParams, W: Int32Array, b: Int32Array, h: ArrayLike<number>, hOff: number, out: Float64Array, o: number, slot?: SatSlot): void {
  const { nIn, C, bShift } = p;
  for (let j = 0; j < C; j++) {
    let acc = b[j] * bShift;
    const r = j * nIn;
    for (let i = 0; i < nIn; i++) acc += W[r + i] * h[hOff + i];
    out[o + j] = p.toLogit(acc, undefined, slot);
  }
}

/** Table softmax of logits o[off … off + C) into P (prob raw, before the prob saturation). */
export function softmaxTable(p: OutputParams, o: Float64Array, off: number, P: Float64Array, s: SatSlots): void {
  const C = p.C;
  let mx = o[off];
  for (let j = 1; j < C; j++) if (o[off + j] > mx) mx = o[off + j];
  let S = 0;
  for (let j = 0; j < C; j++) {
    const e = p.exp.eval(o[off + j] - mx, s.prob);
    P[j] = e;
    S += e;
  }
  // S ≥ 1.0 (the max contributes e^0 = 1); r = 1/S ∈ (1/C, 1]; P_j = rnd(e_j·r, f_r) ≤ 1.0
  const r = p.recip.eval(S);
  const fr = p.recip.outFormat.fracBits;
  for (let j = 0; j < C; j++) P[j] = rshiftNearest(P[j] * r, fr);
}

/**
 * e[p·C + j] = sat_err(rnd((P_pj − [y_p = j])/B)) for the `count` slots (logits B × C, labels per slot);
 * `probs` (optional) receives P. `P` is scratch of C words.
 */
export function outputErrors(p: OutputParams, logits: Float64Array, labels: Int32Array, count: number, e: Float64Array, P: Float64Array, s: SatSlots, probs?: Float64Array): void {
  const C = p.C;
  for (let q = 0; q < count; q++) {
    softmaxTable(p, logits, q * C, P, s);
    const y = labels[q];
    for (let j = 0; j < C; j++) {
      let Pj = P[j];
      if (Pj > p.pHi) {
        Pj = p.pHi;
        s.prob.high++;
      }
      e[q * C + j] = sat(p.invB.apply(Pj - (j === y ? p.oneP : 0), p.eShift), p.eLo, p.eHi, s.err);
      if (probs) probs[q * C + j] = Pj;
    }
  }
}

/** G_ji = Σ_p h_pi e_pj, G_b,j = Σ_p e_pj over `count` slots, exact (H: count × nIn, e: count × C). */
export function outputGradient(p: OutputParams, H: Int32Array, e: Float64Array, count: number, G: Float64Array, Gb: Float64Array): void {
  const { nIn, C } = p;
  G.fill(0);
  Gb.fill(0);
  for (let q = 0; q < count; q++) {
    for (let j = 0; j < C; j++) {
      const ej = e[q * C + j];
      if (ej === 0) continue;
      Gb[j] += ej;
      const r = j * nIn;
      const ho = q * nIn;
      for (let i = 0; i < nIn; i++) G[r + i] += H[ho + i] * ej;
    }
  }
}

/** The update W ← sat(W + SR(−mul·G)), b likewise, with the output layer's bank (rbuf: scratch ≥ nIn words). */
export function outputUpdate(p: OutputParams, W: Int32Array, b: Int32Array, G: Float64Array, Gb: Float64Array, bank: LfsrBank, rbuf: Int32Array, s: SatSlots): void {
  const { nIn, C, m, kW, kB, wLo, wHi, bLo, bHi } = p;
  for (let j = 0; j < C; j++) {
    // word i of every row draws from lane i mod lanes; output rows are never skipped
    const r = j * nIn;
    const lane = updateRow(W, r, nIn, (i) => m * G[r + i], kW, p.wRounding, bank, rbuf, wLo, wHi, s.weight);
    b[j] = sat(b[j] + roundUpdate(m * Gb[j], kB, bank, lane, p.bRounding), bLo, bHi, s.bias);
  }
}

/** Scratch of outputStep: logits, errors, probabilities (B × C), one softmax row (C), G (C × nIn), G_b (C). */
export interface OutputScratch {
  logits: Float64Array;
  errs: Float64Array;
  probs: Float64Array;
  P: Float64Array;
  G: Float64Array;
  Gb: Float64Array;
  rbuf: Int32Array;
}

export function outputScratch(p: OutputParams): OutputScratch {
  const { B, C, nIn } = p;
  return {
    logits: new Float64Array(B * C),
    errs: new Float64Array(B * C),
    probs: new Float64Array(B * C),
    P: new Float64Array(C),
    G: new Float64Array(C * nIn),
    Gb: new Float64Array(C),
    rbuf: new Int32Array(nIn + 4),
  };
}

/**
 * The whole output-layer step over a full window: logits of the B stored h (H: B × nIn), softmax, errors,
 * exact gradient, update of W and b in place. `onErrors` (tests/traces) sees the state before the update.
 */
export function outputStep(
  p: OutputParams,
  W: Int32Array,
  b: Int32Array,
  H: Int32Array,
  labels: Int32Array,
  bank: LfsrBank,
  x: OutputScratch,
  s: SatSlots,
  onErrors?: (x: OutputScratch) => void,
): void {
  const { B, nIn, C } = p;
  for (let q = 0; q < B; q++) outputLogits(p, W, b, H, q * nIn, x.logits, q * C, s.logit);
  outputErrors(p, x.logits, labels, B, x.errs, x.P, s, onErrors ? x.probs : undefined);
  onErrors?.(x);
  outputGradient(p, H, x.errs, B, x.G, x.Gb);
  outputUpdate(p, W, b, x.G, x.Gb, bank, x.rbuf, s);
}
