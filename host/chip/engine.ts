/**
 * The chip as a training Engine: the host driver's side of a run on the simulated chip (`sim`), a board
 * (`uart`) or the controller's reference model (`mock`). One ChipConfig builds the chip and, for the same
 * seed, the fixed-point golden model whose initial weights are loaded into it, so the two can be compared
 * word for word (`check`).
 *
 * Samples are queued by trainSample and sent in pipelined TRAIN frames when the loop flushes (every
 * progress point and before an evaluation): no round trip per sample. An epoch boundary is a NEW_EPOCH
 * frame in the same stream.
 */
import type { ChipConfig } from '../../generator/config.js';
import { configHash } from '../../generator/config.js';
import { protocolSpec, type ProtocolSpec } from '../../generator/protocol.js';
import { resolveNumeric } from '../../generator/numeric.js';
import type { Split } from '../../sim/data.js';
import type { Engine, EngineState, LayerWeights, TrainConfig } from '../../sim/engine.js';
import { encodeWeightFile, FixedPointEngine, type RawLayer } from '../../sim/golden/fixed/index.js';
import { Client, type Request } from '../protocol/client.js';
import { ChipError } from '../protocol/commands.js';
import { OPCODES } from '../protocol/spec.js';
import type { Transport } from '../transport/transport.js';
import { chipTrainConfig, layersToWords, wordsToLayers } from './config.js';

export interface ChipEngineOptions {
  /** Compare the chip's weights with the fixed golden model's every N training steps (0: never). */
  check?: number;
  /** Timeout of one answer (ms). */
  timeoutMs?: number;
  /** Request bytes sent ahead of their answers (a board's UART: its receive FIFO). */
  window?: number;
}

type Op = { kind: 'train'; pixels: Uint8Array; label: number } | { kind: 'epoch' };

export class ChipMismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChipMismatch';
  }
}

export class ChipEngine implements Engine {
  readonly config: TrainConfig;
  readonly spec: ProtocolSpec;
  readonly client: Client;
  /** The fixed golden model run beside the chip when checking (else only its initial weights are used). */
  readonly golden: FixedPointEngine;
  private queue: Op[] = [];
  private count = 0;
  private steps = 0;
  private lastCheck = 0;

