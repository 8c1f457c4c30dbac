/**
 * The rank-1 update against generator/fixed's own definition of stochastic rounding: the engine's W after a
 * step must equal sat(W + SR(−lr·δ_j·h_i)) computed word by word with the library's `fast.shiftRight` and
 * library `Lfsr` instances started from the engine's lane states (lane i mod lanes per row, rows with δ_j = 0
 * skipped). Covers the engine's int32 path (k ≥ rbits), its float path, the k < rbits path and nearest.
 */
import { describe, expect, it } from 'vitest';
import { fast, Lfsr, type Rounding } from '../../generator/fixed/index.js';
import { DEFAULT_NUMERIC, resolveNumeric, withNumeric, type NumericConfig } from '../../generator/numeric.js';
import { createFixedEngine } from '../../sim/golden/fixed/index.js';
import { CHIP_MNIST, randomPixelSplit } from './helpers.js';

const q = (format: string, rounding: Rounding = 'nearest') => ({ format, rounding, overflow: 'saturate' as const });

const cases: [string, Partial<NumericConfig>][] = [
  ['default (int32 path)', {}],
  ['δ Q-4.24 (float path, k ≥ rbits)', { xi: q('Q-4.24'), delta: q('Q-4.24') }],
  ['δ Q-4.16 (k < rbits)', { xi: q('Q-4.16'), delta: q('Q-4.16') }],
  ['8 random bits, 5 lanes', { lfsr: { ...DEFAULT_NUMERIC.lfsr, rbits: 8, leap: 8, lanes: 5 } }],
  ['round to nearest', { weight: q('Q4.12'), bias: q('Q4.12') }],
];

describe('rank-1 update = library stochastic rounding, word by word', () => {
  for (const [name, patch] of cases) {
    it(name, () => {
      const numeric = withNumeric(DEFAULT_NUMERIC, patch);
      const N = resolveNumeric(numeric);
      const cfg = { ...CHIP_MNIST, layers: [64, 32, 16, 4] };
      const e = createFixedEngine(cfg, numeric);
      const split = randomPixelSplit(40, 64, 4, 9);
      e.beginEpoch();
      for (let k = 0; k < 20; k++) e.trainSample(split, k);
      const before = e.exportState();
      e.trace = true;
      e.trainSample(split, 20);
      const tr = e.lastTrace!;
      let words = 0;
      for (let l = 0; l < 2; l++) {
        const T = tr.layers[l];
        const nIn = cfg.layers[l];
        const n = cfg.layers[l + 1];
        const lanes = N.lfsr.lanes;
        const st = before.arrays[`lfsr${l}`] as Int32Array;
        const lfsr = Array.from(st, (s) => new Lfsr({ width: N.lfsr.width, rbits: N.lfsr.rbits, leap: N.lfsr.leap, seed: s >>> 0 }));
        const fIn = l === 0 ? N.input.format.fracBits : N.act.format.fracBits;
        const fD = N.delta.format.fracBits;
        const kW = fD + fIn + N.lr.hiddenShift - N.weight.format.fracBits;
        const kB = fD + N.lr.hiddenShift - N.bias.format.fracBits;
        const rnd = N.weight.rounding;
        for (let j = 0; j < n; j++) {
          const dRaw = Math.round(T.delta[j] * 2 ** fD);
          for (let i = 0; i <= nIn; i++) {
            const isBias = i === nIn;
            const before = isBias ? T.bBefore[j] : T.Wbefore[j * nIn + i];
            const after = isBias ? T.bAfter[j] : T.Wafter[j * nIn + i];
            if (dRaw === 0) {
              expect(after).toBe(before);
              continue;
            }
            const hRaw = isBias ? 1 : Math.round(T.h[i] * 2 ** fIn);
            const x = -N.lr.hiddenMul * dRaw * hRaw;
            const d = fast.shiftRightChecked(x, isBias ? kB : kW, rnd, rnd === 'stochastic' ? lfsr[i % lanes] : undefined);
            expect(after).toBe(fast.saturate(before + d, N.weight.format));
            words++;
          }
        }
        // after the step every lane is where the library LFSR is
        if (rnd === 'stochastic') for (let k = 0; k < lanes; k++) expect((e.exportState().arrays[`lfsr${l}`] as Int32Array)[k] >>> 0).toBe(lfsr[k].state);
      }
      expect(words).toBeGreaterThan(500);
    });
  }
});
