import { describe, expect, it } from 'vitest';
import { SatCounter, width } from '../../generator/fixed/index.js';
import { Asm } from '../../generator/ucore/asm.js';
import { counterOf, countersOf, machineFor, wordsOf } from '../../generator/ucore/program/common.js';
import { emitLayerNormRelu, emitWindowZ } from '../../generator/ucore/program/layernorm.js';
import { tableImage, tableRegs, tableSub } from '../../generator/ucore/program/tables.js';
import { layerNormRelu, satSlots, windowZ } from '../../sim/golden/fixed/index.js';
import { Rng } from '../../sim/rng.js';
import { Machine } from '../../sim/ucore/iss.js';
import { configs, expectFree } from './helpers.js';

const rng = new Rng(9);
const pick = <T>(xs: T[]): T => xs[rng.int(xs.length)];

describe('ucore § FORWARD: LayerNorm + relu, windowZ', () => {
  for (const { name, P } of configs()) {
    it(`${name}: z, s⁻¹, the windowZ words and the lnVar / lnInvStd / act / windowZ counters equal the golden model`, () => {
      const N = P.numeric;
      const img = tableImage(P.tables.rsqrt);
      const [wa, wz, ws, ww] = [wordsOf(N.preact.format), wordsOf(N.act.format), wordsOf(N.lnInvStd.format), wordsOf(N.windowZ.format)];
      const aLo = -(2 ** (width(N.preact.format) - 1));
      const aHi = 2 ** (width(N.preact.format) - 1) - 1;
      let lnCycles = 0;
      let wzCycles = 0;
      const counter = new SatCounter();
      const s = satSlots(counter);
      const M = new Machine(machineFor(P, 4096));
      M.mem.set(img.words, 0);
      for (let l = 0; l < P.L - 1; l++) {
        const fp = P.forward[l];
        const n = fp.n;
        const at = { a: img.words.length, z: img.words.length + wa * n, sInv: img.words.length + (wa + wz) * n };
        const atW = { z: at.z, out: at.sInv + ws };
        const memWords = atW.out + ww * n;
        const a = new Asm();
        const r = tableRegs(a);
        const sub = tableSub(a, P.tables.rsqrt, 0, counterOf('lnInvStd'), r);
        const mark = a.label('wz');
        emitLayerNormRelu(a, fp, N, at, sub);
        a.bind(mark);
        emitWindowZ(a, fp, N, atW);
        expectFree(a, 31 - 6);
        a.halt();
        const prog = a.finish();
        if (memWords > M.mem.length) throw new Error(`test layout needs ${memWords} words`);
        for (let trial = 0; trial < 80; trial++) {
          // rows: all negative, all zero, one spike, small spread, full range, a constant, a few at the limits
          const kind = trial < 7 ? trial : rng.int(7);
          const av = Int32Array.from({ length: n }, (_, j) => {
            switch (kind) {
              case 0: return -1 - rng.int(-aLo);
              case 1: return 0;
              case 2: return j === 0 ? aHi : 0;
              case 3: return rng.int(9) - 4;
              case 4: return aLo + rng.int(aHi - aLo + 1);
              case 5: return 777;
              default: return pick([aLo, aHi, 0, 1, -1, rng.int(aHi)]);
            }
          });
          av.forEach((v, j) => M.store(at.a + wa * j, wa, BigInt(v)));
          const c0 = M.cycles;
          M.run(prog);
          if (l === 0 && trial === 4) lnCycles = M.cycles - c0;
          const z = new Int32Array(n);
          const zw = new Int32Array(n);
          const sInv = layerNormRelu(fp, av, z, s);
          windowZ(fp, z, zw, s.windowZ);
          expect(Number(M.load(at.sInv, ws, false)), `layer ${l} trial ${trial} s⁻¹`).toBe(sInv);
          for (let j = 0; j < n; j++) {
            expect(Number(M.load(at.z + wz * j, wz, true)), `layer ${l} trial ${trial} z[${j}]`).toBe(z[j]);
            expect(Number(M.load(atW.out + ww * j, ww, true)), `layer ${l} trial ${trial} windowZ[${j}]`).toBe(zw[j]);
          }
        }
        // windowZ alone (its cycles)
        const b = new Asm();
        emitWindowZ(b, fp, N, atW);
        b.halt();
        const c1 = M.cycles;
        const snap = M.sat.slice();
        M.run(b.finish());
        M.sat.set(snap);
        if (l === 0) wzCycles = M.cycles - c1;
      }
      const got = countersOf(M.sat);
      const pickC = (o: Record<string, { high: number; low: number }>) => ({ lnVar: o.lnVar, lnInvStd: o.lnInvStd, act: o.act, windowZ: o.windowZ });
      const want = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, { high: v.high, low: v.low }]));
      expect(pickC(got)).toEqual(pickC(want));
      // the narrow formats of the third config reach every saturation of these sections
      if (name.startsWith('odd')) for (const [k, v] of Object.entries(pickC(want))) expect(v.high, `${k} saturates`).toBeGreaterThan(0);
      console.log(`${name}: layerNormRelu (n ${P.sizes[1]}) ${lnCycles} cycles, windowZ ${wzCycles} cycles; counters ${JSON.stringify(pickC(want))}`);
    });
  }
});
