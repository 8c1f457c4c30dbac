/**
 * Fixed-point golden model benchmark (run: node bin/run-ts.js bench/golden-fixed.ts [--quick] [--only=variants|formats|speed]
 * [--variant=E] [--seed=s] [--candidates=0,7,12] [--epochs=n]).
 *
 * MNIST 784-128-64-10, B = 8, the chip's setting (memory 'stored', plain SGD with power-of-two learning
 * rates, LayerNorm ε = 1e-2):
 *   1. variants E / J / P: float64 golden model vs fixed-point, test accuracy after 1 and 3 epochs, samples/s;
 *   2. candidate formats (hls4ml-style precision profiling): one change at a time against the default, test
 *      accuracy after 1 epoch, saturations, bits of memory (weights + working memory).
 *   3. (--only=speed) training speed alone: variant E, default numerics, 8,000 MNIST samples after 1,000 of
 *      warm-up, no evaluation; best of three runs, samples/s.
 * Prints markdown tables; the figures are recorded in bench/RESULTS.md.
 */
import { DEFAULT_NUMERIC, withNumeric, type NumericConfig } from '../generator/numeric.js';
import { loadDataset } from '../host/data/index.js';
import { runTraining } from '../host/train.js';
import type { Dataset } from '../sim/data.js';
import { PAPER_MNIST, type Engine, type TrainConfig, type Variant } from '../sim/engine.js';
import { createFixedEngine } from '../sim/golden/fixed/index.js';
import { createFloatEngine } from '../sim/golden/float/index.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice(7);
const trainLimit = quick ? 5000 : undefined;
const testLimit = quick ? 1000 : undefined;
const SEED = Number(args.find((a) => a.startsWith('--seed='))?.slice(7) ?? 0);
// seed 0: the paper's init seed (42) and shuffle 1; seed s > 0: init 42 + s, shuffle 1 + s
const SHUFFLE = 1 + SEED;
const pick = args.find((a) => a.startsWith('--candidates='))?.slice(13);
const fmtEpochs = Number(args.find((a) => a.startsWith('--epochs='))?.slice(9) ?? 1);

const chip = (variant: Variant, n: NumericConfig): TrainConfig => ({
  ...PAPER_MNIST,
  variant,
  memory: 'stored',
  optimizer: 'sgd',
  lr: n.lr.hiddenMul * 2 ** -n.lr.hiddenShift,
  lrOut: n.lr.outMul * 2 ** -n.lr.outShift,
  lnEps: 1e-2,
  seed: PAPER_MNIST.seed + SEED,
});

async function run(e: Engine, data: Dataset, epochs: number) {
  const r = await runTraining(e, data, { epochs, trainLimit, testLimit, shuffleSeed: SHUFFLE });
  return r.epochs;
}

const pct = (x: number) => (100 * x).toFixed(2);

