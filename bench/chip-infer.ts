/**
 * Inference on the co-simulated chip: cycles per INFER record and records/s.
 *
 *   node bin/run-ts.js bench/chip-infer.ts [--config FILE] [--samples 1000]
 *
 * Builds the chip as `train --engine sim` does (lean, the runner's checks off, profile-guided), opens it (reset, weights
 * zeroed, LFSR lanes seeded) and classifies the first `samples` MNIST test images in pipelined INFER frames.
 */
import { DEFAULT_CHIP, loadChipConfig } from '../generator/config.js';
import { chip } from '../generator/units/chip.js';
import { SimTransport } from '../host/transport/sim.js';
import { ChipEngine } from '../host/chip/engine.js';
import { loadMnist } from '../host/data/mnist.js';
import { chipProfileWorkload } from '../host/chip/profile.js';
import { arg } from './units/common.js';

const ci = process.argv.indexOf('--config');
const cfg = ci > 0 ? loadChipConfig(process.argv[ci + 1]) : DEFAULT_CHIP;
const n = arg('samples', 1000);
if (n < 1) throw new RangeError('--samples must be at least 1');
const mnist = loadMnist();
const t = await SimTransport.start(chip(cfg), { checks: false, profile: chipProfileWorkload(cfg, mnist.train) });
try {
  const e = await ChipEngine.open(cfg, t, 1, {});
  const c0 = t.cycles;
  const w0 = performance.now();
  await e.inferAll(mnist.test, n);
  const wall = (performance.now() - w0) / 1000;
  const cycles = t.cycles - c0;
  console.log(`config ${cfg.layers.join('-')}, B = ${cfg.window}, ${cfg.lanes} lanes`);
  console.log(`${n} INFER records: ${(cycles / n).toFixed(0)} cycles each, ${(n / wall).toFixed(0)} records/s, ${(cycles / wall / 1e6).toFixed(2)} M cycles/s (wall ${wall.toFixed(1)} s)`);
} finally {
  await t.close();
}
