/**
 * NumericConfig validation, accumulator widths (proved at construction from the formats), and saturation
 * counting.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_NUMERIC, lrShifts, resolveNumeric, validateNumeric, withNumeric, type NumericConfig } from '../../generator/numeric.js';
import { createFixedEngine } from '../../sim/golden/fixed/index.js';
import { CHIP_MNIST, randomPixelSplit } from './helpers.js';

const patch = (p: Partial<NumericConfig>) => withNumeric(DEFAULT_NUMERIC, p);

describe('NumericConfig', () => {
  it('the default validates and prints both notations', () => {
    expect(() => validateNumeric(DEFAULT_NUMERIC)).not.toThrow();
    const e = createFixedEngine(CHIP_MNIST, DEFAULT_NUMERIC);
    const r = e.report();
    expect(r.formats.weight).toBe('Q4.12 = fixed<16,4>');
    expect(r.formats.xi).toBe('Q-4.20 = fixed<16,-4>');
    expect(r.text).toContain('UQ1.16 = ufixed<17,1>');
  });

  it.each([
    [{ xi: { format: 'UQ0.16', rounding: 'nearest', overflow: 'saturate' } }, /numeric\.xi\.format: .*signed/],
    [{ gram: { format: 'UQ0.16', rounding: 'nearest', overflow: 'saturate' } }, /numeric\.gram\.format: .*1\.0/],
    [{ weight: { format: 'fixed<16,4>', rounding: 'sideways', overflow: 'saturate' } }, /numeric\.weight\.rounding/],
    [{ act: { format: 'Q6.10', rounding: 'stochastic', overflow: 'saturate' } }, /numeric\.act\.rounding: stochastic/],
    [{ logit: { format: 'Q40.10', rounding: 'nearest', overflow: 'saturate' } }, /numeric\.logit\.format: .*32 bits/],
    [{ delta: { format: 'Q1.x', rounding: 'nearest', overflow: 'saturate' } }, /numeric\.delta\.format: parseFormat/],
    [{ lfsr: { width: 33, rbits: 16, leap: 16, lanes: 64, seed: 1 } }, /numeric\.lfsr\.width/],
    [{ lr: { hiddenShift: -1, hiddenMul: 1, outShift: 7, outMul: 1 } }, /numeric\.lr\.hiddenShift/],
    [{ tables: { ...DEFAULT_NUMERIC.tables, rsqrt: { tableBits: 1, interpolate: true, interpBits: 8, guardBits: 4 } } }, /numeric\.tables\.rsqrt\.tableBits/],
    [{ acc: { ...DEFAULT_NUMERIC.acc, xi: 60 } }, /numeric\.acc\.xi/],
    [{ act: { format: 'Q6.10', rounding: 'nearest', overflow: 'wrap' } }, /numeric\.act\.overflow: .*saturates/],
    [{ xi: { format: 'Q-4.20', rounding: 'floor', overflow: 'saturate' } }, /numeric\.xi\.rounding: floor is not specified/],
  ] as [Partial<NumericConfig>, RegExp][])('rejects %j with a message naming the field', (p, re) => {
    expect(() => validateNumeric(patch(p))).toThrow(re);
  });

  it('lrShifts is exact (mul·2^−shift) and refuses a rate without that form, naming it and its neighbours', () => {
    expect(lrShifts(0.5, 2 ** -7)).toEqual({ hiddenShift: 1, hiddenMul: 1, outShift: 7, outMul: 1 });
    expect(lrShifts(0.75, 3 * 2 ** -10)).toEqual({ hiddenShift: 2, hiddenMul: 3, outShift: 10, outMul: 3 });
    expect(() => lrShifts(0.5, 0.01)).toThrow(/lrOut 0\.01 is not a rate the chip can apply: .*nearest below: 0\.00994873046875 = 163·2\^−14, above: 0\.010009765625 = 41·2\^−12/);
    expect(lrShifts(0, 0.5)).toEqual({ hiddenShift: 0, hiddenMul: 0, outShift: 1, outMul: 1 });
    expect(() => lrShifts(-0.5, 0.5)).toThrow(/lr -0\.5 must be a finite number ≥ 0/);
  });

  it('the engine trains at TrainConfig.lr / lrOut (not at numeric.lr) and refuses a rate it cannot apply', () => {
    const e = createFixedEngine({ ...CHIP_MNIST, lr: 0.25, lrOut: 3 * 2 ** -9 }, DEFAULT_NUMERIC);
    expect(e.numeric.lr).toEqual({ hiddenShift: 2, hiddenMul: 1, outShift: 9, outMul: 3 });
    expect(e.report().lr).toEqual({ hidden: 0.25, out: 3 * 2 ** -9 });
    expect(() => createFixedEngine({ ...CHIP_MNIST, lr: 0.3 }, DEFAULT_NUMERIC)).toThrow(/fixed engine: lr 0\.3 is not a rate the chip can apply.*153·2\^−9/);
  });

  it('LayerNorm ε: the rounded value is in the report; an ε that rounds to 0 is refused, naming ε, its format and the smallest ε', () => {
    const e = createFixedEngine({ ...CHIP_MNIST, lnEps: 1e-2 }, DEFAULT_NUMERIC);
    expect(e.report().constants.lnEps).toEqual({ value: 1e-2, mantissa: 655, shift: 16, effective: 655 / 65536 });
    expect(() => createFixedEngine({ ...CHIP_MNIST, lnEps: 1e-6 }, DEFAULT_NUMERIC)).toThrow(
      /fixed engine: lnEps 0\.000001 rounds to 0 in the lnVar format UQ16\.16 = ufixed<32,16>; the smallest representable ε is 2\^−16 = 0\.0000152587890625/,
    );
    expect(() => createFixedEngine({ ...CHIP_MNIST, lnEps: 0 }, DEFAULT_NUMERIC)).toThrow(/lnEps 0 rounds to 0/);
  });

  it('engine-level checks name the quantity: rowSum too narrow, bias finer than the product, pixels need 8 fraction bits', () => {
    expect(() => createFixedEngine(CHIP_MNIST, patch({ rowSum: { format: 'UQ2.16', rounding: 'nearest', overflow: 'saturate' } }))).toThrow(/numeric\.rowSum\.format/);
    expect(() => createFixedEngine(CHIP_MNIST, patch({ bias: { format: 'Q2.30', rounding: 'stochastic', overflow: 'saturate' } }))).toThrow(/numeric\.bias\.format/);
    const e = createFixedEngine({ ...CHIP_MNIST, layers: [16, 8, 4, 3] }, patch({ input: { format: 'Q4.4', rounding: 'nearest', overflow: 'saturate' } }));
    expect(() => e.trainSample(randomPixelSplit(4, 16, 3, 1), 0)).toThrow(/numeric\.input\.format/);
  });
});

describe('accumulators never wrap', () => {
  it('for the default config every exact accumulator format fits its configured width', () => {
    const r = createFixedEngine(CHIP_MNIST, DEFAULT_NUMERIC).report();
    expect(r.accumulators.length).toBeGreaterThan(8);
    for (const a of r.accumulators) expect(a.needBits).toBeLessThanOrEqual(a.haveBits);
    // the widest: forward of layer 2 = Q6.10 × Q4.12 over 129 terms = 32 + 8 bits
    const f2 = r.accumulators.find((a) => a.name.startsWith('forward layer 2'))!;
    expect(f2.needBits).toBe(40);
  });

  it('a config whose accumulator is too narrow is rejected at construction, naming the quantity', () => {
    expect(() => createFixedEngine(CHIP_MNIST, patch({ acc: { ...DEFAULT_NUMERIC.acc, forward: 36 } }))).toThrow(
      /numeric\.acc\.forward: the forward layer 2 .* accumulator needs 40 bits .* 36 bits wide/,
    );
    expect(() => createFixedEngine(CHIP_MNIST, patch({ acc: { ...DEFAULT_NUMERIC.acc, xi: 40 } }))).toThrow(/numeric\.acc\.xi: the xi layer 1/);
    expect(() => createFixedEngine(CHIP_MNIST, patch({ acc: { ...DEFAULT_NUMERIC.acc, gram: 30 } }))).toThrow(/numeric\.acc\.gram: the K_Z distance/);
    expect(() => createFixedEngine(CHIP_MNIST, patch({ acc: { ...DEFAULT_NUMERIC.acc, grad: 20 } }))).toThrow(/numeric\.acc\.grad: the output gradient/);
    expect(() => createFixedEngine(CHIP_MNIST, patch({ acc: { ...DEFAULT_NUMERIC.acc, ln: 40 } }))).toThrow(/numeric\.acc\.ln: the LayerNorm/);
  });

  it('the forward accumulator value observed in a run stays inside the proved format', () => {
    // Independent check of the proof: the largest |Σ W h + b| a worst-case input can give is below 2^(need−1).
    const e = createFixedEngine(CHIP_MNIST, DEFAULT_NUMERIC);
    const [l1] = e.rawWeights().layers;
    let worst = 0;
    for (let j = 0; j < l1.nOut; j++) {
      let s = Math.abs(l1.b[j]) * 2 ** 8;
      for (let i = 0; i < l1.nIn; i++) s += Math.abs(l1.W[j * l1.nIn + i]) * 255;
      worst = Math.max(worst, s);
    }
    const need = e.report().accumulators.find((a) => a.name.startsWith('forward layer 1'))!.needBits;
    expect(worst).toBeLessThan(2 ** (need - 1));
  });
});

describe('saturation counters', () => {
  it('count nothing in the default setting on image data, and count a too-narrow activation format', () => {
    const split = randomPixelSplit(120, 64, 4, 3);
    const cfg = { ...CHIP_MNIST, layers: [64, 32, 16, 4] };
    const ok = createFixedEngine(cfg, DEFAULT_NUMERIC);
    ok.beginEpoch();
    for (let k = 0; k < 120; k++) ok.trainSample(split, k);
    expect(ok.sat.count('act')).toBe(0);
    expect(ok.sat.count('weight')).toBe(0);
    const narrow = createFixedEngine(cfg, patch({ act: { format: 'Q2.8', rounding: 'nearest', overflow: 'saturate' }, windowZ: { format: 'Q2.8', rounding: 'nearest', overflow: 'saturate' } }));
    narrow.beginEpoch();
    for (let k = 0; k < 120; k++) narrow.trainSample(split, k);
    expect(narrow.sat.count('act')).toBeGreaterThan(0);
    expect(narrow.report().saturations.act.high + narrow.report().saturations.act.low).toBe(narrow.sat.count('act'));
    expect(narrow.report().text).toMatch(/act\s+\d+\/\d+/);
  });

  it('a too-narrow ξ format saturates and is counted', () => {
    const split = randomPixelSplit(60, 64, 4, 4);
    const e = createFixedEngine({ ...CHIP_MNIST, layers: [64, 32, 16, 4] }, patch({ xi: { format: 'Q-12.20', rounding: 'nearest', overflow: 'saturate' } }));
    e.beginEpoch();
    for (let k = 0; k < 60; k++) e.trainSample(split, k);
    expect(e.sat.count('xi')).toBeGreaterThan(0);
  });

  it('report gives the working memory in bits', () => {
    const m = createFixedEngine(CHIP_MNIST, DEFAULT_NUMERIC).report().memoryBits;
    // 8 × 784 u8 pixels, 8 × 4-bit labels, 8 × (128 + 64) × 16-bit z, 2 × 28 × 17-bit Gram words, 2 × 8 × 20-bit row sums
    expect(m).toMatchObject({ inputs: 50176, labels: 32, storedZ: 24576, gram: 952, rowSums: 320, total: 76056 });
    expect(m.weights).toBe(109386 * 16);
  });
});

describe('resolveNumeric', () => {
  it('parses both notations to the same format', () => {
    const a = resolveNumeric(patch({ weight: { format: 'fixed<16,4>', rounding: 'stochastic', overflow: 'saturate' } }));
    expect(a.weight.format).toEqual(resolveNumeric(DEFAULT_NUMERIC).weight.format);
  });
});
