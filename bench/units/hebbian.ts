/**
 * Hebbian-update and output-layer benchmark (generator/units/hebbian.ts against rank1Update of
 * sim/golden/fixed/update.ts; generator/units/output.ts against outputStep / outputLogits of output.ts):
 *
 *   node bin/run-ts.js bench/units/hebbian.ts [--cases 1000] [--out-cases 1000] [--seed 1] [--passes 40]
 *        [--no-cosim] [--no-cycles] [--no-speed] [--no-synth] [--default-synth]
 *
 * (a) bit-exactness of the Hebbian unit: `cases` random cases over fixed designs (lanes 1 … 64, widths that
 *     are and are not multiples of the lanes), each: random weights, biases, LFSR states, input vectors, then
 *     six random passes (fused update + forward, forward only, update only; δ with zeros; random valid/ready),
 *     every accumulator word, weight, bias, LFSR state and saturation count compared;
 * (b) the same for the output unit: `out-cases` cases, each 1 … 3 windows trained on and inferred from;
 * (c) cycles per fused pass of the default network against ⌈words / L⌉ for several lane counts, and the
 *     output step's cycles;
 * (d) Verilator speed of the default Hebbian unit: `passes` back-to-back fused passes of layer 1;
 * (e) Yosys resources (generic, iCE40, Xilinx 7) of both units at a mid-size configuration, the weight banks
 *     asserted in block RAM by count; with --default-synth also the default configuration (slow).
 * Prints Markdown for bench/RESULTS.md.
 */
import os from 'node:os';
import { DEFAULT_CHIP, type ChipConfig } from '../../generator/config.js';
import { hebbian, hebbianLayout } from '../../generator/units/hebbian.js';
import { outputLayout, outputUnit } from '../../generator/units/output.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import { Rng } from '../../sim/rng.js';
import { HebbianCosim, runCase, unitConfig } from '../../test/units/hebbian-cosim.js';
import { OutputCosim, runOutputCase } from '../../test/units/output-cosim.js';
import { arg, flag, fmt, markdownLog, RESOURCE_HEADER, resourceRow, resources } from './common.js';

const SEED = arg('seed', 1);
const { log, print } = markdownLog();
let failures = 0;

const HEB_DESIGNS: { layers: number[]; lanes: number; patch?: object }[] = [
  { layers: [13, 8, 5, 3], lanes: 4 },
  { layers: [5, 3, 2], lanes: 1 },
  { layers: [10, 5, 7, 2], lanes: 5 },
  { layers: [7, 6, 3, 2], lanes: 3, patch: { lfsr: { width: 24, rbits: 8, leap: 5, lanes: 3, seed: 7 }, lr: { hiddenShift: 2, hiddenMul: 3, outShift: 7, outMul: 1 }, bias: { format: 'Q4.12', rounding: 'nearest', overflow: 'saturate' } } },
  { layers: [23, 9, 17, 2], lanes: 7 },
  { layers: [40, 32, 16, 2], lanes: 16 },
  { layers: [70, 64, 64, 2], lanes: 64 },
];

const OUT_DESIGNS: { layers: number[]; window: number; lanes: number; patch?: object }[] = [
  { layers: [5, 10, 3], window: 2, lanes: 4 },
  { layers: [5, 6, 5], window: 5, lanes: 3 },
  { layers: [5, 4, 2], window: 16, lanes: 1 },
  { layers: [5, 20, 7], window: 3, lanes: 8, patch: { lr: { hiddenShift: 1, hiddenMul: 1, outShift: 4, outMul: 3 }, bias: { format: 'Q4.12', rounding: 'nearest', overflow: 'saturate' } } },
  { layers: [5, 33, 12], window: 11, lanes: 16 },
  { layers: [784, 64, 10], window: 8, lanes: 64 },
];

/** A table's title, then its header row and separator. */
function table(title: string, columns: string[]): void {
  log(title);
  log('');
  log(`| ${columns.join(' | ')} |`);
  log(`|${columns.map(() => '---|').join('')}`);
}

