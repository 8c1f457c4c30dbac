import { describe, expect, it } from 'vitest';
import { Asm } from '../../generator/ucore/asm.js';
import { counterOf, countersOf, machineFor, WIDE, wordsOf } from '../../generator/ucore/program/common.js';
import { emitKernelRow } from '../../generator/ucore/program/kernel.js';
import { tableImage, tableRegs, tableSub } from '../../generator/ucore/program/tables.js';
import { SatCounter } from '../../generator/fixed/index.js';
import { kernelRow, satSlots, type KernelParams } from '../../sim/golden/fixed/index.js';
import { Rng } from '../../sim/rng.js';
import { Machine } from '../../sim/ucore/iss.js';
import { configs, expectFree } from './helpers.js';

const rng = new Rng(5);

describe('ucore § KERNEL: kernelRow', () => {
  for (const { name, P } of configs()) {
    it(`${name}: every kernel word and the kernelArg / gram counters equal the golden kernelRow`, () => {
      const B = P.B;
      const kw = wordsOf(P.numeric.gram.format);
      const img = tableImage(P.tables.expNeg);
      const at = { d: img.words.length, k: img.words.length + WIDE * B };
      const memWords = at.k + kw * B + 8;
      const kps: [string, KernelParams][] = [['kxPixels', P.kxPixels], ['kxWords', P.kxWords], ...P.kz.map((k, l): [string, KernelParams] => [`kz${l}`, k])];
      let cycles = 0;
      for (const [kname, kp] of kps) {
        const a = new Asm();
        const r = tableRegs(a);
        const sub = tableSub(a, P.tables.expNeg, 0, counterOf('gram'), r);
        const [c, count] = a.regs(2);
        a.ld(c, 0, memWords - 2, 1, false);
        a.ld(count, 0, memWords - 1, 1, false);
        emitKernelRow(a, kp, P.numeric, at, c, count, sub);
        expectFree(a, 31 - 6 - 2);
        a.halt();
        const prog = a.finish();
        const m = new Machine(machineFor(P, memWords));
        m.mem.set(img.words, 0);
        const counter = new SatCounter();
        const s = satSlots(counter);
        for (let trial = 0; trial < 60; trial++) {
          const cnt = trial < 3 ? [B, 1, 0][trial] : 1 + rng.int(B);
          const cc = cnt === 0 ? 0 : rng.int(cnt);
          // distances: 0, tiny, and every magnitude up to 2^47 (large ones saturate t)
          const d = Float64Array.from({ length: B }, () => (rng.int(8) === 0 ? 0 : Math.floor(rng.uniform() * 2 ** rng.int(48))));
          d.forEach((v, q) => m.store(at.d + WIDE * q, WIDE, BigInt(v)));
          m.mem.fill(0xabcd, at.k, at.k + kw * B);
          m.mem[memWords - 2] = cc;
          m.mem[memWords - 1] = cnt;
          const c0 = m.cycles;
          m.run(prog);
          if (kname === 'kxPixels' && cnt === B) cycles = m.cycles - c0;
          const k = new Int32Array(B);
          kernelRow(kp, d, cc, cnt, k, s);
          for (let q = 0; q < B; q++) {
            const got = Number(m.load(at.k + kw * q, kw, false));
            expect(got, `${kname} trial ${trial} k[${q}] (c ${cc}, count ${cnt}, d ${d[q]})`).toBe(q < cnt ? k[q] : Number(BigInt.asUintN(16 * kw, 0xabcdabcdabcdabcdn)));
          }
        }
        const want = countersOf(m.sat);
        expect({ kernelArg: want.kernelArg, gram: want.gram }).toEqual({ kernelArg: { high: s.kernelArg.high, low: s.kernelArg.low }, gram: { high: s.gram.high, low: s.gram.low } });
        expect(s.kernelArg.high, `${kname}: the test reaches t saturation`).toBeGreaterThan(0);
      }
      console.log(`${name}: kernelRow (K_X from pixels, count ${B}) ${cycles} cycles`);
    });
  }
});
