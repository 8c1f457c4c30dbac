/**
 * Hebbian-update unit (spec function of generator/units/update.ts): the rank-1 update pass over one hidden
 * layer with stochastic rounding from the layer's LFSR bank, optionally fused with the forward MAC of the
 * next input through the updated weights (what the update hardware does in one pass over the weight
 * memory). § UPDATE of the specification (step.ts header). |m·v·h| < 2^53 (checkBounds); intPath (32-bit
 * integer arithmetic) gives the same words when the formats bound the product below 2^31.
 */
import { fast, maxRawNum, minRawNum, width, type FixedFormat, type Rounding, type SatSlot } from '../../../generator/fixed/index.js';
import type { ResolvedNumeric } from '../../../generator/numeric.js';
import { sat, type SatSlots } from './common.js';
import { macRow } from './forward.js';
import type { LfsrBank } from './lfsr-bank.js';

export interface UpdateParams {
  readonly nIn: number;
  readonly n: number;
  /** −mul */
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
  /** |m·v·h| < 2^31 and 0 ≤ kW − rbits ≤ 31: the update may use 32-bit integer operations (same result) */
  readonly intPath: boolean;
  /** row groups G (numeric.lfsr.rowGroups): row j draws from lanes (j mod G)·g … (j mod G)·g + g − 1, g = lanes / G */
  readonly groups: number;
}

/**
 * Parameters of the update of a layer with nIn inputs of format `hIn`, n outputs, the update vector in format
 * `vIn` (δ) and the learning rate mul·2^−shift.
 */
export function updateParams(N: ResolvedNumeric, nIn: number, n: number, hIn: FixedFormat, vIn: FixedFormat, mul: number, shift: number): UpdateParams {
  const fw = N.weight.format.fracBits;
  const kW = vIn.fracBits + hIn.fracBits + shift - fw;
  const rb = N.lfsr.rbits;
  const stoch = N.weight.rounding === 'stochastic';
  return {
    nIn,
    n,
    m: -mul,
    kW,
    kB: vIn.fracBits + shift - N.bias.format.fracBits,
    wRounding: N.weight.rounding,
    bRounding: N.bias.rounding,
    wLo: minRawNum(N.weight.format),
    wHi: maxRawNum(N.weight.format),
    bLo: minRawNum(N.bias.format),
    bHi: maxRawNum(N.bias.format),
    rbits: rb,
    intPath: stoch && 2 ** (width(vIn) - 1) * mul * 2 ** (width(hIn) - 1) < 2 ** 31 && kW >= rb && kW - rb <= 31,
    groups: N.lfsr.rowGroups ?? 1,
  };
}

/** One rounded update word: SR with one draw from `lane` of `bank`, or the given deterministic rounding. */
export function roundUpdate(x: number, k: number, bank: LfsrBank, lane: number, rounding: Rounding): number {
  if (k <= 0) return x * 2 ** -k;
  if (rounding !== 'stochastic') return fast.shiftRight(x, k, rounding);
  const r = bank.draw(lane);
  const rb = bank.rbits;
  if (k >= rb) return Math.floor((Math.floor(x * 2 ** -(k - rb)) + r) * 2 ** -rb);
  return Math.floor((x + Math.floor(r * 2 ** -(rb - k))) * 2 ** -k);
}

/**
 * One row of updates W[o + i] ← sat(W[o + i] + round(x(i), k)), i = 0 … nIn − 1, word i drawing from lane
 * first + i mod count of `bank` (default: lane i mod lanes; stochastic rounding: the row's draws generated lane
 * by lane, then exact float64 SR, x(i) an integer below 2^53); returns the lane the next draw (the row's bias)
 * takes.
 */
