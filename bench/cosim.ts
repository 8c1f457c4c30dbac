/**
 * Co-simulation runner benchmark: transaction cost, cycles/s inside the harness, build times.
 *
 *   node bin/run-ts.js bench/cosim.ts [--words N] [--no-builds]
 *
 * (a) round trip of one tiny command (peek), awaited one by one and pipelined;
 * (b) cycles/s of streaming runs of the skid-buffer pass-through (test/sim/designs.ts) inside the
 *     harness, at full rate and with random valid/ready patterns, and of plain step(n) on the adder;
 * (c) build times in a fresh cache folder: cold (Verilator runtime compiled too), a new design with the
 *     runtime cached, the cached rebuild, and a cold --trace-fst build;
 * (d) the valid/ready independence check off (its cost), drainColumns without cycle stamps, 1024-bit
 *     lane-vector streaming (pushLanes / drainLanes), play() of an input table on the adder, and a
 *     generated skid → skid → FIFO hierarchy with and without its 4 internal streams watched.
 * Prints a Markdown table for bench/RESULTS.md.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, buildModel, Model, verilatorVersion, type BuildSpec } from '../sim/verilator/index.js';
import { skidBuffer } from '../generator/lib/stream/index.js';
import { buildFromIr } from '../sim/verilator/from-ir.js';
import { ADDER, LANES, SKID } from '../test/sim/designs.js';
import { chain } from '../test/sim/designs-ir.js';

const args = process.argv.slice(2);
const wordsArg = args.indexOf('--words');
const WORDS = wordsArg >= 0 ? Number(args[wordsArg + 1]) : 2_000_000;
const BUILDS = !args.includes('--no-builds');

const rows: [string, string][] = [];
function row(what: string, value: string): void {
  rows.push([what, value]);
  console.error(`${what}: ${value}`);
}
const fmt = (x: number, digits = 1): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const now = (): number => performance.now();

/** CPU seconds (user + system) a process has used, from /proc (Linux); NaN elsewhere. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ
  } catch {
    return NaN;
  }
}

/** Cycles per second of wall time, and per second of the harness's own CPU time (robust to a loaded machine). */
function speed(cycles: number, wallS: number, cpuS: number): string {
  const perCpu = Number.isFinite(cpuS) && cpuS > 0 ? `, ${fmt(cycles / cpuS / 1e6, 1)} M per harness CPU second` : '';
  return `${fmt(cycles / wallS / 1e6, 2)} M cycles/s${perCpu}`;
}

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
    const cycles = 20_000_000;
    t = now();
    const cpu0 = cpuSeconds(m.pid);
    await m.step(cycles);
    row(`(b) adder, step(${cycles / 1e6} M) (no streams)`, speed(cycles, (now() - t) / 1000, cpuSeconds(m.pid) - cpu0));
  } finally {
    await m.close();
  }
}

