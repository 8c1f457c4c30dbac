/**
 * Reference of one Hebbian-update pass, written from the fixed engine's rank1Update (sim/golden/fixed/engine.ts)
 * and its forward MAC, for the co-simulation until the spec's own updatePass is split out of the engine.
 */
import { fast, maxRawNum, minRawNum, type FixedFormat, type SatCounter } from '../../generator/fixed/index.js';
import type { ResolvedNumeric } from '../../generator/numeric.js';
import type { LfsrBank } from '../../sim/golden/fixed/index.js';

export interface UpdateLayer {
  nIn: number;
  nOut: number;
  W: Int32Array;
  b: Int32Array;
  bank: LfsrBank;
  inFormat: FixedFormat;
  numeric: ResolvedNumeric;
}

function roundUpdate(x: number, k: number, bank: LfsrBank, lane: number, rounding: string): number {
  if (k <= 0) return x * 2 ** -k;
  if (rounding !== 'stochastic') return fast.shiftRight(x, k, rounding as 'floor');
  const r = bank.draw(lane);
  const rb = bank.rbits;
  if (k >= rb) return Math.floor((Math.floor(x * 2 ** -(k - rb)) + r) * 2 ** -rb);
  return Math.floor((x + Math.floor(r * 2 ** -(rb - k))) * 2 ** -k);
}

export function updatePass(
  y: UpdateLayer,
  inp: { delta: Int32Array | null; h: Int32Array; hNext: Int32Array | null },
  sat: SatCounter,
): { acc: number[] | null } {
  const N = y.numeric;
  const { nIn, nOut, W, b, bank } = y;
  const fIn = y.inFormat.fracBits;
  const fw = N.weight.format.fracBits;
  const fb = N.bias.format.fracBits;
  const fd = N.delta.format.fracBits;
  if (inp.delta) {
    const kW = fd + fIn + N.lr.hiddenShift - fw;
    const kB = fd + N.lr.hiddenShift - fb;
    const Sw = sat.slot('weight');
    const Sb = sat.slot('bias');
    const wLo = minRawNum(N.weight.format);
    const wHi = maxRawNum(N.weight.format);
    const bLo = minRawNum(N.bias.format);
    const bHi = maxRawNum(N.bias.format);
    for (let j = 0; j < nOut; j++) {
      const nu = -N.lr.hiddenMul * inp.delta[j];
      if (nu === 0) continue;
      let lane = 0;
      for (let i = 0; i < nIn; i++) {
        const d = roundUpdate(nu * inp.h[i], kW, bank, lane, N.weight.rounding);
        if (++lane === bank.lanes) lane = 0;
        let w = W[j * nIn + i] + d;
        if (w > wHi) {
          w = wHi;
          Sw.high++;
        } else if (w < wLo) {
          w = wLo;
          Sw.low++;
        }
        W[j * nIn + i] = w;
      }
      let bv = b[j] + roundUpdate(nu, kB, bank, lane, N.bias.rounding);
      if (bv > bHi) {
        bv = bHi;
        Sb.high++;
      } else if (bv < bLo) {
        bv = bLo;
        Sb.low++;
      }
      b[j] = bv;
    }
  }
  if (!inp.hNext) return { acc: null };
  const bShift = 2 ** (fw + fIn - fb);
  const acc: number[] = [];
  for (let j = 0; j < nOut; j++) {
    let a = b[j] * bShift;
    for (let i = 0; i < nIn; i++) a += W[j * nIn + i] * inp.hNext[i];
    acc.push(a);
  }
  return { acc };
}
