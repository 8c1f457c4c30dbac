import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, buildModel, Model as ModelClass, StreamProtocolError, type Model } from '../../sim/verilator/index.js';
import { VALID_WAITS } from './designs.js';

describe('co-simulation: tvalid must not depend on tready', () => {
  let m: Model;
  beforeAll(async () => {
    m = await buildModel(VALID_WAITS);
  });
  afterAll(async () => {
    await m?.close();
  });

  it('reports the output stream whose tvalid follows its tready, at the cycle it happened', async () => {
    m.failOnViolation = false;
    await m.sourcePattern('in', 1, 1);
    await m.sinkPattern('bad', 0.5, 2);
    await m.sinkPattern('ok', 0.5, 3);
    await m.reset(2);
    const c0 = (await m.status()).cycle;
    await m.push('in', Array.from({ length: 50 }, (_, i) => i));
    await m.run({ cycles: 400 });
    const { list } = await m.violations();
    expect(list.length).toBeGreaterThan(0);
    expect(new Set(list.map((v) => `${v.stream} ${v.kind}`))).toEqual(new Set(['m_axis_bad valid-depends-on-ready']));
    // every word still arrives on both streams: only the independence check can see the bug
    expect((await m.drain('bad')).map((w) => w.data)).toEqual((await m.drain('ok')).map((w) => w.data));
    // the first report is in the first cycle after reset in which bad holds a word
    expect(list[0].cycle).toBeGreaterThanOrEqual(c0);
    expect(list[0].cycle).toBeLessThan(c0 + 5);
  });

  it('rejects the run with a StreamProtocolError naming the port and the cycle', async () => {
    m.failOnViolation = true;
    await m.reset(2);
    await m.push('in', [1, 2, 3]);
    const err = await m.run({ cycles: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamProtocolError);
    expect((err as Error).message).toMatch(/m_axis_bad valid-depends-on-ready at cycle \d+/);
  });

  it('can be switched off, and then the same traffic passes', async () => {
    m.failOnViolation = true;
    await m.setChecks({ validReady: false });
    await m.reset(2);
    const before = (await m.violations()).total;
    await m.push('in', [4, 5, 6]);
    await m.run({ cycles: 100 });
    expect((await m.violations()).total).toBe(before);
    await m.setChecks({ validReady: true });
    // or from the start
    const off = ModelClass.start(await build(VALID_WAITS), { checkValidReady: false });
    try {
      await off.reset(2);
      await off.push('in', [7, 8, 9]);
      await off.run({ cycles: 100 });
      expect((await off.violations()).total).toBe(0);
      expect((await off.drain('bad')).map((w) => w.data)).toEqual([7, 8, 9]);
    } finally {
      await off.close();
    }
  });
});
