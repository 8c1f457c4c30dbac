/**
 * Whole-chip fuzz at length (test/units/chip-fuzz.ts; CI runs 10,000 frames): malformed and well-formed
 * frames, idle timeouts, chip resets and RESET commands into the verilated chip top with random
 * back-pressure, every answer checked against the protocol's promise and the reference model, the learning
 * state read back at the end. Prints frames per second and simulated cycles per second.
 *
 *   node bin/run-ts.js bench/chip-fuzz.ts [--frames 100000] [--seed 1] [--train] [--train-records 1] [--probe] [--batch 150]
 *
 * --train adds well-formed TRAIN frames of 1 … --train-records records (the chip's state must then read
 * back as the reference model's);
 * --probe reads the whole state back after every batch of --batch items, to find where chip and model part.
 */
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { chip } from '../generator/units/chip.js';
import { buildFromIr } from '../sim/verilator/from-ir.js';
import { FUZZ_TIMEOUT_CYCLES, fuzzChip, fuzzConfig } from '../test/units/chip-fuzz.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const FRAMES = arg('frames', 100_000);
const SEED = arg('seed', 1);
const TRAIN = process.argv.includes('--train');
const PROBE = process.argv.includes('--probe');
const BATCH = arg('batch', 150);
const RECORDS = arg('train-records', 1);

const cfg = fuzzConfig();
const t0 = performance.now();
const m = await buildFromIr(chip(cfg, { timeoutCycles: FUZZ_TIMEOUT_CYCLES }));
const built = performance.now();
try {
  const r = await fuzzChip(m, cfg, { frames: FRAMES, seed: SEED, timeoutCycles: FUZZ_TIMEOUT_CYCLES, train: TRAIN, trainRecords: RECORDS, probe: PROBE, batch: BATCH });
  const s = (performance.now() - built) / 1000;
  console.log(`chip ${cfg.layers.join('-')} B=${cfg.window} L=${cfg.lanes}, idle timeout ${FUZZ_TIMEOUT_CYCLES} cycles, seed ${SEED}${TRAIN ? `, with TRAIN frames of 1 … ${RECORDS} records` : ''}, load average ${loadavg()[0].toFixed(1)}`);
  console.log(`build/start ${((built - t0) / 1000).toFixed(1)} s`);
  console.log(`${r.frames} frames + ${r.garbageRuns} random-byte runs: ${r.bytesIn} bytes in, ${r.bytesOut} out, ${r.cycles} cycles in ${s.toFixed(1)} s`);
  console.log(`${Math.round(r.frames / s)} frames/s, ${Math.round(r.cycles / s)} simulated cycles/s`);
  console.log(`per kind: ${Object.entries(r.perKind).sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
  console.log(r.problems.length ? `PROBLEMS:\n${r.problems.join('\n')}` : `problems: none (every answer as promised and as the reference; weights and LFSR states read back ${TRAIN ? "as the reference model's" : 'unchanged'})`);
  if (r.problems.length) process.exitCode = 1;
} finally {
  await m.close();
}
