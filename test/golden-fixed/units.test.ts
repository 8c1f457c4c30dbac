/**
 * The unit spec functions called directly with random data, as a co-simulation test calls them: no engine,
 * plain typed arrays and the parameter objects of params.ts.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_NUMERIC } from '../../generator/numeric.js';
import { Rng } from '../../sim/rng.js';
import {
  chipParams,
  createWindowMemory,
  forwardMac,
  gramMatrix,
  gramRow,
  kernelRow,
  laneSeed,
  LfsrBank,
  macRow,
  preactWord,
  rank1Update,
  satSlots,
  wmClear,
  wmRowSumsExact,
  wmUpdateRows,
  wmWriteSlot,
  CHIP_TRAIN,
} from '../../sim/golden/fixed/index.js';

const rng = new Rng(7);
const randInt = (lo: number, hi: number) => lo + rng.int(hi - lo + 1);
const randArray = (n: number, lo: number, hi: number) => Int32Array.from({ length: n }, () => randInt(lo, hi));

function bank(lanes: number, layer: number): LfsrBank {
  const L = DEFAULT_NUMERIC.lfsr;
  return new LfsrBank(L.width, L.rbits, L.leap, lanes, Array.from({ length: lanes }, (_, q) => laneSeed(L.seed, 42, layer, q, L.width)));
}

describe('unit spec functions on random data', () => {
  const P = chipParams({ ...CHIP_TRAIN, layers: [24, 16, 8, 5], window: 6 }, { ...DEFAULT_NUMERIC, lfsr: { ...DEFAULT_NUMERIC.lfsr, lanes: 5 } });

  it('update: the fused pass returns the forward MAC of the next input through the updated weights, and updates exactly as the plain pass', () => {
    for (let trial = 0; trial < 20; trial++) {
      const l = trial % 2;
      const up = P.update[l];
      const fw = P.forward[l];
      const { nIn, n } = up;
      const W = randArray(nIn * n, -4000, 4000);
      const b = randArray(n, -4000, 4000);
      const delta = Float64Array.from({ length: n }, () => (rng.int(3) === 0 ? 0 : randInt(-(2 ** 18), 2 ** 18)));
      const h = randArray(nIn, -(2 ** 9), 2 ** 9);
      const hNext = randArray(nIn, -(2 ** 9), 2 ** 9);
      const [W1, b1, W2, b2] = [W.slice(), b.slice(), W.slice(), b.slice()];
      const [k1, k2] = [bank(5, l), bank(5, l)];
      const rbuf = new Int32Array(nIn + 4);
      rank1Update(up, W1, b1, delta, h, k1, rbuf, satSlots());
      const acc = new Float64Array(n);
      rank1Update(up, W2, b2, delta, h, k2, rbuf, satSlots(), { h: hNext, bShift: fw.bShift, acc });
      expect(W2).toEqual(W1);
      expect(b2).toEqual(b1);
      expect(k2.states).toEqual(k1.states);
      // the forward unit's MAC of hNext through the updated weights gives the same preactivations
      const a = new Int32Array(n);
      const s = satSlots();
      forwardMac(fw, W1, b1, hNext, a, s);
      for (let j = 0; j < n; j++) {
        expect(acc[j]).toBe(macRow(W1, j * nIn, nIn, hNext, b1[j] * fw.bShift));
        expect(preactWord(fw, acc[j], s.preact)).toBe(a[j]);
      }
      // rows with δ = 0 are not written
      for (let j = 0; j < n; j++) if (delta[j] === 0) expect(W1.subarray(j * nIn, j * nIn + nIn)).toEqual(W.subarray(j * nIn, j * nIn + nIn));
    }
  });

  it('gram: exact squared distances, the full matrix symmetric with rows equal to gramRow', () => {
    const dim = 37;
    const count = 6;
    const v = randArray(count * dim, 0, 255);
    const D = gramMatrix(v, dim, count);
    const row = new Float64Array(count);
    for (let c = 0; c < count; c++) {
      gramRow(v, dim, c, count, row);
      for (let q = 0; q < count; q++) {
        let d = 0;
        for (let i = 0; i < dim; i++) d += (v[c * dim + i] - v[q * dim + i]) ** 2;
        expect(row[q]).toBe(d);
        expect(D[c * count + q]).toBe(d);
        expect(D[q * count + c]).toBe(d);
      }
    }
  });

  it('kernel: k(c, c) = 1.0, words in [0, 1.0], non-increasing in the distance', () => {
    const d = Float64Array.from({ length: 6 }, (_, q) => q * 3000);
    const k = new Int32Array(6);
    kernelRow(P.kxPixels, d, 2, 6, k, satSlots());
    expect(k[2]).toBe(P.one);
    for (let q = 0; q < 6; q++) expect(k[q]).toBeGreaterThanOrEqual(0);
    for (let q = 1; q < 6; q++) if (q !== 2 && q - 1 !== 2) expect(k[q]).toBeLessThanOrEqual(k[q - 1]);
  });

  it('working memory: row sums stay exact through random writes, wrap-around and an epoch clear', () => {
    const B = 5;
    const wm = createWindowMemory(B, 3, [4]);
    for (let t = 0; t < 40; t++) {
      if (t === 23) {
        wmClear(wm);
        expect([wm.count, wm.head, wm.Rx.some((x) => x !== 0), wm.Kx.some((x) => x !== 0)]).toEqual([0, 0, false, false]);
      }
      const c = wmWriteSlot(wm, randArray(3, 0, 255), randInt(0, 3), t);
      expect(c).toBe(t < 23 ? t % B : (t - 23) % B);
      wmUpdateRows(wm, c, randArray(B, 0, P.one), randArray(B, 0, P.one), P.one);
      expect(wmRowSumsExact(wm, P.one)).toBe(true);
    }
  });
});
