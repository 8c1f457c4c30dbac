import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Lfsr,
  SatSlot,
  fast,
  maxRawNum,
  minRawNum,
  mulFormat,
  parseFormat,
  width,
  type FixedFormat,
  type NoiseSource,
} from '../../../generator/fixed/index.js';
import { fixedMul } from '../../../generator/lib/arith/index.js';
import { buildFromIr } from '../../../sim/verilator/from-ir.js';
import type { Model } from '../../../sim/verilator/model.js';
import { Rng } from '../../../sim/rng.js';
import { MUL_GROUPS, modeTag, mulAllTop, type MulGroup } from './tops.js';

const dropped = (g: MulGroup): number => g.fa.fracBits + g.fb.fracBits - g.out.fracBits;

/** A raw operand: corners, parts of rounding ties, or uniform. */
function operand(rng: Rng, f: FixedFormat): number {
  const lo = minRawNum(f);
  const hi = maxRawNum(f);
  const pick = rng.int(10);
  if (pick === 0) return [lo, hi, 0, 1, f.signed ? -1 : hi - 1, lo + 1][rng.int(6)];
  return lo + rng.int(hi - lo + 1);
}

/** Operands whose exact product has its dropped bits exactly half an output step (a rounding tie). */
function tie(rng: Rng, g: MulGroup): [number, number] | null {
  const k = dropped(g);
  const wa = width(g.fa) - (g.fa.signed ? 1 : 0);
  const wb = width(g.fb) - (g.fb.signed ? 1 : 0);
  const splits: number[] = [];
  for (let ea = 0; ea <= k - 1; ea++) if (ea <= wa - 1 && k - 1 - ea <= wb - 1) splits.push(ea);
  if (splits.length === 0) return null;
  const ea = splits[rng.int(splits.length)];
  const eb = k - 1 - ea;
  const odd = (e: number, w: number, signed: boolean): number => {
    const n = Math.floor((2 ** w - 1) / 2 ** e); // largest |multiplier|
    const o = 2 * rng.int(Math.floor((n + 1) / 2)) + 1;
    return (signed && rng.int(2) ? -o : o) * 2 ** e;
  };
  return [odd(ea, wa, g.fa.signed), odd(eb, wb, g.fb.signed)];
}

function source(r: number, rbits: number, counter: { n: number }): NoiseSource {
  return {
    rbits,
    draw() {
      counter.n++;
      return r;
    },
  };
}

describe('fixedMul (IR)', () => {
  it('has the documented ports for each mode', () => {
    const f = parseFormat('Q4.12');
    const ports = (mod: ReturnType<typeof fixedMul>) => mod.ports.map((p) => p.name).join(',');
    expect(ports(fixedMul(f, f, f, 'nearest', 'wrap'))).toBe('clk,rst,a,b,out');
    expect(ports(fixedMul(f, f, f, 'stochastic', 'saturate', { rbits: 8 }))).toBe('clk,rst,a,b,r,out,sat,sat_lo');
    expect(fixedMul(f, f, f, 'stochastic', 'saturate', { rbits: 8 }).ports.find((p) => p.name === 'r')?.type.width).toBe(8);
    // no bits dropped: no draw
    expect(ports(fixedMul(parseFormat('Q4.0'), f, f, 'stochastic', 'wrap'))).toBe('clk,rst,a,b,out');
    expect(fixedMul(f, f, f, 'floor', 'saturate').params.latency).toBe(1);
  });
});

