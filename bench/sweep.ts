/**
 * Local sweep parallelism: node bin/run-ts.js bench/sweep.ts [--points-per-seed=5] [--seeds=6] [--train-limit=3000]
 * Runs the same 30-point golden-model sweep (xor, window × seed, one epoch) with --jobs 1 and with --jobs 2 into
 * fresh folders and prints the wall times, their ratio, and the load average around each run (the machine is
 * shared: other users' jobs take cores too). Each point is a whole `ibhebb train` process, start-up included.
 */
import { execa } from 'execa';
import { mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';

const arg = (name: string, dflt: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const windows = Array.from({ length: arg('points-per-seed', 5) }, (_, i) => i + 2);
const seeds = Array.from({ length: arg('seeds', 6) }, (_, i) => i);
const trainLimit = arg('train-limit', 3000);
const BIN = new URL('../bin/ibhebb.js', import.meta.url).pathname;
const base = mkdtempSync(join(tmpdir(), 'ibhebb-bench-sweep-'));

async function sweep(jobs: number): Promise<{ seconds: number; load: string; accuracies: number[] }> {
  const out = join(base, `jobs${jobs}`);
  const before = loadavg()[0].toFixed(1);
  const t0 = performance.now();
  await execa('node', [BIN, 'sweep', '--param', `window=${windows.join(',')}`, '--param', `seed=${seeds.join(',')}`, '--dataset', 'xor', '--epochs', '1',
    '--train-limit', String(trainLimit), '--out', out, '--jobs', String(jobs)]);
  const seconds = (performance.now() - t0) / 1000;
  const rows = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { train: { epochs: { testAccuracy: number }[] } });
  return { seconds, load: `${before} → ${loadavg()[0].toFixed(1)}`, accuracies: rows.map((r) => r.train.epochs[0].testAccuracy) };
}

const n = windows.length * seeds.length;
console.log(`${n}-point sweep (xor, ${trainLimit} samples, 1 epoch per point), ${availableParallelism()} cores`);
const one = await sweep(1);
console.log(`--jobs 1: ${one.seconds.toFixed(1)} s (${(one.seconds / n).toFixed(2)} s per point), load average ${one.load}`);
const two = await sweep(2);
console.log(`--jobs 2: ${two.seconds.toFixed(1)} s (${(two.seconds / n).toFixed(2)} s per point), load average ${two.load}`);
console.log(`ratio jobs 2 / jobs 1: ${(two.seconds / one.seconds).toFixed(2)} (ideal on 2 idle cores: 0.50)`);
if (JSON.stringify(one.accuracies) !== JSON.stringify(two.accuracies)) throw new Error('the two sweeps disagree: points must not depend on --jobs');
console.log('results identical point for point');
