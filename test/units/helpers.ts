/** Shared pieces of the unit co-simulations: random chip shapes, the golden engine of a chip configuration. */
import { DEFAULT_CHIP, type ChipConfig } from '../../generator/config.js';
import { CHIP_TRAIN, FixedPointEngine } from '../../sim/golden/fixed/index.js';
import type { TrainConfig } from '../../sim/engine.js';
import { Rng } from '../../sim/rng.js';
import type { Model } from '../../sim/verilator/index.js';

/** The fixed engine's training configuration of a chip configuration. */
export function trainConfigOf(cfg: ChipConfig, seed = 1): TrainConfig {
  return { ...CHIP_TRAIN, layers: cfg.layers.slice(), window: cfg.window, variant: cfg.variant, gamma: cfg.gamma, sigma: [...cfg.sigma], lnEps: cfg.lnEps, seed };
}

export function engineOf(cfg: ChipConfig, seed = 1): FixedPointEngine {
  return new FixedPointEngine(trainConfigOf(cfg, seed), cfg.numeric);
}

/**
 * A random small chip: input width 1…maxDim, one or two hidden layers of 2…32 (powers of two), 2…12
 * classes, window 2…maxB, Gram array 1…8 per side, random bandwidths.
 */
export function randomChip(rng: Rng, { maxDim = 40, maxB = 16 }: { maxDim?: number; maxB?: number } = {}): ChipConfig {
  const hidden = Array.from({ length: 1 + rng.int(2) }, () => 2 ** (1 + rng.int(5)));
  const window = 2 + rng.int(maxB - 1);
  // the row sums hold B gram words exactly: UQ(1 + ⌈log2 B⌉).16 at least
  const rowSum = { format: `UQ${Math.max(4, 1 + Math.ceil(Math.log2(window)))}.16`, rounding: 'nearest' as const, overflow: 'saturate' as const };
  return {
    ...DEFAULT_CHIP,
    layers: [1 + rng.int(maxDim), ...hidden, 2 + rng.int(11)],
    window,
    numeric: { ...DEFAULT_CHIP.numeric, rowSum },
    gram: { rows: 1 + rng.int(8), cols: 1 + rng.int(8) },
    sigma: [0.05 + rng.uniform(), 0.05 + rng.uniform(), 0.05 + rng.uniform()],
  };
}

/** Random integer in [lo, hi] (both inclusive, |values| < 2^53). */
export function randIn(rng: Rng, lo: number, hi: number): number {
  const span = hi - lo + 1;
  if (span <= 2 ** 32) return lo + rng.int(span);
  return lo + Math.floor(rng.uniform() * span);
}

/** `cfg` with the stored z in another format (the z banks, distances and κ_z shifts change with it). */
export function withWindowZ(cfg: ChipConfig, format: string): ChipConfig {
  return { ...cfg, numeric: { ...cfg.numeric, windowZ: { format, rounding: 'nearest', overflow: 'saturate' } } };
}

/** Issues a command and waits until the memory is idle again; returns the cycles it was busy. */
export async function wmCommand(m: Model, op: number, label = 0, maxCycles = 100_000): Promise<number> {
  await m.poke('op', op);
  await m.poke('label', label);
  await m.poke('start', 1);
  await m.step(1);
  await m.poke('start', 0);
  let n = 1;
  while ((await m.peek('busy')) === 1) {
    await m.step(1);
    if (++n > maxCycles) throw new Error(`wm op ${op}: still busy after ${maxCycles} cycles`);
  }
  return n;
}


/** Drives the given input ports to 0 (inputs start with random values in the co-simulation). */
export async function pokeZero(m: Model, ports: readonly string[]): Promise<void> {
  for (const p of ports) await m.poke(p, 0);
}
