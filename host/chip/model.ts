/**
 * The chip's controller as a reference model: what the controller behind the stream front end does with
 * each verified command (docs/protocol.md), on the state of the fixed-point golden model. The `mock`
 * transport puts it behind the front end's reference, so the host driver runs the chip's exact arithmetic
 * without Verilator; the RTL controller must answer every command as this model does.
 *
 *   SET_PARAMS    learning rates lr = mul·2^−shift, which must be the configuration's (numeric.lr: the
 *                 RTL wires them into its datapaths; other rates are refused with NOT_SUPPORTED, detail
 *                 opcode, 0, and change nothing); seed s: lane q of weight layer l is seeded with
 *                 laneSeed(numeric.lfsr.seed, s, l, q) (sim/golden/fixed/lfsr-bank.ts), as the golden
 *                 model built with seed s seeds its banks. The window and the weights are kept.
 *   LOAD_WEIGHTS / READ_WEIGHTS   the weight map (row j of a layer: nIn weights, then the bias)
 *   LOAD_LFSR / READ_LFSR   the LFSR lane states: state n is lane n mod lanes of weight layer ⌊n/lanes⌋
 *                 (the engine's LfsrBank states), the low numeric.lfsr.width bits of each record
 *   NEW_EPOCH     the window is cleared (weights, LFSR states and counters kept)
 *   TRAIN         one training step per record, in order
 *   INFER         the predicted class of each record (argmax, ties to the lowest class)
 *   READ_COUNTERS steps, busy and stalled cycles (the model spends no cycles: 0), saturations per quantity
 *                 (high + low, in QUANTITIES order) of training steps
 *   RESET         (after the front end's reply) weights and biases 0, LFSR lanes seeded with seed 0, window
 *                 cleared, counters 0, learning rates those of the configuration
 */
import { configHash, type ChipConfig } from '../../generator/config.js';
import { protocolSpec, type ProtocolSpec } from '../../generator/protocol.js';
import { QUANTITIES } from '../../generator/numeric.js';
import { ERRORS, OPCODES } from '../protocol/spec.js';
import { decodeStates, decodeWords, encodeCounters, encodeStateBytes, encodeWords } from '../protocol/commands.js';
import type { ControllerReply } from '../protocol/frontend-model.js';
import { FixedPointEngine, laneSeed, type ChipState, type RawLayer } from '../../sim/golden/fixed/index.js';
import type { Split } from '../../sim/data.js';
import { chipTrainConfig, layersToWords, wordsToLayers } from './config.js';

export class ChipModel {
  readonly spec: ProtocolSpec;
  readonly hash: string;
  engine: FixedPointEngine;
  steps = 0n;
  private seed = 0;
  private lr: ChipConfig['numeric']['lr'];

  constructor(readonly cfg: ChipConfig) {
    this.spec = protocolSpec(cfg);
    this.hash = configHash(cfg);
    this.lr = { ...cfg.numeric.lr };
    this.engine = this.build(0);
    this.reset();
  }

  private build(seed: number): FixedPointEngine {
    const numeric = { ...this.cfg.numeric, lr: { ...this.lr } };
    const cfg = { ...this.cfg, numeric };
    return new FixedPointEngine(chipTrainConfig(cfg, seed), numeric);
  }

  /** The chip after RESET. */
  reset(): void {
    this.lr = { ...this.cfg.numeric.lr };
    this.seed = 0;
    this.engine = this.build(0);
    for (const l of this.engine.state.W) l.fill(0);
    for (const l of this.engine.state.b) l.fill(0);
    this.steps = 0n;
  }

  /** Rebuilds the engine with the current rates and seed, keeping weights, window and saturation counts. */
  private rebuild(reseed: boolean): void {
    const old = this.engine;
    const next = this.build(this.seed);
    // the new engine's LFSR banks are seeded from this.seed; everything else is the old state
    (next as unknown as { state: ChipState }).state = { ...old.state, banks: reseed ? next.state.banks : old.state.banks };
    next.sat.restore(old.sat.snapshot());
    this.engine = next;
  }

  words(): Int32Array {
    return layersToWords(this.cfg, this.engine.rawWeights().layers);
  }

  private setWords(offset: number, words: ArrayLike<number>): void {
    const all = this.words();
    all.set(Array.from(words), offset);
    const layers: RawLayer[] = wordsToLayers(this.cfg, all);
    layers.forEach((l, i) => {
      this.engine.state.W[i].set(l.W);
      this.engine.state.b[i].set(l.b);
    });
  }

