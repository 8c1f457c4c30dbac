/**
 * Row groups (numeric.lfsr.rowGroups = G): row j of a hidden layer rounds with the g = lanes / G lanes of group
 * j mod G — word i (the bias at i = nIn) with lane (j mod G)·g + i mod g. rank1Update against a reference that
 * draws word by word (roundUpdate, one draw per call) in exactly that order; G = 1 is the plain lane order.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_NUMERIC, resolveNumeric, withNumeric, type NumericConfig } from '../../generator/numeric.js';
import { Rng } from '../../sim/rng.js';
import { loadChip } from '../../host/chip/config.js';
import { DEFAULT_CHIP, autoRowGroups, configHash } from '../../generator/config.js';
import { laneSeed, LfsrBank, rank1Update, satSlots } from '../../sim/golden/fixed/index.js';
import { roundUpdate, updateParams, type UpdateParams } from '../../sim/golden/fixed/update.js';

const rng = new Rng(11);
const N0 = resolveNumeric(DEFAULT_NUMERIC);
const randInt = (lo: number, hi: number) => lo + rng.int(hi - lo + 1);
const randArray = (n: number, lo: number, hi: number) => Int32Array.from({ length: n }, () => randInt(lo, hi));
const grouped = (lanes: number, rowGroups?: number): NumericConfig =>
  withNumeric(DEFAULT_NUMERIC, { lfsr: { ...DEFAULT_NUMERIC.lfsr, lanes, ...(rowGroups === undefined ? {} : { rowGroups }) } });
const seeds = (lanes: number): number[] => {
  const L = DEFAULT_NUMERIC.lfsr;
  return Array.from({ length: lanes }, (_, q) => laneSeed(L.seed, 5, 0, q, L.width));
};

/** The specification's order, one word at a time: row j's words from lane (j mod G)·g + i mod g, then its bias. */
function reference(p: UpdateParams, W: Int32Array, b: Int32Array, v: Float64Array, h: Int32Array, k: LfsrBank, G: number): void {
  const g = k.lanes / G;
  const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
  for (let j = 0; j < p.n; j++) {
    const nu = p.m * v[j];
    if (nu === 0) continue;
    const first = (j % G) * g;
    for (let i = 0; i < p.nIn; i++) W[j * p.nIn + i] = clamp(W[j * p.nIn + i] + roundUpdate(nu * h[i], p.kW, k, first + (i % g), p.wRounding), p.wLo, p.wHi);
    b[j] = clamp(b[j] + roundUpdate(nu, p.kB, k, first + (p.nIn % g), p.bRounding), p.bLo, p.bHi);
  }
}

describe('row groups: the lane each word of a hidden row rounds with', () => {
  // nIn 10 at g = 2: every row's last g-chunk is full, so the bias lane is the row's first lane again
  it.each([
    [6, 3, 10, 7],
    [6, 2, 11, 5],
    [8, 4, 9, 9],
    [8, 1, 13, 4],
    [5, 5, 7, 6],
  ])('%i lanes in %i groups, %i inputs, %i rows: every weight, bias and LFSR state as the word-by-word order', (lanes, G, nIn, n) => {
    for (const rbits of [16, 30]) {
      const N = resolveNumeric(grouped(lanes, G));
      const N2 = { ...N, lfsr: { ...N.lfsr, rbits } };
      const p = updateParams(N2, nIn, n, N0.input.format, N0.delta.format, 1, 6);
      for (let trial = 0; trial < 8; trial++) {
        const W = randArray(nIn * n, -30000, 30000);
        const b = randArray(n, -30000, 30000);
        const v = Float64Array.from({ length: n }, () => (rng.int(3) === 0 ? 0 : randInt(-(2 ** 20), 2 ** 20)));
        const h = randArray(nIn, -255, 255);
        const [W1, b1, W2, b2] = [W.slice(), b.slice(), W.slice(), b.slice()];
        const mk = () => new LfsrBank(N.lfsr.width, rbits, N.lfsr.leap, lanes, seeds(lanes));
        const [k1, k2] = [mk(), mk()];
        rank1Update(p, W1, b1, v, h, k1, new Int32Array(nIn + 4), satSlots());
        reference(p, W2, b2, v, h, k2, G);
        expect(W1).toEqual(W2);
        expect(b1).toEqual(b2);
        expect(k1.states).toEqual(k2.states);
        if (G > 1 && v.some((x, j) => x !== 0 && j % G !== 0)) {
          // the groups matter: in the plain lane order (G = 1) the words take other draws
          const W3 = W.slice();
          rank1Update({ ...p, groups: 1 }, W3, b.slice(), v, h, mk(), new Int32Array(nIn + 4), satSlots());
          expect(W3).not.toEqual(W1);
        }
      }
    }
  });

  it('rowGroups left out and rowGroups 1 are the same specification', () => {
    const a = updateParams(resolveNumeric(grouped(8)), 9, 4, N0.input.format, N0.delta.format, 1, 6);
    const b = updateParams(resolveNumeric(grouped(8, 1)), 9, 4, N0.input.format, N0.delta.format, 1, 6);
    expect(a).toEqual(b);
    expect(a.groups).toBe(1);
  });

  it('refuses a group count that does not divide the lanes, naming the field', () => {
    expect(() => resolveNumeric(grouped(8, 3))).toThrow(/lfsr\.rowGroups.*must divide lfsr\.lanes \(8\)/);
    expect(() => resolveNumeric(grouped(8, 0))).toThrow(/lfsr\.rowGroups/);
    expect(() => resolveNumeric(grouped(8, 16))).toThrow(/lfsr\.rowGroups/);
  });

  it('a chip config file takes rowGroups (nested under numeric.lfsr) and refuses one that does not divide the lanes, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibhebb-groups-'));
    const f = join(dir, 'g3.json');
    writeFileSync(f, JSON.stringify({ lanes: 48, numeric: { lfsr: { lanes: 48, rowGroups: 3 } } }));
    expect(loadChip(f).numeric.lfsr.rowGroups).toBe(3);
    writeFileSync(f, JSON.stringify({ lanes: 48, numeric: { lfsr: { lanes: 48, rowGroups: 5 } } }));
    expect(() => loadChip(f)).toThrow(/g3\.json.*lfsr\.rowGroups.*must divide/);
  });
});