async function streaming(m: Model, pValid: number, pReady: number, label = ''): Promise<void> {
  await m.sourcePattern('in', pValid, 1);
  await m.sinkPattern('out', pReady, 2);
  await m.reset(2);
  const data = Array.from({ length: WORDS }, (_, i) => i & 0xffff);
  let t = now();
  await m.push('in', data, 'none');
  const pushMs = now() - t;
  t = now();
  const cpu0 = cpuSeconds(m.pid);
  const r = await m.run({ untilSinkCount: { bus: 'out', n: WORDS }, maxCycles: 100 * WORDS });
  const runS = (now() - t) / 1000;
  const cpuS = cpuSeconds(m.pid) - cpu0;
  t = now();
  const got = await m.drain('out');
  const drainMs = now() - t;
  if (got.length !== WORDS || got.some((w, i) => w.data !== data[i])) throw new Error('bench: stream words differ');
  row(
    `(b) skid pass-through, ${WORDS / 1e6} M words, valid p=${pValid}, ready p=${pReady}${label}`,
    `${speed(r.cycles, runS, cpuS)} (${fmt(r.cycles / 1e6, 2)} M cycles in ${fmt(runS, 2)} s; ` +
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

/** drainColumns without cycle stamps after a full-rate run (the cheap way to take many words). */
async function columns(m: Model): Promise<void> {
  await m.sourcePattern('in', 1, 1);
  await m.sinkPattern('out', 1, 2);
  await m.reset(2);
  const data = Uint16Array.from({ length: WORDS }, (_, i) => i & 0xffff);
  let t = now();
  await m.push('in', data, 'none');
  const pushMs = now() - t;
  await m.run({ untilSinkCount: { bus: 'out', n: WORDS }, maxCycles: 100 * WORDS });
  t = now();
  const got = await m.drainColumns('out');
  const drainMs = now() - t;
  if (got.data.length !== WORDS || (got.data as Uint32Array).some((v, i) => v !== data[i])) throw new Error('bench: stream words differ');
  row(`(d) skid, ${WORDS / 1e6} M words pushed as a Uint16Array / drainColumns without cycles`, `${fmt(pushMs, 0)} ms / ${fmt(drainMs, 0)} ms`);
}

/** 1024-bit words (64 lanes × 16 bits) through a one-word buffer (one word every other cycle). */
async function lanes(): Promise<void> {
  const m = await buildModel(LANES);
  try {
    const words = Math.max(1000, Math.floor(WORDS / 10));
    const lanesIn = Int16Array.from({ length: words * 64 }, (_, i) => (i * 7919) % 65536 - 32768);
    await m.sourcePattern('v', 1, 1);
    await m.sinkPattern('v', 1, 2);
    await m.reset(2);
    let t = now();
    await m.pushLanes('v', lanesIn, 16, { signed: true, last: 'none' });
    const pushMs = now() - t;
    t = now();
    const cpu0 = cpuSeconds(m.pid);
    const r = await m.run({ untilSinkCount: { bus: 'v', n: words }, maxCycles: 10 * words });
    const runS = (now() - t) / 1000;
    const cpuS = cpuSeconds(m.pid) - cpu0;
    t = now();
    const got = await m.drainLanes('v', 16, { signed: true });
    const drainMs = now() - t;
    if (got.data.length !== lanesIn.length || got.data.some((v, i) => v !== (((lanesIn[i] + 1 + 32768) & 0xffff) - 32768))) throw new Error('bench: lanes differ');
    const mb = (words * 128) / 1e6;
    row(
      `(d) 1024-bit lane vectors (64 × 16), ${words / 1e3} k words (${fmt(mb, 1)} MB each way)`,
      `${speed(r.cycles, runS, cpuS)}; pushLanes ${fmt(pushMs, 0)} ms (${fmt(mb / (pushMs / 1000), 0)} MB/s), drainLanes ${fmt(drainMs, 0)} ms (${fmt(mb / (drainMs / 1000), 0)} MB/s)`,
    );
  } finally {
    await m.close();
  }
}

/** A table of two 16-bit input columns played on the adder, one output sampled every cycle. */
async function table(): Promise<void> {
  const m = await buildModel(ADDER);
  try {
    const n = WORDS;
    const a = Uint16Array.from({ length: n }, (_, i) => (i * 31) & 0xffff);
    const b = Uint16Array.from({ length: n }, (_, i) => (i * 17) & 0xffff);
    await m.reset(1);
    const t = now();
    const r = await m.play({ inputs: { a, b }, outputs: ['sum'] });
    const s = (now() - t) / 1000;
    const sum = r.outputs.sum as Uint32Array;
    for (let i = 1; i < n; i++) if (sum[i] !== a[i - 1] + b[i - 1]) throw new Error('bench: play sums differ');
    row(`(d) play(): ${n / 1e6} M cycles, 2 input columns, 1 output sampled per cycle (adder)`, `${fmt(n / s / 1e6, 2)} M cycles/s including the transfers`);
  } finally {
    await m.close();
  }
}

if (BUILDS) await builds();
await transactions();
const skid = await buildModel(SKID);
try {
  await streaming(skid, 1, 1);
  await streaming(skid, 0.5, 0.5);
  await skid.setChecks({ validReady: false });
  await streaming(skid, 1, 1, ', valid/ready independence check off');
  await streaming(skid, 0.5, 0.5, ', valid/ready independence check off');
  await skid.setChecks({ validReady: true });
  await columns(skid);
} finally {
  await skid.close();
}
await lanes();
await table();
for (const watchStreams of [true, false]) {
  const m = await buildFromIr(chain('bench_chain', skidBuffer(8)), { watchStreams });
  try {
    await m.sourcePattern('in', 0.5, 1);
    await m.sinkPattern('out', 0.5, 2);
    await m.reset(2);
    await m.push('in', Uint8Array.from({ length: WORDS }, (_, i) => i & 0xff), 'none');
    const t = now();
    const cpu0 = cpuSeconds(m.pid);
    const r = await m.run({ untilSinkCount: { bus: 'out', n: WORDS }, maxCycles: 100 * WORDS });
    const s = (now() - t) / 1000;
    row(`(d) generated skid → skid → FIFO chain, valid/ready p=0.5, internal streams ${watchStreams ? 'watched (4)' : 'not watched'}`, speed(r.cycles, s, cpuSeconds(m.pid) - cpu0));
  } finally {
    await m.close();
  }
}

console.log(`| measurement | figure |\n|---|---|`);
for (const [w, v] of rows) console.log(`| ${w} | ${v} |`);
console.log(`\n${await verilatorVersion()}, node ${process.version}`);
