import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../sim/rng.js';
import { buildModel, type Model } from '../../sim/verilator/index.js';
import { LANES } from './designs.js';

describe('co-simulation: ports wider than 64 bits and lane vectors', () => {
  let m: Model;
  beforeAll(async () => {
    m = await buildModel(LANES);
  });
  afterAll(async () => {
    await m?.close();
  });

  it('streams 64 × 16-bit lane vectors under back-pressure, every lane of every word compared', async () => {
    const rng = new Rng(41);
    const words = 3000;
    const lanes = Int16Array.from({ length: words * 64 }, () => rng.int(0x10000) - 0x8000);
    const last = Array.from({ length: words }, (_, i) => i % 7 === 6);
    await m.sourcePattern('v', 0.7, 5);
    await m.sinkPattern('v', 0.6, 6);
    await m.reset(2);
    expect(await m.pushLanes('v', lanes, 16, { signed: true, last })).toBe(words);
    await m.run({ untilSinkCount: { bus: 'v', n: words }, maxCycles: 100 * words });
    const got = await m.drainLanes('v', 16, { signed: true, cycles: true });
    expect(got.lanes).toBe(64);
    expect(got.data.length).toBe(words * 64);
    let bad = 0;
    for (let i = 0; i < lanes.length; i++) if (got.data[i] !== (((lanes[i] + 1 + 0x8000) & 0xffff) - 0x8000)) bad++;
    expect(bad).toBe(0);
    expect(Array.from(got.last)).toEqual(last.map((b) => (b ? 1 : 0)));
    expect(got.cycles!.length).toBe(words);
    expect((await m.violations()).total).toBe(0);
  });

  it('moves wide words as bigints and lane arrays alike', async () => {
    const rng = new Rng(42);
    const big = (bits: number): bigint => {
      let v = 0n;
      for (let i = 0; i < bits; i += 32) v = (v << 32n) | BigInt(rng.nextU32());
      return BigInt.asUintN(bits, v);
    };
    const k = big(100);
    await m.poke('k', k);
    await m.step();
    expect(await m.peekBig('kx')).toBe(BigInt.asUintN(100, ~k));
    expect(await m.peekLanes('kx', 20)).toEqual(Array.from({ length: 5 }, (_, i) => Number((BigInt.asUintN(100, ~k) >> BigInt(20 * i)) & 0xfffffn)));
    await m.pokeLanes('k', [1, 2, 3, 4, 5], 20);
    expect(await m.peekBig('k')).toBe(1n | (2n << 20n) | (3n << 40n) | (4n << 60n) | (5n << 80n));
    await expect(m.peek('kx')).rejects.toThrow(/100 bits wide; use peekBig or peekLanes/);
    await expect(m.pokeLanes('k', [1, 2, 3, 4], 20)).rejects.toThrow(/4 lane values for 1 words of 5 lanes/);
    await expect(m.pokeLanes('k', [1, 2, 3, 4, 1 << 20], 20)).rejects.toThrow(/lane 4 of word 0 = 1048576 is out of range/);
    await expect(m.peekLanes('k', 16)).rejects.toThrow(/100 bits wide, not a whole number of 16-bit lanes/);

    await m.sinkPattern('v', 1, 1);
    await m.reset(2);
    const words = [big(1024), big(1024), (1n << 1024n) - 1n];
    await m.push('v', words, 'final');
    await m.run({ untilLast: { bus: 'v' }, maxCycles: 100 });
    const got = await m.drainBig('v');
    const plusOne = (w: bigint): bigint => {
      let out = 0n;
      for (let i = 0n; i < 64n; i++) out |= (((w >> (16n * i)) + 1n) & 0xffffn) << (16n * i);
      return out;
    };
    expect(got.map((w) => w.data)).toEqual(words.map(plusOne));
    expect(got.map((w) => w.last)).toEqual([false, false, true]);
  });

  it('plays a table of lane vectors and samples lanes', async () => {
    const rng = new Rng(43);
    const n = 300;
    const k = Uint32Array.from({ length: n * 5 }, () => rng.int(1 << 20));
    await expect(m.play({ inputs: {}, cycles: 1, outputs: [{ port: 'kx', laneWidth: 20 }, 'kx'] })).rejects.toThrow(/output 'kx' is listed twice/);
    const t2 = await m.play({ inputs: { k: { lanes: k, laneWidth: 20 } }, outputs: [{ port: 'kx', laneWidth: 20 }] });
    const kx = t2.outputs.kx as Uint32Array;
    expect(kx.length).toBe(n * 5);
    let bad = 0;
    for (let c = 1; c < n; c++) for (let j = 0; j < 5; j++) if (kx[c * 5 + j] !== (1 << 20) - 1 - k[(c - 1) * 5 + j]) bad++;
    expect(bad).toBe(0);
    await expect(m.play({ inputs: { k: { lanes: [1, 2, 3], laneWidth: 20 } }, outputs: [] })).rejects.toThrow(/3 lane values are not a whole number of 5-lane words/);
  });
});
