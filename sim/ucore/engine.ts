/**
 * The UP5K engine as an Engine (`ibhebb train --engine ucore`): the step program (generator/ucore/program/
 * step.ts) run by the instruction-set simulator, the parameters, LFSRs, window and saturation counters living
 * in the machine. A fixed-point engine of the same config gives the initial state (the same weights and seeds as
 * `--engine golden --numeric fixed`), checks and converts the samples, and holds the state whenever it is
 * exported; the bits must be the golden engine's, and test/ucore/step.test.ts checks them word for word.
 */
import type { NumericConfig } from '../../generator/numeric.js';
import { counterOf, countersOf } from '../../generator/ucore/program/common.js';
import { stepProgram, type StepProgram } from '../../generator/ucore/program/step.js';
import type { Split } from '../data.js';
import type { Engine, EngineState, LayerWeights, TrainConfig } from '../engine.js';
import { evaluateKeeping, FixedPointEngine, type FixedReport } from '../golden/fixed/engine.js';
import type { Machine } from './iss.js';
import { loadCounters, loadState, readState, storeState, ucoreMachine, writeSample } from './state.js';

export class UcoreEngine implements Engine {
  readonly config: TrainConfig;
  /** machine cycles and samples of the training steps so far (ISS plan) */
  readonly figures = { trainCycles: 0, trainSamples: 0, inferCycles: 0, inferSamples: 0 };
  private readonly ref: FixedPointEngine;
  private core: { m: Machine; sp: StepProgram } | undefined;
  private steps = 0;

  constructor(config: TrainConfig, numeric: NumericConfig) {
    this.ref = new FixedPointEngine(config, numeric);
    this.config = this.ref.config;
  }

  /** The machine for samples with (or without) pixels, built at the first sample from the reference's state. */
  private machine(pixels: boolean): { m: Machine; sp: StepProgram } {
    if (this.core) {
      if (this.core.sp.pixels !== pixels) throw new RangeError(`ucore engine: the program was built for ${this.core.sp.pixels ? 'u8 pixel images' : 'input words'}; this split has ${pixels ? 'pixels' : 'none'}`);
      return this.core;
    }
    const P = this.ref.params;
    const sp = stepProgram(P, pixels);
    const m = ucoreMachine(P, sp);
    loadState(m, P, sp, this.ref.state);
    loadCounters(m, this.ref.sat.snapshot());
    this.core = { m, sp };
    return this.core;
  }

  /** The sample into the machine; the host's input saturations (non-image sets) added to its counters. */
  private put(split: Split, index: number): { m: Machine; sp: StepProgram } {
    const input = this.ref.sat.slot('input');
    const [high, low] = [input.high, input.low];
    const s = this.ref.sampleInput(split, index);
    const core = this.machine(s.pixels);
    const q = 2 * counterOf('input');
    core.m.sat[q] += input.high - high;
    core.m.sat[q + 1] += input.low - low;
    writeSample(core.m, core.sp, s.u, s.label);
    return core;
  }

  /** The reference engine ← the machine's state and counters. */
  private sync(): void {
    if (!this.core) return;
    const { m, sp } = this.core;
    storeState(this.ref.state, readState(m, this.ref.params, sp));
    this.ref.sat.reset();
    this.ref.sat.restore(countersOf(m.sat));
  }

  beginEpoch(): void {
    this.ref.beginEpoch();
    if (this.core) this.core.m.run(this.core.sp.program, this.core.sp.entry.clear);
  }

  trainSample(split: Split, index: number): boolean {
    const { m, sp } = this.put(split, index);
    const wm = this.ref.state.wm;
    // the host's bookkeeping of which sample each slot holds (not on chip)
    wm.slotIdx[Number(m.load(sp.layout.at('win.head'), 1, false))] = index;
    const c0 = m.cycles;
    m.run(sp.program, sp.entry.train);
    this.figures.trainCycles += m.cycles - c0;
    this.figures.trainSamples++;
    const stepped = Number(m.load(sp.layout.at('win.count'), 1, false)) === this.ref.params.B;
    if (stepped) this.steps++;
    return stepped;
  }

  predict(split: Split, index: number): number {
    const { m, sp } = this.put(split, index);
    const c0 = m.cycles;
    m.run(sp.program, sp.entry.infer);
    this.figures.inferCycles += m.cycles - c0;
    this.figures.inferSamples++;
    return Number(m.load(sp.layout.at('out.class'), 1, false));
  }

  evaluate(split: Split, limit?: number): number {
    // as the golden engine: inference does not add to the training counters (the machine's)
    return evaluateKeeping(split, limit, (i) => this.predict(split, i), () => {
      const saved = this.core?.m.sat.slice();
      return () => {
        if (saved && this.core) this.core.m.sat.set(saved);
      };
    });
  }

  exportState(): EngineState {
    this.sync();
    const s = this.ref.exportState();
    return { meta: { ...s.meta, steps: this.steps }, arrays: s.arrays };
  }

  importState(state: EngineState): void {
    this.ref.importState(state);
    this.steps = state.meta.steps as number;
    if (this.core) {
      loadState(this.core.m, this.ref.params, this.core.sp, this.ref.state);
      loadCounters(this.core.m, this.ref.sat.snapshot());
    }
  }

  weights(): LayerWeights[] {
    this.sync();
    return this.ref.weights();
  }

  /** The fixed-point report (formats, saturations, accumulators, memory) of the machine's state. */
  report(): FixedReport {
    this.sync();
    return this.ref.report();
  }

  encodeWeights(): Buffer {
    this.sync();
    return this.ref.encodeWeights();
  }
}
