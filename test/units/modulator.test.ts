/**
 * The modulator unit (generator/units/modulator.ts) co-simulated with Verilator against its specification,
 * every δ word and every saturation count compared: random layers (hidden widths 2 … 256), slots, K rows, row
 * sums, window z, relu′ patterns and s⁻¹, under random valid/ready on all six streams and random start-up
 * values of every register and memory (a seed per design); every ξ variant. Both window-stream modes: one
 * word per beat (zwSlots 1, module modulator) and a whole row of all B slots per beat (zwSlots 'all', module
 * modulator_wide, windows 2 … 16).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHIP } from '../../generator/config.js';
import { width } from '../../generator/fixed/index.js';
import { resolveNumeric } from '../../generator/numeric.js';
import { modulator, MODULATOR_GUARD, MODULATOR_MODULE, MODULATOR_WIDE_MODULE, type ZwSlots } from '../../generator/units/modulator.js';
import { LN_BWD_GUARD } from '../../sim/golden/fixed/modulator.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/model.js';
import { Rng } from '../../sim/rng.js';
import { expectToolsClean } from '../generator/tool-checks.js';
import { NARROW_NUMERIC, unitConfig } from './configs.js';
import { modulatorMismatches, randomModulatorCase, randomRates, resetUnit, runModulatorCase } from './modulator-cosim.js';

const CASES = 60;
const WIDE_CASES = 50;
const DESIGNS = [
  { name: 'variant E, B = 8, hidden 256/32/4/2', cfg: unitConfig([256, 32, 4, 2], 8, 'E') },
  { name: 'variant J, B = 2, hidden 64/8', cfg: unitConfig([64, 8], 2, 'J') },
  { name: 'variant P, B = 16, hidden 128/16/2, narrow formats', cfg: unitConfig([128, 16, 2], 16, 'P', NARROW_NUMERIC) },
  { name: 'variant F, B = 5, hidden 32/4, narrow formats', cfg: unitConfig([32, 4], 5, 'F', NARROW_NUMERIC) },
  { name: 'variant E, B = 6, hidden 100/24/3 (1/n by its mantissa)', cfg: unitConfig([100, 24, 3], 6, 'E') },
];
/** zwSlots 'all': the smallest and largest window and two drawn from 3 … 15 (seeded), every variant. */
const wideRng = new Rng(4242);
const WIDE_DESIGNS = [2, 16, 3 + wideRng.int(13), 3 + wideRng.int(13)].map((B, i) => {
  const variant = (['J', 'E', 'F', 'P'] as const)[i];
  const hidden = [[64, 8], [256, 32, 2], [32, 4], [128, 12, 4]][i]; // 12: 1/n by its mantissa
  const narrow = i % 2 === 1;
  return { name: `zwSlots 'all', variant ${variant}, B = ${B}, hidden ${hidden.join('/')}${narrow ? ', narrow formats' : ''}`, cfg: unitConfig(hidden, B, variant, narrow ? NARROW_NUMERIC : undefined) };
});

const models: Model[] = [];
/** What the random data reached over all designs (checked by the last test). */
const seen = { coef: 0, xi: 0, delta: 0, zeroDelta: 0 };
afterAll(async () => {
  for (const m of models) await m.close();
});

