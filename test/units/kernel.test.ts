/**
 * The kernel unit co-simulated against the golden model's spec functions (sim/golden/fixed/kernel.ts:
 * kernelParams / kernelWord, labelOffWord / labelRow, and the chipTables it re-exports): every response word
 * (value and both saturation flags) for random requests of every function, random valid / ready patterns, on
 * the default chip and random small chips; the constants equal the spec's and the fixed engine's report.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHIP, type ChipConfig } from '../../generator/config.js';
import { kernelCodes, kernelConstants, kernelUnit, KERNEL_LATENCY } from '../../generator/units/kernel.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/index.js';
import { Rng } from '../../sim/rng.js';
import { expectToolsClean } from '../generator/tool-checks.js';
import { engineOf, randomChip, withWindowZ } from './helpers.js';
import { kernelSpec, randomRequests, runKernel } from './kernel-cosim.js';

describe('kernel unit', () => {
  it('has the constants of the golden model: κ mantissa, shift and extra shift per kind, the K_Y word, 1.0', () => {
    for (const cfg of [DEFAULT_CHIP, randomChip(new Rng(5)), randomChip(new Rng(6)), withWindowZ(randomChip(new Rng(7)), 'Q4.8')]) {
      const kc = kernelConstants(cfg);
      const spec = kernelSpec(cfg);
      expect(kc.kappa).toEqual(spec.params.map((p) => ({ m: p.kappa.m, s: p.kappa.s, e: p.shift })));
      expect([kc.kyDiff, kc.one]).toEqual([spec.off, spec.one]);
      // and the fixed engine reports the same κ
      const rep = engineOf(cfg).report().constants;
      const names = ['kappaX', ...cfg.layers.slice(1, -1).map((_, i) => `kappaZ${i + 1}`)];
      expect(kc.kappa.map((k) => [k.m, k.s])).toEqual(names.map((n) => [rep[n].mantissa, rep[n].shift]));
    }
  });

  it('lints, synthesizes and parses clean', async () => {
    await expectToolsClean(kernelUnit(DEFAULT_CHIP));
    await expectToolsClean(kernelUnit(DEFAULT_CHIP, { functions: 'kernel' }));
  });

  it("with functions 'kernel' (as the chip builds it): kernel and K_Y words equal the golden model, no other table", async () => {
    const cfg = randomChip(new Rng(103));
    const unit = kernelUnit(cfg, { functions: 'kernel' });
    expect(unit.items.filter((it) => it.kind === 'instance').map((it) => (it.kind === 'instance' ? it.instance.name : ''))).toEqual(['u_expneg', 'u_out']);
    const m = await buildFromIr(unit, { seed: 11 });
    models.push(m);
    const rng = new Rng(104);
    const reqs = randomRequests(cfg, rng, 300).filter((r) => r.fn <= kernelCodes(cfg).KY);
    expect(reqs.length).toBeGreaterThan(100);
    await runKernel(m, cfg, reqs, 0.7, 0.6, 31);
  });

  const models: Model[] = [];
  afterAll(async () => {
    for (const m of models) await m.close();
  });

  const cases: { name: string; cfg: ChipConfig }[] = [
    { name: 'default chip', cfg: DEFAULT_CHIP },
    { name: 'random chip A', cfg: randomChip(new Rng(101)) },
    { name: 'random chip B (12-bit stored z)', cfg: withWindowZ(randomChip(new Rng(102)), 'Q4.8') },
  ];
  for (const { name, cfg } of cases) {
    it(`${name}: every response word equals the golden model under random back-pressure`, async () => {
      const m = await buildFromIr(kernelUnit(cfg), { seed: 1 + cfg.window * 97 + cfg.layers[0] }); // random start-up values of unreset state
      models.push(m);
      const rng = new Rng(cfg.window * 1000 + cfg.layers[0]);
      const mixes = [
        { pValid: 1, pReady: 1 },
        { pValid: 0.6, pReady: 0.5 },
        { pValid: 1, pReady: 0.1 },
      ];
      for (const [i, mix] of mixes.entries()) {
        const reqs = randomRequests(cfg, rng, 150);
        const r = await runKernel(m, cfg, reqs, mix.pValid, mix.pReady, 17 + i);
        // full rate: the first request transfers at the run's first edge, its response KERNEL_LATENCY edges later,
        // one response per edge after it
        if (mix.pValid === 1 && mix.pReady === 1) expect(r.cycles).toBe(1 + KERNEL_LATENCY + reqs.length);
      }
    });
  }
});
