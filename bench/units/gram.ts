/**
 * Systolic Gram array benchmark (generator/units/gram.ts, co-simulated with the working memory it reads,
 * against gramRow / gramMatrix of sim/golden/fixed/gram.ts):
 *
 *   node bin/run-ts.js bench/units/gram.ts [--cases 1000] [--designs 5] [--seed 1] [--speed 20] [--no-cosim] [--no-speed] [--no-synth]
 *
 * (a) bit-exactness: `cases` random commands (ROW from a random current slot or FULL, random kind masks, windows
 *     of random occupancy reloaded every 8 commands, random output back-pressure) spread over `designs` chips
 *     (the default chip first, then random windows 2 … 16, vector lengths 1 … 40, arrays 1 … 8 per side); every
 *     output word {kind, p, q, d} compared, in order, with tlast;
 * (b) cycles on the default chip (784-128-64-10, B = 8, 8 × 8 PEs) at full rate: the incremental rows against the
 *     target dim + B + pipeline latency, and full-window loads with the fraction of PE-cycles doing a MAC;
 * (c) Verilator speed on the default chip, the PE as a sub-module and inlined: harness cycles per second over
 *     `speed` full-window loads;
 * (d) Yosys resources of the default chip's Gram array (Xilinx 7-series, iCE40 with SB_MAC16, iCE40 in LUTs).
 * Prints Markdown for bench/RESULTS.md.
 */
import { DEFAULT_CHIP, type ChipConfig } from '../../generator/config.js';
import { gramArray, gramPad, GRAM_MODE, type GramOptions } from '../../generator/units/gram.js';
import { unitShapes } from '../../generator/units/shapes.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/index.js';
import { Rng } from '../../sim/rng.js';
import { pokeZero, randomChip } from '../../test/units/helpers.js';
import { gramCommand, gramTop, loadWindow, randomWindow, type GramCmd } from '../../test/units/gram-top.js';
import { arg, flag, fmt, markdownLog, RESOURCE_HEADER, resourceRow, resources } from './common.js';

const SEED = arg('seed', 1);
const { log, print } = markdownLog();

async function prepare(cfg: ChipConfig, opts: GramOptions, seed: number): Promise<{ m: Model; build: number }> {
  const t0 = performance.now();
  const m = await buildFromIr(gramTop(cfg, opts), { seed });
  const build = (performance.now() - t0) / 1000;
  await pokeZero(m, ['start', 'g_start']);
  await m.reset(2);
  return { m, build };
}

