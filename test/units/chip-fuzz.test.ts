/**
 * The whole chip (front end, controller, units) under ≥ 10,000 fuzz frames (test/units/chip-fuzz.ts):
 * every malformed frame gets its error frame or is dropped as docs/protocol.md says, every well-formed
 * one the reference model's answer, nothing hangs, and the weights and LFSR states read back unchanged
 * (with TRAIN frames among them: as the reference model trained them, resets included).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chip } from '../../generator/units/chip.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/index.js';
import { FUZZ_TIMEOUT_CYCLES, fuzzChip, fuzzConfig } from './chip-fuzz.js';

describe('chip fuzz', () => {
  const cfg = fuzzConfig();
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(chip(cfg, { timeoutCycles: FUZZ_TIMEOUT_CYCLES }));
  }, 600_000);
  afterAll(async () => {
    await m?.close();
  });

  it('answers 10,000 frames of every kind as the protocol and the reference model say, and keeps its state', async () => {
    const r = await fuzzChip(m, cfg, { frames: 10_000, seed: 1, timeoutCycles: FUZZ_TIMEOUT_CYCLES });
    expect(r.problems).toEqual([]);
    expect(r.frames).toBeGreaterThanOrEqual(10_000);
    for (const k of ['badCrc', 'badHeader', 'unknownOp', 'badLength', 'tooLong', 'outOfRange', 'truncated', 'read', 'refusedParams', 'resetCommand']) {
      expect(r.perKind[k] ?? 0, k).toBeGreaterThan(50);
    }
    for (const k of ['garbage', 'timeout', 'rst']) expect(r.perKind[k] ?? 0, k).toBeGreaterThan(5);
  }, 600_000);

  it('with TRAIN frames (1 … 5 records) among them: the same, and the learning state reads back as the reference model trained it', async () => {
    const r = await fuzzChip(m, cfg, { frames: 10_000, seed: 2, timeoutCycles: FUZZ_TIMEOUT_CYCLES, train: true, trainRecords: 5 });
    expect(r.problems).toEqual([]);
    expect(r.perKind.train).toBeGreaterThan(300);
    expect(r.perKind.resetCommand! + r.perKind.rst!).toBeGreaterThan(50);
  }, 600_000);

  // The run that found the loader-slot race (a record's intake waiting in START when the step's next-layer load
  // took the loader: that load went to the intake's slot; at frame ~74,000 of seed 1): 100,000 frames, ~30 s.
  it('100,000 frames with TRAIN frames (1 … 5 records, seed 1): the same', async () => {
    const r = await fuzzChip(m, cfg, { frames: 100_000, seed: 1, timeoutCycles: FUZZ_TIMEOUT_CYCLES, train: true, trainRecords: 5 });
    expect(r.problems).toEqual([]);
    expect(r.perKind.train).toBeGreaterThan(3000);
  }, 900_000);
});
