/**
 * Benchmark of the float golden model on MNIST (full 60k train / 10k test):
 *   1. the paper's setting (784-128-64-10, B = 8, variant P, recompute, AdamW 1e-4, γ = 2, σ 0.5/0.1/1),
 *      test accuracy after each epoch and samples/s;
 *   2. the same with `stored` memory;
 *   3. a staged search for the best plain-SGD setting with `stored` memory (variant, hidden lr, output lr,
 *      LayerNorm ε), then the winner for 3 epochs;
 *   4. samples/s for both memory modes × both optimizers.
 *
 *   node bin/run-ts.js bench/golden-float.ts [--epochs 5] [--sgd-epochs 3] [--search-limit 20000]
 *        [--train-limit N] [--skip paper,stored,search,speed] [--threads 1|2]
 *
 * --threads 2 runs the training runs with the helper thread (same results; only recompute+IB uses it); the
 * speed table always measures both.
 */
import { createFloatEngine, FloatEngine } from '../sim/golden/float/index.js';
import { loadDataset } from '../host/data/index.js';
import { runTraining } from '../host/train.js';
import { PAPER_MNIST, type TrainConfig } from '../sim/engine.js';
import { epochOrder } from '../sim/rng.js';
import type { Dataset } from '../sim/data.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const EPOCHS = Number(arg('epochs', '5'));
const SGD_EPOCHS = Number(arg('sgd-epochs', '3'));
const SEARCH_LIMIT = Number(arg('search-limit', '60000'));
const THREADS = Number(arg('threads', '1'));
const TRAIN_LIMIT = Number(arg('train-limit', '0')) || undefined;
const SKIP = new Set(arg('skip', '').split(',').filter(Boolean));
const SHUFFLE_SEED = 1;

const log = (s: string) => process.stdout.write(`${s}\n`);
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
/** Test accuracy per epoch and the mean samples/s, for the summary. */
const epochsLine = (ep: { testAccuracy: number; samplesPerSecond: number }[]) =>
  `${ep.map((e) => pct(e.testAccuracy)).join(' ')}; ${(ep.reduce((a, e) => a + e.samplesPerSecond, 0) / ep.length).toFixed(0)} samples/s`;
const describe = (c: TrainConfig) =>
  `${c.layers.join('-')} B=${c.window} ${c.rule}/${c.variant} ${c.memory} ${c.optimizer} lr=${c.lr} lrOut=${c.lrOut} γ=${c.gamma} σ=${c.sigma.join('/')} lnEps=${c.lnEps}`;

async function train(data: Dataset, cfg: TrainConfig, epochs: number, trainLimit?: number, quiet = false) {
  const engine = createFloatEngine(cfg, { threads: THREADS });
  if (!quiet) log(`\n${describe(cfg)}, ${epochs} epoch(s)`);
  const r = await runTraining(engine, data, {
    epochs,
    shuffleSeed: SHUFFLE_SEED,
    ...(trainLimit ? { trainLimit } : {}),
    onEpochEnd: (rec) => {
      if (!quiet) log(`  epoch ${rec.epoch}: test ${pct(rec.testAccuracy)}  ${rec.samplesPerSecond.toFixed(0)} samples/s (${rec.seconds.toFixed(1)} s)`);
    },
  });
  return r.epochs;
}

/** Training speed alone: `n` samples after a warm-up, no evaluation. */
function speed(data: Dataset, cfg: TrainConfig, n: number, threads: number): number {
  const e = new FloatEngine(cfg, { threads });
  const order = epochOrder(SHUFFLE_SEED, 1, data.train.n);
  e.beginEpoch();
  for (let k = 0; k < 1000; k++) e.trainSample(data.train, order[k]);
  const t0 = performance.now();
  for (let k = 1000; k < 1000 + n; k++) e.trainSample(data.train, order[k % data.train.n]);
  const s = n / ((performance.now() - t0) / 1000);
  e.close();
  return s;
}

const data = loadDataset('mnist');
log(`MNIST: ${data.train.n} train, ${data.test.n} test; node ${process.version}; ${new Date().toISOString()}`);
const summary: string[] = [];

