/**
 * Load-independent cost of co-simulating the whole chip: instructions the harness process (verilated model
 * + harness) executes per simulated clock cycle, counted by valgrind/callgrind.
 *
 *   node bin/run-ts.js bench/chip-instr.ts [--config FILE] [--samples 30] [--profile] [--cache-sim] [--opt-fast "-O2"] [--vflags "-f…"] [--sim-checks]
 *
 * Builds the chip as `train --engine sim` does (buildFromIr: every memory public, every internal stream
 * watched; the same cache), then runs that harness binary under `valgrind --tool=callgrind` and drives it
 * like bench/chip.ts (the runner's per-cycle stream checks off unless --sim-checks): the engine's open (reset, weights, LFSR seeds), then `samples` MNIST training samples.
 * The instruction counter is read through callgrind_control before and after the training samples, so the
 * figure is instructions per cycle of training alone (the open's ~665 k cycles are reported apart).
 * --profile builds the model with `-fno-inline` added (each module's evaluation its own function, a
 * separate cache entry) and prints the functions with the most instructions per training cycle (the
 * counters are zeroed after the open). The wrapper is removed again at the end (the cached build stays).
 * --cache-sim runs callgrind with its cache simulation and prints, per training cycle, the instructions, data
 * reads and writes and the simulated L1/last-level misses (I1mr: instruction fetches that missed the L1
 * instruction cache). The model runs straight-line code for every unit every cycle, more than the L1
 * instruction cache holds, so I1mr tracks wall time better than the instruction count (bench/RESULTS.md).
 */
import { execa } from 'execa';
import { chmod, copyFile, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CHIP, loadChipConfig } from '../generator/config.js';
import { chip } from '../generator/units/chip.js';
import { buildFromIr } from '../sim/verilator/from-ir.js';
import { LEAN_BUILD, SimTransport } from '../host/transport/sim.js';
import { ChipEngine } from '../host/chip/engine.js';
import { loadMnist } from '../host/data/mnist.js';
import { arg, flag } from './units/common.js';

const ci = process.argv.indexOf('--config');
const cfg = ci > 0 ? loadChipConfig(process.argv[ci + 1]) : DEFAULT_CHIP;
const samples = arg('samples', 30);
if (samples < 1) throw new RangeError('--samples must be at least 1');
const profile = flag('profile');
const cacheSim = flag('cache-sim');
let trainCycles = 0;
const oi = process.argv.indexOf('--opt-fast');
const optFast = `${oi > 0 ? process.argv[oi + 1] : '-O2'}${profile ? ' -fno-inline' : ''}`;
const vi = process.argv.indexOf('--vflags');
const extraFlags = vi > 0 ? process.argv[vi + 1].split(/\s+/).filter((x) => x) : [];

