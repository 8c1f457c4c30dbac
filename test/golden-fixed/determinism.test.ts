/**
 * Bit-exactness of the specification itself: the same seed gives the same weight file byte for byte, and a
 * run resumed from exportState/importState in the middle of an epoch (LFSR states included) is
 * byte-identical to an uninterrupted one. Also the weight file format and the LFSR bank.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Lfsr } from '../../generator/fixed/index.js';
import { DEFAULT_NUMERIC, withNumeric } from '../../generator/numeric.js';
import type { Dataset } from '../../sim/data.js';
import type { EngineState, TrainConfig } from '../../sim/engine.js';
import { epochOrder } from '../../sim/rng.js';
import { createFixedEngine, decodeWeightFile, laneSeed, LfsrBank, WEIGHT_MAGIC } from '../../sim/golden/fixed/index.js';
import { loadDataset } from '../../host/data/index.js';
import { CHIP_MNIST } from './helpers.js';

let mnist: Dataset;
beforeAll(() => {
  mnist = loadDataset('mnist');
});

function train(cfg: TrainConfig, n: number, epochs: number, from?: { state: EngineState; epoch: number; offset: number }) {
  const e = createFixedEngine(cfg, DEFAULT_NUMERIC);
  let start = { epoch: 1, offset: 0 };
  if (from) {
    e.importState(structuredClone(from.state));
    start = { epoch: from.epoch, offset: from.offset };
  }
  for (let ep = start.epoch; ep <= epochs; ep++) {
    const order = epochOrder(5, ep, n);
    const k0 = ep === start.epoch ? start.offset : 0;
    if (k0 === 0) e.beginEpoch();
    for (let k = k0; k < order.length; k++) e.trainSample(mnist.train, order[k]);
  }
  return e;
}

function expectSameBytes(a: Buffer, b: Buffer): void {
  expect(a.length).toBe(b.length);
  let diff = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      diff = i;
      break;
    }
  }
  expect(diff).toBe(-1);
}

describe('determinism', () => {
  it('two runs with the same seed give identical weight files (every byte); another seed differs', () => {
    const a = train(CHIP_MNIST, 400, 2).encodeWeights();
    const b = train(CHIP_MNIST, 400, 2).encodeWeights();
    expectSameBytes(a, b);
    const c = train({ ...CHIP_MNIST, seed: CHIP_MNIST.seed + 1 }, 400, 2).encodeWeights();
    expect(c.equals(a)).toBe(false);
  });

  it('a run resumed from exportState mid-epoch is byte-identical to an uninterrupted one', () => {
    const n = 300;
    const full = train(CHIP_MNIST, n, 2);
    // stop in epoch 2 at sample 123 (the window is full, LFSRs have advanced)
    const e = createFixedEngine(CHIP_MNIST, DEFAULT_NUMERIC);
    for (let ep = 1; ep <= 2; ep++) {
      const order = epochOrder(5, ep, n);
      e.beginEpoch();
      const stop = ep === 2 ? 123 : order.length;
      for (let k = 0; k < stop; k++) e.trainSample(mnist.train, order[k]);
    }
    const state = e.exportState();
    const resumed = train(CHIP_MNIST, n, 2, { state, epoch: 2, offset: 123 });
    expectSameBytes(resumed.encodeWeights(), full.encodeWeights());
    expect(resumed.exportState().arrays.lfsr0).toEqual(full.exportState().arrays.lfsr0);
    expect(resumed.report().saturations).toEqual(full.report().saturations);
  });

  it('importState rejects a state of another configuration', () => {
    const e = createFixedEngine(CHIP_MNIST, DEFAULT_NUMERIC);
    const st = e.exportState();
    const other = createFixedEngine(CHIP_MNIST, withNumeric(DEFAULT_NUMERIC, { lfsr: { ...DEFAULT_NUMERIC.lfsr, seed: 7 } }));
    expect(() => other.importState(st)).toThrow(/NumericConfig/);
    const wrongKind = { ...st, meta: { ...st.meta, kind: 'golden/float' } };
    expect(() => e.importState(wrongKind)).toThrow(/golden\/fixed/);
  });

  it('importState range-checks the window count, head and step count, naming them', () => {
    const trained = train(CHIP_MNIST, 5, 1); // the window is still filling: count 5, head 5
    const st = trained.exportState();
    const fresh = createFixedEngine(CHIP_MNIST, DEFAULT_NUMERIC);
    const before = fresh.encodeWeights();
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ count: 9 }, /window count 9 is not an integer in 0\.\.8/],
      [{ count: -1 }, /window count -1/],
      [{ count: 2.5 }, /window count 2\.5/],
      [{ head: 8 }, /window head 8 is not an integer in 0\.\.7/],
      [{ head: '3' }, /window head 3 is not an integer/],
      [{ head: 4 }, /window head 4 must equal its count 5 while the window fills/],
      [{ steps: -3 }, /step count -3 is not an integer ≥ 0/],
      [{ steps: undefined }, /step count undefined/],
    ];
    for (const [meta, re] of bad) {
      expect(() => fresh.importState({ ...st, meta: { ...st.meta, ...meta } }), JSON.stringify(meta)).toThrow(re);
      expectSameBytes(fresh.encodeWeights(), before);
    }
    fresh.importState(st);
    expect([fresh.exportState().meta.count, fresh.exportState().meta.head]).toEqual([5, 5]);
    expect(fresh.exportState().arrays.inputs).toEqual(st.arrays.inputs);
  });

  it('importState of a state with one bad array changes nothing (all-or-nothing)', () => {
    const trained = train(CHIP_MNIST, 200, 1);
    const st = structuredClone(trained.exportState());
    const names = Object.keys(st.arrays);
    const last = names[names.length - 1];
    st.arrays[last] = st.arrays[last].slice(0, st.arrays[last].length - 1); // the last array checked is short
    const fresh = createFixedEngine(CHIP_MNIST, DEFAULT_NUMERIC);
    const before = fresh.encodeWeights();
    expect(() => fresh.importState(st)).toThrow(new RegExp(`state array ${last} is missing or has the wrong length`));
    expectSameBytes(fresh.encodeWeights(), before);
    expect(fresh.encodeWeights().equals(trained.encodeWeights())).toBe(false);
  });

  it('setRawWeights loads a weight file\'s layers, and refuses wrong shapes and out-of-range words changing nothing', () => {
    const trained = train(CHIP_MNIST, 100, 1);
    const layers = decodeWeightFile(trained.encodeWeights()).layers;
    const fresh = createFixedEngine(CHIP_MNIST, DEFAULT_NUMERIC);
    const before = fresh.encodeWeights();
    const bad: [typeof layers, RegExp][] = [
      [layers.slice(0, 2), /2 layers given, the network has 3/],
      [layers.map((y, l) => (l === 1 ? { ...y, b: y.b.slice(1) } : y)), /layer 1 must be 128→64 \(8192 weights, 64 biases\), got 128→64 \(8192, 63\)/],
      [layers.map((y, l) => (l === 2 ? { ...y, W: Int32Array.from(y.W, (v, k) => (k === 7 ? 32768 : v)) } : y)), /layer 2 weight 7 is 32768, outside Q4\.12 \(-32768\.\.32767\)/],
      [layers.map((y, l) => (l === 0 ? { ...y, b: Int32Array.from(y.b, (v, k) => (k === 3 ? -40000 : v)) } : y)), /layer 0 bias 3 is -40000/],
    ];
    for (const [ls, re] of bad) {
      expect(() => fresh.setRawWeights(ls)).toThrow(re);
      expectSameBytes(fresh.encodeWeights(), before);
    }
    fresh.setRawWeights(layers);
    expectSameBytes(fresh.encodeWeights(), trained.encodeWeights());
  });

  it('the weight file round-trips and holds the raw integers documented', () => {
    const e = train(CHIP_MNIST, 100, 1);
    const buf = e.encodeWeights();
    expect(buf.toString('latin1', 0, 8)).toBe(WEIGHT_MAGIC);
    const dec = decodeWeightFile(buf);
    const raw = e.rawWeights().layers;
    expect(dec.layers.length).toBe(3);
    for (let l = 0; l < 3; l++) {
      expect(dec.layers[l].nIn).toBe(CHIP_MNIST.layers[l]);
      expect(Array.from(dec.layers[l].W)).toEqual(Array.from(raw[l].W));
      expect(Array.from(dec.layers[l].b)).toEqual(Array.from(raw[l].b));
    }
    expect(dec.weight).toEqual({ signed: true, intBits: 4, fracBits: 12 });
    // 12-byte header, then per layer 12 bytes + 4 per word
    expect(buf.length).toBe(12 + 3 * 12 + 4 * (784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10));
    expect(() => decodeWeightFile(buf.subarray(0, buf.length - 3))).toThrow(/truncated|trailing/);
  });

  it('initial weights are the lecun-normal init quantised to nearest (|w| ≤ 2·std, variance ≈ 1/fan_in)', () => {
    const e = createFixedEngine(CHIP_MNIST, DEFAULT_NUMERIC);
    const [l1] = e.rawWeights().layers;
    let s2 = 0;
    let max = 0;
    for (const w of l1.W) {
      s2 += (w / 4096) ** 2;
      max = Math.max(max, Math.abs(w / 4096));
    }
    expect(s2 / l1.W.length).toBeGreaterThan(0.9 / 784);
    expect(s2 / l1.W.length).toBeLessThan(1.1 / 784);
    expect(max).toBeLessThanOrEqual((2 * Math.sqrt(1 / 784)) / 0.8796256610342398 + 2 ** -13);
  });
});

describe('LFSR bank', () => {
  for (const [width, rbits, leap, lanes] of [
    [32, 16, 16, 64],
    [32, 8, 8, 5],
    [24, 4, 1, 3],
    [16, 16, 16, 8],
  ]) {
    it(`width ${width}, ${rbits} bits, leap ${leap}, ${lanes} lanes: draw and fillRow equal the library Lfsr`, () => {
      const seeds = Array.from({ length: lanes }, (_, q) => laneSeed(7, 42, 1, q, width));
      const ref = seeds.map((seed) => new Lfsr({ width, rbits, leap, seed }));
      const bank = new LfsrBank(width, rbits, leap, lanes, seeds);
      const out = new Int32Array(200);
      for (let row = 0; row < 5; row++) {
        const words = [197, 3, 64, 1, 130][row];
        if (row % 2 === 0) {
          bank.fillRow(out, words);
          for (let i = 0; i < words; i++) expect((out[i] & bank.rmask) >>> 0).toBe(ref[i % lanes].draw());
        } else {
          for (let i = 0; i < words; i++) expect(bank.draw(i % lanes)).toBe(ref[i % lanes].draw());
        }
      }
      for (let q = 0; q < lanes; q++) expect(bank.states[q] >>> 0).toBe(ref[q].state);
    });
  }
});
