/**
 * Modulator unit benchmark (generator/units/modulator.ts against sim/golden/fixed/modulator.ts):
 *
 *   node bin/run-ts.js bench/units/modulator.ts [--cases 1000] [--designs 8] [--seed 1] [--speed-calls 60] [--no-cosim] [--no-synth]
 *
 * (a) bit-exactness: `cases` random calls spread over `designs` random designs (window 2 … 16, hidden widths
 *     2 … 256, every variant, default and narrow formats), random valid/ready; every δ word and the saturation
 *     counts compared with the specification;
 * (b) cycles per call without stalls, against the unit's formula B·n + n + 2B + 15 and the ideal B·n + n of a
 *     one-word-per-cycle window stream and δ stream;
 * (c) Verilator speed on the default chip (784-128-64-10, B = 8, variant E);
 * (d) Yosys resources of the default chip's modulator (generic, iCE40 without and with SB_MAC16, Xilinx 7-series), the other variants on Xilinx.
 * Prints Markdown for bench/RESULTS.md.
 */
import { DEFAULT_CHIP } from '../../generator/config.js';
import { modulator, modulatorCycles } from '../../generator/units/modulator.js';
import { Rng } from '../../sim/rng.js';
import { modulatorMismatches, randomModulatorCase, randomRates, runModulatorCase } from '../../test/units/modulator-cosim.js';
import { accuracyTable, arg, flag, markdownLog, randomDesigns, RESOURCE_HEADER, resourceRow, resources, speedTable } from './common.js';

const SEED = arg('seed', 1);
const SPEED_CALLS = arg('speed-calls', 60);
const { log, print } = markdownLog();

// ---- (a), (b) on random designs
if (!flag('no-cosim')) await accuracyTable({
  designs: randomDesigns(arg('designs', 8), SEED),
  cases: arg('cases', 1000),
  seed: SEED,
  build: modulator,
  satNames: ['coef', 'xi', 'delta'],
  zeroWhat: 'zero δ words',
  log,
  call: async (m, cfg, rng, i, seed) => {
    const x = randomModulatorCase(cfg, rng);
    const rates = randomRates(rng, i % 20);
    const r = await runModulatorCase(m, cfg, x, rates, seed);
    const fullRate = rates.valid === 1 && rates.ready === 1;
    return { words: r.got.length, mismatches: modulatorMismatches(r), fullRate, atFormula: r.cycles === r.ideal, sat: r.sat, zeros: r.want.delta.filter((v) => v === 0).length };
  },
});

// ---- (b), (c) on the default chip
if (!flag('no-cosim')) {
  const cfg = DEFAULT_CHIP;
  const B = cfg.window;
  const rng = new Rng(SEED + 7);
  await speedTable({
    module: modulator(cfg),
    calls: SPEED_CALLS,
    title: `default chip (784-128-64-10, B = ${B}, variant ${cfg.variant})`,
    log,
    runWhat: 'run until the n δ words are in',
    callWhat: 'push the streams, start, run, drain, read the counters',
    formula: (n, c) => `(formula B·n + n + 2B + 15 = ${modulatorCycles(B, n)}; ideal B·n + n = ${B * n + n}) | ${c} (${(c / (B * n + n)).toFixed(3)} × ideal)`,
    call: async (m, i) => {
      const r = await runModulatorCase(m, cfg, randomModulatorCase(cfg, rng), { valid: 1, ready: 1 }, i);
      return { n: r.got.length, cycles: r.cycles, runMs: r.runMs, mismatched: modulatorMismatches(r).length > 0 };
    },
  });
}

// ---- (d)
if (!flag('no-synth')) {
  for (const h of RESOURCE_HEADER) log(h);
  const mod = modulator(DEFAULT_CHIP);
  for (const target of ['generic', 'ice40', 'ice40-dsp', 'xilinx'] as const) log(resourceRow('modulator, default chip (variant E)', await resources(mod, target)));
  for (const variant of ['J', 'P', 'F'] as const) log(resourceRow(`modulator, default chip, variant ${variant}`, await resources(modulator({ ...DEFAULT_CHIP, variant }), 'xilinx')));
}
print();
