/**
 * The training loop shared by every engine: a seeded shuffle per epoch, samples streamed one at a time into
 * the engine (which keeps the sliding window), test accuracy after every epoch. The loop can stop between
 * any two samples and resume from a LoopPosition; with the engine's state restored, the resumed run is
 * bit-identical to an uninterrupted one.
 */
import type { Dataset } from '../sim/data.js';
import type { Engine } from '../sim/engine.js';
import { epochOrder } from '../sim/rng.js';

export interface EpochRecord {
  epoch: number;
  testAccuracy: number;
  trainSamples: number;
  seconds: number;
  samplesPerSecond: number;
  /** Chip engines (host/chip/engine.ts ChipFigures): chip cycles per TRAIN sample and how they were counted, */
  cyclesPerSample?: number | null;
  cyclesSource?: 'sim' | 'counters' | null;
  /** ⌈weight words / lanes⌉, */
  boundCyclesPerSample?: number;
  /** and the simulation's speed (sim only; null otherwise). */
  simCyclesPerSecond?: number | null;
}

/** Where the loop stands: `epoch` (1-based) is the epoch in progress, `offset` the next sample of its order. */
export interface LoopPosition {
  epoch: number;
  offset: number;
}

export interface Progress {
  epoch: number;
  epochs: number;
  done: number;
  total: number;
  samplesPerSecond: number;
}

export interface TrainLoopOptions {
  epochs: number;
  /** Use only the first N training samples (before shuffling). */
  trainLimit?: number;
  /** Evaluate on the first N test samples. */
  testLimit?: number;
  /** Seed of the per-epoch shuffles. */
  shuffleSeed: number;
  /** Resume here (the engine must hold the state saved at this position). */
  start?: LoopPosition;
  /** Called about every `progressEvery` samples. */
  onProgress?: (p: Progress) => void;
  progressEvery?: number;
  /** Called after each epoch's evaluation, with the position of the next epoch. */
  onEpochEnd?: (record: EpochRecord, next: LoopPosition) => void | Promise<void>;
  /** Called when an epoch's training is done and its test starts (a chip's 10,000 INFERs take a while). */
  onTest?: (epoch: number, images: number) => void;
  /** Polled between samples; when it returns true the loop stops and reports where. */
  shouldStop?: () => boolean;
}

export interface TrainLoopResult {
  epochs: EpochRecord[];
  /** Set when shouldStop ended the loop early: the position to resume from. */
  stoppedAt?: LoopPosition;
}

export async function runTraining(engine: Engine, data: Dataset, opts: TrainLoopOptions): Promise<TrainLoopResult> {
  const n = Math.min(data.train.n, opts.trainLimit ?? data.train.n);
  const testN = Math.min(data.test.n, opts.testLimit ?? data.test.n);
  if (n < 1) throw new RangeError('train-limit must be at least 1');
  const every = opts.progressEvery ?? 1000;
  const records: EpochRecord[] = [];
  let pos: LoopPosition = opts.start ?? { epoch: 1, offset: 0 };
  while (pos.epoch <= opts.epochs) {
    const order = epochOrder(opts.shuffleSeed, pos.epoch, n);
    if (pos.offset === 0) engine.beginEpoch();
    const t0 = performance.now();
    const startOffset = pos.offset;
    for (let k = pos.offset; k < n; k++) {
      if (opts.shouldStop?.()) {
        await engine.flush?.();
        return { epochs: records, stoppedAt: { epoch: pos.epoch, offset: k } };
      }
      engine.trainSample(data.train, order[k]);
      if ((k + 1) % every === 0) {
        await engine.flush?.();
        if (opts.onProgress) {
          const dt = (performance.now() - t0) / 1000;
          opts.onProgress({ epoch: pos.epoch, epochs: opts.epochs, done: k + 1, total: n, samplesPerSecond: (k + 1 - startOffset) / dt });
        }
        // yield to the event loop so that signal handlers (Ctrl-C → checkpoint) can run
        await new Promise((r) => setImmediate(r));
      }
    }
    await engine.flush?.();
    const seconds = (performance.now() - t0) / 1000;
    opts.onTest?.(pos.epoch, testN);
    const testAccuracy = engine.evaluateAsync ? await engine.evaluateAsync(data.test, testN) : engine.evaluate(data.test, testN);
    const record: EpochRecord = {
      epoch: pos.epoch,
      testAccuracy,
      trainSamples: n - startOffset,
      seconds,
      samplesPerSecond: (n - startOffset) / seconds,
    };
    records.push(record);
    pos = { epoch: pos.epoch + 1, offset: 0 };
    await opts.onEpochEnd?.(record, pos);
  }
  return { epochs: records };
}
