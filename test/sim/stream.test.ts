import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../sim/rng.js';
import { buildModel, type Model } from '../../sim/verilator/index.js';
import { randomTraffic } from '../lib/stream/helpers.js';
import { SKID } from './designs.js';

describe('co-simulation: stream pass-through through a skid buffer', () => {
  let m: Model;
  beforeAll(async () => {
    m = await buildModel(SKID);
  });
  afterAll(async () => {
    await m?.close();
  });

  const cases: [pValid: number, pReady: number, seed: number][] = [
    [1, 1, 1],
    [0.5, 0.5, 2],
    [0.3, 0.9, 3],
    [0.9, 0.2, 4],
    [1, 0.1, 5],
    [0.05, 1, 6],
  ];
  for (const [pValid, pReady, seed] of cases) {
    it(`every word arrives in order with its tlast, no violation (valid p=${pValid}, ready p=${pReady})`, async () => {
      const rng = new Rng(seed);
      const n = 1200;
      const { data, last } = randomTraffic(rng, n, 16, 17);
      await m.sourcePattern('in', pValid, seed);
      await m.sinkPattern('out', pReady, seed * 7919);
      await m.reset(2);
      // queue in two parts: the second lands while the first is still in flight
      await m.push('in', data.slice(0, 700), last.slice(0, 700));
      await m.run({ cycles: 300 });
      await m.push('in', data.slice(700), last.slice(700));
      const r = await m.run({ untilSinkCount: { bus: 'out', n }, maxCycles: 1_000_000 });
      expect(r.reason).toBe('sinkCount');
      const got = await m.drain('out');
      expect(got.map((w) => w.data)).toEqual(data);
      expect(got.map((w) => w.last)).toEqual(last);
      for (let i = 1; i < got.length; i++) expect(got[i].cycle).toBeGreaterThan(got[i - 1].cycle);

      const st = await m.status();
      expect(st).toMatchObject({ violations: 0, queued: { in: 0 }, buffered: { out: 0 } });
      expect(await m.peek('mon_errors')).toBe(0); // the harness obeyed the rules as a source
      const stalls = await m.peek('mon_stalls');
      if (pValid === 1 && pReady === 1) {
        expect(stalls).toBe(0);
        // full throughput: one transfer per cycle, back to back
        expect(got[n - 1].cycle - got[0].cycle).toBe(n - 1);
      }
      if (pReady <= 0.5) expect(stalls).toBeGreaterThan(100); // back-pressure reached the source
      // transfers per cycle follow the slower of the two patterns
      const span = got[n - 1].cycle - got[0].cycle + 1;
      const rate = n / span;
      const bound = Math.min(pValid, pReady);
      expect(rate).toBeLessThanOrEqual(Math.min(1, bound * 1.25));
      expect(rate).toBeGreaterThan(bound * 0.6);
    });
  }

  it('is deterministic for a seed', async () => {
    const once = async (): Promise<number[]> => {
      await m.sourcePattern('in', 0.6, 99);
      await m.sinkPattern('out', 0.4, 100);
      await m.reset(2);
      await m.push('in', Array.from({ length: 200 }, (_, i) => i));
      await m.run({ untilSinkCount: { bus: 'out', n: 200 }, maxCycles: 100_000 });
      const start = (await m.status()).cycle;
      return (await m.drain('out')).map((w) => start - w.cycle);
    };
    const a = await once();
    const b = await once();
    expect(b).toEqual(a);
    await m.sinkPattern('out', 0.4, 101);
    await m.reset(2);
    await m.push('in', Array.from({ length: 200 }, (_, i) => i));
    await m.run({ untilSinkCount: { bus: 'out', n: 200 }, maxCycles: 100_000 });
    const start = (await m.status()).cycle;
    expect((await m.drain('out')).map((w) => start - w.cycle)).not.toEqual(a);
  });

  it('runs until the sources are empty, and reports unmet conditions at maxCycles', async () => {
    await m.sourcePattern('in', 1, 1);
    await m.sinkPattern('out', 0, 1); // never ready: the skid fills after 2 words
    await m.reset(2);
    await m.push('in', [10, 11, 12, 13, 14]);
    await expect(m.run({ untilSourcesEmpty: true, maxCycles: 50 })).rejects.toThrow(/maxCycles=50 .*"in":3/);
    const r = await m.run({ untilSinkCount: { bus: 'out', n: 1 }, maxCycles: 20, allowTimeout: true });
    expect(r).toMatchObject({ cycles: 20, reason: 'maxCycles' });
    await m.sinkPattern('out', 1, 1);
    const r2 = await m.run({ untilSourcesEmpty: true, maxCycles: 50 });
    expect(r2.reason).toBe('sourcesEmpty');
    await m.run({ cycles: 5 });
    expect((await m.drain('out')).map((w) => [w.data, w.last])).toEqual([
      [10, false],
      [11, false],
      [12, false],
      [13, false],
      [14, true],
    ]);
    expect((await m.violations()).total).toBe(0);
  });

  it('moves large pushes and drains (frames far beyond the pipe and harness buffers) intact', async () => {
    const n = 50_000; // push: 450 KB request, drain: 850 KB reply
    const rng = new Rng(77);
    const { data, last } = randomTraffic(rng, n, 16, 1000);
    await m.sourcePattern('in', 1, 5);
    await m.sinkPattern('out', 1, 6);
    await m.reset(2);
    // pipelined with the push: a status request in the same batch must see the words queued
    const [queued, st] = await Promise.all([m.push('in', data, last), m.status()]);
    expect(queued).toBe(n);
    expect(st.queued.in).toBe(n);
    await m.run({ untilSinkCount: { bus: 'out', n }, maxCycles: 10 * n });
    const got = await m.drain('out');
    expect(got.length).toBe(n);
    expect(got.every((w, i) => w.data === data[i] && w.last === last[i])).toBe(true);
    expect(got[n - 1].cycle - got[0].cycle).toBe(n - 1);
  });

  it('gives the same words through drain, drainBig and drainColumns', async () => {
    const data = [0, 1, 0xffff, 0x1234, 0x8000];
    const take = async <T>(f: () => Promise<T>): Promise<T> => {
      await m.sourcePattern('in', 1, 1);
      await m.sinkPattern('out', 1, 1);
      await m.reset(2);
      await m.push('in', data);
      await m.run({ untilLast: { bus: 'out' }, maxCycles: 100 });
      return f();
    };
    const words = await take(() => m.drain('out'));
    expect(words.map((w) => w.data)).toEqual(data);
    const big = await take(() => m.drainBig('out'));
    expect(big.map((w) => w.data)).toEqual(data.map((d) => BigInt(d)));
    expect(big.map((w) => w.last)).toEqual(words.map((w) => w.last));
    const cols = await take(() => m.drainColumns('out', { cycles: true }));
    expect(Array.from(cols.data as Uint32Array)).toEqual(data);
    expect(Array.from(cols.last)).toEqual([0, 0, 0, 0, 1]);
    expect(cols.cycles!.length).toBe(5);
  });

  it('keeps stream ports to the harness and checks stream arguments', async () => {
    await expect(m.poke('s_axis_in_tvalid', 1)).rejects.toThrow(/belongs to a stream/);
    await expect(m.poke('m_axis_out_tready', 1)).rejects.toThrow(/belongs to a stream/);
    await expect(m.push('out', [1])).rejects.toThrow(/no source stream s_axis_out/);
    await expect(m.drain('in')).rejects.toThrow(/no sink stream m_axis_in/);
    await expect(m.push('in', [0x10000])).rejects.toThrow(/out of range/);
    await expect(m.push('in', [1, 2], [true])).rejects.toThrow(/2 words but 1 last flags/);
    await expect(m.sinkPattern('out', 1.5, 1)).rejects.toThrow(/probability/);
    await expect(m.run({ untilSourcesEmpty: true })).rejects.toThrow(/needs maxCycles/);
    await expect(m.traceTo('x.fst')).rejects.toThrow(/without trace: true/);
    expect(m.streams.map((s) => `${s.kind}:${s.bus}`)).toEqual(['source:in', 'sink:out']);
  });
});
