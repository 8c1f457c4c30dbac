/**
 * The working memory co-simulated against the golden model's working-memory spec functions
 * (sim/golden/fixed/wm.ts: wmClear, wmWriteSlot, wmWriteZ, wmUpdateRows): random samples (pixels, labels, stored z
 * over their full ranges) enter the window; each step's K row words (random gram words, K_Y from the labels) go
 * through KROW; after random steps every word of the memory — pixels, stored z, labels, K_X, K_Y, R_X, R_Y —
 * is read back through the read ports and compared with the spec's window, also across epoch clears. Random
 * valid patterns on every input stream; random shapes; the size equals the engine's memory report.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { width } from '../../generator/fixed/index.js';
import { DEFAULT_CHIP, type ChipConfig } from '../../generator/config.js';
import { wmBits, wmClearCycles, workingMemory, WM_OP } from '../../generator/units/wm.js';
import { unitShapes } from '../../generator/units/shapes.js';
import { createWindowMemory, wmClear, wmUpdateRows, wmWriteSlot, wmWriteZ, type WindowMemory } from '../../sim/golden/fixed/wm.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/index.js';
import { Rng } from '../../sim/rng.js';
import { expectToolsClean } from '../generator/tool-checks.js';
import { engineOf, pokeZero, randomChip, withWindowZ, wmCommand } from './helpers.js';

/** The spec window of a configuration. */
export function specWindow(cfg: ChipConfig): WindowMemory {
  return createWindowMemory(cfg.window, cfg.layers[0], cfg.layers.slice(1, -1));
}

/** One random sample through the spec and the memory (NEW, pixels, stored z, KROW with random K words). */
export async function wmStep(m: Model, cfg: ChipConfig, spec: WindowMemory, rng: Rng, index: number): Promise<void> {
  const sh = unitShapes(cfg);
  const ONE = 2 ** sh.N.gram.format.fracBits;
  const label = rng.int(sh.classes);
  const px = Int32Array.from({ length: cfg.layers[0] }, () => (rng.int(4) === 0 ? 255 * rng.int(2) : rng.int(256)));
  const c = wmWriteSlot(spec, px, label, index);
  await wmCommand(m, WM_OP.NEW, label);
  void m.push('px', Array.from(px), 'none');
  sh.kinds.slice(1).forEach((k, i) => {
    const lo = -(2 ** (k.width - 1));
    const z = Int32Array.from({ length: k.len }, () => lo + rng.int(2 ** k.width));
    wmWriteZ(spec, i, c, z);
    void m.push(k.name, Array.from(z, (v) => v & (2 ** k.width - 1)), 'none');
  });
  await m.run({ untilSourcesEmpty: true, maxCycles: 200 * cfg.layers[0] + 10_000 });
  // K words: K_X anywhere in [0, 1.0], K_Y 1.0 or one other constant by label
  const off = rng.int(ONE);
  const kx = Int32Array.from({ length: spec.count }, () => (rng.int(8) === 0 ? ONE : rng.int(ONE + 1)));
  const ky = Int32Array.from({ length: spec.count }, (_, q) => (spec.slotLabel[q] === label ? ONE : off));
  const words: bigint[] = [];
  for (let q = 0; q < spec.count; q++) if (q !== c) words.push((BigInt(ky[q]) << BigInt(width(sh.N.gram.format))) | BigInt(kx[q]));
  wmUpdateRows(spec, c, kx, ky, ONE);
  if (words.length > 0) await m.push('krow', words, 'none');
  const busy = await wmCommand(m, WM_OP.KROW);
  expect(busy).toBeGreaterThanOrEqual(words.length);
}