  /** Every LFSR lane state, in the protocol's lane map (layer-major), as unsigned values. */
  lfsrStates(): number[] {
    return this.engine.state.banks.flatMap((b) => Array.from(b.states, (s) => s >>> 0));
  }

  private setStates(offset: number, states: readonly number[]): void {
    const L = this.cfg.lanes;
    const mask = 2 ** this.spec.lfsrWidth - 1;
    states.forEach((s, i) => {
      const n = offset + i;
      this.engine.state.banks[Math.floor(n / L)].states[n % L] = (s % (mask + 1)) | 0;
    });
  }

  private split(p: Uint8Array, withLabel: boolean): Split {
    const dim = this.spec.pixels;
    const rec = dim + (withLabel ? 1 : 0);
    const n = p.length / rec;
    const pixels = new Uint8Array(n * dim);
    const y = new Uint8Array(n);
    for (let r = 0; r < n; r++) {
      pixels.set(p.subarray(r * rec, r * rec + dim), r * dim);
      if (withLabel) y[r] = p[r * rec + dim];
    }
    return { n, dim, pixels, y, x: new Float64Array(0) };
  }

  command(op: number, p: Uint8Array): ControllerReply {
    const u = (at: number, n: number) => {
      let v = 0;
      for (let i = n - 1; i >= 0; i--) v = v * 256 + p[at + i];
      return v;
    };
    const wb = this.spec.wordBytes;
    switch (op) {
      case OPCODES.SET_PARAMS: {
        // the chip's learning rates are generation constants: other rates are refused, nothing changes
        const c = this.cfg.numeric.lr;
        if (p[0] !== c.hiddenShift || p[1] !== c.hiddenMul || p[2] !== c.outShift || p[3] !== c.outMul) return { status: ERRORS.NOT_SUPPORTED, payload: [op, 0] };
        this.lr = { hiddenShift: p[0], hiddenMul: p[1], outShift: p[2], outMul: p[3] };
        this.seed = u(4, 4);
        this.rebuild(true);
        return ok([]);
      }
      case OPCODES.LOAD_WEIGHTS:
        this.setWords(u(0, 4), decodeWords(p.subarray(4), wb));
        return ok([]);
      case OPCODES.READ_WEIGHTS: {
        const off = u(0, 4);
        const words = Array.from(this.words().subarray(off, off + u(4, 2)));
        return ok(encodeWords(words, wb).flatMap((b) => [...b]));
      }
      case OPCODES.LOAD_LFSR:
        this.setStates(u(0, 2), decodeStates(p.subarray(2), this.spec.lfsrBytes));
        return ok([]);
      case OPCODES.READ_LFSR: {
        const off = u(0, 2);
        return ok(encodeStateBytes(this.lfsrStates().slice(off, off + u(2, 2)), this.spec.lfsrBytes));
      }
      case OPCODES.NEW_EPOCH:
        this.engine.beginEpoch();
        return ok([]);
      case OPCODES.TRAIN: {
        const s = this.split(p, true);
        for (let i = 0; i < s.n; i++) if (this.engine.trainSample(s, i)) this.steps++;
        return ok([]);
      }
      case OPCODES.INFER: {
        const s = this.split(p, false);
        const snap = this.engine.sat.snapshot();
        const out: number[] = [];
        for (let i = 0; i < s.n; i++) out.push(this.engine.predict(s, i));
        this.engine.sat.restore(snap);
        return ok(out);
      }
      case OPCODES.READ_COUNTERS: {
        const snap = this.engine.sat.snapshot();
        const saturations = QUANTITIES.map((q) => (snap[q] ? snap[q].high + snap[q].low : 0));
        return ok(encodeCounters({ steps: this.steps, busyCycles: 0n, stalledCycles: 0n, saturations }));
      }
      default:
        return { status: ERRORS.NOT_SUPPORTED, payload: [op, 0] };
    }
  }
}

function ok(payload: number[]): ControllerReply {
  return { status: 0, payload };
}

/** laneSeed of the chip's lane q of weight layer l for SET_PARAMS seed s (re-exported for the RTL's tests). */
export function chipLaneSeed(cfg: ChipConfig, seed: number, layer: number, lane: number): number {
  return laneSeed(cfg.numeric.lfsr.seed, seed, layer, lane, cfg.numeric.lfsr.width);
}