export function updateRow(
  W: Int32Array,
  o: number,
  nIn: number,
  x: (i: number) => number,
  k: number,
  rounding: Rounding,
  bank: LfsrBank,
  rbuf: Int32Array,
  lo: number,
  hi: number,
  slot: SatSlot,
  first = 0,
  lanes = bank.lanes,
): number {
  if (rounding === 'stochastic' && k > 0) {
    bank.fillRow(rbuf, nIn, first, lanes);
    const rb = bank.rbits;
    const rmask = bank.rmask;
    if (k >= rb) {
      const pre = 2 ** -(k - rb);
      const post = 2 ** -rb;
      for (let i = 0; i < nIn; i++) W[o + i] = sat(W[o + i] + Math.floor((Math.floor(x(i) * pre) + (rbuf[i] & rmask)) * post), lo, hi, slot);
    } else {
      const lowR = 2 ** -(rb - k); // only the top k bits of the draw are added
      const lowK = 2 ** -k;
      for (let i = 0; i < nIn; i++) W[o + i] = sat(W[o + i] + Math.floor((x(i) + Math.floor((rbuf[i] & rmask) * lowR)) * lowK), lo, hi, slot);
    }
    return first + (nIn % lanes);
  }
  let lane = 0;
  for (let i = 0; i < nIn; i++) {
    W[o + i] = sat(W[o + i] + roundUpdate(x(i), k, bank, first + lane, rounding), lo, hi, slot);
    if (++lane === lanes) lane = 0;
  }
  return first + lane;
}

/** The next input of a fused pass and where its accumulators go (acc[j], j = 0 … n − 1). */
export interface FusedForward {
  h: Int32Array;
  /** bias alignment 2^(f_w + f_h' − f_b) (ForwardParams.bShift) */
  bShift: number;
  acc: Float64Array;
}

/**
 * The rank-1 update of W (n × nIn, W[j·nIn + i]) and b by v (length n) ⊗ h (length nIn), in place, drawing
 * from `bank` (row j from the lanes of its group, p.groups); with `next`, also the fused forward MAC of next.h
 * through the updated weights. `rbuf` is scratch of ≥ nIn words.
 */
export function rank1Update(
  p: UpdateParams,
  W: Int32Array,
  b: Int32Array,
  v: Float64Array,
  h: Int32Array,
  bank: LfsrBank,
  rbuf: Int32Array,
  s: SatSlots,
  next?: FusedForward,
): void {
  const { nIn, n, m, kW, kB, wLo, wHi, bLo, bHi, rbits: rb } = p;
  const rmask = bank.rmask;
  const G = p.groups;
  const lanes = bank.lanes / G;
  if (!Number.isInteger(lanes)) throw new RangeError(`rank1Update: ${G} row groups do not divide ${bank.lanes} lanes`);
  const Sw = s.weight;
  const sh1 = kW - rb;
  for (let j = 0; j < n; j++) {
    const nu = m * v[j];
    const o = j * nIn;
    if (nu === 0) {
      if (next) next.acc[j] = macRow(W, o, nIn, next.h, b[j] * next.bShift);
      continue;
    }
    const first = (j % G) * lanes;
    let lane = 0;
    if (p.intPath) {
      // the row's draws (words 0 … nIn−1), generated lane by lane, then the update
      bank.fillRow(rbuf, nIn, first, lanes);
      lane = first + (nIn % lanes);
      for (let i = 0; i < nIn; i++) {
        const d = ((Math.imul(nu, h[i]) >> sh1) + (rbuf[i] & rmask)) >> rb;
        W[o + i] = sat(W[o + i] + d, wLo, wHi, Sw);
      }
    } else lane = updateRow(W, o, nIn, (i) => nu * h[i], kW, p.wRounding, bank, rbuf, wLo, wHi, Sw, first, lanes);
    // bias word (i = nIn)
    b[j] = sat(b[j] + roundUpdate(nu, kB, bank, lane, p.bRounding), bLo, bHi, s.bias);
    if (next) next.acc[j] = macRow(W, o, nIn, next.h, b[j] * next.bShift);
  }
}
