import { afterEach, describe, expect, it } from 'vitest';
import { build, buildHash, Model } from '../../sim/verilator/index.js';
import { NO_RESET } from './designs.js';

/** The design's acc after a reset and k enabled cycles adding x = 1..k, read from the model. */
async function accAfter(m: Model, k: number): Promise<number> {
  await m.reset(2);
  await m.poke('en', 1);
  for (let i = 1; i <= k; i++) {
    await m.poke('x', i);
    await m.step();
  }
  await m.poke('en', 0);
  return m.peek('acc');
}

describe('co-simulation: random start-up values', () => {
  const models: Model[] = [];
  const start = async (opts: Parameters<typeof Model.start>[1]): Promise<Model> => {
    const m = Model.start(await build(NO_RESET), opts);
    models.push(m);
    return m;
  };
  afterEach(async () => {
    await Promise.all(models.splice(0).map((m) => m.close()));
  });

  it('a missing reset passes with zero start-up values and is caught with random ones', async () => {
    const want = (10 * 11) / 2; // acc = 0 + 1 + … + 10, if the reset cleared it
    const zeros = await start({ initValues: 'zeros' });
    expect(await accAfter(zeros, 10)).toBe(want); // the bug hides
    let caught = 0;
    for (const seed of [1, 2, 3, 4]) {
      const m = await start({ seed });
      if ((await accAfter(m, 10)) !== want) caught++;
      expect(await m.peek('cnt')).toBe(10); // the counter with a reset is right in every run
    }
    expect(caught).toBeGreaterThanOrEqual(3); // a random 16-bit start equals 0 with p = 2^-16
  });

  it('start-up values follow the seed: equal for one seed, different for two', async () => {
    const a = await start({ seed: 7 });
    const b = await start({ seed: 7 });
    const c = await start({ seed: 8 });
    const mem = async (m: Model): Promise<number[]> => m.peekMem('no_reset.mem', 0, 16);
    expect(await mem(a)).toEqual(await mem(b));
    expect(await a.peekMemBig('no_reset.mem', 0, 16)).toEqual((await mem(a)).map((w) => BigInt(w)));
    expect(await mem(a)).not.toEqual(await mem(c));
    expect(await a.peek('acc')).toBe(await b.peek('acc'));
    // unwritten words are not zeros (16 random bytes being all 0 has p = 2^-128)
    expect((await mem(a)).some((w) => w !== 0)).toBe(true);
    const ones = await start({ initValues: 'ones' });
    expect(await mem(ones)).toEqual(new Array(16).fill(0xff));
  });

  it('an unwritten memory word reads back random, a written one reads back what was written', async () => {
    const m = await start({ seed: 3 });
    const init = await m.peekMem('no_reset.mem', 0, 16);
    await m.poke('we', 1);
    await m.poke('waddr', 5);
    await m.poke('wdata', 0xa5);
    await m.step();
    await m.poke('we', 0);
    const read = async (addr: number): Promise<number> => {
      await m.poke('raddr', addr);
      await m.step();
      return m.peek('rdata');
    };
    expect(await read(5)).toBe(0xa5);
    expect(await read(6)).toBe(init[6]);
  });

  it('the build flags are part of the cache key', () => {
    expect(buildHash(NO_RESET, 'H', 'V')).not.toBe(buildHash({ ...NO_RESET, randomInit: false }, 'H', 'V'));
    expect(buildHash(NO_RESET, 'H', 'V')).toBe(buildHash({ ...NO_RESET, randomInit: true }, 'H', 'V'));
  });

  it('rejects bad start options', async () => {
    const b = await build(NO_RESET);
    expect(() => Model.start(b, { seed: 0 })).toThrow(/seed must be an integer in \[1, 2\^31\)/);
    expect(() => Model.start(b, { initValues: 'x' as 'zeros' })).toThrow(/initValues must be/);
  });
});
