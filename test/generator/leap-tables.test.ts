/**
 * The LFSR leap's simulator form (lane.ts leapTables: byte tables that Verilator reads instead of the XOR
 * network): the tables against leapNumber for random states, and both forms of gatedLeap / gatedLeapPacked
 * simulated by Icarus, with and without -DVERILATOR, against the TypeScript advance — every output of every
 * vector, for register widths and leaps that are and are not multiples of 8, a leap wider than the register,
 * lanes packed two and three to a word.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TAPS } from '../../generator/fixed/index.js';
import { ModuleBuilder, uint, type Module } from '../../generator/ir/index.js';
import { gatedLeap, gatedLeapPacked, leapNumber, leapPackedNumber, leapPlan, leapTables, packedLeap } from '../../generator/units/lane.js';
import { Rng } from '../../sim/rng.js';
import { expectToolsClean, icarusBothForms } from './tool-checks.js';

/** [register width, leap, packed lanes (0: one lane only)] */
const SHAPES: [number, number, number][] = [
  [32, 16, 2],
  [16, 16, 3],
  [24, 12, 2],
  [31, 16, 2],
  [8, 3, 0],
  [5, 8, 0],
  [21, 16, 3],
];

function xorTables(tables: number[][], v: number): number {
  let out = 0;
  tables.forEach((t, k) => {
    out ^= t[Math.floor(v / 2 ** (8 * k)) % t.length];
  });
  return out >>> 0;
}

describe('LFSR leap tables (the simulator form of the leap)', () => {
  it('are the leap: (s >> LEAP) ⊕ the tables of the low bits equals leapNumber for random states', () => {
    const rng = new Rng(41);
    for (const w of [5, 8, 12, 16, 21, 24, 31, 32]) {
      for (const leap of [1, 3, 8, 12, 16, w, w + 5]) {
        const plan = leapPlan(w, DEFAULT_TAPS[w], leap);
        const tables = leapTables(plan) as number[][];
        expect(tables.length).toBe(Math.ceil(Math.min(leap, w) / 8));
        for (let t = 0; t < 200; t++) {
          const s = rng.int(2 ** w);
          const low = s % 2 ** Math.min(leap, w);
          const want = leapNumber(plan, s);
          const hi = leap < w ? Math.floor(s / 2 ** leap) : 0;
          expect((hi ^ xorTables(tables, low)) >>> 0, `width ${w} leap ${leap} state ${s}`).toBe(want);
        }
      }
    }
  });

  it('are not written for registers wider than 32 bits', () => {
    expect(leapTables(leapPlan(40, DEFAULT_TAPS[40] ?? 0b11, 16))).toBeNull();
  });
});

/** A module with one gated leap per shape (and a packed one where the shape packs): inputs en, s_<i>, p_<i>. */
function leapModule(): Module {
  const m = new ModuleBuilder('leap_forms', {});
  const en = m.input('en', uint(1));
  SHAPES.forEach(([w, leap, n], i) => {
    const plan = leapPlan(w, DEFAULT_TAPS[w], leap);
    const s = m.input(`s_${i}`, uint(w));
    m.output(`o_${i}`, gatedLeap(m, `leap_${i}`, plan, s, en));
    const pk = n > 0 ? packedLeap(plan, n) : null; // null: the plan has no factor form to pack
    if (pk) {
      const p = m.input(`p_${i}`, uint(n * w));
      m.output(`q_${i}`, gatedLeapPacked(m, `pleap_${i}`, plan, pk, p, en.and(s.slice(0, 0))));
    }
  });
  return m.build();
}

describe('gated leaps in both forms under Icarus', () => {
  it('the table form (Verilator) and the XOR network (other tools) both equal the TypeScript advance, every vector', async () => {
    const mod = leapModule();
    expect(mod.verilator?.blocks.map((b) => b.name)).toContain('leap_tables');
    expect(mod.ports.filter((p) => p.name.startsWith('q_')).length, 'packed leaps').toBeGreaterThanOrEqual(3);
    const rng = new Rng(7);
    const N = 400;
    const ins = mod.ports.filter((p) => p.kind === 'input');
    const outs = mod.ports.filter((p) => p.kind === 'output');
    const vectors: Map<string, bigint>[] = [];
    for (let v = 0; v < N; v++) {
      const x = new Map<string, bigint>();
      for (const p of ins) {
        let val = 0n;
        for (let b = 0; b < p.width; b += 16) val |= BigInt(rng.int(65536)) << BigInt(b);
        x.set(p.name, val & ((1n << BigInt(p.width)) - 1n));
      }
      if (v % 5 === 0) x.set('en', 0n);
      vectors.push(x);
    }
    const want = vectors.map((x) =>
      outs.map((o) => {
        const i = Number(o.name.slice(2));
        const [w, leap, n] = SHAPES[i];
        const plan = leapPlan(w, DEFAULT_TAPS[w], leap);
        const s = x.get(`s_${i}`) as bigint;
        if (o.name.startsWith('o_')) return x.get('en') ? BigInt(leapNumber(plan, Number(s))) : s;
        const p = x.get(`p_${i}`) as bigint;
        if (!(x.get('en') && (s & 1n))) return p;
        const mask = (1n << BigInt(w)) - 1n;
        const lanes = Array.from({ length: n }, (_, k) => Number((p >> BigInt(k * w)) & mask));
        return leapPackedNumber(plan, packedLeap(plan, n)!, lanes).reduce((a, l, k) => a | (BigInt(l) << BigInt(k * w)), 0n);
      }),
    );
    const tb = [
      'module tb;',
      ...ins.map((p) => `  reg [${p.width - 1}:0] ${p.name};`),
      ...outs.map((p) => `  wire [${p.width - 1}:0] ${p.name};`),
      `  leap_forms dut (${mod.ports.map((p) => `.${p.name}(${p.name})`).join(', ')});`,
      '  initial begin',
      ...vectors.flatMap((x) => [`    ${ins.map((p) => `${p.name} = ${p.width}'h${(x.get(p.name) as bigint).toString(16)};`).join(' ')}`, `    #1 $display("${outs.map(() => '%h').join(' ')}", ${outs.map((p) => p.name).join(', ')});`]),
      '    $finish;',
      '  end',
      'endmodule',
    ];
    const forms = await icarusBothForms(mod, tb.join('\n'));
    for (const [form, stdout] of Object.entries(forms)) {
      const lines = stdout.split('\n').filter((l) => /^[0-9a-f ]+$/.test(l));
      expect(lines.length, form).toBe(N);
      lines.forEach((l, v) => {
        const got = l.split(' ').map((h) => BigInt(`0x${h}`));
        expect(got, `${form} form, vector ${v}`).toEqual(want[v]);
      });
    }
  }, 120_000);

  it('is lint clean in both forms', async () => {
    await expectToolsClean(leapModule());
  }, 120_000);
});
