/**
 * The working memory's co-simulation pieces, shared by its test and its bench: the spec window
 * (sim/golden/fixed/wm.ts) of a configuration, one random sample through the spec and the memory, and a
 * read-back of every word compared with the spec.
 */
import { expect } from 'vitest';
import { width } from '../../generator/fixed/index.js';
import type { ChipConfig } from '../../generator/config.js';
import { wmClearCycles, WM_OP } from '../../generator/units/wm.js';
import { unitShapes } from '../../generator/units/shapes.js';
import { createWindowMemory, wmClear, wmUpdateRows, wmWriteSlot, wmWriteZ, type WindowMemory } from '../../sim/golden/fixed/wm.js';
import type { Model } from '../../sim/verilator/index.js';
import { Rng } from '../../sim/rng.js';
import { pokeZero, wmCommand } from './helpers.js';

/** The spec window of a configuration. */
export function specWindow(cfg: ChipConfig): WindowMemory {
  return createWindowMemory(cfg.window, cfg.layers[0], cfg.layers.slice(1, -1));
}

/**
 * One random sample through the spec and the memory (NEW, pixels, stored z, KROW with random K words); returns
 * the cycles NEW and KROW were busy (start edge to idle), the K words and the cycles the sample streams took.
 */
export async function wmStep(m: Model, cfg: ChipConfig, spec: WindowMemory, rng: Rng, index: number): Promise<{ newBusy: number; krowBusy: number; krowWords: number; writeCycles: number }> {
  const sh = unitShapes(cfg);
  const ONE = 2 ** sh.N.gram.format.fracBits;
  const label = rng.int(sh.classes);
  const px = Int32Array.from({ length: cfg.layers[0] }, () => (rng.int(4) === 0 ? 255 * rng.int(2) : rng.int(256)));
  const c = wmWriteSlot(spec, px, label, index);
  const newBusy = await wmCommand(m, WM_OP.NEW, label);
  void m.push('px', Array.from(px), 'none');
  sh.kinds.slice(1).forEach((k, i) => {
    const lo = -(2 ** (k.width - 1));
    const z = Int32Array.from({ length: k.len }, () => lo + rng.int(2 ** k.width));
    wmWriteZ(spec, i, c, z);
    void m.push(k.name, Array.from(z, (v) => v & (2 ** k.width - 1)), 'none');
  });
  const writeCycles = (await m.run({ untilSourcesEmpty: true, maxCycles: 200 * cfg.layers[0] + 10_000 })).cycles;
  // K words: K_X anywhere in [0, 1.0], K_Y 1.0 or one other constant by label
  const off = rng.int(ONE);
  const kx = Int32Array.from({ length: spec.count }, () => (rng.int(8) === 0 ? ONE : rng.int(ONE + 1)));
  const ky = Int32Array.from({ length: spec.count }, (_, q) => (spec.slotLabel[q] === label ? ONE : off));
  const words: bigint[] = [];
  for (let q = 0; q < spec.count; q++) if (q !== c) words.push((BigInt(ky[q]) << BigInt(width(sh.N.gram.format))) | BigInt(kx[q]));
  wmUpdateRows(spec, c, kx, ky, ONE);
  if (words.length > 0) await m.push('krow', words, 'none');
  const krowBusy = await wmCommand(m, WM_OP.KROW);
  expect(krowBusy).toBeGreaterThanOrEqual(words.length);
  return { newBusy, krowBusy, krowWords: words.length, writeCycles };
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
  await pokeZero(m, ['start', 'kr_en', 'vr_en', 'px_at_head']);
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

