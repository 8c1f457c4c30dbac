/**
 * § UPDATE as a ucore program (generator/ucore/program/update.ts) against the golden rank1Update: every weight
 * and bias word, the saturation counters and the LFSR states after the pass, on random inputs that saturate,
 * with δ zeros (skipped rows), row groups G = 1 and G > 1, stochastic and deterministic roundings.
 */
import { describe, expect, it } from 'vitest';
import { maxRawNum, minRawNum } from '../../generator/fixed/index.js';
import { countersOf, wordsOf } from '../../generator/ucore/program/common.js';
import { emitUpdate } from '../../generator/ucore/program/update.js';
import { laneSeed, LfsrBank, rank1Update, satSlots } from '../../sim/golden/fixed/index.js';
import { SatCounter } from '../../generator/fixed/index.js';
import { DEFAULT_NUMERIC } from '../../generator/numeric.js';
import { cfg, ICE, put, Rand, runSection, SMALL, type Cfg } from './mod-helpers.js';

const rnd = new Rand(2026);

/** One update of hidden layer l of config C on random data (δ_j = 0 for j ≡ 1 mod zeroEvery; 0: none); returns the cycles. */
function check(C: Cfg, l: number, zeroEvery: number): number {
  const P = C.P;
  const N = P.numeric;
  const up = P.update[l];
  const { nIn, n } = up;
  const lanes = N.lfsr.lanes;
  const hF = l === 0 ? N.input.format : N.act.format;
  const W = Int32Array.from({ length: n * nIn }, () => rnd.edgy(up.wLo, up.wHi));
  // biases at the bounds in every other row (the bias clamp reached), elsewhere random
  const b = Int32Array.from({ length: n }, (_, j) => (j % 4 === 0 ? up.bHi : j % 4 === 2 ? up.bLo : rnd.edgy(up.bLo, up.bHi)));
  const h = Int32Array.from({ length: nIn }, () => rnd.edgy(minRawNum(hF), maxRawNum(hF), true));
  const dLo = minRawNum(N.delta.format);
  const dHi = maxRawNum(N.delta.format);
  // δ = 0 in the skipped rows; at the rows with a bias at a bound, a δ that pushes it outward (ν = −mul·δ)
  const delta = Float64Array.from({ length: n }, (_, j) =>
    zeroEvery > 0 && j % zeroEvery === 1 ? 0 : j % 4 === 0 ? rnd.int(dLo, Math.ceil(dLo / 2)) : j % 4 === 2 ? rnd.int(Math.floor(dHi / 2), dHi) : rnd.edgy(dLo, dHi),
  );
  const [W0, b0] = [W.slice(), b.slice()];
  const seeds = Array.from({ length: lanes }, (_, q) => laneSeed(N.lfsr.seed, 42 + l, l, q, N.lfsr.width));
  const dW = wordsOf(N.delta.format);
  const at = { params: 3, h: 3 + n * (nIn + 1) + 5, delta: 0, deltaWords: dW, laneBase: l * lanes, lanes };
  at.delta = at.h + nIn + 2;
  const mem = at.delta + n * dW + 3;

  const m = runSection(P, mem, (a) => emitUpdate(a, up, at), (m) => {
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < nIn; i++) m.mem[at.params + j * (nIn + 1) + i] = W[j * nIn + i] & 0xffff;
      m.mem[at.params + j * (nIn + 1) + nIn] = b[j] & 0xffff;
      put(m, at.delta + j * dW, dW, delta[j]);
    }
    for (let i = 0; i < nIn; i++) m.mem[at.h + i] = h[i] & 0xffff;
    for (let q = 0; q < lanes; q++) m.lfsr[at.laneBase + q] = seeds[q];
  });

  const bank = new LfsrBank(N.lfsr.width, N.lfsr.rbits, N.lfsr.leap, lanes, seeds);
  const counter = new SatCounter();
  rank1Update(up, W, b, delta, h, bank, new Int32Array(nIn + 4), satSlots(counter));
  const want = new Uint16Array(mem);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < nIn; i++) want[at.params + j * (nIn + 1) + i] = W[j * nIn + i] & 0xffff;
    want[at.params + j * (nIn + 1) + nIn] = b[j] & 0xffff;
    let v = BigInt.asUintN(16 * dW, BigInt(delta[j]));
    for (let k = 0; k < dW; k++, v >>= 16n) want[at.delta + j * dW + k] = Number(v & 0xffffn);
  }
  for (let i = 0; i < nIn; i++) want[at.h + i] = h[i] & 0xffff;
  // every word of memory (the rest stays 0)
  expect(Array.from(m.mem), `${C.name} layer ${l}: memory`).toEqual(Array.from(want));
  expect(Array.from(m.lfsr.subarray(at.laneBase, at.laneBase + lanes)), `${C.name} layer ${l}: LFSR states`).toEqual(Array.from(bank.states, (s) => s >>> 0));
  const snap = counter.snapshot();
  expect(countersOf(m.sat), `${C.name} layer ${l}: counters`).toEqual(snap);
  // the data reached saturation, and the skipped rows kept their words
  expect(snap.weight.high + snap.weight.low).toBeGreaterThan(0);
  expect(snap.bias.high + snap.bias.low, `${C.name} layer ${l}: no bias saturation`).toBeGreaterThan(0);
  for (let j = 0; j < n; j++) if (delta[j] === 0) for (let i = 0; i <= nIn; i++) expect(m.mem[at.params + j * (nIn + 1) + i]).toBe(i < nIn ? W0[j * nIn + i] & 0xffff : b0[j] & 0xffff);
  return m.cycles;
}

