import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fifo } from '../../../generator/lib/stream/index.js';
import { Rng } from '../../../sim/rng.js';
import { buildFromIr } from '../../../sim/verilator/from-ir.js';
import type { Model } from '../../../sim/verilator/index.js';
import { MIXES, fullThroughput, passThrough, randomTraffic } from './helpers.js';

const WIDTH = 8;
const DEPTH = 16;

for (const storage of ['lut', 'bram'] as const) describe(`fifo ${WIDTH} bits x ${DEPTH} with tlast, ${storage} storage (co-simulation against a TS queue model)`, () => {
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(fifo(WIDTH, DEPTH, { last: true, storage }));
  });
  afterAll(async () => {
    await m?.close();
  });

  for (const mix of MIXES) {
    it(`every word and tlast arrives in order, no violation (valid p=${mix.pValid}, ready p=${mix.pReady})`, async () => {
      await passThrough(m, randomTraffic(new Rng(mix.seed + 100), 700, WIDTH, 11), mix, true);
      expect(await m.peek('count')).toBe(0);
    });
  }

  it('full throughput: n words in n + 1 cycles (latency 1) when both sides are always ready', async () => {
    await fullThroughput(m, new Rng(4), 400, WIDTH, 1);
  });

  it('fills to exactly depth words, then stops accepting; drains in order', async () => {
    const rng = new Rng(8);
    const t = randomTraffic(rng, DEPTH + 5, WIDTH, 4);
    await m.sourcePattern('in', 1, 1);
    await m.sinkPattern('out', 0, 2);
    await m.reset(2);
    expect(await m.peek('count')).toBe(0);
    expect(await m.peek('m_axis_out_tvalid')).toBe(0);
    expect(await m.peek('s_axis_in_tready')).toBe(1);
    await m.push('in', t.data, t.last);
    await m.run({ cycles: 3 * DEPTH });
    expect((await m.status()).queued.in).toBe(5);
    expect(await m.peek('count')).toBe(DEPTH);
    expect(await m.peek('s_axis_in_tready')).toBe(0);
    expect(await m.peek('m_axis_out_tvalid')).toBe(1);
    expect(await m.peek('m_axis_out_tdata')).toBe(t.data[0]);
    expect(await m.peek('m_axis_out_tlast')).toBe(t.last[0] ? 1 : 0);
    await m.sinkPattern('out', 1, 3);
    await m.run({ untilSinkCount: { bus: 'out', n: t.data.length }, maxCycles: 200 });
    const got = await m.drain('out');
    expect(got.map((w) => w.data)).toEqual(t.data);
    expect(got.map((w) => w.last)).toEqual(t.last);
    expect(await m.peek('count')).toBe(0);
    expect((await m.status()).violations).toBe(0);
  });

  it('count, tready and tvalid follow the queue model at random moments under random back-pressure', async () => {
    const rng = new Rng(31);
    const t = randomTraffic(rng, 900, WIDTH, 6);
    await m.sourcePattern('in', 0.7, 41);
    await m.sinkPattern('out', 0.5, 42);
    await m.reset(2);
    await m.push('in', t.data, t.last);
    const received: number[] = [];
    const seen = new Set<number>();
    for (let k = 0; k < 80; k++) {
      // alternate which side is faster so the FIFO fills up and empties again
      if (k % 20 === 0) await m.sinkPattern('out', k % 40 === 0 ? 0.3 : 0.95, 50 + k);
      await m.run({ cycles: 1 + rng.int(25) });
      const st = await m.status();
      const accepted = t.data.length - st.queued.in;
      const delivered = received.length + st.buffered.out;
      const model = accepted - delivered;
      const count = await m.peek('count');
      expect(count).toBe(model);
      seen.add(count);
      expect(await m.peek('s_axis_in_tready')).toBe(count !== DEPTH ? 1 : 0);
      expect(await m.peek('m_axis_out_tvalid')).toBe(count !== 0 ? 1 : 0);
      for (const w of await m.drain('out')) received.push(w.data);
    }
    expect(seen.has(DEPTH)).toBe(true); // the FIFO was full at least once
    expect(seen.size).toBeGreaterThan(4);
    expect(received).toEqual(t.data.slice(0, received.length));
    expect((await m.status()).violations).toBe(0);
    await m.sinkPattern('out', 1, 99);
    await m.run({ untilSinkCount: { bus: 'out', n: t.data.length - received.length }, maxCycles: 20_000 });
    for (const w of await m.drain('out')) received.push(w.data);
    expect(received).toEqual(t.data);
  });
});

describe('fifo 3 bits x 2, no tlast', () => {
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(fifo(3, 2));
  });
  afterAll(async () => {
    await m?.close();
  });
  for (const mix of [MIXES[1], MIXES[2], MIXES[3]]) {
    it(`passes random words (valid p=${mix.pValid}, ready p=${mix.pReady})`, async () => {
      await passThrough(m, randomTraffic(new Rng(mix.seed + 200), 300, 3, 5), mix, false);
    });
  }
  it('full throughput at the smallest depth', async () => {
    await fullThroughput(m, new Rng(9), 200, 3, 1);
  });
});
