import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instr } from '../../../generator/ucore/isa.js';
import { SAT_LATENCY, satUnit } from '../../../generator/ucore/rtl/sat.js';
import { buildFromIr } from '../../../sim/verilator/from-ir.js';
import type { Model } from '../../../sim/verilator/model.js';
import { Rng } from '../../../sim/rng.js';
import { edge, held, iss, operand } from './ref.js';

const lone: Instr = { op: 'lone', rd: 3, ra: 1 };

// the 32-bit variant against the ISS on 32-bit operands, widths and bounds (its results then fit 32 bits)
describe.each([64, 32])('ucore saturation unit (%i-bit words) co-simulated against the ISS', (xlen) => {
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(satUnit(xlen));
  });
  afterAll(async () => {
    await m?.close();
  });

  it('sat (every width, signed and unsigned), satr and lone, each held for the latency: values at and beside the bounds, random and edge values', async () => {
    const rng = new Rng(4242 + xlen);
    const N = 8000;
    // y_en and lone_en low now and then: that output is then 0 (and sat_hi, sat_lo are read only with y_en high)
    const cols = { a: [] as bigint[], w: [] as number[], sgn: [] as number[], range: [] as number[], lo: [] as bigint[], hi: [] as bigint[], yEn: [] as number[], loneEn: [] as number[] };
    const want: { y: bigint; hi: number; lo: number; flags: boolean; lone: bigint; what: string }[] = [];
    const seen = { high: 0, low: 0, inside: 0, atBound: 0 };
    for (let n = 0; n < N; n++) {
      const range = rng.int(3) === 0;
      const w = 1 + rng.int(xlen - 1);
      const signed = rng.int(2) === 1;
      let lo = operand(rng, xlen);
      let hi = operand(rng, xlen);
      if (rng.int(10) !== 0 && lo > hi) [lo, hi] = [hi, lo]; // now and then lo > hi: the ISS's order decides
      const W = BigInt(w);
      const bLo = range ? lo : signed ? -(1n << (W - 1n)) : 0n;
      const bHi = range ? hi : signed ? (1n << (W - 1n)) - 1n : (1n << W) - 1n;
      const pick = rng.int(4);
      const x = pick === 0 ? BigInt.asIntN(xlen, [bLo, bHi][rng.int(2)] + BigInt(rng.int(3) - 1)) : pick === 1 ? edge(rng, xlen) : operand(rng, xlen);
      const ins: Instr = range ? { op: 'satr', rd: 3, ra: 1, lo, hi, q: 0 } : { op: 'sat', rd: 3, ra: 1, w, signed, q: 0 };
      const r = iss(ins, x);
      const l = iss(lone, x);
      cols.a.push(x);
      cols.w.push(w);
      cols.sgn.push(signed ? 1 : 0);
      cols.range.push(range ? 1 : 0);
      cols.lo.push(lo);
      cols.hi.push(hi);
      const yEn = rng.int(8) === 0 ? 0 : 1;
      const loneEn = rng.int(8) === 0 ? 0 : 1;
      cols.yEn.push(yEn);
      cols.loneEn.push(loneEn);
      want.push({ y: yEn ? r.rd : 0n, hi: r.satHi, lo: r.satLo, flags: yEn === 1, lone: loneEn ? l.rd : 0n, what: `${range ? `satr [${lo}, ${hi}]` : `sat w=${w} ${signed ? 'signed' : 'unsigned'}`} a=${x}` });
      seen.high += r.satHi;
      seen.low += r.satLo;
      if (r.satHi + r.satLo === 0) seen.inside++;
      if (x === bLo || x === bHi) seen.atBound++;
    }
    await m.reset(2);
    const L = SAT_LATENCY;
    const t = await m.play({
      inputs: { a: held(cols.a, L, 0n), w: held(cols.w, L, 1), sgn: held(cols.sgn, L, 0), range: held(cols.range, L, 0), lo: held(cols.lo, L, 0n), hi: held(cols.hi, L, 0n), y_en: held(cols.yEn, L, 0), lone_en: held(cols.loneEn, L, 0) },
      outputs: ['y', 'sat_hi', 'sat_lo', 'lone'],
    });
    const y = Array.from(t.outputs.y as ArrayLike<number | bigint>, (v) => BigInt(v)); // numbers up to 32 bits, bigints above
    const fh = t.outputs.sat_hi;
    const fl = t.outputs.sat_lo;
    const ln = t.outputs.lone;
    expect(y.length).toBe((N + 1) * L);
    for (let n = 0; n < N; n++) {
      const e = want[n];
      const c = (n + 1) * L;
      const got = { y: y[c], hi: Number(fh[c]), lo: Number(fl[c]), lone: BigInt(ln[c]) };
      if (got.y !== e.y || (e.flags && (got.hi !== e.hi || got.lo !== e.lo)) || got.lone !== e.lone) {
        throw new Error(`${e.what}: got y=${got.y} hi=${got.hi} lo=${got.lo} lone=${got.lone}, expected y=${e.y} hi=${e.hi} lo=${e.lo} lone=${e.lone}`);
      }
    }
    expect(seen.high).toBeGreaterThan(500);
    expect(seen.low).toBeGreaterThan(500);
    expect(seen.inside).toBeGreaterThan(500);
    expect(seen.atBound).toBeGreaterThan(300);
  });
});
