import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHIP } from '../../../generator/config.js';
import { designModules } from '../../../generator/design.js';
import { Lfsr, SatSlot, fast, maxRawNum, minRawNum, mulFormat, width, type NoiseSource } from '../../../generator/fixed/index.js';
import type { Module } from '../../../generator/ir/index.js';
import { TABLE_LATENCY } from '../../../generator/lib/arith/index.js';
import { buildFromIr } from '../../../sim/verilator/from-ir.js';
import type { Model } from '../../../sim/verilator/model.js';
import { Rng } from '../../../sim/rng.js';
import { chipBlocks, chipTop } from './tops.js';

function children(mod: Module): Module[] {
  return mod.items.flatMap((it) => (it.kind === 'instance' ? [it.instance.module, ...children(it.instance.module)] : []));
}

describe('the arithmetic blocks of the default chip co-simulated against the golden model', () => {
  const top = chipTop(DEFAULT_CHIP);
  const { lfsrSpec, mul, fns } = chipBlocks(DEFAULT_CHIP);
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(top);
  });
  afterAll(async () => {
    await m?.close();
  });

  it('covers every lfsr / fixedMul / table block that `ibhebb gen` emits for the default chip', () => {
    const inTop = new Set(children(top).map((c) => c.name));
    const emitted = designModules(DEFAULT_CHIP)
      .map((c) => c.name)
      .filter((n) => /^(lfsr|fmul|tbl)_/.test(n));
    expect(emitted.length).toBeGreaterThanOrEqual(6);
    for (const n of emitted) expect(inTop.has(n), n).toBe(true);
  });

  it('tables on every input up to 2^16 values (exp over its whole domain x ≤ 0), the LFSR-fed weight-update product', async () => {
    await m.reset(2);
    await m.poke('go', 1);
    const rng = new Rng(9);
    const L = TABLE_LATENCY;
    const span = (i: number) => 2 ** width(fns[i].fn.inFormat);
    const inputFor = (tagIdx: number, c: number): number => {
      const { tag, fn } = fns[tagIdx];
      const n = span(tagIdx);
      if (tag === 'exp') return c <= n / 2 ? -c : rng.int(n / 2); // the domain [−2^(w−1), 0] in full, then x > 0
      if (n <= 2 ** 16) return fn.inFormat.signed ? (c % n) - n / 2 : c % n;
      if (c < width(fn.inFormat)) return 2 ** c; // every exponent
      if (c < 2 * width(fn.inFormat)) return 2 ** (c - width(fn.inFormat)) - 1;
      return rng.int(n);
    };
    const total = Math.max(2 ** 16, span(fns.findIndex((f) => f.tag === 'exp')) / 2 + 1) + 200;
    const hw = new Lfsr(lfsrSpec);
    const history: number[][] = [];
    const CHUNK = 4096;
    for (let c0 = 0; c0 < total + L - 1; c0 += CHUNK) {
      const checks: { what: string; want: number; got: Promise<number> }[] = [];
      for (let c = c0; c < Math.min(c0 + CHUNK, total + L - 1); c++) {
        const xs = fns.map((_, i) => (c < total ? inputFor(i, c) : 0));
        history.push(xs);
        fns.forEach(({ tag }, i) => void m.poke(`x_${tag}`, xs[i]));
        const a = minRawNum(mul.fa) + rng.int(maxRawNum(mul.fa) - minRawNum(mul.fa) + 1);
        const b = minRawNum(mul.fb) + rng.int(maxRawNum(mul.fb) - minRawNum(mul.fb) + 1);
        void m.poke('a', a);
        void m.poke('b', b);
        const r = hw.draw();
        checks.push({ what: `lfsr draw at cycle ${c}`, want: r, got: m.peek('r') });
        let draws = 0;
        const src: NoiseSource = { rbits: mul.rbits, draw: () => (draws++, r) };
        const slot = new SatSlot('w');
        const want = fast.resize(fast.mul(a, mul.fa, b, mul.fb), mulFormat(mul.fa, mul.fb), mul.out, mul.rounding, mul.overflow, src, slot);
        void m.step(1);
        checks.push({ what: `product a=${a} b=${b} r=${r}`, want, got: m.peek('out') });
        if (mul.overflow === 'saturate') checks.push({ what: `sat a=${a} b=${b}`, want: slot.count > 0 ? 1 : 0, got: m.peek('sat') });
        const src0 = c - (L - 1);
        if (src0 < 0) continue;
        fns.forEach(({ tag, fn }, i) => {
          const x = history[src0][i];
          const s = new SatSlot(tag);
          checks.push({ what: `${tag}(${x})`, want: fn.eval(x, s), got: m.peek(`y_${tag}`) });
          checks.push({ what: `${tag}.sat(${x})`, want: s.high > 0 ? 1 : 0, got: m.peek(`sat_${tag}`) });
        });
      }
      const got = await Promise.all(checks.map((ch) => ch.got));
      checks.forEach((ch, i) => {
        if (got[i] !== ch.want) throw new Error(`${ch.what}: got ${got[i]}, expected ${ch.want}`);
      });
    }
  });
});