/** `per` cases on one model (built by `start`); a case that throws counts as mismatched. */
async function overCases<T extends { close(): Promise<void> }, S>(
  what: string,
  start: () => Promise<T>,
  per: number,
  one: (sim: T, c: number) => Promise<S>,
  add: (s: S, sim: T) => void,
): Promise<{ bad: number; build: number }> {
  const t0 = performance.now();
  const sim = await start();
  const build = (performance.now() - t0) / 1000;
  let bad = 0;
  try {
    for (let c = 0; c < per; c++) {
      try {
        add(await one(sim, c), sim);
      } catch (e) {
        bad++;
        console.error(`${what} case ${c}: ${(e as Error).message}`);
      }
    }
  } finally {
    await sim.close();
  }
  return { bad, build };
}

if (!flag('no-cosim')) {
  const per = Math.ceil(arg('cases', 1000) / HEB_DESIGNS.length);
  table('**(a) Hebbian unit against rank1Update** (six random passes per case: fused, forward-only, update-only; δ with zeros; random valid/ready)', [
    'design', 'cases', 'passes', 'accumulator words', 'W, b, LFSR words compared', 'mismatched cases', 'saturations', 'build',
  ]);
  let tot = { cases: 0, bad: 0, words: 0 };
  for (const [d, des] of HEB_DESIGNS.entries()) {
    const cfg = unitConfig(des.layers, des.lanes, des.patch ?? {});
    const row = { passes: 0, acc: 0, words: 0, sat: 0 };
    const { bad, build } = await overCases(
      `hebbian design ${d}`,
      () => HebbianCosim.start(cfg),
      per,
      (sim, c) => runCase(sim, SEED * 100_000 + 1000 * d + c, 6),
      (s, sim) => {
        row.passes += s.passes;
        row.acc += s.accWords;
        row.words += s.words + sim.lay.lanes * sim.lay.layers.length;
        row.sat += s.satW + s.satB;
      },
    );
    log(`| ${des.layers.slice(0, -1).join('-')}, L = ${des.lanes}${des.patch ? ', LFSR 24/8/5, lr mul 3, nearest bias' : ''} | ${per} | ${row.passes} | ${fmt(row.acc)} | ${fmt(row.words)} | ${bad} | ${fmt(row.sat)} | ${build.toFixed(1)} s |`);
    tot = { cases: tot.cases + per, bad: tot.bad + bad, words: tot.words + row.words };
  }
  log(`| **total** | **${tot.cases}** | | | **${fmt(tot.words)}** | **${tot.bad}** | | |`);
  log('');
  failures += tot.bad;

  const perO = Math.ceil(arg('out-cases', 1000) / OUT_DESIGNS.length);
  table('**(b) Output-layer unit against outputStep / outputLogits** (1 … 3 windows per case, each inferred from and trained on)', [
    'design', 'cases', 'training steps', 'inference logits', 'mismatched cases', 'saturations', 'cycles per training step', 'build',
  ]);
  let totO = { cases: 0, bad: 0 };
  const rng = new Rng(SEED);
  for (const [d, des] of OUT_DESIGNS.entries()) {
    const cfg = { ...unitConfig(des.layers, des.lanes, des.patch ?? {}), window: des.window };
    const row = { steps: 0, logits: 0, sat: 0, cycles: new Set<number>() };
    const { bad, build } = await overCases(
      `output design ${d}`,
      () => OutputCosim.start(cfg),
      perO,
      (sim, c) => runOutputCase(sim, SEED * 100_000 + 1000 * d + c, 1 + rng.int(3)),
      (s) => {
        row.steps += s.steps;
        row.logits += s.logits;
        row.sat += s.sat;
        for (const cy of s.cycles) row.cycles.add(cy);
      },
    );
    log(`| ${des.layers.slice(1).join('→')}, B = ${des.window}, L = ${des.lanes}${des.patch ? ', lr mul 3, nearest bias' : ''} | ${perO} | ${row.steps} | ${fmt(row.logits)} | ${bad} | ${fmt(row.sat)} | ${[...row.cycles].join(', ')} | ${build.toFixed(1)} s |`);
    totO = { cases: totO.cases + perO, bad: totO.bad + bad };
  }
  log(`| **total** | **${totO.cases}** | | | **${totO.bad}** | | | |`);
  log('');
  failures += totO.bad;
}

