/**
 * The chip as a training Engine: the host driver's side of a run on the simulated chip (`sim`), a board
 * (`uart`) or the controller's reference model (`mock`). One ChipConfig builds the chip and, for the same
 * seed, the fixed-point golden model whose initial weights are loaded into it, so the two can be compared
 * word for word (`check`).
 *
 * Samples are queued by trainSample and sent in pipelined TRAIN frames when the loop flushes (every
 * progress point and before an evaluation): no round trip per sample. An epoch boundary is a NEW_EPOCH
 * frame in the same stream.
 *
 * Checkpoints: at an epoch boundary (the window is cleared by the next NEW_EPOCH) the chip's whole
 * learning state is its weights and its LFSR lane states. exportChipState reads both over the protocol
 * (READ_WEIGHTS, READ_LFSR) into the arrays the fixed golden engine's checkpoints use (W<l>, b<l> and
 * lfsr<l> as Int32Array, the raw integers); importChipState loads them (LOAD_WEIGHTS, LOAD_LFSR), so a
 * resumed run continues with exactly the chip's state. Mid-epoch the window is not readable, so the
 * state is refused there.
 */
import type { ChipConfig } from '../../generator/config.js';
import { configHash } from '../../generator/config.js';
import { protocolSpec, type ProtocolSpec } from '../../generator/protocol.js';
import { QUANTITIES, resolveNumeric } from '../../generator/numeric.js';
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
  /** Records per TRAIN / INFER frame (Client option; default 1, the fastest for the simulated chip). */
  recordsPerFrame?: number;
}

/**
 * Saturation counts of a chip run by quantity (train JSON `fixed.saturations`, beside the fixed golden model's
 * `{ high, low }`): `total` is high + low, the one count a quantity has on the link (READ_COUNTERS).
 */
export type ChipSaturations = Record<string, { total: number }>;

/** READ_COUNTERS' saturations (FORMATS order) by quantity name. */
export function chipSaturations(counts: readonly number[]): ChipSaturations {
  if (counts.length !== QUANTITIES.length) throw new RangeError(`chip engine: ${counts.length} saturation counters, the protocol has ${QUANTITIES.length} quantities`);
  return Object.fromEntries(QUANTITIES.map((q, i) => [q, { total: counts[i] }]));
}

type Op = { kind: 'train'; pixels: Uint8Array; label: number } | { kind: 'epoch' };

/**
 * An epoch's chip figures (train JSON, per epoch):
 *   cyclesPerSample       chip clock cycles per TRAIN sample over the epoch's training (its evaluation
 *                         excluded): with `sim`, the simulated clock cycles (link bytes included: what the
 *                         chip takes per sample as fed); otherwise the busy cycles of READ_COUNTERS; null
 *                         where neither exists (`mock`: the reference model spends no cycles)
 *   cyclesSource          'sim' | 'counters' | null: which of the two
 *   boundCyclesPerSample  ⌈weight words of the hidden and output layers / lanes⌉: one pass over every
 *                         weight at L words a cycle, the update's lower bound per step
 *   simCyclesPerSecond    simulated cycles per wall-clock second over the epoch's training (sim only)
 */
export interface ChipFigures {
  cyclesPerSample: number | null;
  cyclesSource: 'sim' | 'counters' | null;
  boundCyclesPerSample: number;
  simCyclesPerSecond: number | null;
}

/** The simulated clock cycles a transport has run, when it runs a simulation. */
function simCycles(t: Transport): number | null {
  const c = (t as Partial<{ cycles: number }>).cycles;
  return typeof c === 'number' ? c : null;
}

