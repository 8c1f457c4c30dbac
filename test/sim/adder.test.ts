import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../sim/rng.js';
import { buildModel, type Model } from '../../sim/verilator/index.js';
import { ADDER } from './designs.js';

/** TS model of reg_adder: the outputs after one rising edge with these inputs. */
function expected(a: number, b: number, c: bigint, d: bigint, e: bigint): { sum: number; sdiff: bigint; mix: bigint } {
  const ab = (BigInt(a) | (BigInt(b) << 16n)) & 0xffff_ffffn;
  return { sum: a + b, sdiff: c - d, mix: e ^ (ab | (ab << 32n)) };
}

function randBig(rng: Rng, bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i += 32) v = (v << 32n) | BigInt(rng.nextU32());
  return BigInt.asUintN(bits, v);
}

describe('co-simulation: registered adder (poke / step / peek)', () => {
  let m: Model;
  beforeAll(async () => {
    m = await buildModel(ADDER);
  });
  afterAll(async () => {
    await m?.close();
  });

  it('matches the TS model on every output for random and extreme inputs', async () => {
    const rng = new Rng(20261128);
    await m.reset(3);
    expect(await m.peek('count')).toBe(0);
    const s40min = -(1n << 39n);
    const s40max = (1n << 39n) - 1n;
    const extremes: [number, number, bigint, bigint, bigint][] = [
      [0, 0, 0n, 0n, 0n],
      [0xffff, 0xffff, s40max, s40min, (1n << 64n) - 1n],
      [0xffff, 1, s40min, s40max, 1n << 63n],
      [1, 0xffff, -1n, 1n, 0x0123_4567_89ab_cdefn],
    ];
    let count = 0;
    for (let i = 0; i < 400; i++) {
      const [a, b, c, d, e] =
        extremes[i] ?? ([rng.int(0x10000), rng.int(0x10000), BigInt.asIntN(40, randBig(rng, 40)), BigInt.asIntN(40, randBig(rng, 40)), randBig(rng, 64)] as const);
      // pipelined: five pokes and one step in flight at once
      await Promise.all([m.poke('a', a), m.poke('b', b), m.poke('c', c), m.poke('d', d), m.poke('e', e), m.step(1)]);
      count = (count + 1) & 0xff;
      const want = expected(a, b, c, d, e);
      const [sum, sdiff, mix, cnt] = await Promise.all([m.peek('sum'), m.peekBig('sdiff'), m.peekBig('mix'), m.peek('count')]);
      expect({ i, sum, sdiff, mix, cnt }).toEqual({ i, sum: want.sum, sdiff: want.sdiff, mix: want.mix, cnt: count });
    }
    // Signed 41-bit output read as a number (fits in 53 bits) is sign-extended too.
    await Promise.all([m.poke('c', s40min), m.poke('d', 1n), m.step()]);
    expect(await m.peek('sdiff')).toBe(Number(s40min - 1n));
    expect((await m.status()).cycle).toBe(3 + 401);
  });

  it('holds inputs across step(n) and clears the counter on reset', async () => {
    await m.reset(1);
    await m.poke('a', 7);
    await m.poke('b', 9);
    await m.step(37);
    expect(await m.peek('sum')).toBe(16);
    expect(await m.peek('count')).toBe(37);
    await m.reset(2);
    expect(await m.peek('count')).toBe(0);
  });

  it('rejects bad pokes and peeks with clear errors', async () => {
    await expect(m.poke('a', 0x10000)).rejects.toThrow(/'a' \(u16\): 65536 is out of range/);
    await expect(m.poke('a', -1)).rejects.toThrow(/out of range/);
    await expect(m.poke('c', 1n << 39n)).rejects.toThrow(/'c' \(s40\)/);
    await expect(m.poke('a', 1.5)).rejects.toThrow(/not a safe integer/);
    await expect(m.poke('nope', 1)).rejects.toThrow(/no port 'nope'/);
    await expect(m.poke('sum', 1)).rejects.toThrow(/not an input port/);
    await expect(m.poke('clk', 1)).rejects.toThrow(/clock is driven by the harness/);
    await expect(m.peek('mix')).rejects.toThrow(/use peekBig/);
    await expect(m.step(-1)).rejects.toThrow(/non-negative integer/);
    // the process is still healthy after the errors
    await m.poke('a', 1);
    await m.poke('b', 2);
    await m.step();
    expect(await m.peek('sum')).toBe(3);
  });
});
