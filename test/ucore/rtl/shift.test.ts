import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instr } from '../../../generator/ucore/isa.js';
import { SHIFT_LATENCY, SHIFT_OPS, shiftUnit, type ShiftOp } from '../../../generator/ucore/rtl/shift.js';
import { buildFromIr } from '../../../sim/verilator/from-ir.js';
import type { Model } from '../../../sim/verilator/model.js';
import { Rng } from '../../../sim/rng.js';
import { drawFrom, held, iss, operand } from './ref.js';

const OPS = Object.keys(SHIFT_OPS) as ShiftOp[];

/** The ISS's instruction for an operation (ra = r1, b = r2 holding the amount, lane r4 = 0, rd = r3). */
function instr(op: ShiftOp, amt: number): Instr {
  if (op === 'shl') return { op: 'shl', rd: 3, ra: 1, b: { reg: 2 } };
  if (op === 'srnd') return { op: 'srnd', rd: 3, ra: 1, k: amt, lane: 4 };
  return { op: 'shr', rd: 3, ra: 1, b: { reg: 2 }, mode: op };
}

// 16-bit draws (the default config) and 5-bit ones (every guard bit then falls off in the first shift stage too);
// the 32-bit variant against the ISS on 32-bit operands, its results wrapped to 32 bits (only shl's exceed them)
describe.each([
  { g: 16, xlen: 64 },
  { g: 5, xlen: 64 },
  { g: 16, xlen: 32 },
])('ucore shift unit ($g-bit draws, $xlen-bit words) co-simulated against the ISS', ({ g, xlen }) => {
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(shiftUnit(g, xlen));
  });
  afterAll(async () => {
    await m?.close();
  });

  it('shl, shr in every mode and srnd, each started and held for the latency: random and edge operands, amounts 0/1/xlen − 1, rounding ties, srnd carry boundaries', async () => {
    const rng = new Rng(2026 + g + xlen);
    const N = 6000;
    const a: bigint[] = [];
    const amt: number[] = [];
    const op: number[] = [];
    const rho: number[] = [];
    const en: number[] = [];
    const want: bigint[] = [];
    const what: string[] = [];
    const seen = { ties: 0, srndEdges: 0, ops: new Set<ShiftOp>() };
    for (let n = 0; n < N; n++) {
      const o = OPS[rng.int(OPS.length)];
      const lo = o === 'srnd' ? 1 : 0;
      const pick = rng.int(6);
      const b = pick === 0 ? lo : pick === 1 ? 1 : pick === 2 ? xlen - 1 : lo + rng.int(xlen - lo);
      let x = operand(rng, xlen);
      const state = 1 + rng.int(2 ** 32 - 1);
      const r = drawFrom(state, g);
      if (b >= 1 && rng.int(4) === 0) {
        // the dropped fraction at a boundary: a tie of the rounding modes, or where srnd's carry begins
        const q = BigInt.asIntN(xlen - b, BigInt(rng.int(2 ** 32)) * BigInt(rng.int(2 ** 32)) * (rng.int(2) ? 1n : -1n));
        const frac = o === 'srnd' ? (b >= g ? BigInt(2 ** g - r) << BigInt(b - g) : (1n << BigInt(b)) - (BigInt(r) >> BigInt(g - b))) : 1n << BigInt(b - 1);
        x = BigInt.asIntN(xlen, (q << BigInt(b)) + frac - BigInt(rng.int(2)));
        if (o === 'srnd') seen.srndEdges++;
        else seen.ties++;
      }
      const ref = iss(instr(o, b), x, BigInt(b), g);
      const y = BigInt.asIntN(xlen, ref.rd);
      if (o !== 'shl' && y !== ref.rd) throw new Error(`${o} of a ${xlen}-bit value left ${xlen} bits: ${ref.rd}`);
      a.push(x);
      amt.push(b);
      op.push(SHIFT_OPS[o]);
      rho.push(r);
      // en low now and then: y is then 0
      const e = rng.int(8) === 0 ? 0 : 1;
      en.push(e);
      want.push(e ? y : 0n);
      what.push(`${o} a=${x} amt=${b} rho=${r}`);
      seen.ops.add(o);
    }
    await m.reset(2);
    const L = SHIFT_LATENCY;
    const start = Array.from({ length: (N + 1) * L }, (_, c) => (c % L === 0 && c < N * L ? 1 : 0));
    const t = await m.play({ inputs: { start, a: held(a, L, 0n), amt: held(amt, L, 0), op: held(op, L, 0), rho: held(rho, L, 0), en: held(en, L, 0) }, outputs: ['y'] });
    const y = Array.from(t.outputs.y as ArrayLike<number | bigint>, (v) => BigInt(v)); // numbers up to 32 bits, bigints above
    expect(y.length).toBe((N + 1) * L);
    // y at cycle (n + 1)·L is the result of the inputs held from cycle n·L: every word compared
    for (let n = 0; n < N; n++) if (y[(n + 1) * L] !== want[n]) throw new Error(`${what[n]}: got ${y[(n + 1) * L]}, expected ${want[n]}`);
    expect(seen.ops.size).toBe(OPS.length);
    expect(seen.ties).toBeGreaterThan(500);
    expect(seen.srndEdges).toBeGreaterThan(100);
  });
});
