import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SatSlot, width, type TableFunction } from '../../../generator/fixed/index.js';
import { TABLE_LATENCY, tableLookup } from '../../../generator/lib/arith/index.js';
import { expNeg } from '../../../generator/fixed/index.js';
import { buildFromIr } from '../../../sim/verilator/from-ir.js';
import type { Model } from '../../../sim/verilator/model.js';
import { Rng } from '../../../sim/rng.js';
import { tableFns, tableTop } from './tops.js';

/** Number of raw input values of a function's input format. */
const span = (fn: TableFunction): number => 2 ** width(fn.inFormat);

/** Input raw number i of an exhaustive sweep (signed formats from their minimum). */
function sweep(fn: TableFunction, i: number): number {
  const n = span(fn);
  const v = i % n;
  return fn.inFormat.signed ? v - n / 2 : v;
}

/** Corners of a wide unsigned input: 0, 1, max, every power of two and its neighbours. */
function corners(fn: TableFunction): number[] {
  const w = width(fn.inFormat);
  const out = [0, 1, 2 ** w - 1];
  for (let i = 0; i < w; i++) {
    for (const d of [-1, 0, 1]) {
      const v = 2 ** i + d;
      if (v >= 0 && v < 2 ** w) out.push(v);
    }
    out.push(2 ** w - 2 ** i); // leading ones, then zeros
  }
  return out;
}

describe('tableLookup (IR)', () => {
  it('documents its ports and latency and rejects an unknown function', () => {
    const mod = tableLookup(expNeg());
    expect(mod.name).toBe('tbl_expneg_u16i5_u16i0_n7_s10_g4_c18');
    expect(mod.ports.map((p) => `${p.kind} ${p.name} ${p.type.signed ? 's' : 'u'}${p.type.width}`)).toEqual([
      'input clk u1',
      'input rst u1',
      'input x u16',
      'output y u16',
      'output sat u1',
    ]);
    expect(mod.params.latency).toBe(TABLE_LATENCY);
    expect(mod.memories.map((m) => [m.name, m.depth])).toEqual([
      ['rom_base', 128],
      ['rom_slope', 128],
    ]);
    expect(() => tableLookup({ ...expNeg(), name: 'sin' })).toThrow(RangeError);
  });
});

describe('tableLookup co-simulated against fn.eval(raw)', () => {
  let m: Model;
  const fns = tableFns();
  beforeAll(async () => {
    m = await buildFromIr(tableTop());
  });
  afterAll(async () => {
    await m?.close();
  });

  it(`every input of the ≤ 16-bit functions, random and corner inputs of recip / rsqrt, after exactly ${TABLE_LATENCY} cycles`, async () => {
    await m.reset(2);
    const rng = new Rng(31);
    const exhaustive = fns.filter(({ fn }) => span(fn) <= 2 ** 16);
    const total = Math.max(...exhaustive.map(({ fn }) => span(fn)));
    expect(total).toBe(2 ** 16);
    const wide = fns.filter(({ fn }) => span(fn) > 2 ** 16).map(({ tag, fn }) => ({ tag, fn, corners: corners(fn) }));
    expect(wide.map((w) => w.tag).sort()).toEqual(['recip', 'rsqrt']);
    const inputs = (i: number): number[] =>
      fns.map(({ fn }) => {
        if (span(fn) <= 2 ** 16) return sweep(fn, i);
        const c = wide.find((w) => w.fn === fn)!.corners;
        return i < c.length ? c[i] : rng.int(span(fn));
      });
    const L = TABLE_LATENCY;
    const CHUNK = 4096;
    const history: number[][] = [];
    const satSeen = fns.map(() => 0);
    for (let c0 = 0; c0 < total + L - 1; c0 += CHUNK) {
      const checks: { tag: string; port: string; want: number; x: number; got: Promise<number> }[] = [];
      for (let c = c0; c < Math.min(c0 + CHUNK, total + L - 1); c++) {
        const xs = c < total ? inputs(c) : fns.map(({ fn }) => (fn.inFormat.signed ? -1 : 1));
        history.push(xs);
        fns.forEach(({ tag }, j) => void m.poke(`x_${tag}`, xs[j]));
        void m.step(1);
        const src = c - (L - 1); // the input whose result is in the output registers now
        if (src < 0) continue;
        const xin = history[src];
        fns.forEach(({ tag, fn }, j) => {
          const slot = new SatSlot(tag);
          const want = fn.eval(xin[j], slot);
          satSeen[j] += slot.high;
          checks.push({ tag, port: 'y', want, x: xin[j], got: m.peek(`y_${tag}`) });
          checks.push({ tag, port: 'sat', want: slot.high > 0 ? 1 : 0, x: xin[j], got: m.peek(`sat_${tag}`) });
        });
      }
      const got = await Promise.all(checks.map((ch) => ch.got));
      checks.forEach((ch, i) => {
        if (got[i] !== ch.want) throw new Error(`${ch.tag}.${ch.port}(x = ${ch.x}): got ${got[i]}, expected ${ch.want}`);
      });
    }
    // the sat flag was exercised: expNeg's UQ0.16 cannot hold e^0, recip / rsqrt saturate at x = 0
    for (const tag of ['expneg', 'recip', 'rsqrt', 'recip_b']) expect(satSeen[fns.findIndex((f) => f.tag === tag)], tag).toBeGreaterThan(0);
  });
});