async function main(): Promise<void> {
  const data = loadDataset('mnist');
  const date = new Date().toISOString().slice(0, 10);
  console.log(`# golden-fixed bench ${date}${quick ? ' (quick: 5000 train / 1000 test)' : ' (60000 train / 10000 test)'}, node ${process.version}\n`);

  if (only === 'speed') {
    // wall-clock and CPU-time rates: on a shared machine the CPU-time rate is the one comparable across runs
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < 3; r++) {
      const e = createFixedEngine(chip('E', DEFAULT_NUMERIC), DEFAULT_NUMERIC);
      e.beginEpoch();
      for (let i = 0; i < 1000; i++) e.trainSample(data.train, i);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      for (let i = 1000; i < 9000; i++) e.trainSample(data.train, i);
      const c = process.cpuUsage(c0);
      wall.push(8000 / ((performance.now() - t0) / 1000));
      cpu.push(8000 / ((c.user + c.system) / 1e6));
    }
    const show = (x: number[]) => `${x.map((v) => v.toFixed(0)).join(' / ')} (best ${Math.max(...x).toFixed(0)})`;
    console.log(`training speed, variant E, default numerics, samples/s: wall ${show(wall)}; per CPU second ${show(cpu)}`);
    return;
  }

  let best: { v: Variant; acc: number } | undefined;
  if (!only || only === 'variants') {
    const epochs = quick ? 2 : 3;
    console.log(`## float vs fixed (default numerics), B = 8, SGD hidden lr 2^-${DEFAULT_NUMERIC.lr.hiddenShift}, output lr 2^-${DEFAULT_NUMERIC.lr.outShift}, ε = 1e-2\n`);
    console.log(`| variant | float ep1 | fixed ep1 | float ep${epochs} | fixed ep${epochs} | float samples/s | fixed samples/s |`);
    console.log('|---|---|---|---|---|---|---|');
    for (const v of ['E', 'J', 'P'] as Variant[]) {
      const cfg = chip(v, DEFAULT_NUMERIC);
      const fr = await run(createFloatEngine(cfg), data, epochs);
      const fx = await run(createFixedEngine(cfg, DEFAULT_NUMERIC), data, epochs);
      if (!best || fx[0].testAccuracy > best.acc) best = { v, acc: fx[0].testAccuracy };
      const sps = (r: { samplesPerSecond: number }[]) => (r.reduce((s, x) => s + x.samplesPerSecond, 0) / r.length).toFixed(0);
      console.log(
        `| ${v} | ${pct(fr[0].testAccuracy)} | ${pct(fx[0].testAccuracy)} | ${pct(fr[epochs - 1].testAccuracy)} | ${pct(fx[epochs - 1].testAccuracy)} | ${sps(fr)} | ${sps(fx)} |`,
      );
    }
    console.log();
  }

  if (!only || only === 'formats') {
    // the variant: --variant=X, else the best fixed-point variant after 1 epoch above, else J
    const variant = (args.find((a) => a.startsWith('--variant='))?.slice(10) ?? best?.v ?? 'J') as Variant;
    const q = (format: string, rounding: 'nearest' | 'stochastic' = 'nearest') => ({ format, rounding, overflow: 'saturate' as const });
    const candidates: [string, Partial<NumericConfig>][] = [
      ['default (W Q4.12 SR16, ξ/δ Q-4.20, z Q6.10, exp 16 entries)', {}],
      ['weights 16 bit, round to nearest', { weight: q('Q4.12'), bias: q('Q4.12') }],
      ['weights 12 bit Q4.8, SR16', { weight: q('Q4.8', 'stochastic'), bias: q('Q4.8', 'stochastic') }],
      ['weights 12 bit Q2.10, SR16', { weight: q('Q2.10', 'stochastic'), bias: q('Q2.10', 'stochastic') }],
      ['weights 8 bit Q2.6, SR16', { weight: q('Q2.6', 'stochastic'), bias: q('Q2.6', 'stochastic') }],
      ['random bits 8', { lfsr: { ...DEFAULT_NUMERIC.lfsr, rbits: 8, leap: 8 } }],
      ['random bits 4', { lfsr: { ...DEFAULT_NUMERIC.lfsr, rbits: 4, leap: 4 } }],
      ['ξ/δ Q-4.16 (12 bit)', { xi: q('Q-4.16'), delta: q('Q-4.16') }],
      ['ξ/δ Q-4.24 (20 bit)', { xi: q('Q-4.24'), delta: q('Q-4.24') }],
      ['ξ/δ Q-6.18 (12 bit)', { xi: q('Q-6.18'), delta: q('Q-6.18') }],
      ['exp table 4 entries', { tables: { ...DEFAULT_NUMERIC.tables, expNeg: { ...DEFAULT_NUMERIC.tables.expNeg, tableBits: 2 } } }],
      ['exp table 256 entries', { tables: { ...DEFAULT_NUMERIC.tables, expNeg: { ...DEFAULT_NUMERIC.tables.expNeg, tableBits: 8 } } }],
      ['window z 8 bit Q5.3', { windowZ: q('Q5.3') }],
      ['window z 12 bit Q5.7', { windowZ: q('Q5.7') }],
      ['activations Q5.7 (12 bit)', { act: q('Q5.7'), windowZ: q('Q5.7'), preact: q('Q6.6') }],
      ['output lr 2^-6', { lr: { ...DEFAULT_NUMERIC.lr, outShift: 6 } }],
      ['hidden lr 2^-2', { lr: { ...DEFAULT_NUMERIC.lr, hiddenShift: 2 } }],
    ];
    console.log(`## candidate formats, variant ${variant}, seed ${SEED}, ${fmtEpochs} epoch(s) (one change against the default; accuracy per epoch)\n`);
    console.log('| candidate | test acc | saturations (nonzero) | weight bits | working-memory bits | samples/s |');
    console.log('|---|---|---|---|---|---|');
    const chosen = pick ? pick.split(',').map(Number) : candidates.map((_, i) => i);
    for (const [name, patch] of chosen.map((i) => candidates[i])) {
      const n = withNumeric(DEFAULT_NUMERIC, patch);
      const e = createFixedEngine(chip(variant, n), n);
      const r = await run(e, data, fmtEpochs);
      const rep = e.report();
      const sats = Object.entries(rep.saturations)
        .filter(([, v]) => v.high + v.low > 0)
        .map(([k, v]) => `${k} ${v.high + v.low}`)
        .join(', ');
      console.log(`| ${name} | ${r.map((x) => pct(x.testAccuracy)).join(' / ')} | ${sats || '—'} | ${rep.memoryBits.weights} | ${rep.memoryBits.total} | ${r[r.length - 1].samplesPerSecond.toFixed(0)} |`);
    }
    console.log();
  }

  const rep = createFixedEngine(chip('J', DEFAULT_NUMERIC), DEFAULT_NUMERIC).report();
  console.log('## default configuration report\n');
  console.log('```');
  console.log(rep.text);
  console.log('```');
}

await main();