/** Cycles from start to done of one fused pass of every hidden layer with ready streams and δ ≠ 0. */
async function passCycles(cfg: ChipConfig): Promise<number[]> {
  const sim = await HebbianCosim.start(cfg);
  try {
    const m = sim.m;
    for (const port of ['start', 'hl_start', 'host_we', 'host_re']) void m.poke(port, 0);
    await m.reset(2);
    const out: number[] = [];
    for (const [l, y] of sim.lay.layers.entries()) {
      const delta = Int32Array.from({ length: y.nOut }, (_, j) => 1 + (j % 100));
      const r = await sim.pass(l, true, true, 0, 1, delta, 1, 1, 5);
      out.push(r.cycles);
    }
    return out;
  } finally {
    await sim.close();
  }
}

if (!flag('no-cycles')) {
  table('**(c) Cycles per fused pass (update with δ ≠ 0 + forward of the next input), 784-128-64-10, ready streams**', [
    'lanes L', 'row groups G', 'layer', 'words (nOut·(nIn + 1))', '⌈words / L⌉', 'cycles start → done', 'ratio', '⌈nOut/G⌉·⌈nIn/g⌉ + 5 (grouped: up to 2·(G − 1) more)',
  ]);
  // --lanes L[:G],… (default: the plain lane counts, then row groups at the counts where they pay)
  const li = process.argv.indexOf('--lanes');
  const points = (li > 0 ? process.argv[li + 1] : '16,32,48,64,40:4,48:3,50:5,60:4,64:4').split(',').map((x) => x.split(':').map(Number));
  for (const [L, G = 1] of points) {
    const cfg = unitConfig(DEFAULT_CHIP.layers, L, G > 1 ? { lfsr: { ...DEFAULT_CHIP.numeric.lfsr, lanes: L, rowGroups: G } } : {});
    const lay = hebbianLayout(cfg);
    const cyc = await passCycles(cfg);
    lay.layers.forEach((y, l) => {
      const words = y.nOut * (y.nIn + 1);
      const ideal = Math.ceil(words / L);
      const ratio = cyc[l] / ideal;
      // a row takes ⌈nIn / L⌉ cycles whatever its tail (word i lives in bank i mod L), so L not dividing nIn costs
      const formula = y.rounds * y.chunks + 5;
      log(`| ${L} | ${G} | ${l + 1} (${y.nIn} → ${y.nOut}) | ${fmt(words)} | ${fmt(ideal)} | ${fmt(cyc[l])} | ${ratio.toFixed(3)}${ratio > 1.1 ? ' (> 1.1)' : ''} | ${fmt(formula)} |`);
      // row groups: the first round waits for its G − 1 gathered δ words, and the last round's G sums leave the
      // queues one a cycle: at most 2·(G − 1) more than the issue count
      if (cyc[l] < formula || cyc[l] > formula + 2 * (G - 1)) failures++;
    });
  }
  const ol = outputLayout(DEFAULT_CHIP);
  log('');
  log(`Output step (64 → 10, B = 8, L = 64): see (b), last row; formula B·C_h·C + B·C + B + B·C + C·C_h·B + phase drains = ${ol.B * ol.chunks * ol.C + ol.B * ol.C + ol.B + ol.B * ol.C + ol.C * ol.chunks * ol.B} + drains.`);
  log('');
}