describe('ucore § UPDATE (rank-1 update program)', () => {
  it('the iCEBreaker config: words, counters, LFSR states as the golden model; cycles', () => {
    const C = ICE();
    expect(C.P.update[0].groups).toBe(1);
    const cycles = check(C, 0, 5);
    console.log(`[ucore update] ${C.name}: ${cycles} cycles for layer 1 (${C.P.update[0].n} rows × ${C.P.update[0].nIn + 1} words, a fifth of the rows δ = 0)`);
    // every row updated: the cycles of the full pass
    const full = check(C, 0, 0);
    console.log(`[ucore update] ${C.name}: ${full} cycles with no row skipped`);
  });

  it('small config, both hidden layers, G = 1', () => {
    const C = SMALL();
    for (let t = 0; t < 6; t++) check(C, t % 2, 3);
  });

  it('row groups G > 1 (lanes 6, G = 3 and G = 2) and a learning rate with mul = 3', () => {
    for (const G of [3, 2]) {
      const C = cfg(`24-16-8-5 lanes 6 G ${G}`, [24, 16, 8, 5], 6, { lanes: 6, rowGroups: G }, {}, { lr: 0.75 });
      expect(C.P.update[0].groups).toBe(G);
      expect(C.P.update[0].m).toBe(-3);
      for (let t = 0; t < 4; t++) check(C, t % 2, 4);
    }
  });

  it('deterministic roundings (weight nearest, bias floor) and a stochastic weight with a nearest-even bias', () => {
    const D = DEFAULT_NUMERIC;
    const C1 = cfg('deterministic', [24, 16, 8, 5], 6, { lanes: 4, rowGroups: 2 }, { weight: { ...D.weight, rounding: 'nearest' }, bias: { ...D.bias, rounding: 'floor' } });
    const C2 = cfg('stochastic w, nearest-even b', [24, 16, 8, 5], 6, { lanes: 3 }, { bias: { ...D.bias, rounding: 'nearest-even' } });
    for (const C of [C1, C2]) for (let t = 0; t < 4; t++) check(C, t % 2, 3);
  });

  it('kB ≤ 0 (the bias update an exact left shift: δ Q2.14, bias Q-4.20, lr 1) and a two-word δ (Q-4.24)', () => {
    const D = DEFAULT_NUMERIC;
    const C1 = cfg('kB = −6', [24, 16, 8, 5], 6, { lanes: 5 }, { delta: { ...D.delta, format: 'Q2.14' }, bias: { ...D.bias, format: 'Q-4.20' } }, { lr: 1 });
    expect(C1.P.update[0].kB).toBe(-6);
    const C2 = cfg('δ Q-4.24', [24, 16, 8, 5], 6, { lanes: 4, rowGroups: 2 }, { coef: { ...D.coef, format: 'Q-6.36' }, xi: { ...D.xi, format: 'Q-4.24' }, delta: { ...D.delta, format: 'Q-4.24' }, acc: { ...D.acc, xi: 53 } });
    expect(wordsOf(C2.P.numeric.delta.format)).toBe(2);
    for (const C of [C1, C2]) for (let t = 0; t < 4; t++) check(C, t % 2, 3);
  });
});
