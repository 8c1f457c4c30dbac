/**
 * Kernel unit benchmark (generator/units/kernel.ts against kernelParams / kernelWord / labelRow and the
 * chipTables of sim/golden/fixed/kernel.ts):
 *
 *   node bin/run-ts.js bench/units/kernel.ts [--cases 1000] [--designs 4] [--seed 1] [--stream 200000] [--no-cosim] [--no-synth]
 *
 * (a) bit-exactness: `cases` calls (a reset and a batch of 1 … 64 random requests over every function, random
 *     valid / ready rates) spread over `designs` random chips (window 2 … 16, one or two hidden layers, the
 *     default chip first); every response word and both saturation flags compared with the spec;
 * (b) cycles per batch without stalls against the ideal (one response per cycle) and the formula n + 8
 *     (the first request's edge, KERNEL_LATENCY = 7, n responses);
 * (c) Verilator speed on the default chip: a stream of `stream` requests at full rate, harness cycles per second;
 * (d) Yosys resources of the default chip's kernel unit (generic, iCE40, Xilinx 7-series).
 * Prints Markdown for bench/RESULTS.md.
 */
import { DEFAULT_CHIP, type ChipConfig } from '../../generator/config.js';
import { kernelUnit, KERNEL_LATENCY } from '../../generator/units/kernel.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import { Rng } from '../../sim/rng.js';
import { randomChip } from '../../test/units/helpers.js';
import { encodeRequests, randomRequests, runKernel } from '../../test/units/kernel-cosim.js';
import { arg, flag, fmt, markdownLog, RESOURCE_HEADER, resourceRow, resources } from './common.js';

const SEED = arg('seed', 1);
const { log, print } = markdownLog();

if (!flag('no-cosim')) {
  const rng = new Rng(SEED);
  const designs: ChipConfig[] = [DEFAULT_CHIP, ...Array.from({ length: arg('designs', 4) - 1 }, () => randomChip(rng))];
  const cases = arg('cases', 1000);
  const per = Math.ceil(cases / designs.length);
  log('| design | calls | words compared | mismatched calls | kernelArg / table saturations | full-rate batches at n + 8 | build |');
  log('|---|---|---|---|---|---|---|');
  let total = 0;
  let bad = 0;
  let words = 0;
  for (const [d, cfg] of designs.entries()) {
    const t0 = performance.now();
    const m = await buildFromIr(kernelUnit(cfg), { seed: SEED + d });
    const build = (performance.now() - t0) / 1000;
    const row = { bad: 0, words: 0, satArg: 0, satOut: 0, full: 0, ok: 0 };
    try {
      for (let i = 0; i < per; i++) {
        const n = 1 + rng.int(64);
        const reqs = randomRequests(cfg, rng, n);
        const full = i % 4 === 0;
        const [pv, pr] = full ? [1, 1] : [0.2 + 0.8 * rng.uniform(), 0.1 + 0.9 * rng.uniform()];
        try {
          const r = await runKernel(m, cfg, reqs, pv, pr, 1000 * d + i);
          row.words += n;
          row.satArg += r.satArg;
          row.satOut += r.satOut;
          if (full) {
            row.full++;
            if (r.cycles === n + 1 + KERNEL_LATENCY) row.ok++;
          }
        } catch (e) {
          row.bad++;
          console.error(`design ${d} call ${i}: ${(e as Error).message}`);
        }
      }
    } finally {
      await m.close();
    }
    total += per;
    bad += row.bad;
    words += row.words;
    log(`| ${cfg.layers.join('-')}, B = ${cfg.window} | ${per} | ${fmt(row.words)} | ${row.bad} | ${row.satArg} / ${row.satOut} | ${row.ok} of ${row.full} | ${build.toFixed(1)} s |`);
  }
  log(`| **total** | **${total}** | **${fmt(words)}** | **${bad}** | | | |`);
  log('');

  // (b), (c): a long full-rate stream on the default chip
  const cfg = DEFAULT_CHIP;
  const m = await buildFromIr(kernelUnit(cfg), { seed: SEED });
  try {
    const n = arg('stream', 200_000);
    const reqs = randomRequests(cfg, new Rng(SEED + 5), n);
    await m.reset(2);
    await m.push('req', encodeRequests(cfg, reqs), 'none');
    const t0 = performance.now();
    const r = await m.run({ untilSinkCount: { bus: 'rsp', n }, maxCycles: 2 * n + 100 });
    const ms = performance.now() - t0;
    const got = await m.drain('rsp');
    log('| default chip (784-128-64-10) | figure |');
    log('|---|---|');
    log(`| cycles for ${fmt(n)} requests at full rate | ${fmt(r.cycles)} (ideal n = ${fmt(n)}; formula n + ${1 + KERNEL_LATENCY}) |`);
    log(`| latency, request transfer to response presented | ${KERNEL_LATENCY} cycles |`);
    log(`| Verilator: the harness streaming requests | ${fmt(r.cycles / (ms / 1000))} cycles/s (${got.length} responses) |`);
    log('');
  } finally {
    await m.close();
  }
}

if (!flag('no-synth')) {
  log(RESOURCE_HEADER[0]);
  log(RESOURCE_HEADER[1]);
  for (const target of ['generic', 'ice40', 'xilinx'] as const) log(resourceRow('kernel (default chip)', await resources(kernelUnit(DEFAULT_CHIP), target)));
  log('');
}
print();
