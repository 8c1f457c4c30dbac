import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, StreamProtocolError, type Model, type Violation } from '../../sim/verilator/index.js';
import { BROKEN } from './designs.js';

const BROKEN_SINKS = ['pulse', 'drift', 'flip'] as const;

describe('co-simulation: AXI4-Stream checks on the DUT outputs', () => {
  let m: Model;
  beforeAll(async () => {
    m = await buildModel(BROKEN);
  });
  afterAll(async () => {
    await m?.close();
  });

  async function start(pReady: number, seed: number): Promise<void> {
    for (const [i, bus] of [...BROKEN_SINKS, 'good'].entries()) await m.sinkPattern(bus, pReady, seed + i);
    await m.sourcePattern('in', 0.3, seed);
    await m.reset(2);
    for (const bus of [...BROKEN_SINKS, 'good']) await m.drain(bus);
  }

  it('finds nothing while every sink is always ready (the broken streams only break under back-pressure)', async () => {
    m.failOnViolation = true;
    await start(1, 1);
    const before = (await m.violations()).total;
    await m.push('in', Array.from({ length: 100 }, (_, i) => i & 0xff), 'none');
    await m.run({ cycles: 500 });
    expect((await m.violations()).total).toBe(before);
    const good = await m.drain('good');
    expect(good.length).toBe(500);
  });

  it('rejects a run that dropped valid, changed data or changed tlast before the transfer', async () => {
    m.failOnViolation = true;
    await start(0.5, 11);
    await m.push('in', Array.from({ length: 100 }, (_, i) => i & 0xff), 'none');
    const err = await m.run({ cycles: 400 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StreamProtocolError);
    const list = (err as StreamProtocolError).violations;
    const kinds = (bus: string): Set<string> => new Set(list.filter((v) => v.bus === bus).map((v) => v.kind));
    expect(kinds('pulse').has('valid-dropped')).toBe(true);
    expect([...kinds('drift')]).toEqual(['data-changed']);
    expect([...kinds('flip')]).toEqual(['last-changed']);
    expect(kinds('good').size).toBe(0);
    expect((err as Error).message).toMatch(/m_axis_\w+ (valid-dropped|data-changed|last-changed) at cycle \d+/);
  });

  it('pins every violation to the cycle after each stalled word', async () => {
    m.failOnViolation = false;
    await start(0.5, 23);
    const c0 = (await m.status()).cycle;
    const seen = (await m.violations()).total;
    const cycles = 300;
    await m.run({ cycles });
    const { total, list } = await m.violations();
    const fresh: Violation[] = list.slice(seen);
    expect(total).toBe(list.length);
    // drift and flip are valid on every cycle after reset: each cycle either transfers or stalls, and
    // a stall at cycle c must be reported at c + 1 (where the data / tlast has moved on).
    for (const bus of ['drift', 'flip'] as const) {
      const transfers = new Set((await m.drain(bus)).map((w) => w.cycle));
      const stalls: number[] = [];
      for (let c = c0; c < c0 + cycles - 1; c++) if (!transfers.has(c)) stalls.push(c + 1);
      expect(stalls.length).toBeGreaterThan(50);
      expect(fresh.filter((v) => v.bus === bus).map((v) => v.cycle)).toEqual(stalls);
    }
    // the well-behaved counter stream: nothing reported, and it counted once per transfer
    expect(fresh.filter((v) => v.bus === 'good')).toEqual([]);
    const good = await m.drain('good');
    expect(good.map((w) => w.data)).toEqual(good.map((_, i) => (i + good[0].data) & 0xff));
  });
});
