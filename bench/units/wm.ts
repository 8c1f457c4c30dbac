/**
 * Working-memory benchmark (generator/units/wm.ts against wmClear / wmWriteSlot / wmWriteZ / wmUpdateRows of
 * sim/golden/fixed/wm.ts):
 *
 *   node bin/run-ts.js bench/units/wm.ts [--cases 1000] [--designs 4] [--seed 1] [--stream 100] [--no-cosim] [--no-synth] [--generic]
 *
 * (a) bit-exactness: `cases` training steps (NEW, the sample's pixels and stored z, KROW with random K words)
 *     spread over `designs` chips (the default chip first, then random windows 2 … 16 and shapes), an epoch
 *     clear in the middle of each design's run, random valid rates on every input stream; after EVERY step all
 *     words of the memory (pixels, z, labels, K_X, K_Y, R_X, R_Y, count, head) read back and compared;
 * (b) cycles per command: NEW, KROW (count − 1 words; ideal one per cycle), CLEAR (ideal: the largest memory);
 * (c) Verilator speed on the default chip: `stream` samples' pixels and z written at full rate;
 * (d) Yosys resources of the default chip's working memory for iCE40 and Xilinx 7-series (generic synthesis maps
 *     the 40 block RAMs to flip-flops and takes minutes: --generic), its size in bits against the engine report.
 * Prints Markdown for bench/RESULTS.md.
 */
import { DEFAULT_CHIP, type ChipConfig } from '../../generator/config.js';
import { wmBits, wmClearCycles, workingMemory, WM_OP } from '../../generator/units/wm.js';
import { unitShapes } from '../../generator/units/shapes.js';
import { wmClear } from '../../sim/golden/fixed/wm.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import { Rng } from '../../sim/rng.js';
import { engineOf, pokeZero, randomChip, wmCommand } from '../../test/units/helpers.js';
import { specWindow, wmCompare, wmStep } from '../../test/units/wm-cosim.js';
import { arg, flag, fmt, markdownLog, RESOURCE_HEADER, resourceRow, resources } from './common.js';

const SEED = arg('seed', 1);
const { log, print } = markdownLog();

if (!flag('no-cosim')) {
  const rng = new Rng(SEED);
  const designs: ChipConfig[] = [DEFAULT_CHIP, ...Array.from({ length: arg('designs', 4) - 1 }, () => randomChip(rng))];
  const per = Math.ceil(arg('cases', 1000) / designs.length);
  log('| design | steps | words compared | mismatched steps | NEW cycles | KROW cycles − K words (2 at full rate; more when the random krow valid pattern stalls) | CLEAR cycles (= clearCycles + 1) | build |');
  log('|---|---|---|---|---|---|---|---|');
  let bad = 0;
  let words = 0;
  for (const [d, cfg] of designs.entries()) {
    const sh = unitShapes(cfg);
    const t0 = performance.now();
    const m = await buildFromIr(workingMemory(cfg), { seed: SEED + d });
    const build = (performance.now() - t0) / 1000;
    const row = { bad: 0, words: 0, newC: new Set<number>(), extraMin: Infinity, extraMax: 0, clear: new Set<number>() };
    try {
      for (const [i, bus] of ['px', 'krow', ...sh.kinds.slice(1).map((k) => k.name)].entries()) await m.sourcePattern(bus, 0.3 + 0.7 * rng.uniform(), SEED * 31 + i);
      await pokeZero(m, ['start', 'kr_en', 'vr_en']);
      await m.reset(2);
      const spec = specWindow(cfg);
      row.clear.add(await wmCommand(m, WM_OP.CLEAR));
      wmClear(spec);
      for (let i = 0; i < per; i++) {
        if (i === Math.floor(per / 2)) {
          row.clear.add(await wmCommand(m, WM_OP.CLEAR));
          wmClear(spec);
        }
        const s = await wmStep(m, cfg, spec, rng, i);
        row.newC.add(s.newBusy);
        row.extraMin = Math.min(row.extraMin, s.krowBusy - s.krowWords);
        row.extraMax = Math.max(row.extraMax, s.krowBusy - s.krowWords);
        try {
          row.words += await wmCompare(m, cfg, spec);
        } catch (e) {
          row.bad++;
          console.error(`design ${d} step ${i}: ${(e as Error).message}`);
        }
      }
    } finally {
      await m.close();
    }
    bad += row.bad;
    words += row.words;
    log(
      `| ${cfg.layers.join('-')}, B = ${cfg.window} | ${per} | ${fmt(row.words)} | ${row.bad} | ${[...row.newC].join(', ')} | ${row.extraMin} … ${row.extraMax} | ${[...row.clear].join(', ')} (clearCycles ${wmClearCycles(cfg)}) | ${build.toFixed(1)} s |`,
    );
  }
  log(`| **total** | **${designs.length * per}** | **${fmt(words)}** | **${bad}** | | | | |`);
  log('');

  // (c) speed: samples written at full rate into the default chip's memory
  const cfg = DEFAULT_CHIP;
  const sh = unitShapes(cfg);
  const m = await buildFromIr(workingMemory(cfg), { seed: SEED });
  try {
    await pokeZero(m, ['start', 'kr_en', 'vr_en']);
    await m.reset(2);
    await wmCommand(m, WM_OP.CLEAR);
    const n = arg('stream', 100);
    const r2 = new Rng(SEED + 9);
    let cycles = 0;
    let ms = 0;
    for (let s = 0; s < n; s++) {
      await wmCommand(m, WM_OP.NEW, r2.int(10));
      void m.push('px', Array.from({ length: cfg.layers[0] }, () => r2.int(256)), 'none');
      for (const k of sh.kinds.slice(1)) void m.push(k.name, Array.from({ length: k.len }, () => r2.int(2 ** k.width)), 'none');
      const t0 = performance.now();
      cycles += (await m.run({ untilSourcesEmpty: true, maxCycles: 10_000 })).cycles;
      ms += performance.now() - t0;
    }
    log('| default chip (784-128-64-10, B = 8) | figure |');
    log('|---|---|');
    log(`| cycles to write a sample (784 pixels, 128 + 64 z words on three streams at once) | ${fmt(cycles / n, 1)} (ideal 784: one pixel per cycle) |`);
    log(`| Verilator: the harness writing samples | ${fmt(cycles / (ms / 1000))} cycles/s |`);
    log('');
  } finally {
    await m.close();
  }
}

if (!flag('no-synth')) {
  const cfg = DEFAULT_CHIP;
  const { weights: _w, ...engine } = engineOf(cfg).report().memoryBits;
  const bits = wmBits(cfg);
  log(`Working memory of the default chip: ${fmt(bits.total)} bits (inputs ${fmt(bits.inputs)}, labels ${bits.labels}, stored z ${fmt(bits.storedZ)}, K_X + K_Y ${bits.gram}, row sums ${bits.rowSums}); the fixed engine reports ${fmt(engine.total)} — ${JSON.stringify(bits) === JSON.stringify(engine) ? 'equal' : 'DIFFERENT'}.`);
  log('');
  log(RESOURCE_HEADER[0]);
  log(RESOURCE_HEADER[1]);
  const targets = flag('generic') ? (['generic', 'ice40', 'xilinx'] as const) : (['ice40', 'xilinx'] as const);
  for (const target of targets) log(resourceRow('wm (default chip)', await resources(workingMemory(cfg), target)));
  log('');
}
print();
