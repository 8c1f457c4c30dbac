/**
 * One ChipConfig drives the chip and its golden model: the TrainConfig of the fixed-point engine that the
 * chip built from `cfg` must equal bit for bit, and the weight words of the protocol's weight map.
 */
import { ConfigError, loadChipConfig, type ChipConfig } from '../../generator/config.js';
import { weightMap } from '../../generator/protocol.js';
import type { RawLayer } from '../../sim/golden/fixed/index.js';
import { CHIP_TRAIN, chipParams } from '../../sim/golden/fixed/index.js';
import type { TrainConfig } from '../../sim/engine.js';

/** The fixed engine's TrainConfig of a chip: its network, window, ξ variant, γ, σ, ε and learning rates. */
export function chipTrainConfig(cfg: ChipConfig, seed: number): TrainConfig {
  const lr = cfg.numeric.lr;
  return {
    ...CHIP_TRAIN,
    layers: cfg.layers.slice(),
    window: cfg.window,
    variant: cfg.variant,
    gamma: cfg.gamma,
    sigma: [...cfg.sigma] as [number, number, number],
    lnEps: cfg.lnEps,
    lr: lr.hiddenMul * 2 ** -lr.hiddenShift,
    lrOut: lr.outMul * 2 ** -lr.outShift,
    seed,
  };
}

/**
 * Checks that the fixed-point specification exists for `cfg` (every accumulator and row-sum format wide enough,
 * the bounds below 2^53, ε representable, …) before anything is generated or built: throws a ConfigError
 * naming `where` and the field.
 */
export function checkChipSpec(cfg: ChipConfig, where = 'config'): ChipConfig {
  try {
    chipParams(chipTrainConfig(cfg, 0), cfg.numeric);
  } catch (e) {
    if (e instanceof RangeError) throw new ConfigError(`${where}: ${e.message}`);
    throw e;
  }
  return cfg;
}

/** loadChipConfig (generator/config.ts), then checkChipSpec: what every command that takes --config FILE reads. */
export function loadChip(file: string): ChipConfig {
  return checkChipSpec(loadChipConfig(file), file);
}

/** The raw layers as the protocol's weight words: per layer, row j = the nIn weights, then the bias. */
export function layersToWords(cfg: ChipConfig, layers: readonly RawLayer[]): Int32Array {
  const map = weightMap(cfg);
  const out = new Int32Array(map.reduce((s, m) => s + m.words, 0));
  map.forEach((m, l) => {
    const { W, b } = layers[l];
    for (let j = 0; j < m.nOut; j++) {
      const o = m.base + j * (m.nIn + 1);
      out.set(W.subarray(j * m.nIn, (j + 1) * m.nIn), o);
      out[o + m.nIn] = b[j];
    }
  });
  return out;
}

/** The inverse of layersToWords. */
export function wordsToLayers(cfg: ChipConfig, words: ArrayLike<number>): RawLayer[] {
  return weightMap(cfg).map((m) => {
    const W = new Int32Array(m.nIn * m.nOut);
    const b = new Int32Array(m.nOut);
    for (let j = 0; j < m.nOut; j++) {
      const o = m.base + j * (m.nIn + 1);
      for (let i = 0; i < m.nIn; i++) W[j * m.nIn + i] = words[o + i];
      b[j] = words[o + m.nIn];
    }
    return { nIn: m.nIn, nOut: m.nOut, W, b };
  });
}
