import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lfsr } from '../../../generator/fixed/index.js';
import { lfsr, lfsrParams } from '../../../generator/lib/arith/index.js';
import { buildFromIr } from '../../../sim/verilator/from-ir.js';
import type { Model } from '../../../sim/verilator/model.js';
import { Rng } from '../../../sim/rng.js';
import { LFSR_SPECS, lfsrTop } from './tops.js';

describe('lfsr block (IR)', () => {
  it('names its parameters and resets to the first draw of the spec', () => {
    const mod = lfsr({ width: 16 });
    expect(mod.name).toBe('lfsr_w16_t8805_s1_r16_l1');
    expect(mod.ports.map((p) => `${p.kind} ${p.name} ${p.type.width}`)).toEqual([
      'input clk 1',
      'input rst 1',
      'input en 1',
      'output r 16',
    ]);
    const p = lfsrParams({ width: 16, seed: 0xace1 });
    expect(p.resetState).toBe(new Lfsr({ width: 16, seed: 0xace1 }).draw());
  });
  it('rejects what the TypeScript Lfsr rejects', () => {
    expect(() => lfsr({ width: 8, seed: 0 })).toThrow(RangeError);
    expect(() => lfsr({ width: 8, rbits: 9 })).toThrow(RangeError);
    expect(() => lfsr({ width: 8, taps: 0x3 })).toThrow(RangeError);
  });
});

describe('lfsr block co-simulated against Lfsr.draw()', () => {
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(lfsrTop());
  });
  afterAll(async () => {
    await m?.close();
  });

  it('every enabled cycle yields the next draw, word for word (≥ 1000 draws per variant), and holds when disabled', async () => {
    await m.reset(2);
    const ts = LFSR_SPECS.map((s) => new Lfsr(s));
    const cur = ts.map((l) => l.draw()); // the draw on r before its first enabled edge
    const prob = [1, 0.75, 0.9, 0.6, 0.8];
    const rng = new Rng(2024);
    const draws = ts.map(() => 0);
    const CYCLES = 2000;
    const CHUNK = 500;
    for (let c0 = 0; c0 < CYCLES; c0 += CHUNK) {
      const expected: number[][] = [];
      const pending: Promise<number>[] = [];
      for (let c = c0; c < c0 + CHUNK; c++) {
        expected.push(cur.slice());
        for (let i = 0; i < ts.length; i++) pending.push(m.peek(`r_${i}`));
        for (let i = 0; i < ts.length; i++) {
          const en = rng.uniform() < prob[i] ? 1 : 0;
          void m.poke(`en_${i}`, en);
          if (en) {
            cur[i] = ts[i].draw();
            draws[i]++;
          }
        }
        void m.step(1);
      }
      const got = await Promise.all(pending);
      for (let c = 0; c < CHUNK; c++) {
        for (let i = 0; i < ts.length; i++) {
          const g = got[c * ts.length + i];
          if (g !== expected[c][i]) {
            throw new Error(`lfsr ${i} (${JSON.stringify(LFSR_SPECS[i])}) cycle ${c0 + c}: r = ${g}, expected ${expected[c][i]}`);
          }
        }
      }
    }
    for (const d of draws) expect(d).toBeGreaterThanOrEqual(1000);
    // the draws are not constant (the comparison above would also pass a stuck model with a stuck reference)
    expect(new Set(ts.map((l) => l.state)).size).toBeGreaterThan(1);
  });
});
