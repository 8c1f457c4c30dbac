/**
 * The iCEBreaker's UART link end to end: the UP5K engine's board core (ucore_board_core: UART, receive FIFO, idle
 * timer, the core running the serving program) as `ibhebb build --board icebreaker` makes it, at the line the build
 * picks (the fastest standard baud the receive loop keeps pace with: 3 Mbaud, 16 clock cycles a bit at 48 MHz),
 * verilated behind a pseudo-terminal with a host-side UART pin to pin. `ibhebb train --engine uart --port PTY` (the
 * CLI in its own process, through the serialport package) trains MNIST on it; its checkpoint (weights, biases and
 * LFSR states read over the link: READ_WEIGHTS, READ_LFSR), its saturation counters (READ_COUNTERS when the
 * training ended, in the train JSON's fixed.saturations) and its test accuracy (INFER) equal those of `--engine golden --numeric fixed` on the
 * same configuration.
 *
 * SAMPLES: 300 training samples (297 full-window steps) and 8 test images. The verilated board runs 2.5–3 million
 * cycles/s; the run is about 130 million cycles: the weights loaded at the start (LOAD_WEIGHTS) and read for the
 * checkpoint, 50,900 bytes each way at 160 cycles, and a sample about 0.3 million (the host sends 5-record TRAIN
 * frames alone, 3,934 bytes, then the core computes the five steps). That is 53 s on a busy two-core machine, the
 * whole test about 70 s (bench/RESULTS.md, "UP5K engine: the UART link end to end").
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChipConfig } from '../../generator/config.js';
import { loadBoard } from '../../host/boards/board.js';
import { baudForLoop, ucoreReceiveCycles } from '../../host/boards/ucore.js';
import { ucoreServed } from '../../host/cli/serve.js';
import { loadCheckpoint } from '../../host/checkpoint.js';
import { PtyBridge } from '../../host/transport/pty.js';
import { QUANTITIES } from '../../generator/numeric.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';

const BIN = new URL('../../bin/ibhebb.js', import.meta.url).pathname;
const CONFIG = 'boards/icebreaker/chip.json';
const TRAIN = 300;
const TEST = 8;
const CLOCK_HZ = 48e6;

describe('iCEBreaker UART link: ibhebb train --engine uart on the verilated ucore board behind a PTY', () => {
  const cfg = loadChipConfig(CONFIG);
  const board = loadBoard('icebreaker');
  const link = join(tmpdir(), `ibhebb-ucore-tty-${process.pid}`);
  let bridge: PtyBridge;
  let baud = 0;
  beforeAll(async () => {
    // the design and line as the build picks them (host/boards/build.ts), as `ibhebb serve --board icebreaker`
    // serves them: the receive loop's cycles a byte on the core's timing give the fastest baud it keeps pace with
    const paced = baudForLoop(CLOCK_HZ, await ucoreReceiveCycles(cfg), board.uart.maxBaud);
    expect(paced).not.toBeNull();
    const served = await ucoreServed(cfg, board);
    baud = served.baud;
    expect(baud).toBe(paced);
    const model = await buildFromIr(served.top, served.build);
    await model.reset(4);
    bridge = await PtyBridge.start(model, { link, ...(served.idleCycles ? { idleCycles: served.idleCycles } : {}) });
    expect(existsSync(link)).toBe(true);
  }, 900_000);
  afterAll(async () => {
    await bridge?.close();
    await bridge?.model.close();
  });

  it(`trains ${TRAIN} MNIST samples through the link bit-exactly with the fixed golden model: checkpoint (weights, LFSR states), saturation counters, test accuracy`, async () => {
    // the board's FIFO and default line are the build's
    expect(board.uart.defaultBaud).toBe(baud);
    const dir = mkdtempSync(join(tmpdir(), 'ibhebb-ucore-link-'));
    const common = ['train', '--config', CONFIG, '--dataset', 'mnist', '--train-limit', String(TRAIN), '--test-limit', String(TEST), '--epochs', '1', '--seed', '11', '--no-progress'];
    const out = (k: string) => ['--checkpoint', join(dir, `${k}.ckpt`), '--json', join(dir, `${k}.json`)];
    // the golden model first (the board's clock is stopped meanwhile), then the board through the link; its
    // weights are read once, for the checkpoint (50,900 bytes: 8 million cycles at 3 Mbaud)
    const g = await execa('node', [BIN, ...common, '--engine', 'golden', '--numeric', 'fixed', ...out('g')], { reject: false, all: true });
    expect(g.exitCode, g.all).toBe(0);
    const t0 = Date.now();
    const c0 = bridge.cycles;
    const u = await execa('node', [BIN, ...common, '--engine', 'uart', '--port', link, '--baud', String(baud), ...out('u')], { reject: false, all: true });
    const seconds = (Date.now() - t0) / 1000;
    const cycles = bridge.cycles - c0;
    expect(u.exitCode, u.all).toBe(0);
    // the checkpoint: the chip's weights, biases and LFSR states (read over the link: READ_WEIGHTS, READ_LFSR) in the
    // fixed engine's array names, against the golden model's
    const [cu, cg] = ['u', 'g'].map((k) => loadCheckpoint(join(dir, `${k}.ckpt`)));
    const layers = cfg.layers.length - 1;
    const names = Array.from({ length: layers }, (_, l) => [`W${l}`, `b${l}`, `lfsr${l}`]).flat();
    expect(Object.keys(cu.arrays).sort()).toEqual([...names].sort());
    for (const k of names) expect(Array.from(cu.arrays[k] as ArrayLike<number>), k).toEqual(Array.from(cg.arrays[k] as ArrayLike<number>));
    expect(cu.arrays.lfsr0.length).toBe(cfg.lanes);
    type Sats = Record<string, { high: number; low: number } | { total: number }>;
    type Report = { epochs: { testAccuracy: number; trainSamples: number }[]; fixed?: { saturations: Sats } };
    const [ru, rg] = ['u', 'g'].map((k) => JSON.parse(readFileSync(join(dir, `${k}.json`), 'utf8')) as Report);
    expect(ru.epochs.map((e) => e.trainSamples)).toEqual([TRAIN]);
    expect(ru.epochs.map((e) => e.testAccuracy)).toEqual(rg.epochs.map((e) => e.testAccuracy));
    // the board's saturation counters in the JSON (READ_COUNTERS when the training ended: a quantity's high and
    // low clamps together), against the golden model's
    const sat = rg.fixed!.saturations as Record<string, { high: number; low: number }>;
    const total = ru.fixed!.saturations as Record<string, { total: number }>;
    expect(Object.keys(total)).toEqual([...QUANTITIES]);
    const counts = QUANTITIES.map((q) => total[q].total);
    expect(counts.some((v) => v > 0), 'some clamps counted').toBe(true);
    expect(counts).toEqual(QUANTITIES.map((q) => (sat[q] ? sat[q].high + sat[q].low : 0)));
    console.log(`[ucore link] saturations ${counts.join(' ')}`);
    // no byte lost or garbled on the line
    expect(await bridge.model.peek('overruns')).toBe(0);
    expect(await bridge.model.peek('frame_errors')).toBe(0);
    console.log(`[ucore link] ${TRAIN} samples + ${TEST} inferences at ${baud} baud: ${cycles} cycles in ${seconds.toFixed(1)} s (${Math.round(cycles / seconds)} cycles/s, ${(TRAIN / seconds).toFixed(2)} samples/s through the PTY with the CLI's start-up)`);
  }, 600_000);
});
