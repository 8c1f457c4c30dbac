/**
 * The LayerNorm-forward specification as the fixed-point engine computes it (the preact resize of
 * hiddenForward, layerNorm, and the windowZ resize of sim/golden/fixed/engine.ts), over explicit inputs.
 */
import { fast, fromReal, maxRawNum, minRawNum, SatCounter } from '../../generator/fixed/index.js';
import type { ChipConfig } from '../../generator/config.js';
import { chipTables, resolveNumeric } from '../../generator/numeric.js';
import { ConstScale, rshiftNearest } from '../../sim/golden/fixed/scale.js';

export interface LayerNormOutputs {
  a: number[];
  z: number[];
  zw: number[];
  sInv: number;
  sat: { preact: number; var: number; invStd: number; act: number; windowZ: number };
}

export function layernormRef(cfg: ChipConfig, layer: number, acc: number[]): LayerNormOutputs {
  const N = resolveNumeric(cfg.numeric);
  const n = cfg.layers[layer + 1];
  const fb = (q: { format: { fracBits: number } }) => q.format.fracBits;
  const fIn = layer === 0 ? fb(N.input) : fb(N.act);
  const dShift = fb(N.weight) + fIn - fb(N.preact);
  const cnt = new SatCounter();
  const S = { preact: cnt.slot('preact'), lnVar: cnt.slot('lnVar'), lnInvStd: cnt.slot('lnInvStd'), act: cnt.slot('act'), windowZ: cnt.slot('windowZ') };
  const clamp = (y: number, lo: number, hi: number, s: { high: number; low: number }) => (y > hi ? (s.high++, hi) : y < lo ? (s.low++, lo) : y);
  const a = acc.map((x) => {
    const y = N.preact.rounding === 'nearest' && dShift > 0 ? rshiftNearest(x, dShift) : fast.shiftRight(x, Math.max(dShift, 0), N.preact.rounding) * 2 ** Math.max(-dShift, 0);
    return clamp(y, minRawNum(N.preact.format), maxRawNum(N.preact.format), S.preact);
  });
  let S1 = 0;
  let S2 = 0;
  for (const aj of a) {
    const r = aj > 0 ? aj : 0;
    S1 += r;
    S2 += r * r;
  }
  const V = n * S2 - S1 * S1;
  const eps = fromReal(cfg.lnEps, N.lnVar.format, 'nearest', 'saturate');
  let v = new ConstScale(1 / (n * n), N.constBits).apply(V, 2 * fb(N.preact) - fb(N.lnVar)) + eps;
  if (v > maxRawNum(N.lnVar.format)) {
    v = maxRawNum(N.lnVar.format);
    S.lnVar.high++;
  }
  const sInv = chipTables(N, cfg.layers[cfg.layers.length - 1]).rsqrt.eval(v, S.lnInvStd);
  const inv = new ConstScale(1 / n, N.constBits);
  const k = fb(N.preact) + fb(N.lnInvStd) - fb(N.act);
  const z = a.map((aj) => {
    const r = aj > 0 ? aj : 0;
    return clamp(inv.apply((n * r - S1) * sInv, k), minRawNum(N.act.format), maxRawNum(N.act.format), S.act);
  });
  const toW = fast.resizer(N.act.format, N.windowZ.format, N.windowZ.rounding, N.windowZ.overflow);
  const zw = z.map((zj) => toW(zj, undefined, S.windowZ));
  const tot = (s: { high: number; low: number }) => s.high + s.low;
  return { a, z, zw, sInv, sat: { preact: tot(S.preact), var: tot(S.lnVar), invStd: tot(S.lnInvStd), act: tot(S.act), windowZ: tot(S.windowZ) } };
}
