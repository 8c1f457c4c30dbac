/**
 * The whole chip co-simulated (generator/units/chip.ts behind the sim transport, driven by the host driver
 * exactly as `train --engine sim` drives it):
 *
 *   node bin/run-ts.js bench/chip.ts [--config FILE] [--samples 2000] [--check 0] [--sim-checks] [--opt-fast "-O2"] [--no-profile]
 *
 * Trains the first `samples` MNIST training images (TRAIN frames of one record, pipelined as the CLI sends
 * them) and prints: the Verilator build time, cycles per training sample (simulated clock cycles of the
 * whole run / samples, bytes in and out included) against the bound ⌈weights / lanes⌉, samples per second
 * of wall time (host, pipes and model), simulated cycles per second. With --check N the fixed golden model
 * runs beside it and the weights are compared every N steps (and at the end). As `train --engine sim`, the
 * runner's per-cycle stream checks are off unless --sim-checks, and then the model is built profile-guided
 * from a short training run (host/chip/profile.ts) as `train` builds it, unless --no-profile.
 */
import { DEFAULT_CHIP, loadChipConfig } from '../generator/config.js';
import { chip } from '../generator/units/chip.js';
import { protocolSpec } from '../generator/protocol.js';
import { SimTransport } from '../host/transport/sim.js';
import { ChipEngine } from '../host/chip/engine.js';
import { readFileSync } from 'node:fs';
import { loadMnist } from '../host/data/mnist.js';
import { chipProfileWorkload } from '../host/chip/profile.js';
import { arg, flag } from './units/common.js';

/** User + system CPU seconds of a process so far (Linux /proc; clock ticks of 1/100 s). */
function modelCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) throw new Error('bench: the model process has no pid');
  const f = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / 100;
}

const i = process.argv.indexOf('--config');
const cfg = i > 0 ? loadChipConfig(process.argv[i + 1]) : DEFAULT_CHIP;
const samples = arg('samples', 2000);
const check = arg('check', 0);
const spec = protocolSpec(cfg);
const bound = Math.ceil(spec.weightWords / cfg.lanes);

const t0 = performance.now();
const oi = process.argv.indexOf('--opt-fast');
// --opt-fast FLAGS: other C++ optimisation flags (a separate cache entry)
const mnist = loadMnist();
const profile = !flag('sim-checks') && !flag('no-profile') ? { profile: chipProfileWorkload(cfg, mnist.train) } : {};
const t = await SimTransport.start(chip(cfg), { checks: flag('sim-checks'), ...(oi > 0 ? { optFast: process.argv[oi + 1] } : {}), ...profile });
const build = (performance.now() - t0) / 1000;
try {
  const e = await ChipEngine.open(cfg, t, 1, { check });
  const c0 = t.cycles;
  const cpu0 = modelCpuSeconds(t.model.pid);
  const w0 = performance.now();
  e.beginEpoch();
  for (let k = 0; k < samples; k++) {
    e.trainSample(mnist.train, k);
    if (k % 200 === 199) await e.flush();
  }
  await e.flush();
  const cycles = t.cycles - c0;
  const wall = (performance.now() - w0) / 1000;
  const cpu = modelCpuSeconds(t.model.pid) - cpu0;
  if (check) await e.compare();
  const c = await e.client.readCounters();
  console.log(`config ${cfg.layers.join('-')}, B = ${cfg.window}, ${cfg.lanes} lanes; build (or cache) ${build.toFixed(1)} s; stream checks ${flag('sim-checks') ? 'on' : 'off'}`);
  console.log(`${samples} samples, ${c.steps} steps: ${cycles} cycles, ${(cycles / samples).toFixed(0)} cycles/sample (bound ${bound}: ${(cycles / samples / bound).toFixed(2)}×)`);
  console.log(`chip busy ${c.busyCycles} cycles, stalled ${c.stalledCycles}`);
  console.log(`${(samples / wall).toFixed(0)} samples/s, ${(cycles / wall / 1e6).toFixed(2)} M cycles/s (wall ${wall.toFixed(1)} s)${check ? ', weights equal the golden model' : ''}`);
  // the model process's own CPU time: on a shared machine the wall clock counts other work too, this does not
  // (much); samples per model CPU-second is the rate the co-simulation reaches when the model has a core to itself
  console.log(`model process CPU ${cpu.toFixed(1)} s: ${(samples / cpu).toFixed(0)} samples and ${(cycles / cpu / 1e6).toFixed(2)} M cycles per CPU-second`);
} finally {
  await t.close();
}
