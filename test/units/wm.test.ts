/**
 * The working memory co-simulated against the fixed golden engine's own window state: the engine trains on a
 * random pixel set; every step the same sample enters the memory (NEW, its pixels, its stored z) and the K row
 * words the engine computed go through KROW; the memory's incremental row-sum update must then hold exactly the
 * engine's K_X, K_Y, R_X, R_Y, labels, stored z and pixels — every word read back through the read ports, also
 * across an epoch clear. Random valid patterns on every input stream; random shapes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { width } from '../../generator/fixed/index.js';
import { DEFAULT_CHIP, type ChipConfig } from '../../generator/config.js';
import { wmBits, wmClearCycles, workingMemory, WM_OP } from '../../generator/units/wm.js';
import { unitShapes } from '../../generator/units/shapes.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/index.js';
import { Rng } from '../../sim/rng.js';
import type { Split } from '../../sim/data.js';
import type { EngineState } from '../../sim/engine.js';
import { expectToolsClean } from '../generator/tool-checks.js';
import { randomPixelSplit } from '../golden-fixed/helpers.js';
import { engineOf, randomChip, withWindowZ, wmCommand } from './helpers.js';

/** The slot the engine's last trainSample wrote (head has moved past it). */
const lastSlot = (st: EngineState, B: number) => (Number(st.meta.head) + B - 1) % B;

/** One training sample into the memory, as the chip would write it; the K row words are the engine's. */
export async function wmSample(m: Model, cfg: ChipConfig, split: Split, index: number, st: EngineState): Promise<void> {
  const sh = unitShapes(cfg);
  const B = sh.B;
  const c = lastSlot(st, B);
  await wmCommand(m, WM_OP.NEW, split.y[index]);
  const dim = cfg.layers[0];
  await m.push('px', Array.from(split.pixels!.subarray(index * dim, (index + 1) * dim)), 'none');
  sh.kinds.slice(1).forEach((k, i) => {
    const zw = st.arrays[`zw${i}`] as Int32Array;
    void m.push(k.name, Array.from(zw.subarray(c * k.len, (c + 1) * k.len), (v) => v & (2 ** k.width - 1)), 'none');
  });
  await m.run({ untilSourcesEmpty: true, maxCycles: 200 * dim + 10_000 });
  const Kx = st.arrays.Kx as Int32Array;
  const Ky = st.arrays.Ky as Int32Array;
  const slotIdx = st.arrays.slotIdx as Int32Array;
  const words: bigint[] = [];
  for (let q = 0; q < B; q++) {
    if (q === c || slotIdx[q] < 0) continue;
    words.push((BigInt(Ky[c * B + q]) << BigInt(width(sh.N.gram.format))) | BigInt(Kx[c * B + q]));
  }
  if (words.length > 0) await m.push('krow', words, 'none');
  const busy = await wmCommand(m, WM_OP.KROW);
  expect(busy).toBeGreaterThanOrEqual(words.length);
}

/** Reads every word of the memory through its read ports and compares it with the engine's state. */
export async function wmCompare(m: Model, cfg: ChipConfig, split: Split, st: EngineState): Promise<number> {
  const sh = unitShapes(cfg);
  const B = sh.B;
  const ONE = 2 ** sh.N.gram.format.fracBits;
  const slotIdx = st.arrays.slotIdx as Int32Array;
  const checks: { what: string; want: number; got: Promise<number> }[] = [];
  for (const [l, k] of sh.kinds.entries()) {
    for (let a = 0; a < k.len; a++) {
      void m.poke('vr_en', 1);
      void m.poke('vr_kind', l);
      void m.poke('vr_addr', a);
      void m.step(1);
      void m.poke('vr_en', 0);
      for (let s = 0; s < B; s++) {
        let want: number;
        if (l === 0) {
          if (slotIdx[s] < 0) continue; // pixels of an empty slot are not part of the state
          want = split.pixels![slotIdx[s] * k.len + a];
        } else want = (st.arrays[`zw${l - 1}`] as Int32Array)[s * k.len + a];
        checks.push({ what: `${k.name}[slot ${s}][${a}]`, want, got: m.peek(`vr_data_${s}`) });
      }
    }
  }
  const A = st.arrays;
  for (let p = 0; p < B; p++) {
    for (let q = 0; q < B; q++) {
      void m.poke('kr_en', 1);
      void m.poke('kr_p', p);
      void m.poke('kr_q', q);
      void m.step(1);
      void m.poke('kr_en', 0);
      const at = `(${p}, ${q})`;
      checks.push({ what: `K_X${at}`, want: p === q ? ONE : (A.Kx as Int32Array)[p * B + q], got: m.peek('kr_kx') });
      checks.push({ what: `K_Y${at}`, want: p === q ? ONE : (A.Ky as Int32Array)[p * B + q], got: m.peek('kr_ky') });
      checks.push({ what: `R_X${at}`, want: (A.Rx as Float64Array)[q], got: m.peek('kr_rx') });
      checks.push({ what: `R_Y${at}`, want: (A.Ry as Float64Array)[q], got: m.peek('kr_ry') });
      checks.push({ what: `label${at}`, want: Math.max(0, (A.slotLabel as Int32Array)[q]), got: m.peek('kr_label') });
    }
  }
  const got = await Promise.all(checks.map((c) => c.got));
  checks.forEach((c, i) => {
    if (got[i] !== c.want) throw new Error(`${c.what}: memory holds ${got[i]}, the engine ${c.want}`);
  });
  return checks.length;
}

/** Runs `steps` engine steps through the memory (an epoch clear after `clearAt`), comparing every `every` steps. */
export async function wmRun(m: Model, cfg: ChipConfig, seed: number, steps: number, clearAt: number, pValid: number): Promise<number> {
  const rng = new Rng(seed);
  const sh = unitShapes(cfg);
  const split = randomPixelSplit(steps, cfg.layers[0], sh.classes, seed);
  const eng = engineOf(cfg, seed);
  for (const [i, bus] of ['px', 'krow', ...sh.kinds.slice(1).map((k) => k.name)].entries()) await m.sourcePattern(bus, pValid, seed * 31 + i);
  await m.reset(2);
  expect(await wmCommand(m, WM_OP.CLEAR)).toBe(wmClearCycles(cfg) + 1);
  eng.beginEpoch();
  let compared = 0;
  for (let i = 0; i < steps; i++) {
    if (i === clearAt) {
      eng.beginEpoch();
      await wmCommand(m, WM_OP.CLEAR);
      compared += await wmCompare(m, cfg, split, eng.exportState());
    }
    eng.trainSample(split, i);
    const st = eng.exportState();
    await wmSample(m, cfg, split, i, st);
    if (rng.int(3) === 0 || i === steps - 1) compared += await wmCompare(m, cfg, split, st);
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
    it(`${name} (B = ${cfg.window}, layers ${cfg.layers.join('-')}): every word equals the engine's window state`, async () => {
      const m = await buildFromIr(workingMemory(cfg));
      models.push(m);
      let compared = 0;
      for (const [k, pValid] of [1, 0.4].entries()) {
        const steps = 2 * cfg.window + 3;
        compared += await wmRun(m, cfg, 100 * ci + k, steps, cfg.window + 1, pValid);
      }
      expect(compared).toBeGreaterThan(0);
    });
  }
});