/** `passes` back-to-back fused layer-1 passes on the default unit: harness-only and whole-call cycles/s. */
async function speed(passes: number, checks: boolean): Promise<string[]> {
  const t0 = performance.now();
  const m = await buildFromIr(hebbian(DEFAULT_CHIP), checks ? {} : { checkValidReady: false, watchStreams: false });
  const build = (performance.now() - t0) / 1000;
  try {
    for (const port of ['start', 'hl_start', 'host_we', 'host_re']) void m.poke(port, 0);
    await m.reset(2);
    const nOut = DEFAULT_CHIP.layers[1];
    let runCycles = 0;
    let runMs = 0;
    let allCycles = 0;
    let allMs = 0;
    for (let p = 0; p < passes; p++) {
      const a = performance.now();
      const c0 = (await m.status()).cycle;
      await m.push('delta', Array.from({ length: nOut }, (_, j) => ((j * 37) % 1000) - 500), 'none');
      for (const [k, v] of [['cmd_layer', 0], ['cmd_update', 1], ['cmd_forward', 1], ['cmd_cur', 0], ['cmd_nxt', 1], ['start', 1]] as const) void m.poke(k, v);
      await m.step(1);
      await m.poke('start', 0);
      const b = performance.now();
      const r = await m.run({ untilPort: { port: 'done', equals: 1 }, maxCycles: 100_000 });
      runMs += performance.now() - b;
      runCycles += r.cycles;
      await m.drain('acc');
      allCycles += (await m.status()).cycle - c0;
      allMs += performance.now() - a;
    }
    const how = checks ? "with the runner's per-cycle stream checks" : 'stream checks off';
    return [
      `| harness simulating a pass (run until done), ${how} | ${fmt(runCycles / (runMs / 1000))} cycles/s (build ${build.toFixed(0)} s) |`,
      `| whole passes driven from TypeScript, ${how} | ${fmt(allCycles / (allMs / 1000))} cycles/s, ${fmt(allMs / passes, 1)} ms per pass |`,
    ];
  } finally {
    await m.close();
  }
}

if (!flag('no-speed')) {
  const passes = arg('passes', 40);
  const rows = [...(await speed(passes, true)), ...(await speed(passes, false))];
  table(`**(d) Verilator speed, default Hebbian unit (784-128-64, L = 64), ${passes} fused layer-1 passes** (load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores at the start)`, ['what', 'figure']);
  for (const r of rows) log(r);
  log('');
}

if (!flag('no-synth')) {
  log('**(e) Yosys resources** (weight banks asserted in block RAM: iCE40 SB_RAM40_4K ≥ L·⌈depth·16 / 4096⌉, Xilinx RAMB18/36 ≥ L)');
  log('');
  for (const l of RESOURCE_HEADER) log(l);
  const configs: [string, ChipConfig][] = [['64-32-16-10, L = 4, B = 8', unitConfig([64, 32, 16, 10], 4)]];
  if (flag('default-synth')) configs.push(['784-128-64-10, L = 64, B = 8 (default)', DEFAULT_CHIP]);
  for (const [what, cfg] of configs) {
    const lay = hebbianLayout(cfg);
    const mods = [hebbian(cfg), outputUnit(cfg)];
    for (const mod of mods) {
      for (const target of ['generic', 'ice40', 'xilinx'] as const) {
        if (target === 'generic' && what.includes('default')) continue; // memories to flip-flops: hours
        const r = await resources(mod, target);
        log(resourceRow(`${mod.name} (${what})`, r));
        if (mod.name === 'hebbian') {
          const need = target === 'ice40' ? lay.lanes * Math.ceil((lay.depth * 16) / 4096) : target === 'xilinx' ? lay.lanes : 0;
          if (r.brams < need) {
            failures++;
            console.error(`${target}: ${r.brams} block RAMs, the weight banks need ${need}`);
          }
        }
      }
    }
  }
  log('');
}

print();
if (failures > 0) {
  console.error(`${failures} failure(s)`);
  process.exitCode = 1;
}