/** meta.kind of a chip engine's checkpoint state. */
export const CHIP_STATE_KIND = 'ibhebb-chip';
export const CHIP_STATE_VERSION = 1;

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
  /** Set by beginEpoch: take the epoch's starting mark at the next flush, after its NEW_EPOCH. */
  private markDue = false;
  private mark: { busy: bigint; cycles: number | null; t: number } | null = null;
  private epochSamples = 0;
  /** The figures of the last epoch whose training ended (evaluateAsync closes an epoch). */
  figures: ChipFigures | null = null;
  /**
   * The chip's saturation counters when the last epoch's training ended (READ_COUNTERS, read with the figures;
   * INFER leaves them as they are): per quantity, its high and low clamps together, as the link carries them.
   */
  saturations: ChipSaturations | null = null;

  private constructor(
    readonly chip: ChipConfig,
    readonly transport: Transport,
    readonly seed: number,
    private readonly o: ChipEngineOptions,
  ) {
    this.config = chipTrainConfig(chip, seed);
    this.spec = protocolSpec(chip);
    this.client = new Client(transport, { spec: this.spec, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}), ...(o.window ? { window: o.window } : {}), ...(o.recordsPerFrame ? { recordsPerFrame: o.recordsPerFrame } : {}) });
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
    this.markDue = true;
    this.epochSamples = 0;
    if (this.o.check) this.golden.beginEpoch();
  }

  trainSample(split: Split, index: number): boolean {
    if (!split.pixels) throw new RangeError('chip engine: the chip takes u8 pixel images (MNIST); this dataset has none');
    const d = split.dim;
    const pixels = split.pixels.subarray(index * d, (index + 1) * d);
    const label = split.y[index];
    if (label >= this.spec.classes) throw new RangeError(`chip engine: label ${label} ≥ ${this.spec.classes} classes`);
    this.queue.push({ kind: 'train', pixels, label });
    this.epochSamples++;
    if (this.o.check) this.golden.trainSample(split, index);
    if (this.count < this.chip.window) this.count++;
    const stepped = this.count >= this.chip.window;
    if (stepped) this.steps++;
    return stepped;
  }

  /** Sends every queued operation as one pipelined batch; with `check`, compares the weights when due. */
  async flush(): Promise<void> {
    if (this.markDue && this.queue[0]?.kind === 'epoch') {
      // the epoch's NEW_EPOCH alone, then its starting mark (the training to come is what it measures)
      this.queue.shift();
      this.markDue = false;
      this.throwAll(await this.client.batch([{ op: OPCODES.NEW_EPOCH }]));
      const c = await this.client.readCounters();
      this.mark = { busy: c.busyCycles, cycles: simCycles(this.transport), t: performance.now() };
    }
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
      this.throwAll(await this.client.batch(reqs));
    }
    if (this.o.check && this.steps - this.lastCheck >= this.o.check) {
      this.lastCheck = this.steps;
      await this.compare();
    }
  }

  private throwAll(answers: { ok: boolean; error?: Error }[]): void {
    for (const a of answers) if (!a.ok) throw a.error;
  }

  /** Ends the epoch's measured training: its figures from the mark taken after its NEW_EPOCH. */
  private async closeEpoch(): Promise<void> {
    await this.flush();
    const m = this.mark;
    if (!m) return;
    this.mark = null;
    const seconds = (performance.now() - m.t) / 1000;
    const c = await this.client.readCounters();
    this.saturations = chipSaturations(c.saturations);
    const cycles = simCycles(this.transport);
    const samples = this.epochSamples;
    const simRun = cycles !== null && m.cycles !== null ? cycles - m.cycles : null;
    const busy = Number(c.busyCycles - m.busy);
    const cyclesSource = samples <= 0 ? null : simRun !== null ? 'sim' : busy > 0 ? 'counters' : null;
    this.figures = {
      cyclesPerSample: cyclesSource === 'sim' ? (simRun as number) / samples : cyclesSource === 'counters' ? busy / samples : null,
      cyclesSource,
      boundCyclesPerSample: boundCyclesPerSample(this.chip),
      simCyclesPerSecond: simRun !== null && seconds > 0 ? simRun / seconds : null,
    };
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
    await this.closeEpoch();
    const n = Math.min(split.n, limit ?? split.n);
    if (n <= 0) return 0;
    const pred = await this.inferAll(split, n);
    let ok = 0;
    for (let i = 0; i < n; i++) if (pred[i] === split.y[i]) ok++;
    return ok / n;
  }

  /** Loads a whole set of parameters (e.g. a weights file's layers) into the chip, and into the checking model. */
  async loadLayers(layers: RawLayer[]): Promise<void> {
    // the checking model takes them first: it refuses wrong shapes and out-of-range words before the chip is written
    this.golden.setRawWeights(layers);
    await this.flush();
    await this.client.loadWeights(0, Array.from(layersToWords(this.chip, layers)));
  }

  /** The simulated clock cycles run so far (sim transport), else null. */
  simCycles(): number | null {
    return simCycles(this.transport);
  }

  /** The weight file of the fixed engine's --weights-out (byte-comparable with it). */
  async encodeWeights(): Promise<Buffer> {
    const N = resolveNumeric(this.chip.numeric);
    return encodeWeightFile(await this.readLayers(), N.weight.format, N.bias.format);
  }

  exportState(): EngineState {
    throw new Error('chip engine: the state lives on the chip; read it with exportChipState');
  }

  importState(): void {
    throw new Error('chip engine: load the state with importChipState');
  }

  /**
   * The chip's learning state, read back: weights and biases (W<l>, b<l>) and LFSR lane states (lfsr<l>,
   * the registers' bits as int32 words, as LfsrBank.states) of every weight layer. It is the whole state
   * only at an epoch boundary, i.e. when the next operation is beginEpoch (the window is not readable):
   * the caller saves it there only.
   */
  async exportChipState(): Promise<EngineState> {
    const layers = await this.readLayers();
    const states = await this.client.readLfsr(0, this.spec.lfsrStates);
    const L = this.chip.lanes;
    const arrays: EngineState['arrays'] = {};
    layers.forEach((y, l) => {
      arrays[`W${l}`] = y.W;
      arrays[`b${l}`] = y.b;
      arrays[`lfsr${l}`] = Int32Array.from(states.slice(l * L, (l + 1) * L), (v) => v | 0);
    });
    return { meta: { kind: CHIP_STATE_KIND, version: CHIP_STATE_VERSION, configHash: configHash(this.chip), steps: this.steps }, arrays };
  }

  /** Loads a state of exportChipState into the chip (and into the golden model run beside it when checking). */
  async importChipState(state: EngineState): Promise<void> {
    const m = state.meta;
    if (m.kind !== CHIP_STATE_KIND || m.version !== CHIP_STATE_VERSION) {
      throw new RangeError(`chip engine: not a ${CHIP_STATE_KIND} v${CHIP_STATE_VERSION} state (got ${String(m.kind)} v${String(m.version)})`);
    }
    if (m.configHash !== configHash(this.chip)) throw new RangeError(`chip engine: the state was saved from a chip of configuration ${String(m.configHash)}, this one is ${configHash(this.chip)}`);
    if (!Number.isInteger(m.steps) || (m.steps as number) < 0) throw new RangeError(`chip engine: state step count ${String(m.steps)} is not an integer ≥ 0`);
    const L = this.chip.lanes;
    const layers: RawLayer[] = this.spec.layers.map((y, l) => {
      const W = state.arrays[`W${l}`];
      const b = state.arrays[`b${l}`];
      const q = state.arrays[`lfsr${l}`];
      if (!(W instanceof Int32Array) || W.length !== y.nIn * y.nOut) throw new RangeError(`chip engine: state array W${l} is missing or not ${y.nIn * y.nOut} int32 words`);
      if (!(b instanceof Int32Array) || b.length !== y.nOut) throw new RangeError(`chip engine: state array b${l} is missing or not ${y.nOut} int32 words`);
      if (!(q instanceof Int32Array) || q.length !== L) throw new RangeError(`chip engine: state array lfsr${l} is missing or not ${L} int32 words`);
      return { nIn: y.nIn, nOut: y.nOut, W, b };
    });
    const states = this.spec.layers.flatMap((_, l) => Array.from(state.arrays[`lfsr${l}`], (v) => v >>> 0));
    // the golden model takes the weights first: out-of-range words are refused before the chip is written
    this.golden.setRawWeights(layers);
    await this.flush();
    await this.client.loadWeights(0, Array.from(layersToWords(this.chip, layers)));
    await this.client.loadLfsr(0, states);
    this.steps = m.steps as number;
    this.lastCheck = this.steps;
    if (this.o.check) this.spec.layers.forEach((_, l) => this.golden.state.banks[l].states.set(state.arrays[`lfsr${l}`]));
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

/** ⌈weight words of the hidden and output layers / lanes⌉ (biases included): one pass over every weight. */
export function boundCyclesPerSample(cfg: ChipConfig): number {
  return Math.ceil(protocolSpec(cfg).weightWords / cfg.lanes);
}