describe('modulator unit co-simulated against the golden model', () => {
  const cosim = (d: (typeof DESIGNS)[number], di: number, zwSlots: ZwSlots, cases: number) =>
    it(`${d.name}: ${cases} calls, every δ word and saturation count bit-exact`, async () => {
      const m = await buildFromIr(modulator(d.cfg, { zwSlots }), { seed: 3000 + di }); // random start-up values
      models.push(m);
      await resetUnit(m);
      const rng = new Rng(1000 + di);
      let stalls = 0;
      let zeroDelta = 0;
      for (let i = 0; i < cases; i++) {
        const x = randomModulatorCase(d.cfg, rng);
        const rates = randomRates(rng, i);
        const r = await runModulatorCase(m, d.cfg, x, rates, 7 * i + di, zwSlots);
        expect(modulatorMismatches(r), `case ${i} (layer ${x.layer}, slot ${x.c})`).toEqual([]);
        if (rates.valid === 1 && rates.ready === 1) expect(r.cycles, `case ${i}: cycles without stalls`).toBe(r.ideal);
        else expect(r.cycles).toBeGreaterThanOrEqual(r.ideal);
        seen.coef += r.sat.coef;
        seen.xi += r.sat.xi;
        seen.delta += r.sat.delta;
        zeroDelta += r.want.delta.filter((v) => v === 0).length;
        if (r.cycles > r.ideal) stalls++;
      }
      seen.zeroDelta += zeroDelta;
      expect(zeroDelta).toBeGreaterThan(0);
      expect(stalls).toBeGreaterThan(cases / 2);
    });
  for (const [di, d] of DESIGNS.entries()) cosim(d, di, 1, CASES);
  for (const [di, d] of WIDE_DESIGNS.entries()) cosim(d, 10 + di, 'all', WIDE_CASES);

  it('the random data reached the coefficient, ξ and δ saturations and zero-δ rows', () => {
    expect(seen.coef).toBeGreaterThan(0);
    expect(seen.xi).toBeGreaterThan(0);
    expect(seen.delta).toBeGreaterThan(0);
    expect(seen.zeroDelta).toBeGreaterThan(0);
  });

  it("zwSlots 'all': kz words after the K rows and row sums (as the chip's K_Z row): each coefficient issues with its kz word, bit-exact", async () => {
    for (const [di, d] of WIDE_DESIGNS.slice(0, 2).entries()) {
      const m = await buildFromIr(modulator(d.cfg, { zwSlots: 'all' }), { seed: 3010 + di });
      models.push(m);
      await resetUnit(m);
      const rng = new Rng(500 + di);
      for (let i = 0; i < 12; i++) {
        const x = randomModulatorCase(d.cfg, rng);
        const kzAfter = 2 * d.cfg.window + 3 + rng.int(20);
        const r = await runModulatorCase(m, d.cfg, x, { valid: 1, ready: 1 }, 3 * i + di, 'all', kzAfter);
        expect(modulatorMismatches(r), `${d.name}, case ${i}`).toEqual([]);
        expect(r.cycles, `${d.name}, case ${i}: cycles with the kz words ${kzAfter} cycles late`).toBe(r.ideal);
      }
    }
  });

  for (const [zwSlots, d] of [[1, DESIGNS[1]], ['all', WIDE_DESIGNS[0]]] as const) {
    it(`zwSlots ${zwSlots}: a reset in the middle of a call returns it to idle; the next call is bit-exact`, async () => {
      const m = await buildFromIr(modulator(d.cfg, { zwSlots }), { seed: 99 });
      models.push(m);
      await resetUnit(m);
      const rng = new Rng(77);
      const x = randomModulatorCase(d.cfg, rng);
      await m.push('kxy', [1, 2], 'none');
      await m.push('kz', [3, 4], 'none');
      await m.poke('start', 1);
      await m.step(1);
      await m.poke('start', 0);
      await m.step(5);
      expect(await m.peek('busy')).toBe(1);
      await m.reset(1);
      expect(await m.peek('busy')).toBe(0);
      const r = await runModulatorCase(m, d.cfg, x, { valid: 0.7, ready: 0.6 }, 5, zwSlots);
      expect(modulatorMismatches(r)).toEqual([]);
    });
  }
});

describe('modulator unit generation', () => {
  for (const variant of ['E', 'J', 'P', 'F'] as const) {
    // yosys runs on the default chip's modulator in test/gen/rtl.test.ts and on every variant in bench/units/modulator.ts
    it(`variant ${variant} of the default chip: verilator -Wall clean, iverilog clean`, async () => {
      await expectToolsClean(modulator({ ...DEFAULT_CHIP, variant }), { synth: false });
    });
  }

  for (const variant of ['E', 'J', 'P', 'F'] as const) {
    it(`zwSlots 'all', variant ${variant} of the default chip: verilator -Wall clean, iverilog clean`, async () => {
      await expectToolsClean(modulator({ ...DEFAULT_CHIP, variant }, { zwSlots: 'all' }), { synth: false });
    });
  }

  // Yosys on a small shape in narrow formats (B multipliers taken to gates by generic synthesis take minutes at the default)
  it('zwSlots \'all\', three layers, B = 3, narrow formats: verilator -Wall, iverilog and Yosys clean', async () => {
    await expectToolsClean(modulator(unitConfig([16, 8, 2], 3, 'E', NARROW_NUMERIC), { zwSlots: 'all' }));
  });

  it('one hidden layer (no layer selection), both window-stream modes: verilator -Wall clean, iverilog clean', async () => {
    await expectToolsClean(modulator(unitConfig([16], 3, 'J')), { synth: false });
    await expectToolsClean(modulator(unitConfig([16], 3, 'J'), { zwSlots: 'all' }), { synth: false });
  });

  it('names the modules apart and packs all B window slots in the wide window stream', () => {
    const one = modulator(DEFAULT_CHIP);
    const all = modulator(DEFAULT_CHIP, { zwSlots: 'all' });
    expect(one.name).toBe(MODULATOR_MODULE);
    expect(all.name).toBe(MODULATOR_WIDE_MODULE);
    const zwWidth = (mod: typeof one) => mod.ports.find((p) => p.name === 's_axis_zw_tdata')?.type.width;
    const w = width(resolveNumeric(DEFAULT_CHIP.numeric).windowZ.format);
    expect(zwWidth(one)).toBe(w);
    expect(zwWidth(all)).toBe(w * DEFAULT_CHIP.window);
  });

  it('refuses an unknown window-stream mode', () => {
    expect(() => modulator(DEFAULT_CHIP, { zwSlots: 2 as unknown as ZwSlots })).toThrow(/zwSlots must be 1 or 'all', got 2/);
  });

  it('uses the golden model\'s guard bits of mean(ξ), mean(ξ⊙z)', () => {
    expect(MODULATOR_GUARD).toBe(LN_BWD_GUARD);
  });
});