describe('fixedMul co-simulated against fast.resize(fast.mul(...))', () => {
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(mulAllTop());
  });
  afterAll(async () => {
    await m?.close();
  });

  it('every rounding × overflow mode, bit for bit, on random, corner and tie operands; stochastic draws from TS Lfsrs', async () => {
    await m.reset(2);
    await m.poke('go', 1);
    const rng = new Rng(77);
    const lfsrs = MUL_GROUPS.map((g, i) => new Lfsr({ width: Math.max(g.rbits, 8), rbits: g.rbits, seed: 0x35 + i, leap: g.rbits }));
    const hwLfsr = new Lfsr({ width: 16, seed: 0xace1, rbits: 16 });
    const g0 = MUL_GROUPS[0];
    const CYCLES = 3000;
    const CHUNK = 500;
    const seen = { ties: 0, satHigh: 0, satLow: 0, draws: 0 };
    for (let c0 = 0; c0 < CYCLES; c0 += CHUNK) {
      const checks: { name: string; want: number; got: Promise<number>; what: string }[] = [];
      for (let c = c0; c < c0 + CHUNK; c++) {
        const outs: { name: string; want: number; what: string }[] = [];
        for (const [gi, g] of MUL_GROUPS.entries()) {
          let a: number;
          let b: number;
          const t = rng.int(5) === 0 ? tie(rng, g) : null;
          if (t) {
            [a, b] = t;
            seen.ties++;
          } else {
            a = operand(rng, g.fa);
            b = operand(rng, g.fb);
          }
          void m.poke(`a_${g.tag}`, a);
          void m.poke(`b_${g.tag}`, b);
          const k = dropped(g);
          const r = lfsrs[gi].draw();
          if (k > 0) void m.poke(`r_${g.tag}`, r);
          const p = fast.mul(a, g.fa, b, g.fb);
          for (const md of g.modes) {
            const count = { n: 0 };
            const slot = new SatSlot('x');
            const want = fast.resize(p, mulFormat(g.fa, g.fb), g.out, md.rounding, md.overflow, source(r, g.rbits, count), slot);
            // one draw exactly when a stochastic rounding drops bits
            expect(count.n).toBe(md.rounding === 'stochastic' && k > 0 ? 1 : 0);
            const tag = `${g.tag}_${modeTag(md.rounding, md.overflow)}`;
            const what = `${tag} a=${a} b=${b} r=${r}`;
            outs.push({ name: `o_${tag}`, want, what });
            if (md.overflow === 'saturate') {
              outs.push({ name: `s_${tag}`, want: slot.count > 0 ? 1 : 0, what });
              outs.push({ name: `l_${tag}`, want: slot.low > 0 ? 1 : 0, what });
              seen.satHigh += slot.high;
              seen.satLow += slot.low;
            }
          }
        }
        // the multiplier fed by the hardware LFSR: the TS Lfsr with the same spec predicts its draws
        const a = operand(rng, g0.fa);
        const b = operand(rng, g0.fb);
        void m.poke('a_lfsr', a);
        void m.poke('b_lfsr', b);
        const r = hwLfsr.draw();
        seen.draws++;
        const slot = new SatSlot('l');
        const want = fast.resize(fast.mul(a, g0.fa, b, g0.fb), mulFormat(g0.fa, g0.fb), g0.out, 'stochastic', 'saturate', source(r, 16, { n: 0 }), slot);
        const rNow = m.peek('r_lfsr');
        checks.push({ name: 'r_lfsr', want: r, got: rNow, what: `cycle ${c}` });
        void m.step(1);
        for (const o of outs) checks.push({ ...o, got: m.peek(o.name) });
        checks.push({ name: 'o_lfsr', want, got: m.peek('o_lfsr'), what: `a=${a} b=${b} r=${r}` });
        checks.push({ name: 's_lfsr', want: slot.count > 0 ? 1 : 0, got: m.peek('s_lfsr'), what: `a=${a} b=${b}` });
      }
      const got = await Promise.all(checks.map((ch) => ch.got));
      checks.forEach((ch, i) => {
        if (got[i] !== ch.want) throw new Error(`${ch.name}: got ${got[i]}, expected ${ch.want} (${ch.what})`);
      });
    }
    expect(seen.ties).toBeGreaterThan(500);
    expect(seen.satHigh).toBeGreaterThan(100);
    expect(seen.satLow).toBeGreaterThan(100);
  });
});
