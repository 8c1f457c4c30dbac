/**
 * LayerNorm-forward unit benchmark (generator/units/layernorm.ts against preactWord, layerNormRelu and windowZ
 * of sim/golden/fixed/forward.ts):
 *
 *   node bin/run-ts.js bench/units/layernorm.ts [--cases 1000] [--designs 6] [--seed 1] [--speed-calls 100] [--no-cosim] [--no-synth]
 *
 * (a) bit-exactness: `cases` random calls spread over `designs` random designs (hidden widths 2 … 256, default and
 *     narrow formats), accumulators drawn to reach every saturation, random valid/ready; every z word (relu′,
 *     windowZ, act), s⁻¹ and the saturation counts compared with the specification;
 * (b) cycles per call without stalls against the formula 2n + 14 and the ideal 2n (n words in, n out);
 * (c) Verilator speed on the default chip (784-128-64-10);
 * (d) Yosys resources of the default chip's layernorm (generic, iCE40 without and with SB_MAC16, Xilinx 7-series).
 * Prints Markdown for bench/RESULTS.md.
 */
import { DEFAULT_CHIP } from '../../generator/config.js';
import { layernorm, layernormCycles } from '../../generator/units/layernorm.js';
import { Rng } from '../../sim/rng.js';
import { layerNormMismatches, randomLayerNormCase, runLayerNormCase } from '../../test/units/layernorm-cosim.js';
import { randomRates } from '../../test/units/modulator-cosim.js';
import { accuracyTable, arg, flag, markdownLog, randomDesigns, RESOURCE_HEADER, resourceRow, resources, speedTable } from './common.js';

const SEED = arg('seed', 1);
const SPEED_CALLS = arg('speed-calls', 100);
const { log, print } = markdownLog();

if (!flag('no-cosim')) await accuracyTable({
  designs: randomDesigns(arg('designs', 6), SEED),
  cases: arg('cases', 1000),
  seed: SEED,
  build: layernorm,
  satNames: ['preact', 'var', 'invStd', 'act', 'windowZ'],
  zeroWhat: 'all-negative rows (z = 0)',
  describe: (cfg) => `hidden ${cfg.layers.slice(1, -1).join('/')}`,
  log,
  call: async (m, cfg, rng, i, seed) => {
    const x = randomLayerNormCase(cfg, rng);
    const rates = randomRates(rng, i % 20);
    const r = await runLayerNormCase(m, cfg, x, rates, seed);
    const fullRate = rates.valid === 1 && rates.ready === 1;
    return { words: r.got.z.length, mismatches: layerNormMismatches(r), fullRate, atFormula: r.cycles === r.ideal, sat: r.sat, zeros: r.want.a.every((a) => a <= 0) ? 1 : 0 };
  },
});

if (!flag('no-cosim')) {
  const cfg = DEFAULT_CHIP;
  const rng = new Rng(SEED + 7);
  await speedTable({
    module: layernorm(cfg),
    calls: SPEED_CALLS,
    title: 'default chip (784-128-64-10)',
    log,
    runWhat: 'run until the n z words are in',
    callWhat: 'push, start, run, drain, read s⁻¹ and the counters',
    formula: (n, c) => `(formula 2n + 14 = ${layernormCycles(n)}; ideal 2n = ${2 * n}) | ${c} (${(c / (2 * n)).toFixed(3)} × ideal)`,
    call: async (m, i) => {
      const r = await runLayerNormCase(m, cfg, randomLayerNormCase(cfg, rng), { valid: 1, ready: 1 }, i);
      return { n: r.got.z.length, cycles: r.cycles, runMs: r.runMs, mismatched: layerNormMismatches(r).length > 0 };
    },
  });
}

if (!flag('no-synth')) {
  for (const h of RESOURCE_HEADER) log(h);
  const mod = layernorm(DEFAULT_CHIP);
  for (const target of ['generic', 'ice40', 'ice40-dsp', 'xilinx'] as const) log(resourceRow('layernorm, default chip', await resources(mod, target)));
}
print();
