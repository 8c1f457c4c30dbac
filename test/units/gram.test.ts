/**
 * The systolic Gram array co-simulated with the working memory it reads (the chip's wiring: the array's vector
 * read port on the memory's): random windows (pixels and stored z over their full ranges), random commands (ROW
 * from a random current slot, FULL, random kind masks, partly filled windows), random back-pressure on the output;
 * every output word {kind, p, q, d} against the golden model's Gram spec functions (sim/golden/fixed/gram.ts:
 * gramRow, gramMatrix), in the documented order, tlast on the final word; random shapes, array sizes 1…8 per side, vector lengths that are not multiples
 * of the array size.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHIP, type ChipConfig } from '../../generator/config.js';
import { gramArray, GRAM_MODE, type GramOptions } from '../../generator/units/gram.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/index.js';
import { Rng } from '../../sim/rng.js';
import { expectToolsClean } from '../generator/tool-checks.js';
import { randomChip, withWindowZ } from './helpers.js';
import { gramCommand, gramRun, gramTop, loadWindow, randomWindow } from './gram-top.js';
import { unitShapes } from '../../generator/units/shapes.js';

describe('systolic Gram array', () => {
  it('lints, synthesizes and parses clean (PE as a module and inline)', async () => {
    const small: ChipConfig = { ...DEFAULT_CHIP, layers: [7, 4, 2, 3], window: 5, gram: { rows: 2, cols: 3 } };
    await expectToolsClean(gramArray(small));
    await expectToolsClean(gramArray(small, { peStyle: 'module' }), { synth: false });
    await expectToolsClean(gramArray(small, { square: 'multiplier' }), { synth: false });
    await expectToolsClean(gramArray(DEFAULT_CHIP), { synth: false });
    await expectToolsClean(gramArray({ ...DEFAULT_CHIP, gram: { rows: 8, cols: 8 } }), { synth: false });
  });

  const models: Model[] = [];
  afterAll(async () => {
    for (const m of models) await m.close();
  });
  const rng = new Rng(77);
  const cases: { name: string; cfg: ChipConfig; opts?: GramOptions }[] = [
    { name: '1×1 array', cfg: { ...DEFAULT_CHIP, layers: [5, 2, 3], window: 3, gram: { rows: 1, cols: 1 } } },
    // a kind shorter than 2C right after a longer one: the idle cycles before the short items keep the chains apart
    { name: 'short z after long pixels', cfg: { ...DEFAULT_CHIP, layers: [18, 8, 8], window: 9, gram: { rows: 3, cols: 8 } } },
    { name: 'random A', cfg: randomChip(rng) },
    { name: 'random B, PE as a sub-module squaring with a multiplier', cfg: randomChip(rng), opts: { peStyle: 'module', square: 'multiplier' } },
    { name: 'random C (12-bit z)', cfg: withWindowZ(randomChip(rng), 'Q4.8') },
    { name: 'random D', cfg: randomChip(rng) },
  ];
  for (const { name, cfg, opts } of cases) {
    it(`${name}: B = ${cfg.window}, layers ${cfg.layers.join('-')}, ${cfg.gram.rows}×${cfg.gram.cols}: every word equals the exact distances`, async () => {
      const m = await buildFromIr(gramTop(cfg, opts), { seed: 3 + cfg.window }); // random start-up values of unreset state
      models.push(m);
      const r = new Rng(cfg.window * 7919 + cfg.layers[0]);
      let words = 0;
      words += await gramRun(m, cfg, r, 2, 4, 1);
      words += await gramRun(m, cfg, r, 2, 4, 0.3);
      // and every kind mask in both modes on a full window, back to back (kinds of different lengths in turn)
      const K = unitShapes(cfg).kinds.length;
      const win = randomWindow(cfg, r, cfg.window);
      await loadWindow(m, cfg, win, cfg.window);
      for (let kinds = 1; kinds < 2 ** K; kinds++) {
        for (const mode of [GRAM_MODE.ROW, GRAM_MODE.FULL]) words += (await gramCommand(m, cfg, win, { mode, kinds, cur: r.int(cfg.window), count: cfg.window })).words;
      }
      expect(words).toBeGreaterThan(0);
    });
  }
});
