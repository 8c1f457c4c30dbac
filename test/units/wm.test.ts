/**
 * The working memory co-simulated against the golden model's working-memory spec functions
 * (sim/golden/fixed/wm.ts: wmClear, wmWriteSlot, wmWriteZ, wmUpdateRows): random samples (pixels, labels, stored z
 * over their full ranges) enter the window; each step's K row words (random gram words, K_Y from the labels) go
 * through KROW; after random steps every word of the memory — pixels, stored z, labels, K_X, K_Y, R_X, R_Y —
 * is read back through the read ports and compared with the spec's window, also across epoch clears. Random
 * valid patterns on every input stream; random shapes; the size equals the engine's memory report.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHIP } from '../../generator/config.js';
import { wmBits, wmMemories, workingMemory } from '../../generator/units/wm.js';
import { emitDesign } from '../../generator/emit/index.js';
import { synthYosys } from '../../generator/tools/index.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/index.js';
import { Rng } from '../../sim/rng.js';
import { expectBlockRams, expectToolsClean } from '../generator/tool-checks.js';
import { engineOf, randomChip, withWindowZ } from './helpers.js';
import { wmRun } from './wm-cosim.js';

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

  it('maps every memory of the default working memory to block RAM on iCE40 and Xilinx, counted exactly (no LUT RAM)', async () => {
    // 8 pixel banks (784 × 8: 2 SB_RAM40_4K / 1 RAMB18E1 each), 16 z banks, labels, K_X, K_Y, R_X, R_Y: one each
    await expectBlockRams(workingMemory(DEFAULT_CHIP), { ice40: 41, xilinx: { RAMB18E1: 29, RAMB36E1: 0 } });
  }, 600_000);

  it('keeps every bank in block RAM on iCE40 (the default chip): SB_RAM40_4K cells, no memory in flip-flops', async () => {
    const mod = workingMemory(DEFAULT_CHIP);
    const r = await synthYosys(emitDesign(mod).files, mod.name, 'ice40');
    expect(r.ok).toBe(true);
    // pixel banks 784 × 8 take two 4-Kbit blocks each, z banks 128 × 16 and 64 × 16 one each
    const banks = wmMemories(DEFAULT_CHIP).filter((x) => /^(px|z\d+)_/.test(x.name));
    const needed = banks.reduce((a, x) => a + Math.ceil((x.width * x.depth) / 4096), 0);
    expect(needed).toBe(32);
    expect(r.cells.SB_RAM40_4K).toBeGreaterThanOrEqual(needed);
    const ffs = Object.entries(r.cells).reduce((a, [k, v]) => a + (k.startsWith('SB_DFF') ? v : 0), 0);
    expect(ffs).toBeLessThan(1000); // 76,056 bits of window would be 76k flip-flops
  }, 300_000);

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
