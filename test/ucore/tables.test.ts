import { describe, expect, it } from 'vitest';
import { SatSlot, width, type TableFunction } from '../../generator/fixed/index.js';
import { chipTables, DEFAULT_NUMERIC, resolveNumeric, withNumeric, type NumericConfig } from '../../generator/numeric.js';
import { Asm } from '../../generator/ucore/asm.js';
import { counterOf } from '../../generator/ucore/program/common.js';
import { emitTableEval, emitTableSub, tableImage, tableRegs } from '../../generator/ucore/program/tables.js';
import { Rng } from '../../sim/rng.js';
import { Machine } from '../../sim/ucore/iss.js';

const Q = counterOf('gram');
const BATCH = 8192;

/** Runs tf's subroutine over `inputs` in batches; checks every output and the counter against tf.eval. */
function check(tf: TableFunction, inputs: number[], inline = false): { cycles: number } {
  const img = tableImage(tf);
  const inW = Math.ceil(width(tf.inFormat) / 16);
  const outW = Math.ceil(width(tf.outFormat) / 16);
  const romBase = 0;
  const inBase = img.words.length;
  const outBase = inBase + BATCH * inW;
  const memWords = outBase + BATCH * outW;
  const cfg = { memWords, lanes: 1, lfsr: { width: 32, rbits: 16, leap: 16 }, quantities: 17 };
  const m = new Machine(cfg);
  m.mem.set(img.words, romBase);
  const slot = new SatSlot('t');
  let cycles = 0;
  for (let b0 = 0; b0 < inputs.length; b0 += BATCH) {
    const batch = inputs.slice(b0, b0 + BATCH);
    const a = new Asm();
    const r = tableRegs(a);
    const sub = emitTableSub(a, tf, romBase, Q, r);
    a.with(2, (pi, po) => {
      a.li(pi, inBase);
      a.li(po, outBase);
      a.loop(batch.length, () => {
        a.ld(r.x, pi, 0, inW, tf.inFormat.signed);
        if (inline) emitTableEval(a, tf, romBase, r.y, r.x, Q);
        else a.call(sub);
        a.st(r.y, po, 0, outW);
        a.add(pi, pi, { imm: inW });
        a.add(po, po, { imm: outW });
      });
    });
    a.halt();
    batch.forEach((v, i) => m.store(inBase + i * inW, inW, BigInt(v)));
    const c0 = m.cycles;
    m.run(a.finish());
    cycles = (m.cycles - c0) / batch.length;
    const got = Array.from({ length: batch.length }, (_, i) => Number(m.load(outBase + i * outW, outW, false)));
    const want = batch.map((v) => tf.eval(v, slot));
    for (let i = 0; i < batch.length; i++) {
      if (got[i] !== want[i]) expect(`${tf.name}(${batch[i]}) = ${got[i]}`).toBe(`${tf.name}(${batch[i]}) = ${want[i]}`);
    }
  }
  expect({ high: m.sat[2 * Q], low: m.sat[2 * Q + 1] }).toEqual({ high: slot.high, low: slot.low });
  return { cycles };
}

function allInputs(tf: TableFunction): number[] {
  const w = width(tf.inFormat);
  const lo = tf.inFormat.signed ? -(2 ** (w - 1)) : 0;
  return Array.from({ length: 2 ** w }, (_, i) => lo + i);
}

function randomInputs(tf: TableFunction, n: number, seed: number): number[] {
  const w = width(tf.inFormat);
  const lo = tf.inFormat.signed ? -(2 ** (w - 1)) : 0;
  const hi = lo + 2 ** w - 1;
  const rng = new Rng(seed);
  const out = [lo, hi, 0, 1, Math.max(lo, -1)];
  for (let k = 0; k < w; k++) for (const d of [-1, 0, 1]) out.push(Math.min(hi, Math.max(lo, 2 ** k + d)));
  while (out.length < n) {
    // uniform raw words, and small values (every exponent)
    const e = rng.int(w + 1);
    const v = rng.int(2) ? lo + Math.floor(rng.uniform() * 2 ** w) : Math.floor(rng.uniform() * 2 ** e);
    out.push(Math.min(hi, Math.max(lo, v)));
  }
  return out;
}

function tablesOf(n: NumericConfig, classes = 10) {
  return chipTables(resolveNumeric(n), classes);
}

describe('ucore table functions', () => {
  const T = tablesOf(DEFAULT_NUMERIC);

  it('ROM images hold every entry of tf.tables()', () => {
    for (const tf of Object.values(T)) {
      const img = tableImage(tf);
      const roms = tf.tables();
      const words = (v: bigint, n: number, signed: boolean) => {
        let x = 0n;
        for (let i = n - 1; i >= 0; i--) x = (x << 16n) | BigInt(img.words[Number(v) + i]);
        return Number(signed ? BigInt.asIntN(16 * n, x) : x);
      };
      roms[0].entries.forEach((e, i) => expect(words(BigInt(i * img.nb), img.nb, img.baseSigned)).toBe(e));
      if (img.interpolate) roms[1].entries.forEach((e, i) => expect(words(BigInt(img.slopeOff + i * img.ns), img.ns, img.slopeSigned)).toBe(e));
    }
  });

  it('expNeg: exhaustive over its 16-bit input, outputs and counter equal', () => {
    const r = check(T.expNeg, allInputs(T.expNeg));
    console.log(`expNeg: ${r.cycles} cycles per call (incl. loop)`);
  });

  it('exp: exhaustive over its 17-bit input (o − max o), outputs and counter equal', () => {
    const r = check(T.exp, allInputs(T.exp));
    console.log(`exp: ${r.cycles} cycles per call (incl. loop)`);
  });

  it('recip: 40,000 inputs incl. 0, max and powers of two ±1, outputs and counter equal', () => {
    const r = check(T.recip, randomInputs(T.recip, 40000, 11));
    console.log(`recip: ${r.cycles} cycles per call (incl. loop)`);
  });

  it('rsqrt: 40,000 inputs incl. 0, max and powers of two ±1, outputs and counter equal', () => {
    const r = check(T.rsqrt, randomInputs(T.rsqrt, 40000, 12));
    console.log(`rsqrt: ${r.cycles} cycles per call (incl. loop)`);
  });

  it('the inline form (emitTableEval) gives the same words', () => {
    for (const tf of Object.values(T)) check(tf, randomInputs(tf, 3000, 13), true);
  });

  it('other table configurations: no interpolation, odd sizes, more guard bits; saturating outputs', () => {
    const cfgs: NumericConfig[] = [
      withNumeric(DEFAULT_NUMERIC, {
        tables: {
          expNeg: { tableBits: 5, interpolate: false, interpBits: 0, guardBits: 2 },
          exp: { tableBits: 3, interpolate: true, interpBits: 11, guardBits: 7 },
          rsqrt: { tableBits: 3, interpolate: false, interpBits: 5, guardBits: 0 },
          recip: { tableBits: 7, interpolate: true, interpBits: 3, guardBits: 9 },
        },
      }),
      // narrow outputs: recip / rsqrt saturate at small inputs
      withNumeric(DEFAULT_NUMERIC, { lnInvStd: { format: 'UQ3.13', rounding: 'nearest', overflow: 'saturate' }, gram: { format: 'UQ1.20', rounding: 'nearest', overflow: 'saturate' } }),
    ];
    cfgs.forEach((n, k) => {
      const t = tablesOf(n, 3);
      for (const tf of Object.values(t)) check(tf, randomInputs(tf, 6000, 20 + k));
    });
  });
});