describe('tableLookup with x_valid co-simulated against fn.eval(raw)', () => {
  let m: Model;
  const fns = tableFns();
  beforeAll(async () => {
    m = await buildFromIr(tableTop(true));
  });
  afterAll(async () => {
    await m?.close();
  });

  it(`y and sat are the result of the last valid input ${TABLE_LATENCY} cycles back, held between valid inputs (random inputs and valid bits)`, async () => {
    await m.reset(2);
    const rng = new Rng(47);
    const L = TABLE_LATENCY;
    const cycles = 6000;
    // per table: the cycle's input and valid bit
    const xs: number[][] = [];
    const vs: boolean[][] = [];
    const last = fns.map(() => -1); // the last valid cycle ≤ the source cycle, per table
    const checks: { tag: string; port: string; want: number; x: number; c: number; got: Promise<number> }[] = [];
    for (let c = 0; c < cycles; c++) {
      // runs of valid and idle cycles: each table's valid bit changes with probability 0.3
      const x = fns.map(({ fn }) => {
        const n = span(fn);
        const raw = n > 2 ** 16 && rng.int(4) === 0 ? 2 ** rng.int(Math.log2(n)) : rng.int(Math.min(n, 2 ** 30));
        return fn.inFormat.signed ? raw - n / 2 : raw;
      });
      const v = fns.map((_, j) => (c === 0 ? rng.int(2) === 0 : rng.int(10) < 3 ? !vs[c - 1][j] : vs[c - 1][j]));
      xs.push(x);
      vs.push(v);
      fns.forEach(({ tag }, j) => {
        void m.poke(`x_${tag}`, x[j]);
        void m.poke(`v_${tag}`, v[j] ? 1 : 0);
      });
      void m.step(1);
      const src = c - (L - 1);
      if (src < 0) continue;
      fns.forEach(({ tag, fn }, j) => {
        if (vs[src][j]) last[j] = src;
        if (last[j] < 0) return;
        const xin = xs[last[j]][j];
        const slot = new SatSlot(tag);
        const want = fn.eval(xin, slot);
        checks.push({ tag, port: 'y', want, x: xin, c, got: m.peek(`y_${tag}`) });
        checks.push({ tag, port: 'sat', want: slot.high > 0 ? 1 : 0, x: xin, c, got: m.peek(`sat_${tag}`) });
      });
    }
    const got = await Promise.all(checks.map((ch) => ch.got));
    checks.forEach((ch, i) => {
      if (got[i] !== ch.want) throw new Error(`${ch.tag}.${ch.port}(x = ${ch.x}) at cycle ${ch.c}: got ${got[i]}, expected ${ch.want}`);
    });
    expect(checks.length).toBeGreaterThan(fns.length * 2 * (cycles - 100));
  });
});
