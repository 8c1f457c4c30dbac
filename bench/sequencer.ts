/**
 * The sequencer alone (generator/units/sequencer.ts, every unit of the training step, without the front end and
 * the controller), its TRAIN records offered at full rate (test/units/sequencer-drive.ts):
 *
 *   node bin/run-ts.js bench/sequencer.ts [--config FILE] [--samples 300] [--warmup 50] [--trace FILE.fst]
 *
 * After a CLEAR, `samples` MNIST training records (784 pixels, label) wait on s_axis_px and each TRAIN command is
 * given as soon as rec_ready is high, so the period is the sequencer's own: its intake, its steps and their
 * background work, without the front end and the controller (bench/chip.ts measures the whole chip). Prints the cycles per record from record `warmup` on (the
 * window is full by then) and over the whole run. --trace writes an FST waveform of records `warmup` to
 * `warmup` + 4 (a separate build with tracing).
 */
import { DEFAULT_CHIP, loadChipConfig } from '../generator/config.js';
import { loadMnist } from '../host/data/mnist.js';
import { sequencerPeriods } from '../test/units/sequencer-drive.js';
import { arg } from './units/common.js';

const i = process.argv.indexOf('--config');
const cfg = i > 0 ? loadChipConfig(process.argv[i + 1]) : DEFAULT_CHIP;
const samples = arg('samples', 300);
const warmup = arg('warmup', 50);
const ti = process.argv.indexOf('--trace');
if (cfg.layers[0] !== 784) throw new RangeError(`bench/sequencer: MNIST records have 784 pixels; the configuration takes ${cfg.layers[0]}`);
const { pixels, y } = loadMnist().train;
if (!pixels) throw new Error('bench/sequencer: the MNIST set has no raw pixels');
const r = await sequencerPeriods(cfg, pixels, y.subarray(0, samples), warmup, ti > 0 ? process.argv[ti + 1] : undefined);
console.log(`config ${cfg.layers.join('-')}, B = ${cfg.window}, ${cfg.lanes} lanes, Gram ${cfg.gram.rows} × ${cfg.gram.cols}`);
console.log(`${samples} records: ${r.steady.toFixed(1)} cycles per record from record ${warmup} on; ${r.run.toFixed(1)} over the run (to quiet)`);
