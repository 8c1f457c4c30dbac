/**
 * Modulator unit benchmark (generator/units/modulator.ts against sim/golden/fixed/modulator.ts):
 *
 *   node bin/run-ts.js bench/units/modulator.ts [--zw-slots 1|all] [--cases 1000] [--designs 8] [--seed 1] [--speed-calls 60] [--no-cosim] [--no-synth]
 *
 * --zw-slots: the window-stream generation option (1, the default: module modulator, one window word per beat;
 * all: module modulator_wide, row j of all B slots per beat).
 *
 * (a) bit-exactness: `cases` random calls spread over `designs` random designs (window 2 … 16, hidden widths
 *     2 … 256, every variant, default and narrow formats), random valid/ready; every δ word and the saturation
 *     counts compared with the specification;
 * (b) cycles per call without stalls, against the unit's formula (B·n + n + 2B + 15, resp. 2n + 2B + 11) and the
 *     ideal of the window stream and the δ stream at one word per cycle (B·n + n, resp. 2n);
 * (c) Verilator speed on the default chip (784-128-64-10, B = 8, variant E);
 * (d) Yosys resources of the default chip's modulator (generic, iCE40 without and with SB_MAC16, Xilinx 7-series;
 *     generic is skipped for zw-slots all: B multipliers taken to gates take minutes), the other variants on Xilinx.
 * Prints Markdown for bench/RESULTS.md.
 */
import { DEFAULT_CHIP, type ChipConfig } from '../../generator/config.js';
import { modulator, modulatorCycles, type ZwSlots } from '../../generator/units/modulator.js';
import { Rng } from '../../sim/rng.js';
import { modulatorMismatches, randomModulatorCase, randomRates, runModulatorCase } from '../../test/units/modulator-cosim.js';
import { accuracyTable, arg, flag, markdownLog, randomDesigns, RESOURCE_HEADER, resourceRow, resources, speedTable } from './common.js';

const SEED = arg('seed', 1);
const SPEED_CALLS = arg('speed-calls', 60);
const zwArg = process.argv.includes('--zw-slots') ? process.argv[process.argv.indexOf('--zw-slots') + 1] : '1';
if (zwArg !== '1' && zwArg !== 'all') throw new RangeError(`--zw-slots must be 1 or all, got ${zwArg}`);
const ZW: ZwSlots = zwArg === 'all' ? 'all' : 1;
const build = (cfg: ChipConfig) => modulator(cfg, { zwSlots: ZW });
const idealCycles = (B: number, n: number) => (ZW === 'all' ? 2 * n : B * n + n);
const formulaText = ZW === 'all' ? '2n + 2B + 11' : 'B·n + n + 2B + 15';
const idealText = ZW === 'all' ? '2n' : 'B·n + n';
const { log, print } = markdownLog();

// ---- (a), (b) on random designs
if (!flag('no-cosim')) await accuracyTable({
  designs: randomDesigns(arg('designs', 8), SEED),
  cases: arg('cases', 1000),
  seed: SEED,
  build,
  satNames: ['coef', 'xi', 'delta'],
  zeroWhat: 'zero δ words',
  log,
  call: async (m, cfg, rng, i, seed) => {
    const x = randomModulatorCase(cfg, rng);
    const rates = randomRates(rng, i % 20);
    const r = await runModulatorCase(m, cfg, x, rates, seed, ZW);
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
    module: build(cfg),
    calls: SPEED_CALLS,
    title: `default chip (784-128-64-10, B = ${B}, variant ${cfg.variant}), zwSlots ${ZW}`,
    log,
    runWhat: 'run until the n δ words are in',
    callWhat: 'push the streams, start, run, drain, read the counters',
    formula: (n, c) => `(formula ${formulaText} = ${modulatorCycles(B, n, ZW)}; ideal ${idealText} = ${idealCycles(B, n)}) | ${c} (${(c / idealCycles(B, n)).toFixed(3)} × ideal)`,
    call: async (m, i) => {
      const r = await runModulatorCase(m, cfg, randomModulatorCase(cfg, rng), { valid: 1, ready: 1 }, i, ZW);
      return { n: r.got.length, cycles: r.cycles, runMs: r.runMs, mismatched: modulatorMismatches(r).length > 0 };
    },
  });
}

// ---- (d)
if (!flag('no-synth')) {
  for (const h of RESOURCE_HEADER) log(h);
  const mod = build(DEFAULT_CHIP);
  const targets = ZW === 'all' ? (['ice40', 'ice40-dsp', 'xilinx'] as const) : (['generic', 'ice40', 'ice40-dsp', 'xilinx'] as const);
  for (const target of targets) log(resourceRow(`${mod.name}, default chip (variant E)`, await resources(mod, target)));
  for (const variant of ['J', 'P', 'F'] as const) log(resourceRow(`${mod.name}, default chip, variant ${variant}`, await resources(build({ ...DEFAULT_CHIP, variant }), 'xilinx')));
}
print();