const top = chip(cfg);
const t0 = performance.now();
// --lean: the build `train` starts (LEAN_BUILD's memories and watches; the checks are set below)
const lean = flag('lean') ? { memories: LEAN_BUILD.memories, watchStreams: LEAN_BUILD.watchStreams } : {};
const first = await buildFromIr(top, { optFast, extraFlags, ...lean });
const buildSeconds = (performance.now() - t0) / 1000;
await first.close();
const bin = first.build.binary;
const real = `${bin}.real`;
const work = await mkdtemp(join(tmpdir(), 'ibhebb-chip-instr-'));
const out = join(work, 'callgrind.out');
await rename(bin, real);
try {
  await writeFile(bin, `#!/bin/sh\nexec valgrind --tool=callgrind${cacheSim ? ' --cache-sim=yes' : ''} --callgrind-out-file=${out} ${real} "$@"\n`);
  await chmod(bin, 0o755);
  const checks = flag('sim-checks');
  const model = await buildFromIr(top, { optFast, extraFlags, ...lean, timeoutMs: 24 * 3600_000, checkValidReady: checks, checkWatches: checks });
  const pid = (model as unknown as { child: { pid: number } }).child.pid;
  /** The process's instruction count so far (callgrind_control -e Ir). */
  const counted = async (): Promise<number> => {
    const r = await execa('callgrind_control', ['-e', 'Ir', String(pid)]);
    // "Totals: Ir" then one line per thread: "Th 1  22,636,547,258"
    const threads = [...r.stdout.matchAll(/^\s*Th \d+\s+([\d,]+)\s*$/gm)];
    if (threads.length === 0) throw new Error(`callgrind_control printed no instruction count:\n${r.stdout}`);
    return threads.reduce((n, m) => n + Number(m[1].replace(/,/g, '')), 0);
  };
  const t = await SimTransport.attach(model);
  try {
    const e = await ChipEngine.open(cfg, t, 1, { timeoutMs: 24 * 3600_000 });
    const openCycles = t.cycles;
    const i0 = await counted();
    if (profile || cacheSim) await execa('callgrind_control', ['-z', String(pid)]);
    const mnist = loadMnist();
    e.beginEpoch();
    for (let k = 0; k < samples; k++) e.trainSample(mnist.train, k);
    await e.flush();
    const cycles = t.cycles - openCycles;
    const i1 = await counted();
    const perCycle = (profile || cacheSim ? i1 : i1 - i0) / cycles;
    console.log(`config ${cfg.layers.join('-')}, B = ${cfg.window}, ${cfg.lanes} lanes; stream checks ${checks ? 'on' : 'off'}; OPT_FAST ${optFast}${extraFlags.length ? `, Verilator ${extraFlags.join(' ')}` : ''}; build (or cache) ${buildSeconds.toFixed(1)} s`);
    console.log(`open: ${openCycles} cycles, ${(i0 / openCycles).toFixed(0)} instructions per cycle (start-up included)`);
    console.log(`${samples} training samples: ${cycles} cycles (${(cycles / samples).toFixed(0)} per sample), ${perCycle.toFixed(0)} instructions per cycle`);
    if (profile || cacheSim) await execa('callgrind_control', ['--dump=training', String(pid)]);
    trainCycles = cycles;
  } finally {
    await t.close();
  }
  if (profile || cacheSim) {
    // the dump after the zero holds the training alone (callgrind numbers its dumps <out>.<n>); kept in
    // the working directory for callgrind_annotate
    const dumps = (await readdir(work)).filter((f) => f.startsWith('callgrind.out.')).sort();
    const file = join(work, dumps.at(-1) ?? 'callgrind.out');
    const kept = join(tmpdir(), 'ibhebb-chip-profile.callgrind');
    await copyFile(file, kept);
    const ann = await execa('callgrind_annotate', ['--threshold=100', kept]);
    if (cacheSim) {
      // "Events shown: Ir Dr Dw I1mr …" and "190,440,994 (100.0%) 53,992,965 (100.0%) … PROGRAM TOTALS"
      const names = /^Events shown:\s*(.*)$/m.exec(ann.stdout)?.[1].trim().split(/\s+/) ?? [];
      // a count of 0 is printed as "."
      const totals = (/^(.*)PROGRAM TOTALS/m.exec(ann.stdout)?.[1] ?? '').trim().split(/\s+/).filter((t) => /^([\d,]+|\.)$/.test(t));
      if (names.length === 0 || totals.length === 0) throw new Error(`callgrind_annotate printed no totals:\n${ann.stdout.slice(0, 2000)}`);
      const per = names.map((n, k) => `${n} ${(Number((totals[k] ?? '0').replace(/,|^\.$/g, '') || 0) / trainCycles).toFixed(1)}`);
      console.log(`per training cycle (cache simulation): ${per.join(', ')}`);
    }
    // the start-up frames (main and below) hold everything inclusively: left out
    const lines = ann.stdout.split('\n').filter((l) => /^\s*[\d,]+ \(\s*[\d.]+%\)/.test(l) && !/PROGRAM TOTALS|below main|libc_start|\?\?\?:0x[0-9a-f]+ /.test(l));
    if (profile) {
      console.log(`\nfunctions by instructions, self cost (training only; ${kept}):`);
      for (const l of lines.slice(0, 45)) console.log(l.replace(/\s*\[[^\]]*\]\s*$/, '').slice(0, 160));
    }
  }
} finally {
  await rename(real, bin);
  await rm(work, { recursive: true, force: true });
}
