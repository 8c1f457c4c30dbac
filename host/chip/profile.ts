/**
 * The workload a profile-guided build of the simulated chip is compiled from (SimOptions.profile): what a
 * training run does — open (identify, reset, parameters, weight load), an epoch's first samples in pipelined
 * TRAIN frames, a weight read-back, a few INFER frames — on the run's own training data. GCC then lays out
 * the verilated model for the branches a training run takes; the model computes the same bits either way.
 */
import type { ChipConfig } from '../../generator/config.js';
import type { Split } from '../../sim/data.js';
import type { SimTransport } from '../transport/sim.js';
import { ChipEngine } from './engine.js';

/** Training samples and inferences of the profile run (a second or two of simulation). */
export const PROFILE_TRAIN_SAMPLES = 256;
export const PROFILE_INFER_SAMPLES = 16;

export function chipProfileWorkload(cfg: ChipConfig, split: Split): { id: string; run(t: SimTransport): Promise<void> } {
  return {
    id: `chip-train-${PROFILE_TRAIN_SAMPLES}-infer-${PROFILE_INFER_SAMPLES}-v1`,
    run: async (t) => {
      const e = await ChipEngine.open(cfg, t, 1);
      e.beginEpoch();
      const n = Math.min(PROFILE_TRAIN_SAMPLES, split.n);
      for (let k = 0; k < n; k++) e.trainSample(split, k);
      await e.flush();
      await e.readLayers();
      await e.inferAll(split, Math.min(PROFILE_INFER_SAMPLES, split.n));
    },
  };
}
