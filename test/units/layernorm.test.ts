/**
 * The LayerNorm-forward unit (generator/units/layernorm.ts) co-simulated with Verilator against its
 * specification, every z word (relu′, windowZ and act fields), s⁻¹ and every saturation count compared:
 * random layers (hidden widths 1 … 256, powers of two and not), accumulators drawn to reach preact saturation, all-negative rows,
 * zero variance and (narrow formats) the z, windowZ, var and s⁻¹ clamps, under random valid/ready.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHIP } from '../../generator/config.js';
import { layernorm } from '../../generator/units/layernorm.js';
import { emitModule } from '../../generator/emit/verilog.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/model.js';
import { Rng } from '../../sim/rng.js';
import { expectToolsClean } from '../generator/tool-checks.js';
import { NARROW_NUMERIC, unitConfig } from './configs.js';
import { layerNormMismatches, randomLayerNormCase, runLayerNormCase } from './layernorm-cosim.js';
import { randomRates, resetUnit } from './modulator-cosim.js';

const CASES = 150;
const DESIGNS = [
  { name: 'default formats, hidden 256/32/4/2', cfg: unitConfig([256, 32, 4, 2], 8, 'E'), narrow: false },
  { name: 'narrow formats (floor, truncate), hidden 128/16/8/2', cfg: unitConfig([128, 16, 8, 2], 8, 'E', NARROW_NUMERIC), narrow: true },
  // widths that are not powers of two: 1/n and 1/n² as the spec's constants, a product by the mantissa
  { name: 'default formats, hidden 100/48/3 (1/n by its mantissa)', cfg: unitConfig([100, 48, 3], 8, 'E'), narrow: false },
  { name: 'narrow formats, hidden 200/24/5/1 (1/n by its mantissa)', cfg: unitConfig([200, 24, 5, 1], 8, 'E', NARROW_NUMERIC), narrow: true },
];

const models: Model[] = [];
afterAll(async () => {
  for (const m of models) await m.close();
});

describe('layernorm unit co-simulated against the golden model', () => {
  for (const [di, d] of DESIGNS.entries()) {
    it(`${d.name}: ${CASES} calls, every z word, s⁻¹ and saturation count bit-exact`, async () => {
      const m = await buildFromIr(layernorm(d.cfg), { seed: 4000 + di }); // random start-up values
      models.push(m);
      await resetUnit(m);
      const rng = new Rng(2000 + di);
      const seen = { preact: 0, var: 0, invStd: 0, act: 0, windowZ: 0, zeroRows: 0, stalls: 0 };
      const lastSInv = new Map<number, number>();
      for (let i = 0; i < CASES; i++) {
        const x = randomLayerNormCase(d.cfg, rng);
        const rates = randomRates(rng, i);
        const r = await runLayerNormCase(m, d.cfg, x, rates, 11 * i + di);
        expect(layerNormMismatches(r), `case ${i} (layer ${x.layer})`).toEqual([]);
        if (rates.valid === 1 && rates.ready === 1) expect(r.cycles, `case ${i}: cycles without stalls`).toBe(r.ideal);
        else expect(r.cycles).toBeGreaterThanOrEqual(r.ideal);
        for (const k of ['preact', 'var', 'invStd', 'act', 'windowZ'] as const) seen[k] += r.sat[k];
        if (r.want.a.every((a) => a <= 0)) seen.zeroRows++;
        if (r.cycles > r.ideal) seen.stalls++;
        lastSInv.set(x.layer, r.want.sInv);
      }
      // each layer's s⁻¹ is held until that layer's next call
      expect(lastSInv.size).toBe(d.cfg.layers.length - 2);
      for (const [l, v] of lastSInv) expect(await m.peek(`s_inv_${l}`), `s_inv_${l}`).toBe(v);
      expect(seen.preact).toBeGreaterThan(0);
      expect(seen.zeroRows).toBeGreaterThan(0);
      expect(seen.stalls).toBeGreaterThan(CASES / 2);
      if (d.narrow) for (const k of ['var', 'invStd', 'act', 'windowZ'] as const) expect(seen[k], k).toBeGreaterThan(0);
    });
  }
});

describe('layernorm unit generation', () => {
  // yosys runs on the default chip's layernorm in test/gen/rtl.test.ts
  it('the default chip: verilator -Wall clean, iverilog clean', async () => {
    await expectToolsClean(layernorm(DEFAULT_CHIP), { synth: false });
  });

  it('one hidden layer (no layer selection): verilator -Wall clean, iverilog clean', async () => {
    await expectToolsClean(layernorm(unitConfig([16], 3, 'J')), { synth: false });
  });

  it('refuses an ε that rounds to 0 in the lnVar format', () => {
    expect(() => layernorm({ ...unitConfig([16], 4, 'E'), lnEps: 1e-9 })).toThrow(/lnEps 1e-9 rounds to 0 in the lnVar format ufixed<32,16>/);
  });

  it('a width that is not a power of two divides by the mantissa of 1/n; a power of two by a shift alone', () => {
    // products in the Verilog: r·r, S1·S1 and (n r − S1)·s⁻¹ at n = 64; n = 48 adds n·S2, n·r, V·m₂ and P·m₁
    const products = (n: number) => (emitModule(layernorm(unitConfig([n], 4, 'E'))).verilog.match(/ \* /g) ?? []).length;
    expect(products(64)).toBe(3);
    expect(products(48)).toBe(7);
  });
});
