/**
 * `ibhebb train` with a chip engine, as a user runs it: the chip (here the controller's reference model,
 * `--engine mock`) and `--engine golden --numeric fixed` built from the same --config write identical
 * weight files and the same saturation counts; chip-only options are refused where they make no sense.
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint } from '../../host/checkpoint.js';
import { QUANTITIES } from '../../generator/numeric.js';

const BIN = new URL('../../bin/ibhebb.js', import.meta.url).pathname;
const run = (args: string[]) => execa('node', [BIN, ...args], { reject: false, all: true });

describe('ibhebb train --engine mock --config FILE', () => {
  it('writes the same weight file as the fixed golden model of the same ChipConfig', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibhebb-chipcli-'));
    const cfg = join(dir, 'chip.json');
    writeFileSync(cfg, JSON.stringify({ layers: [784, 32, 16, 10], window: 5, lanes: 6, numeric: { lr: { hiddenShift: 2, hiddenMul: 1, outShift: 6, outMul: 1 } } }));
    const common = ['--config', cfg, '--train-limit', '200', '--test-limit', '50', '--epochs', '1', '--seed', '3', '--no-progress'];
    const a = await run(['train', '--engine', 'mock', ...common, '--check', '50', '--weights-out', join(dir, 'a.bin'), '--json', join(dir, 'a.json')]);
    expect(a.exitCode, a.all).toBe(0);
    const b = await run(['train', '--engine', 'golden', '--numeric', 'fixed', ...common, '--weights-out', join(dir, 'b.bin'), '--json', join(dir, 'b.json')]);
    expect(b.exitCode, b.all).toBe(0);
    expect(b.all).toContain('layers 784-32-16-10');
    expect(b.all).toContain('B=5');
    expect(b.all).toContain('lr 0.25 (out 0.015625)');
    expect(Buffer.compare(readFileSync(join(dir, 'a.bin')), readFileSync(join(dir, 'b.bin')))).toBe(0);
    // the chip's saturation counters (READ_COUNTERS: high and low together) in the JSON, against the golden model's
    const sats = (f: string) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { fixed: { saturations: Record<string, { total?: number; high?: number; low?: number }> } }).fixed.saturations;
    const [sa, sb] = [sats('a.json'), sats('b.json')];
    expect(Object.keys(sa)).toEqual([...QUANTITIES]);
    expect(QUANTITIES.map((q) => sa[q].total)).toEqual(QUANTITIES.map((q) => (sb[q]?.high ?? 0) + (sb[q]?.low ?? 0)));
  });

  it('--checkpoint / --resume: a run resumed from its epoch-1 checkpoint ends with the weights of an uninterrupted one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibhebb-chipck-'));
    const cfg = join(dir, 'chip.json');
    writeFileSync(cfg, JSON.stringify({ layers: [784, 16, 8, 10], window: 4, lanes: 5 }));
    const ck = join(dir, 'run.ckpt');
    const common = ['--engine', 'mock', '--config', cfg, '--train-limit', '120', '--test-limit', '30', '--seed', '5', '--no-progress'];
    const whole = await run(['train', ...common, '--epochs', '2', '--weights-out', join(dir, 'whole.bin'), '--json', join(dir, 'whole.json')]);
    expect(whole.exitCode, whole.all).toBe(0);
    const first = await run(['train', ...common, '--epochs', '1', '--checkpoint', ck, '--weights-out', join(dir, 'first.bin')]);
    expect(first.exitCode, first.all).toBe(0);
    // the checkpoint holds the chip's weights and LFSR states in the fixed engine's array names
    const saved = loadCheckpoint(ck);
    expect(Object.keys(saved.arrays).sort()).toEqual(['W0', 'W1', 'W2', 'b0', 'b1', 'b2', 'lfsr0', 'lfsr1', 'lfsr2']);
    expect(saved.arrays.lfsr0.length).toBe(5);
    expect((saved.meta as { position: unknown }).position).toEqual({ epoch: 2, offset: 0 });
    // --check on the resumed run: the golden model beside the chip starts from the checkpoint's state too
    const resumed = await run(['train', '--checkpoint', ck, '--resume', '--epochs', '2', '--engine', 'mock', '--check', '20', '--no-progress', '--weights-out', join(dir, 'resumed.bin'), '--json', join(dir, 'resumed.json')]);
    expect(resumed.exitCode, resumed.all).toBe(0);
    expect(resumed.all).toContain('resuming at epoch 2, sample 0');
    const a = readFileSync(join(dir, 'whole.bin'));
    expect(Buffer.compare(a, readFileSync(join(dir, 'first.bin'))), 'epoch 2 changed the weights').not.toBe(0);
    expect(Buffer.compare(a, readFileSync(join(dir, 'resumed.bin')))).toBe(0);
    const acc = (f: string) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { epochs: { testAccuracy: number }[] }).epochs.map((e) => e.testAccuracy);
    expect(acc('resumed.json')).toEqual(acc('whole.json'));
    // chip figures of every epoch: the reference model counts no cycles (null), the bound is ⌈words / lanes⌉
    const words = 16 * 785 + 8 * 17 + 10 * 9;
    const epochs = (JSON.parse(readFileSync(join(dir, 'whole.json'), 'utf8')) as { epochs: Record<string, unknown>[] }).epochs;
    expect(epochs).toHaveLength(2);
    for (const e of epochs) expect(e).toMatchObject({ cyclesPerSample: null, cyclesSource: null, boundCyclesPerSample: Math.ceil(words / 5), simCyclesPerSecond: null });
    expect(whole.all).toContain(`bound ${Math.ceil(words / 5).toLocaleString('en-US')}`);
    // the last epoch's figures are the report's `chip` object, which sweeps collect
    expect(JSON.parse(readFileSync(join(dir, 'whole.json'), 'utf8')).chip).toEqual({ cyclesPerSample: null, cyclesSource: null, boundCyclesPerSample: Math.ceil(words / 5), simCyclesPerSecond: null });
    // a resumed state from another chip configuration is refused, naming the mismatch
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ layers: [784, 16, 8, 10], window: 4, lanes: 4 }));
    const bad = await run(['train', '--checkpoint', ck, '--resume', '--config', other, '--engine', 'mock', '--no-progress']);
    expect(bad.exitCode, bad.all).toBe(2);
    expect(bad.all).toMatch(/--resume: --config .* differs from the checkpoint's/);
  }, 120_000);

  it('refuses options that do not fit a chip engine, naming them', async () => {
    const cases: [string[], RegExp][] = [
      [['--engine', 'mock', '--numeric', 'float'], /--engine mock: the chip computes in fixed point/],
      [['--engine', 'golden', '--check', '10'], /--check: compares a chip engine/],
      [['--engine', 'golden', '--config', 'x.json'], /--config: a ChipConfig drives the fixed-point model/],
      [['--engine', 'mock', '--dataset', 'xor'], /the chip takes u8 pixel images/],
      [['--engine', 'uart', '--train-limit', '20'], /--engine uart needs --port PATH/],
    ];
    for (const [args, re] of cases) {
      const r = await run(['train', ...args, '--epochs', '1', '--no-progress']);
      expect(r.exitCode, r.all).toBe(2);
      expect(r.all).toMatch(re);
    }
  });
});

describe('ibhebb train --engine sim --checkpoint / --resume', () => {
  it('a run on the simulated chip resumed from its epoch-1 checkpoint ends with the weights of an uninterrupted one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibhebb-simck-'));
    const cfg = join(dir, 'chip.json');
    // the small chip of test/units/chip.test.ts (784-16-8-10, B = 4, 8 lanes), built lean as `train` builds it
    writeFileSync(cfg, JSON.stringify({ layers: [784, 16, 8, 10], window: 4, lanes: 8 }));
    const ck = join(dir, 'run.ckpt');
    const common = ['--engine', 'sim', '--config', cfg, '--train-limit', '24', '--test-limit', '8', '--seed', '9', '--no-progress'];
    const whole = await run(['train', ...common, '--epochs', '2', '--weights-out', join(dir, 'whole.bin'), '--json', join(dir, 'whole.json')]);
    expect(whole.exitCode, whole.all).toBe(0);
    const first = await run(['train', ...common, '--epochs', '1', '--checkpoint', ck]);
    expect(first.exitCode, first.all).toBe(0);
    const resumed = await run(['train', '--checkpoint', ck, '--resume', '--epochs', '2', '--engine', 'sim', '--no-progress', '--weights-out', join(dir, 'resumed.bin')]);
    expect(resumed.exitCode, resumed.all).toBe(0);
    expect(Buffer.compare(readFileSync(join(dir, 'whole.bin')), readFileSync(join(dir, 'resumed.bin')))).toBe(0);
    // the simulated chip's figures: cycles per sample on its clock, at least the bound, and the simulation's speed
    const epochs = (JSON.parse(readFileSync(join(dir, 'whole.json'), 'utf8')) as { epochs: { cyclesPerSample: number; cyclesSource: string; boundCyclesPerSample: number; simCyclesPerSecond: number }[] }).epochs;
    for (const e of epochs) {
      expect(e.cyclesSource).toBe('sim');
      expect(e.cyclesPerSample).toBeGreaterThanOrEqual(e.boundCyclesPerSample);
      expect(e.simCyclesPerSecond).toBeGreaterThan(0);
    }
  }, 900_000);
});