if (!SKIP.has('paper')) {
  const ep = await train(data, PAPER_MNIST, EPOCHS, TRAIN_LIMIT);
  summary.push(`paper setting (recompute, AdamW): ${epochsLine(ep)}`);
}
if (!SKIP.has('stored')) {
  const ep = await train(data, { ...PAPER_MNIST, memory: 'stored' }, EPOCHS, TRAIN_LIMIT);
  summary.push(`paper setting, stored memory (AdamW): ${epochsLine(ep)}`);
}

// the winner of the search on 2026-11-28 (bench/RESULTS.md), used when --skip search
let best: TrainConfig = { ...PAPER_MNIST, memory: 'stored', optimizer: 'sgd', variant: 'P', lr: 2, lrOut: 0.01, lnEps: 1e-2 };
if (!SKIP.has('search')) {
  log(`\nSGD search (stored memory), 1 epoch on ${SEARCH_LIMIT < data.train.n ? `the first ${SEARCH_LIMIT}` : 'all'} training samples each, full test set`);
  const tried = new Map<string, number>();
  const trial = async (c: TrainConfig) => {
    const key = `${c.variant} lr=${c.lr} lrOut=${c.lrOut} lnEps=${c.lnEps}`;
    if (tried.has(key)) return tried.get(key)!;
    const ep = await train(data, c, 1, SEARCH_LIMIT, true);
    const acc = ep[0].testAccuracy;
    tried.set(key, acc);
    log(`  ${key.padEnd(40)} ${pct(acc)}`);
    return acc;
  };
  const base: TrainConfig = { ...PAPER_MNIST, memory: 'stored', optimizer: 'sgd', lnEps: 1e-2, lrOut: 0.01 };
  // stage 1: variant × hidden lr (P's ξ is several times smaller than E's and J's, so it gets a higher range)
  let bestAcc = -1;
  const consider = async (c: TrainConfig) => {
    const acc = await trial(c);
    if (acc > bestAcc) [bestAcc, best] = [acc, c];
  };
  for (const variant of ['E', 'J', 'P'] as const) {
    for (const lr of variant === 'P' ? [1, 2, 4] : [0.25, 0.5, 1]) await consider({ ...base, variant, lr });
  }
  // stage 2: coordinate search around the winner — output lr, LayerNorm ε, output lr again, hidden lr
  for (const lrOut of [0.003, 0.005, 0.01, 0.02]) await consider({ ...best, lrOut });
  for (const lnEps of [1e-3, 1e-2, 3e-2, 1e-1]) await consider({ ...best, lnEps });
  for (const lrOut of [0.003, 0.005, 0.01, 0.02]) await consider({ ...best, lrOut });
  const lr0 = best.lr;
  for (const f of [0.7, 1.4]) await consider({ ...best, lr: +(lr0 * f).toPrecision(3) });
  log(`  best: ${describe(best)} (${pct(bestAcc)} in the search)`);
  const ep = await train(data, best, SGD_EPOCHS, TRAIN_LIMIT);
  summary.push(`best plain SGD, stored (${describe(best)}): ${epochsLine(ep)}`);
}

if (!SKIP.has('speed')) {
  log('\ntraining speed (samples/s, 10,000 samples after 1,000 warm-up, no evaluation)');
  for (const memory of ['recompute', 'stored'] as const) {
    for (const optimizer of ['adamw', 'sgd'] as const) {
      const cfg: TrainConfig = optimizer === 'adamw' ? { ...PAPER_MNIST, memory } : { ...best, memory };
      // the helper thread only serves the first layer in recompute mode
      for (const threads of memory === 'recompute' ? [1, 2] : [1]) {
        const s = speed(data, cfg, 10000, threads);
        const line = `${memory.padEnd(9)} ${optimizer.padEnd(5)} threads ${threads}: ${s.toFixed(0)} samples/s  (${describe(cfg)})`;
        log(`  ${line}`);
        summary.push(`speed ${line}`);
      }
    }
  }
}

log('\nsummary');
for (const s of summary) log(`  ${s}`);
