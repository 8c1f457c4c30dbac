/**
 * § MODULATOR as a ucore program (generator/ucore/program/modulator.ts) against the golden modulate(): every δ
 * word (and the coefficient and ξ scratch words against the golden scratch), the saturation counters, for the
 * four variants E J P F, on random window contents, every slot as the current one.
 */
import { describe, expect, it } from 'vitest';
import { maxRawNum, minRawNum, SatCounter } from '../../generator/fixed/index.js';
import { countersOf, WIDE, wordsOf } from '../../generator/ucore/program/common.js';
import { emitModulator, modulatorScratchWords, type ModulatorAt } from '../../generator/ucore/program/modulator.js';
import { modulate, satSlots } from '../../sim/golden/fixed/index.js';
import type { Variant } from '../../sim/engine.js';
import { DEFAULT_NUMERIC } from '../../generator/numeric.js';
import { cfg, get, put, Rand, runSection, type Cfg } from './mod-helpers.js';

const rnd = new Rand(99);

interface Totals {
  coef: number;
  xi: number;
  delta: number;
  cycles: number;
}

/** One modulator run of hidden layer l of C with current slot c on random data; adds to the saturation totals. */
function check(C: Cfg, l: number, c: number, tot: Totals, scale: number): void {
  const P = C.P;
  const N = P.numeric;
  const p = P.modulator[l];
  const { B, n } = p;
  const one = P.one;
  const wg = wordsOf(N.gram.format);
  const kx = Int32Array.from({ length: B }, (_, q) => (q === c ? one : rnd.edgy(0, one, true)));
  const ky = Int32Array.from({ length: B }, (_, q) => (q === c ? one : rnd.pick([one, P.kyOff])));
  // full matrices: other rows random (must not be read)
  const Kx = Int32Array.from({ length: B * B }, (_, i) => (Math.floor(i / B) === c ? kx[i % B] : rnd.int(0, one)));
  const Ky = Int32Array.from({ length: B * B }, (_, i) => (Math.floor(i / B) === c ? ky[i % B] : rnd.int(0, one)));
  const Rx = Float64Array.from({ length: B }, () => rnd.edgy(one, B * one));
  const Ry = Float64Array.from({ length: B }, () => rnd.edgy(one, B * one));
  const kz = Int32Array.from({ length: B }, (_, q) => (q === c ? one : rnd.edgy(0, one, true)));
  const fz = N.windowZ.format;
  const zw = Int32Array.from({ length: B * n }, () => Math.round(rnd.edgy(minRawNum(fz), maxRawNum(fz), true) * scale));
  const z = Int32Array.from({ length: n }, () => rnd.edgy(minRawNum(N.act.format), maxRawNum(N.act.format), true));
  const a = Int32Array.from({ length: n }, () => rnd.edgy(minRawNum(N.preact.format), maxRawNum(N.preact.format), true));
  const sMax = Math.min(P.tables.rsqrt.eval(P.epsRaw), maxRawNum(N.lnInvStd.format));
  const sInv = rnd.edgy(1, sMax);

  const at: ModulatorAt = { c: 1, Kx: 4, Ky: 0, Rx: 0, Ry: 0, kz: 0, zw: 0, z: 0, a: 0, sInv: 0, delta: 0, scratch: 0 };
  let top = at.Kx;
  const take = (k: number) => ((top += k), top - k);
  take(B * B * wg);
  at.Ky = take(B * B * wg);
  at.Rx = take(B * WIDE);
  at.Ry = take(B * WIDE);
  at.kz = take(B * wg);
  at.zw = take(B * n);
  at.z = take(n * wordsOf(N.act.format));
  at.a = take(n * wordsOf(N.preact.format));
  at.sInv = take(wordsOf(N.lnInvStd.format));
  at.delta = take(n * wordsOf(N.delta.format));
  at.scratch = take(modulatorScratchWords(p, N));
  const mem = take(3);

  const m = runSection(P, mem, (asm) => emitModulator(asm, p, N, at), (m) => {
    put(m, at.c, 1, c);
    for (let i = 0; i < B * B; i++) {
      put(m, at.Kx + i * wg, wg, Kx[i]);
      put(m, at.Ky + i * wg, wg, Ky[i]);
    }
    for (let q = 0; q < B; q++) {
      put(m, at.Rx + q * WIDE, WIDE, Rx[q]);
      put(m, at.Ry + q * WIDE, WIDE, Ry[q]);
      put(m, at.kz + q * wg, wg, kz[q]);
    }
    zw.forEach((v, i) => put(m, at.zw + i, 1, v));
    z.forEach((v, i) => put(m, at.z + i * wordsOf(N.act.format), wordsOf(N.act.format), v));
    a.forEach((v, i) => put(m, at.a + i * wordsOf(N.preact.format), wordsOf(N.preact.format), v));
    put(m, at.sInv, wordsOf(N.lnInvStd.format), sInv);
  });

  const counter = new SatCounter();
  const scratch = { w: new Float64Array(B), coef: new Float64Array(B), xi: new Float64Array(n) };
  const delta = new Float64Array(n);
  modulate(p, { c, kx, ky, Rx, Ry, kz, zw }, { z, a, sInv }, delta, scratch, satSlots(counter));
  const what = `${C.name} layer ${l + 1} c ${c}`;
  const wc = wordsOf(N.coef.format);
  const wx = wordsOf(N.xi.format);
  expect(get(m, at.scratch, B, wc, true), `${what}: coefficients`).toEqual(Array.from(scratch.coef));
  expect(get(m, at.scratch + B * wc, n, wx, true), `${what}: ξ`).toEqual(Array.from(scratch.xi));
  expect(get(m, at.delta, n, wordsOf(N.delta.format), true), `${what}: δ`).toEqual(Array.from(delta));
  const snap = counter.snapshot();
  expect(countersOf(m.sat), `${what}: counters`).toEqual(snap);
  tot.coef += snap.coef.high + snap.coef.low;
  tot.xi += snap.xi.high + snap.xi.low;
  tot.delta += snap.delta.high + snap.delta.low;
  tot.cycles = m.cycles;
}