describe('row groups chosen when a config leaves them out', () => {
  // the unit's pass of a hidden layer with G groups (generator/units/hebbian.ts; measured in bench/RESULTS.md)
  const pass = (nIn: number, nOut: number, L: number, G: number) => Math.ceil(nOut / G) * Math.ceil(nIn / (L / G)) + 5 + 2 * (G - 1);
  const ratio = (nIn: number, nOut: number, L: number, G: number) => pass(nIn, nOut, L, G) / Math.ceil((nOut * (nIn + 1)) / L);

  it('784-128-64-10: one group where it already meets 1.1 × ⌈words/lanes⌉ (the default 66 lanes, 64, 32), else the smallest G that meets it, else the fewest pass cycles (within 1 %)', () => {
    expect(autoRowGroups([784, 128, 64, 10], 66)).toBe(1);
    expect(autoRowGroups([784, 128, 64, 10], 64)).toBe(1);
    expect(autoRowGroups([784, 128, 64, 10], 32)).toBe(1);
    expect(autoRowGroups([784, 128, 64, 10], 48)).toBe(3);
    expect(autoRowGroups([784, 128, 64, 10], 40)).toBe(4);
    // 50 lanes: 5 groups (second layer 174 + 8 cycles at most against ⌈8,256/50⌉ = 166; measured 181);
    // 60 lanes: no G meets it (4 groups: 1.12 × on the second layer), 4 take the fewest pass cycles
    expect(autoRowGroups([784, 128, 64, 10], 50)).toBe(5);
    expect(autoRowGroups([784, 128, 64, 10], 60)).toBe(4);
    const total = (L: number, G: number) => pass(784, 128, L, G) + pass(128, 64, L, G);
    const worst = (L: number, G: number) => Math.max(ratio(784, 128, L, G), ratio(128, 64, L, G));
    let met = 0;
    for (const L of [24, 40, 48, 50, 60, 96, 128]) {
      const G = autoRowGroups([784, 128, 64, 10], L);
      const divisors = Array.from({ length: L }, (_, i) => i + 1).filter((g) => L % g === 0);
      expect(divisors, `${L} lanes`).toContain(G);
      if (worst(L, G) <= 1.1) {
        met++;
        for (const g of divisors) if (g < G) expect(worst(L, g), `${L} lanes: a smaller G = ${g} meets it too`).toBeGreaterThan(1.1);
      } else {
        for (const g of divisors) expect(worst(L, g), `${L} lanes: G = ${g} meets it`).toBeGreaterThan(1.1);
        // the smallest within 1 % of the fewest cycles
        const fewest = Math.min(...divisors.map((g) => total(L, g)));
        expect(total(L, G), `${L} lanes, G = ${G}`).toBeLessThanOrEqual(1.01 * fewest);
        for (const g of divisors) if (g < G) expect(total(L, g), `${L} lanes, G = ${g}`).toBeGreaterThan(1.01 * fewest);
      }
    }
    expect(met, 'lane counts where a G meets 1.1 ×').toBeGreaterThanOrEqual(3);
  });

  it('short passes (under 64 ideal cycles) do not count: the small test chips and the boards keep one group', () => {
    expect(autoRowGroups([784, 16, 8, 10], 5)).toBe(1); // second layer: 27 ideal cycles, 37 in one group
    expect(autoRowGroups([784, 16, 8, 10], 8)).toBe(1);
    // a second layer of 88 ideal cycles: 101 in one group (1.15 ×), 95 in two
    expect(autoRowGroups([784, 32, 16, 10], 6)).toBe(2);
    expect(autoRowGroups([784, 32, 10], 2)).toBe(1); // boards/icebreaker/chip.json
    expect(autoRowGroups([784, 128, 64, 10], 32)).toBe(1); // boards/arty-a7-100t/chip.json
  });

  it('a config file without rowGroups gets the chosen G; one that sets it keeps it; the default keeps none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibhebb-auto-groups-'));
    const f = join(dir, 'c.json');
    writeFileSync(f, JSON.stringify({ lanes: 48 }));
    expect(loadChip(f).numeric.lfsr.rowGroups).toBe(3);
    writeFileSync(f, JSON.stringify({ lanes: 48, numeric: { lfsr: { lanes: 48, rowGroups: 1 } } }));
    expect(loadChip(f).numeric.lfsr.rowGroups).toBe(1);
    writeFileSync(f, JSON.stringify({}));
    expect(loadChip(f).numeric.lfsr.rowGroups).toBeUndefined();
    expect(configHash(loadChip(f))).toBe(configHash(DEFAULT_CHIP));
  });
});
