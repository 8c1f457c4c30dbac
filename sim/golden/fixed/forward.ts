/**
 * Hidden-forward unit (spec function of generator/units/forward.ts): the MAC a = W·h + b (forwardMac; the
 * exact accumulator → a conversion alone is preactWord), LayerNorm + relu → z (layerNormRelu) and the resize
 * to windowZ (windowZ). § FORWARD of the specification (step.ts header).
 */
import { fast, fromReal, maxRawNum, minRawNum, type FixedFormat, type NoiseSource, type Rounding, type SatSlot, type TableFunction } from '../../../generator/fixed/index.js';
import { describeFormat, type ResolvedNumeric } from '../../../generator/numeric.js';
import { sat, type SatSlots } from './common.js';
import { ConstScale, rshiftNearest } from './scale.js';

export type Resizer = (raw: number, src?: NoiseSource, sat?: SatSlot) => number;

export interface ForwardParams {
  readonly nIn: number;
  readonly n: number;
  /** bias alignment 2^(f_w + f_h − f_b) */
  readonly bShift: number;
  /** accumulator → preact: right shift by f_w + f_h − f_a (a left shift when negative) */
  readonly dShift: number;
  readonly rounding: Rounding;
  readonly aLo: number;
  readonly aHi: number;
  /** 1/n and 1/n² (powers of two: shifts) */
  readonly invN: ConstScale;
  readonly invN2: ConstScale;
  /** 2 f_a − f_var */
  readonly varShift: number;
  /** ε in lnVar raw */
  readonly eps: number;
  readonly vMax: number;
  readonly rsqrt: TableFunction;
  /** f_a + f_s − f_z */
  readonly zShift: number;
  readonly zLo: number;
  readonly zHi: number;
  /** act → windowZ */
  readonly toWindowZ: Resizer;
}

/** ε rounded to nearest into the lnVar format; throws naming ε, the format and the smallest ε when it rounds to 0. */
export function lnEpsRaw(N: ResolvedNumeric, lnEps: number): number {
  const raw = fromReal(lnEps, N.lnVar.format, 'nearest', 'saturate');
  if (raw === 0) {
    const f = N.lnVar.format.fracBits;
    throw new RangeError(
      `lnEps ${lnEps} rounds to 0 in the lnVar format ${describeFormat(N.lnVar.format)}; the smallest representable ε is 2^−${f} = ${2 ** -f} (use lnEps ≥ ${2 ** -(f + 1)}, or more lnVar fraction bits)`,
    );
  }
  return raw;
}

/** Parameters of a hidden layer with nIn inputs of format `hIn` and n outputs (1/n, 1/n² as ConstScale constants). */
export function forwardParams(N: ResolvedNumeric, nIn: number, n: number, hIn: FixedFormat, epsRaw: number, rsqrtT: TableFunction): ForwardParams {
  const fw = N.weight.format.fracBits;
  const fa = N.preact.format.fracBits;
  return {
    nIn,
    n,
    bShift: 2 ** (fw + hIn.fracBits - N.bias.format.fracBits),
    dShift: fw + hIn.fracBits - fa,
    rounding: N.preact.rounding,
    aLo: minRawNum(N.preact.format),
    aHi: maxRawNum(N.preact.format),
    invN: new ConstScale(1 / n, N.constBits),
    invN2: new ConstScale(1 / (n * n), N.constBits),
    varShift: 2 * fa - N.lnVar.format.fracBits,
    eps: epsRaw,
    vMax: maxRawNum(N.lnVar.format),
    rsqrt: rsqrtT,
    zShift: fa + N.lnInvStd.format.fracBits - N.act.format.fracBits,
    zLo: minRawNum(N.act.format),
    zHi: maxRawNum(N.act.format),
    toWindowZ: fast.resizer(N.act.format, N.windowZ.format, N.windowZ.rounding, N.windowZ.overflow),
  };
}

/** a = sat_preact(resize(acc)) of one exact accumulator. */
export function preactWord(p: ForwardParams, acc: number, slot: SatSlot): number {
  const d = p.dShift;
  const y = p.rounding === 'nearest' && d > 0 ? rshiftNearest(acc, d) : fast.shiftRight(acc, Math.max(d, 0), p.rounding) * 2 ** Math.max(-d, 0);
  return sat(y, p.aLo, p.aHi, slot); // overflow is always 'saturate' (resolveNumeric)
}