/** Reads every word of the memory through its read ports and compares it with the spec's window. */
export async function wmCompare(m: Model, cfg: ChipConfig, spec: WindowMemory): Promise<number> {
  const sh = unitShapes(cfg);
  const B = sh.B;
  const ONE = 2 ** sh.N.gram.format.fracBits;
  const checks: { what: string; want: number; got: Promise<number> }[] = [];
  for (const [l, k] of sh.kinds.entries()) {
    const src = l === 0 ? spec.inputs : spec.zw[l - 1];
    for (let a = 0; a < k.len; a++) {
      void m.poke('vr_en', 1);
      void m.poke('vr_kind', l);
      void m.poke('vr_addr', a);
      void m.step(1);
      void m.poke('vr_en', 0);
      for (let s = 0; s < B; s++) checks.push({ what: `${k.name}[slot ${s}][${a}]`, want: src[s * k.len + a], got: m.peek(`vr_data_${s}`) });
    }
  }
  for (let p = 0; p < B; p++) {
    for (let q = 0; q < B; q++) {
      void m.poke('kr_en', 1);
      void m.poke('kr_p', p);
      void m.poke('kr_q', q);
      void m.step(1);
      void m.poke('kr_en', 0);
      const at = `(${p}, ${q})`;
      checks.push({ what: `K_X${at}`, want: p === q ? ONE : spec.Kx[p * B + q], got: m.peek('kr_kx') });
      checks.push({ what: `K_Y${at}`, want: p === q ? ONE : spec.Ky[p * B + q], got: m.peek('kr_ky') });
      checks.push({ what: `R_X${at}`, want: spec.Rx[q], got: m.peek('kr_rx') });
      checks.push({ what: `R_Y${at}`, want: spec.Ry[q], got: m.peek('kr_ry') });
      // the spec marks an empty slot's label −1; the memory clears it to 0 (occupancy is `count`)
      checks.push({ what: `label${at}`, want: Math.max(0, spec.slotLabel[q]), got: m.peek('kr_label') });
    }
  }
  checks.push({ what: 'count', want: spec.count, got: m.peek('count') });
  checks.push({ what: 'head', want: spec.head, got: m.peek('head') });
  const got = await Promise.all(checks.map((c) => c.got));
  checks.forEach((c, i) => {
    if (got[i] !== c.want) throw new Error(`${c.what}: memory holds ${got[i]}, the spec ${c.want}`);
  });
  return checks.length;
}

/** `steps` random samples (an epoch clear before step `clearAt`), comparing after random steps and at the end. */
export async function wmRun(m: Model, cfg: ChipConfig, seed: number, steps: number, clearAt: number, pValid: number): Promise<number> {
  const rng = new Rng(seed);
  const sh = unitShapes(cfg);
  const spec = specWindow(cfg);
  for (const [i, bus] of ['px', 'krow', ...sh.kinds.slice(1).map((k) => k.name)].entries()) await m.sourcePattern(bus, pValid, seed * 31 + i);
  await pokeZero(m, ['start', 'kr_en', 'vr_en']);
  await m.reset(2);
  expect(await wmCommand(m, WM_OP.CLEAR)).toBe(wmClearCycles(cfg) + 1);
  wmClear(spec);
  let compared = await wmCompare(m, cfg, spec);
  for (let i = 0; i < steps; i++) {
    if (i === clearAt) {
      wmClear(spec);
      await wmCommand(m, WM_OP.CLEAR);
      compared += await wmCompare(m, cfg, spec);
    }
    await wmStep(m, cfg, spec, rng, i);
    if (rng.int(3) === 0 || i === steps - 1) compared += await wmCompare(m, cfg, spec);
  }
  return compared;
}

describe('working memory', () => {
  it('holds exactly the bits of the fixed engine memory report', () => {
    const rng = new Rng(9);
    for (const cfg of [DEFAULT_CHIP, withWindowZ(DEFAULT_CHIP, 'Q4.8'), ...Array.from({ length: 6 }, () => randomChip(rng))]) {
      const { weights: _w, ...mem } = engineOf(cfg).report().memoryBits;
      expect(wmBits(cfg)).toEqual(mem);
    }
  });

  it('lints, synthesizes and parses clean', async () => {
    // the default's 40 block RAMs become flip-flops in generic synthesis (minutes): lint and parse it, and
    // synthesize small shapes (synth_ice40 / synth_xilinx of the default: bench/units/wm.ts)
    await expectToolsClean(workingMemory(DEFAULT_CHIP), { synth: false });
    await expectToolsClean(workingMemory({ ...DEFAULT_CHIP, layers: [3, 2, 2], window: 2 }));
    await expectToolsClean(workingMemory({ ...DEFAULT_CHIP, layers: [12, 8, 4, 3], window: 5 }));
  });

  const models: Model[] = [];
  afterAll(async () => {
    for (const m of models) await m.close();
  });
  const rng = new Rng(2024);
  const cases = [
    { name: 'small chip, B = 2', cfg: { ...DEFAULT_CHIP, layers: [5, 4, 3], window: 2 } },
    { name: 'random chip A', cfg: randomChip(rng) },
    { name: 'random chip B', cfg: randomChip(rng) },
    { name: 'random chip C (12-bit stored z)', cfg: withWindowZ(randomChip(rng), 'Q4.8') },
  ];
  for (const [ci, { name, cfg }] of cases.entries()) {
    it(`${name} (B = ${cfg.window}, layers ${cfg.layers.join('-')}): every word equals the spec's window`, async () => {
      const m = await buildFromIr(workingMemory(cfg), { seed: 11 + ci }); // random start-up values of unreset state
      models.push(m);
      let compared = 0;
      for (const [k, pValid] of [1, 0.4].entries()) compared += await wmRun(m, cfg, 100 * ci + k, 2 * cfg.window + 3, cfg.window + 1, pValid);
      expect(compared).toBeGreaterThan(0);
    });
  }
});
