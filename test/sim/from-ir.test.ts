import { describe, expect, it } from 'vitest';
import { mac } from '../generator/examples.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import { portList } from '../../generator/ir/index.js';
import { Rng } from '../../sim/rng.js';

describe('co-simulation of a generated module', () => {
  it('builds from the port list of the IR and matches a TypeScript model of a signed MAC cycle by cycle', async () => {
    const mod = mac(8, 20);
    expect(portList(mod).map((p) => p.name)).toEqual(mod.ports.map((p) => p.name));
    const m = await buildFromIr(mod);
    try {
      await m.reset(1);
      const rng = new Rng(5);
      let acc = 0;
      const wrap20 = (v: number) => ((((v + 2 ** 19) % 2 ** 20) + 2 ** 20) % 2 ** 20) - 2 ** 19;
      for (let i = 0; i < 300; i++) {
        const a = rng.int(256) - 128;
        const b = rng.int(256) - 128;
        const clear = rng.int(16) === 0 ? 1 : 0;
        const valid = rng.int(4) !== 0 ? 1 : 0;
        await m.poke('a', a);
        await m.poke('b', b);
        await m.poke('clear', clear);
        await m.poke('valid', valid);
        await m.step(1);
        acc = clear ? 0 : valid ? wrap20(acc + a * b) : acc;
        expect(await m.peek('acc')).toBe(acc);
      }
    } finally {
      await m.close();
    }
  });
});
