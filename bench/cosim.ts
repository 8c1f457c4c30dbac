/**
 * Co-simulation runner benchmark: transaction cost, cycles/s inside the harness, build times.
 *
 *   node bin/run-ts.js bench/cosim.ts [--words N]
 *
 * (a) round trip of one tiny command (peek), awaited one by one and pipelined;
 * (b) cycles/s of streaming runs of the skid-buffer pass-through (test/sim/designs.ts) inside the
 *     harness, at full rate and with random valid/ready patterns, and of plain step(n) on the adder;
 * (c) build times in a fresh cache folder: cold (Verilator runtime compiled too), a new design with the
 *     runtime cached, the cached rebuild, and a cold --trace-fst build.
 * Prints a Markdown table for bench/RESULTS.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, buildModel, Model, verilatorVersion, type BuildSpec } from '../sim/verilator/index.js';
import { ADDER, SKID } from '../test/sim/designs.js';

const args = process.argv.slice(2);
const wordsArg = args.indexOf('--words');
const WORDS = wordsArg >= 0 ? Number(args[wordsArg + 1]) : 2_000_000;

const rows: [string, string][] = [];
function row(what: string, value: string): void {
  rows.push([what, value]);
  console.error(`${what}: ${value}`);
}
const fmt = (x: number, digits = 1): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const now = (): number => performance.now();

async function transactions(): Promise<void> {
  const m = await buildModel(ADDER);
  try {
    await m.reset(1);
    for (let i = 0; i < 2000; i++) await m.peek('sum'); // warm-up
    const n = 20_000;
    let t = now();
    for (let i = 0; i < n; i++) await m.peek('sum');
    row('(a) peek round trip, awaited one by one', `${fmt(((now() - t) * 1000) / n)} µs`);
    const perCommand: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      t = now();
      const all: Promise<number>[] = [];
      for (let i = 0; i < n; i++) all.push(m.peek('sum'));
      await Promise.all(all);
      perCommand.push(((now() - t) * 1000) / n);
    }
    row(`(a) peek, ${n} in flight at once (3 repetitions: JIT warm-up, GC)`, `${perCommand.map((x) => fmt(x, 1)).join(' / ')} µs per command`);
    t = now();
    for (let i = 0; i < n; i++) await m.step(1);
    row('(a) step(1) round trip, awaited one by one', `${fmt(((now() - t) * 1000) / n)} µs`);
    const cycles = 5_000_000;
    t = now();
    await m.step(cycles);
    row(`(b) adder, step(${cycles / 1e6} M) (no streams)`, `${fmt(cycles / ((now() - t) / 1000) / 1e6, 2)} M cycles/s`);
  } finally {
    await m.close();
  }
}

async function streaming(m: Model, pValid: number, pReady: number): Promise<void> {
  await m.sourcePattern('in', pValid, 1);
  await m.sinkPattern('out', pReady, 2);
  await m.reset(2);
  const data = Array.from({ length: WORDS }, (_, i) => i & 0xffff);
  let t = now();
  await m.push('in', data, 'none');
  const pushMs = now() - t;
  t = now();
  const r = await m.run({ untilSinkCount: { bus: 'out', n: WORDS }, maxCycles: 100 * WORDS });
  const runS = (now() - t) / 1000;
  t = now();
  const got = await m.drain('out');
  const drainMs = now() - t;
  if (got.length !== WORDS || got.some((w, i) => w.data !== data[i])) throw new Error('bench: stream words differ');
  row(
    `(b) skid pass-through, ${WORDS / 1e6} M words, valid p=${pValid}, ready p=${pReady}`,
    `${fmt(r.cycles / runS / 1e6, 2)} M cycles/s (${fmt(r.cycles / 1e6, 2)} M cycles in ${fmt(runS, 2)} s; ` +
      `push ${fmt(pushMs, 0)} ms, drain ${fmt(drainMs, 0)} ms)`,
  );
}

async function builds(): Promise<void> {
  const saved = process.env.IBHEBB_VERILATOR_CACHE;
  const root = mkdtempSync(join(tmpdir(), 'ibhebb-bench-cache-'));
  process.env.IBHEBB_VERILATOR_CACHE = root;
  try {
    const cold = await build(ADDER);
    row('(c) cold build, adder (fresh cache: Verilator runtime compiled too)', `${fmt(cold.seconds, 2)} s`);
    const other: BuildSpec = { ...SKID };
    const warm = await build(other);
    row('(c) cold build, skid pass-through (runtime objects cached)', `${fmt(warm.seconds, 2)} s`);
    const again = await build(structuredClone(ADDER));
    if (!again.cached) throw new Error('bench: rebuild was not cached');
    row('(c) cached rebuild, adder', `${fmt(again.seconds * 1000, 1)} ms`);
    const trace = await build({ ...SKID, trace: true });
    row('(c) cold trace build (--trace-fst), skid, FST runtime compiled too', `${fmt(trace.seconds, 2)} s`);
  } finally {
    if (saved === undefined) delete process.env.IBHEBB_VERILATOR_CACHE;
    else process.env.IBHEBB_VERILATOR_CACHE = saved;
    rmSync(root, { recursive: true, force: true });
  }
}

await builds();
await transactions();
const skid = await buildModel(SKID);
try {
  await streaming(skid, 1, 1);
  await streaming(skid, 0.5, 0.5);
} finally {
  await skid.close();
}

console.log(`| measurement | figure |\n|---|---|`);
for (const [w, v] of rows) console.log(`| ${w} | ${v} |`);
console.log(`\n${await verilatorVersion()}, node ${process.version}`);