if (!flag('no-cosim')) {
  const rng = new Rng(SEED);
  const designs: ChipConfig[] = [DEFAULT_CHIP, ...Array.from({ length: arg('designs', 5) - 1 }, () => randomChip(rng))];
  const per = Math.ceil(arg('cases', 1000) / designs.length);
  log('| design | array | commands | words compared | mismatched commands | build |');
  log('|---|---|---|---|---|---|');
  let bad = 0;
  let words = 0;
  for (const [d, cfg] of designs.entries()) {
    const sh = unitShapes(cfg);
    const K = sh.kinds.length;
    const { m, build } = await prepare(cfg, {}, SEED + d);
    const row = { bad: 0, words: 0 };
    try {
      let win: number[][][] = [];
      let count = 0;
      for (let i = 0; i < per; i++) {
        if (i % 8 === 0) {
          await m.sinkPattern('d', i % 16 === 0 ? 1 : 0.1 + 0.9 * rng.uniform(), SEED * 7 + i);
          for (const bus of ['px', ...sh.kinds.slice(1).map((k) => k.name)]) await m.sourcePattern(bus, 0.3 + 0.7 * rng.uniform(), rng.int(1 << 30));
          count = rng.int(3) === 0 ? 1 + rng.int(sh.B) : sh.B;
          win = randomWindow(cfg, rng, count);
          await loadWindow(m, cfg, win, count);
        }
        const cmd: GramCmd = { mode: rng.int(2), kinds: rng.int(3) === 0 ? 1 + rng.int(2 ** K - 1) : 2 ** K - 1, cur: rng.int(count), count };
        try {
          row.words += (await gramCommand(m, cfg, win, cmd)).words;
        } catch (e) {
          row.bad++;
          console.error(`design ${d} command ${i}: ${(e as Error).message}`);
          await m.reset(2);
          await loadWindow(m, cfg, win, count);
        }
      }
    } finally {
      await m.close();
    }
    bad += row.bad;
    words += row.words;
    log(`| ${cfg.layers.join('-')}, B = ${cfg.window} | ${cfg.gram.rows} × ${cfg.gram.cols} | ${per} | ${fmt(row.words)} | ${row.bad} | ${build.toFixed(1)} s |`);
  }
  log(`| **total** | | **${designs.length * per}** | **${fmt(words)}** | **${bad}** | |`);
  log('');

  // (b) cycles of the default chip at full rate
  const cfg = DEFAULT_CHIP;
  const sh = unitShapes(cfg);
  const { rows: R, cols: C } = cfg.gram;
  const B = cfg.window;
  const { m } = await prepare(cfg, {}, SEED);
  try {
    await m.sinkPattern('d', 1, 1);
    const win = randomWindow(cfg, new Rng(SEED + 3), B);
    await loadWindow(m, cfg, win, B);
    log('| default chip (784-128-64-10, B = 8, 8 × 8 PEs), full rate | cycles (start edge to last word) | against |');
    log('|---|---|---|');
    const all = 2 ** sh.kinds.length - 1;
    for (const [what, kinds] of [
      ['K_X row (pixels, dim 784)', 1],
      ['K_Z row, layer 1 (n 128)', 2],
      ['K_Z row, layer 2 (n 64)', 4],
      ['all three rows, one command', all],
    ] as const) {
      const r = await gramCommand(m, cfg, win, { mode: GRAM_MODE.ROW, kinds, cur: 3, count: B });
      const len = sh.kinds.reduce((a, k, i) => a + (((kinds >> i) & 1) === 1 ? k.len + gramPad(C, k.len) : 0), 0);
      log(`| ${what} | ${fmt(r.cycles)} | Σ len = ${len}: target len + B + latency; here len + ${r.cycles - len} |`);
    }
    for (const [what, kinds] of [
      ['full-window load, pixels', 1],
      ['full-window load, pixels + z1 + z2', all],
    ] as const) {
      const r = await gramCommand(m, cfg, win, { mode: GRAM_MODE.FULL, kinds, cur: 0, count: B });
      const macs = sh.kinds.reduce((a, k, i) => a + (((kinds >> i) & 1) === 1 ? k.len * Math.min(R, B) * Math.min(C, B) : 0), 0);
      const useful = sh.kinds.reduce((a, k, i) => a + (((kinds >> i) & 1) === 1 ? (k.len * B * (B - 1)) / 2 : 0), 0);
      log(
        `| ${what} | ${fmt(r.cycles)} | PE-cycles doing a MAC ${(100 * macs / (R * C * r.cycles)).toFixed(1)}% (target ≥ 90%); on pairs p < q ${(100 * useful / (R * C * r.cycles)).toFixed(1)}% |`,
      );
    }
    log('');
  } finally {
    await m.close();
  }
}

if (!flag('no-speed')) {
  // (c) simulation speed, PE as a module or inlined
  const cfg = DEFAULT_CHIP;
  log('| default chip, full-window loads (pixels + z1 + z2) | build | harness cycles/s |');
  log('|---|---|---|');
  for (const peStyle of ['module', 'inline'] as const) {
    const { m, build } = await prepare(cfg, { peStyle }, SEED);
    try {
      await m.sinkPattern('d', 1, 1);
      const win = randomWindow(cfg, new Rng(SEED + 4), cfg.window);
      await loadWindow(m, cfg, win, cfg.window);
      let cycles = 0;
      let ms = 0;
      for (let i = 0; i < arg('speed', 20); i++) {
        const r = await gramCommand(m, cfg, win, { mode: GRAM_MODE.FULL, kinds: 7, cur: 0, count: cfg.window });
        cycles += r.cycles;
        ms += r.runMs;
      }
      log(`| PE ${peStyle === 'module' ? 'as a sub-module (64 instances)' : 'inlined into gram'} | ${build.toFixed(1)} s | ${fmt(cycles / (ms / 1000))} |`);
    } finally {
      await m.close();
    }
  }
  log('');
}

if (!flag('no-synth')) {
  log(RESOURCE_HEADER[0]);
  log(RESOURCE_HEADER[1]);
  for (const target of ['xilinx', 'ice40-dsp', 'ice40'] as const) log(resourceRow('gram (default chip, 8 × 8)', await resources(gramArray(DEFAULT_CHIP), target)));
  log('');
}
print();
