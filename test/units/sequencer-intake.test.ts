/**
 * The record's intake and its pixel copy (generator/units/sequencer.ts, INTAKE / PX COPY): the copy into the
 * window runs behind the intake's writes, so the sequencer alone takes a record in about P + 1 cycles, not
 * 2P + 1; with a short first pass the intake waits for the step's next-layer loads (intakeAfterLoads). The
 * chip that schedules it so trains bit-exactly, and with the front end's two payload buffers
 * (generator/units/frontend.ts) it takes a sample in the sequencer's time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHIP, type ChipConfig } from '../../generator/config.js';
import { chip } from '../../generator/units/chip.js';
import { intakeAfterLoads, sequencer } from '../../generator/units/sequencer.js';
import { SimTransport } from '../../host/transport/sim.js';
import { ChipEngine } from '../../host/chip/engine.js';
import { loadMnistSubset } from './mnist-subset.js';
import { sequencerPeriods } from './sequencer-drive.js';

const SMALL: ChipConfig = { ...DEFAULT_CHIP, layers: [784, 8, 8, 10], window: 8 };

describe('sequencer intake', () => {
  it('waits for the step loads only when the first pass and the loads are shorter than a record', () => {
    // default: the layer-1 pass (128·12 + 4 cycles) outlasts the 785-byte intake
    expect(intakeAfterLoads(DEFAULT_CHIP)).toBe(false);
    // 8·12 + 4 + (8·12 + 5 + 8 + 13) = 222 < 785
    expect(intakeAfterLoads(SMALL)).toBe(true);
    // one hidden layer: the step loads nothing after its record
    expect(intakeAfterLoads({ ...SMALL, layers: [784, 8, 10] })).toBe(false);
    // 8 lanes: the layer-1 pass alone is 16·98 + 4 cycles
    expect(intakeAfterLoads({ ...SMALL, lanes: 8, layers: [784, 16, 8, 10] })).toBe(false);
    const wires = (c: ChipConfig) => sequencer(c).signals.map((s) => s.name);
    expect(wires(SMALL)).toContain('step_loads_owed');
    expect(wires(DEFAULT_CHIP)).not.toContain('step_loads_owed');
  });

  it('takes a record in about P + 1 cycles when the steps are short (the copy beside the intake)', async () => {
    const d = loadMnistSubset(60, 1).train;
    // the sequencer alone at 784-8-8-10, B = 8: 925 cycles a record (bench/sequencer.ts; 1,574 with the copy after
    // the intake), bound by the K_X row's pass over the 784 pixels after the previous step's modulator chain
    const r = await sequencerPeriods(SMALL, d.pixels as Uint8Array, d.y, 20);
    expect(r.steady).toBeGreaterThanOrEqual(785);
    expect(r.steady).toBeLessThan(1000);
  }, 300_000);
});

describe('chip with the intake after the step loads (784-8-8-10, B = 8)', () => {
  let t: SimTransport;
  beforeAll(async () => {
    t = await SimTransport.start(chip(SMALL), { checks: false });
  }, 600_000);
  afterAll(async () => t?.close());

  it('trains MNIST bit-exactly: the weights equal the fixed golden model every 30 steps', async () => {
    const d = loadMnistSubset(120, 1);
    const e = await ChipEngine.open(SMALL, t, 1, { check: 30 });
    e.beginEpoch();
    for (let k = 0; k < d.train.n; k++) e.trainSample(d.train, k);
    await e.flush();
    await e.compare();
  }, 600_000);

  it('takes a sample in well under 2·785 cycles: the front end receives the next frame while it forwards one', async () => {
    // bench/chip.ts, 1,500 samples: 929 cycles a sample (1,596 with one front-end buffer and the copy after the intake)
    const d = loadMnistSubset(200, 1);
    const e = await ChipEngine.open(SMALL, t, 1, {});
    e.beginEpoch();
    const c0 = t.cycles;
    for (let k = 0; k < d.train.n; k++) e.trainSample(d.train, k);
    await e.flush();
    expect((t.cycles - c0) / d.train.n).toBeLessThan(1000);
  }, 600_000);
});