const VARIANTS: Variant[] = ['E', 'J', 'P', 'F'];

describe('ucore § MODULATOR (variant weights, coefficients, ξ, LayerNorm backward → δ)', () => {
  it('the iCEBreaker config, all four variants, every slot current; cycles', () => {
    for (const variant of VARIANTS) {
      const C = cfg(`iCEBreaker ${variant}`, [784, 32, 10], 4, { lanes: 2 }, {}, { variant });
      const tot: Totals = { coef: 0, xi: 0, delta: 0, cycles: 0 };
      for (let t = 0; t < 12; t++) check(C, 0, t % 4, tot, t % 3 === 0 ? 1 : 1 / 64);
      console.log(`[ucore modulator] ${C.name}: ${tot.cycles} cycles (layer 1, n = 32, B = 4); saturations coef ${tot.coef}, xi ${tot.xi}, delta ${tot.delta}`);
      expect(tot.xi + tot.delta).toBeGreaterThan(0);
    }
  });

  it('24-16-8-5 window 6, both hidden layers, all four variants, γ = 2 and γ = 0.3', () => {
    for (const variant of VARIANTS)
      for (const gamma of [2, 0.3]) {
        const C = cfg(`24-16-8-5 B6 ${variant} γ ${gamma}`, [24, 16, 8, 5], 6, { lanes: 5 }, {}, { variant, gamma });
        const tot: Totals = { coef: 0, xi: 0, delta: 0, cycles: 0 };
        for (let t = 0; t < 12; t++) check(C, t % 2, t % 6, tot, t % 3 === 0 ? 1 : 1 / 64);
        expect(tot.xi + tot.delta).toBeGreaterThan(0);
      }
  });

  it('a window that is not a power of two and a layer width that is not either (constants by mul, 1/n by mulShift)', () => {
    const C = cfg('20-12-7-3 B5', [20, 12, 7, 3], 5, { lanes: 3 }, {}, { variant: 'E' });
    const tot: Totals = { coef: 0, xi: 0, delta: 0, cycles: 0 };
    for (let t = 0; t < 10; t++) check(C, t % 2, t % 5, tot, t % 3 === 0 ? 1 : 1 / 64);
  });

  it('two-word coefficients, ξ and δ (coef Q-6.36: two vdots per ξ word, the low one unsigned)', () => {
    const D = DEFAULT_NUMERIC;
    for (const variant of VARIANTS) {
      const C = cfg(`wide ${variant}`, [24, 16, 8, 5], 6, { lanes: 5 }, { coef: { ...D.coef, format: 'Q-6.36' }, xi: { ...D.xi, format: 'Q-4.24' }, delta: { ...D.delta, format: 'Q-4.24' }, acc: { ...D.acc, xi: 53 } }, { variant });
      expect([wordsOf(C.P.numeric.coef.format), wordsOf(C.P.numeric.xi.format), wordsOf(C.P.numeric.delta.format)]).toEqual([2, 2, 2]);
      const tot: Totals = { coef: 0, xi: 0, delta: 0, cycles: 0 };
      for (let t = 0; t < 12; t++) check(C, t % 2, t % 6, tot, t % 3 === 0 ? 1 : 1 / 64);
    }
  });
});
