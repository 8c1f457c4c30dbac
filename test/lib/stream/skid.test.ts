import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skidBuffer } from '../../../generator/lib/stream/index.js';
import { Rng } from '../../../sim/rng.js';
import { buildFromIr } from '../../../sim/verilator/from-ir.js';
import type { Model } from '../../../sim/verilator/index.js';
import { MIXES, fullThroughput, passThrough, randomTraffic } from './helpers.js';

const WIDTH = 8;

describe('skid buffer (co-simulation against the identity model)', () => {
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(skidBuffer(WIDTH, { last: true }));
  });
  afterAll(async () => {
    await m?.close();
  });

  for (const mix of MIXES) {
    it(`every word and tlast arrives in order, no violation (valid p=${mix.pValid}, ready p=${mix.pReady})`, async () => {
      const t = randomTraffic(new Rng(mix.seed), 600, WIDTH, 13);
      const got = await passThrough(m, t, mix, true);
      if (mix.pValid === 1 && mix.pReady === 1) expect(got[got.length - 1].cycle - got[0].cycle).toBe(got.length - 1);
    });
  }

  it('full throughput: n words in n + 1 cycles (latency 1) when both sides are always ready', async () => {
    const cycles = await fullThroughput(m, new Rng(3), 400, WIDTH, 1);
    expect(cycles).toBe(401);
  });

  it('holds exactly two words when the sink stalls, with a registered ready that drops after the second', async () => {
    await m.sourcePattern('in', 1, 5);
    await m.sinkPattern('out', 0, 6);
    await m.reset(2);
    expect(await m.peek('s_axis_in_tready')).toBe(1);
    await m.push('in', [10, 20, 30, 40, 50], 'final');
    await m.run({ cycles: 30 });
    let st = await m.status();
    expect(st.queued.in).toBe(3); // two words inside: the output register and the skid register
    expect(await m.peek('s_axis_in_tready')).toBe(0);
    expect(await m.peek('m_axis_out_tvalid')).toBe(1);
    expect(await m.peek('m_axis_out_tdata')).toBe(10);
    // ready is a register: releasing the sink does not change it before the next edge
    await m.sinkPattern('out', 1, 7);
    await m.run({ untilSinkCount: { bus: 'out', n: 5 }, maxCycles: 100 });
    const got = await m.drain('out');
    expect(got.map((w) => w.data)).toEqual([10, 20, 30, 40, 50]);
    expect(got.map((w) => w.last)).toEqual([false, false, false, false, true]);
    st = await m.status();
    expect(st.violations).toBe(0);
  });
});

describe('skid buffer without tlast', () => {
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(skidBuffer(5));
  });
  afterAll(async () => {
    await m?.close();
  });
  it('passes random 5-bit words under back-pressure', async () => {
    const mix = MIXES[2];
    await passThrough(m, randomTraffic(new Rng(21), 300, 5, 7), mix, false);
  });
});