const acc4 = new Float64Array(4);

/** The MAC: a_j = preactWord(Σ_i W_ji h_i + b_j·2^(f_w + f_h − f_b)) for j = 0 … n − 1 (W[j·nIn + i]). */
export function forwardMac(p: ForwardParams, W: Int32Array, b: Int32Array, h: Int32Array, a: Int32Array, s: SatSlots): void {
  const { nIn, n, bShift } = p;
  for (let j = 0; j < n; j++) {
    // four rows per pass share the loads of h (the sums are exact, so the order does not matter)
    if ((j & 3) === 0 && j + 3 < n) {
      let a0 = b[j] * bShift;
      let a1 = b[j + 1] * bShift;
      let a2 = b[j + 2] * bShift;
      let a3 = b[j + 3] * bShift;
      const o0 = j * nIn;
      const o1 = o0 + nIn;
      const o2 = o1 + nIn;
      const o3 = o2 + nIn;
      for (let i = 0; i < nIn; i++) {
        const x = h[i];
        a0 += W[o0 + i] * x;
        a1 += W[o1 + i] * x;
        a2 += W[o2 + i] * x;
        a3 += W[o3 + i] * x;
      }
      acc4[0] = a0;
      acc4[1] = a1;
      acc4[2] = a2;
      acc4[3] = a3;
    }
    let acc: number;
    if (j + 3 - (j & 3) < n) acc = acc4[j & 3];
    else acc = macRow(W, j * nIn, nIn, h, b[j] * bShift);
    a[j] = preactWord(p, acc, s.preact);
  }
}

/** bias + Σ_i W[o + i]·h[i] (exact). */
export function macRow(W: Int32Array, o: number, nIn: number, h: Int32Array, bias: number): number {
  let acc = bias;
  for (let i = 0; i < nIn; i++) acc += W[o + i] * h[i];
  return acc;
}

/** z = LN(relu(a)) (see the header); returns s⁻¹ (lnInvStd raw), which the backward (modulator) needs. */
export function layerNormRelu(p: ForwardParams, a: Int32Array, z: Int32Array, s: SatSlots): number {
  const n = p.n;
  let S1 = 0;
  let S2 = 0;
  for (let j = 0; j < n; j++) {
    const r = a[j] > 0 ? a[j] : 0;
    S1 += r;
    S2 += r * r;
  }
  // V = n·S2 − S1² ≥ 0 exactly; both terms < 2^acc.ln ≤ 2^53 (checked at construction)
  const V = n * S2 - S1 * S1;
  let v = p.invN2.apply(V, p.varShift) + p.eps;
  if (v > p.vMax) {
    v = p.vMax;
    s.lnVar.high++;
  }
  const sInv = p.rsqrt.eval(v, s.lnInvStd);
  const inv = p.invN;
  const k = p.zShift;
  for (let j = 0; j < n; j++) {
    const r = a[j] > 0 ? a[j] : 0;
    // (n r − S1)·s⁻¹ < n·2^(w_a−1)·2^w_s < 2^53 (checkBounds); apply() multiplies by 1/n's mantissa exactly
    // (a shift when n = 2^k; mulShift goes to BigInt when the product passes 2^53)
    z[j] = sat(inv.apply((n * r - S1) * sInv, k), p.zLo, p.zHi, s.act);
  }
  return sInv;
}

/** out[j] = z_j resized to the windowZ format (saturations counted in `slot` when given). */
export function windowZ(p: ForwardParams, z: Int32Array, out: Int32Array, slot?: SatSlot): void {
  for (let j = 0; j < p.n; j++) out[j] = p.toWindowZ(z[j], undefined, slot);
}

/** MAC then LayerNorm + relu: a and z of one hidden layer; returns s⁻¹. */
export function hiddenForward(p: ForwardParams, W: Int32Array, b: Int32Array, h: Int32Array, a: Int32Array, z: Int32Array, s: SatSlots): number {
  forwardMac(p, W, b, h, a, s);
  return layerNormRelu(p, a, z, s);
}