  private constructor(
    readonly chip: ChipConfig,
    readonly transport: Transport,
    readonly seed: number,
    private readonly o: ChipEngineOptions,
  ) {
    this.config = chipTrainConfig(chip, seed);
    this.spec = protocolSpec(chip);
    this.client = new Client(transport, { spec: this.spec, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), ...(o.window ? { window: o.window } : {}) });
    this.golden = new FixedPointEngine(this.config, chip.numeric);
  }

  /**
   * Connects: checks the chip is the configuration asked for (IDENTIFY's config hash), resets it, sets the
   * learning rates and the LFSR seed, and loads the golden model's initial weights for `seed`.
   */
  static async open(chip: ChipConfig, transport: Transport, seed: number, o: ChipEngineOptions = {}): Promise<ChipEngine> {
    const e = new ChipEngine(chip, transport, seed, o);
    const id = await e.client.identify();
    const want = configHash(chip);
    if (id.configHash !== want) {
      throw new ChipMismatch(`${transport.name}: the chip's configuration hash is ${id.configHash}, this run's is ${want} (generate and load the design of this --config)`);
    }
    await e.client.reset();
    const lr = chip.numeric.lr;
    await e.client.setParams({ ...lr, seed });
    await e.client.loadWeights(0, Array.from(layersToWords(chip, e.golden.rawWeights().layers)));
    return e;
  }

  beginEpoch(): void {
    this.queue.push({ kind: 'epoch' });
    this.count = 0;
    if (this.o.check) this.golden.beginEpoch();
  }

  trainSample(split: Split, index: number): boolean {
    if (!split.pixels) throw new RangeError('chip engine: the chip takes u8 pixel images (MNIST); this dataset has none');
    const d = split.dim;
    const pixels = split.pixels.subarray(index * d, (index + 1) * d);
    const label = split.y[index];
    if (label >= this.spec.classes) throw new RangeError(`chip engine: label ${label} ≥ ${this.spec.classes} classes`);
    this.queue.push({ kind: 'train', pixels, label });
    if (this.o.check) this.golden.trainSample(split, index);
    if (this.count < this.chip.window) this.count++;
    const stepped = this.count >= this.chip.window;
    if (stepped) this.steps++;
    return stepped;
  }

  /** Sends every queued operation as one pipelined batch; with `check`, compares the weights when due. */
  async flush(): Promise<void> {
    if (this.queue.length) {
      const reqs: Request[] = [];
      let run: { pixels: Uint8Array; label: number }[] = [];
      for (const op of this.queue) {
        if (op.kind === 'train') {
          run.push(op);
          continue;
        }
        reqs.push(...this.client.trainRequests(run), { op: OPCODES.NEW_EPOCH });
        run = [];
      }
      reqs.push(...this.client.trainRequests(run));
      this.queue = [];
      const answers = await this.client.batch(reqs);
      for (const a of answers) if (!a.ok) throw a.error;
    }
    if (this.o.check && this.steps - this.lastCheck >= this.o.check) {
      this.lastCheck = this.steps;
      await this.compare();
    }
  }

  /** The chip's parameters, read back. */
  async readLayers(): Promise<RawLayer[]> {
    await this.flush();
    return wordsToLayers(this.chip, await this.client.readWeights(0, this.spec.weightWords));
  }

  /** Compares the chip's weights with the golden model's; throws at the first difference. */
  async compare(): Promise<void> {
    const mine = await this.readLayers();
    const want = this.golden.rawWeights().layers;
    for (let l = 0; l < want.length; l++) {
      const w = want[l];
      const m = mine[l];
      for (let j = 0; j < w.nOut; j++) {
        for (let i = 0; i <= w.nIn; i++) {
          const a = i < w.nIn ? m.W[j * w.nIn + i] : m.b[j];
          const b = i < w.nIn ? w.W[j * w.nIn + i] : w.b[j];
          if (a !== b) {
            throw new ChipMismatch(
              `after step ${this.steps}: layer ${l + 1}, row ${j}, ${i < w.nIn ? `word ${i}` : 'bias'}: the chip holds ${a}, the golden model ${b}`,
            );
          }
        }
      }
    }
  }

  predict(): number {
    throw new Error('chip engine: predictions come back over the link; use evaluateAsync or inferAll');
  }

  evaluate(): number {
    throw new Error('chip engine: use evaluateAsync');
  }

  /** Predicted classes of the first n samples of `split`, in pipelined INFER frames. */
  async inferAll(split: Split, n = split.n): Promise<number[]> {
    await this.flush();
    if (!split.pixels) throw new RangeError('chip engine: the chip takes u8 pixel images');
    const d = split.dim;
    const samples: Uint8Array[] = [];
    for (let i = 0; i < n; i++) samples.push(split.pixels.subarray(i * d, (i + 1) * d));
    return this.client.infer(samples);
  }

  async evaluateAsync(split: Split, limit?: number): Promise<number> {
    const n = Math.min(split.n, limit ?? split.n);
    if (n <= 0) return 0;
    const pred = await this.inferAll(split, n);
    let ok = 0;
    for (let i = 0; i < n; i++) if (pred[i] === split.y[i]) ok++;
    return ok / n;
  }

  /** The weight file of the fixed engine's --weights-out (byte-comparable with it). */
  async encodeWeights(): Promise<Buffer> {
    const N = resolveNumeric(this.chip.numeric);
    return encodeWeightFile(await this.readLayers(), N.weight.format, N.bias.format);
  }

  exportState(): EngineState {
    throw new Error('chip engine: the state lives on the chip; checkpoints read it with readLayers');
  }

  importState(): void {
    throw new Error('chip engine: load weights with LOAD_WEIGHTS');
  }

  weights(): LayerWeights[] {
    throw new Error('chip engine: read the weights with readLayers');
  }

  async counters() {
    await this.flush();
    return this.client.readCounters();
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

export { ChipError };
