import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Instr } from '../../../generator/ucore/isa.js';
import { mulCycles, mulSchedule, mulUnit } from '../../../generator/ucore/rtl/mul.js';
import { buildFromIr } from '../../../sim/verilator/from-ir.js';
import type { Model } from '../../../sim/verilator/model.js';
import { Rng } from '../../../sim/rng.js';
import { edge, iss, ofBits, operand } from './ref.js';

/** mul (k = 0) or mulr k in the ISS: ra = r1, b = r2, rd = r3. */
const instr = (k: number, asMul: boolean): Instr => (asMul ? { op: 'mul', rd: 3, ra: 1, b: { reg: 2 } } : { op: 'mulr', rd: 3, ra: 1, b: { reg: 2 }, k });

interface Op {
  a: bigint;
  b: bigint;
  k: number;
  want: bigint;
  what: string;
}

/** Operands whose product has its dropped bits exactly at half (a tie of mulr's rounding), k in 1 … 63. */
function tie(rng: Rng, k: number): [bigint, bigint] {
  const e = rng.int(k); // a = odd·2^e, b = odd·2^(k−1−e): p = odd·2^(k−1)
  const odd = (maxBits: number): bigint => (ofBits(rng, 1 + rng.int(Math.max(1, maxBits))) | 1n) * (rng.int(2) ? 1n : -1n);
  const a = BigInt.asIntN(64, odd(Math.min(30, 63 - e)) << BigInt(e));
  const b = BigInt.asIntN(64, odd(Math.min(30, 63 - (k - 1 - e))) << BigInt(k - 1 - e));
  return [a, b];
}

describe('ucore multiply unit co-simulated against the ISS', () => {
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(mulUnit());
  });
  afterAll(async () => {
    await m?.close();
  });

  it('the schedule: one partial product per pair of chunks that are not sign extension, within the K + 4 columns', () => {
    // 16 × 16 bit: one product and three empty columns; a chunk of 0x8000 is 17 signed bits: two chunks
    expect(mulSchedule(30000n, -20000n, 0)).toEqual([{ i: 0, j: 0 }, null, null, null]);
    expect(mulSchedule(0x8000n, 1n, 0)).toEqual([{ i: 0, j: 0 }, { i: 1, j: 0 }, null, null]);
    // 64 × 64: the ten products of columns 0 … 3
    expect(mulSchedule(-(2n ** 63n), 2n ** 63n - 1n, 0).filter((e) => e !== null).length).toBe(10);
    // k = 20: s = 12, b·2^12 takes a second chunk; columns 0 … 5
    expect(mulSchedule(1000n, 1000n, 20)).toEqual([{ i: 0, j: 0 }, { i: 0, j: 1 }, null, null, null, null]);
    // k ≤ −64: no column at all
    expect(mulSchedule(5n, 7n, -64)).toEqual([]);
    expect(mulCycles(5n, 7n, -64)).toBe(2);
  });

  it('mul and mulr k (−128 … 127) back to back: random and edge factors, rounding ties; every result word, its done cycle, busy', async () => {
    const rng = new Rng(31337);
    const N = 5000;
    const ops: Op[] = [];
    let ties = 0;
    for (let n = 0; n < N; n++) {
      const kind = rng.int(10);
      // mul, mulr with a k of the programs (1 … 40), an edge k, any k, a tie
      const EDGE_K = [1, 63, 64, 127, -1, -63, -64, -128, 16, -16];
      const k = kind < 3 ? 0 : kind < 6 ? 1 + rng.int(40) : kind < 8 ? EDGE_K[rng.int(EDGE_K.length)] : kind === 8 ? -128 + rng.int(256) : 1 + rng.int(63);
      let a = operand(rng);
      let b = rng.int(6) === 0 ? edge(rng) : operand(rng);
      if (kind === 9) {
        [a, b] = tie(rng, k);
        ties++;
      }
      const asMul = k === 0 && rng.int(2) === 0;
      ops.push({ a, b, k, want: iss(instr(k, asMul), a, b).rd, what: `${asMul ? 'mul' : `mulr k=${k}`} a=${a} b=${b}` });
    }
    // start in cycle t_n; the result in the done cycle t_n + L_n, where the next operation starts
    const starts: number[] = [];
    let t = 0;
    for (const o of ops) {
      starts.push(t);
      t += mulCycles(o.a, o.b, o.k);
    }
    const T = t + 1;
    const start = new Array<number>(T).fill(0);
    const a = new Array<bigint>(T).fill(0n);
    const b = new Array<bigint>(T).fill(0n);
    const k = new Array<number>(T).fill(0);
    ops.forEach((o, n) => {
      const end = n + 1 < N ? starts[n + 1] : T;
      start[starts[n]] = 1;
      for (let c = starts[n]; c < end; c++) {
        // the factors held to the done cycle; k only counts in the start cycle: other values the rest of the time
        a[c] = o.a;
        b[c] = o.b;
        k[c] = c === starts[n] ? o.k : -128 + rng.int(256);
      }
    });
    await m.reset(2);
    const r = await m.play({ inputs: { start, a, b, k, en: start.map(() => 1) }, outputs: ['p', 'busy'], when: { port: 'done', equals: 1 } });
    const p = r.outputs.p as bigint[];
    expect(p.length).toBe(N);
    const c0 = r.cycles[0] - (starts.length > 1 ? starts[1] : T - 1);
    ops.forEach((o, n) => {
      if (p[n] !== o.want) throw new Error(`${o.what}: got ${p[n]}, expected ${o.want}`);
      const doneAt = n + 1 < N ? starts[n + 1] : T - 1;
      expect(r.cycles[n] - c0, o.what).toBe(doneAt);
      expect(Number(r.outputs.busy[n]), o.what).toBe(0);
    });
    expect(ties).toBeGreaterThan(300);
    expect(new Set(ops.map((o) => o.k)).size).toBeGreaterThan(200);
  });

  it('busy from the cycle after start to the cycle before done; a start while busy is ignored', async () => {
    await m.reset(2);
    const cases: [bigint, bigint, number][] = [
      [-(2n ** 63n), -(2n ** 63n), 0],
      [123456789n, -987654321n, 17],
      [3n, 5n, 0],
    ];
    for (const [a, b, k] of cases) {
      const L = mulCycles(a, b, k);
      // two cycles more, en low in them: p is 0 in the second
      const start = [1, ...new Array<number>(L + 2).fill(0)];
      start[2] = 1; // ignored: busy
      const want = iss(instr(k, false), a, b).rd;
      // the factors held; the ignored start's k differs
      const r = await m.play({ inputs: { start, a: start.map(() => a), b: start.map(() => b), k: start.map((_, c) => (c === 0 ? k : k + 1)), en: start.map((_, c) => (c <= L ? 1 : 0)) }, outputs: ['busy', 'done', 'p'] });
      const busy = Array.from(r.outputs.busy, Number);
      const done = Array.from(r.outputs.done, Number);
      expect(busy).toEqual([0, ...new Array<number>(L - 1).fill(1), 0, 0, 0]);
      expect(done).toEqual([...new Array<number>(L).fill(0), 1, 0, 0]);
      expect((r.outputs.p as bigint[])[L]).toBe(want);
      expect((r.outputs.p as bigint[])[L + 2]).toBe(0n);
    }
  });
});
