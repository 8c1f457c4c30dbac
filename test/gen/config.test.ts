import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHIP, configHash, loadChipConfig, outputLanesOf, validateChip, type ChipConfig } from '../../generator/config.js';
import { loadChip } from '../../host/chip/config.js';

function load(obj: unknown): ChipConfig {
  const dir = mkdtempSync(join(tmpdir(), 'ibhebb-cfg-'));
  const f = join(dir, 'chip.json');
  writeFileSync(f, JSON.stringify(obj));
  return loadChipConfig(f);
}

describe('ChipConfig lanes and Gram array', () => {
  it('defaults: 66 lanes equal to the LFSR lanes, 22 output-layer lanes, an 8×1 Gram array', () => {
    expect(validateChip(DEFAULT_CHIP).lanes).toBe(66);
    expect(DEFAULT_CHIP.numeric.lfsr.lanes).toBe(66);
    expect(outputLanesOf(DEFAULT_CHIP)).toBe(22);
    expect(DEFAULT_CHIP.gram).toEqual({ rows: 8, cols: 1 });
  });
  it('lanes alone sets the LFSR lane count; LFSR lanes alone sets lanes', () => {
    const a = load({ lanes: 16 });
    expect(a.lanes).toBe(16);
    expect(a.numeric.lfsr.lanes).toBe(16);
    const b = load({ numeric: { lfsr: { lanes: 8 } } });
    expect(b.lanes).toBe(8);
  });
  it('refuses lanes that disagree with the LFSR lanes, naming both', () => {
    expect(() => load({ lanes: 16, numeric: { lfsr: { lanes: 8 } } })).toThrow(/numeric\.lfsr\.lanes.*must equal lanes \(16\)/);
  });
  it('refuses out-of-range lanes and array sizes, naming the field', () => {
    expect(() => load({ lanes: 0 })).toThrow(/lanes/);
    expect(() => load({ gram: { rows: 0 } })).toThrow(/gram\.rows/);
    expect(() => load({ gram: { cols: 2.5 } })).toThrow(/gram\.cols/);
    expect(load({ gram: { rows: 4 } }).gram).toEqual({ rows: 4, cols: 1 });
  });
});

describe('ChipConfig outputLanes', () => {
  it('kept below lanes; at or above lanes (or left out by a file that sets lanes) dropped, so the hash is the one without it', () => {
    expect(load({}).outputLanes).toBe(22);
    expect(load({ numeric: { lfsr: { lanes: 40 } } }).outputLanes).toBe(22); // lanes from the LFSR: output lanes stay the default's
    expect(configHash(load({}))).toBe(configHash(DEFAULT_CHIP));
    expect(load({ outputLanes: 8 }).outputLanes).toBe(8);
    const small = load({ lanes: 4 });
    expect(small.outputLanes).toBeUndefined();
    expect(outputLanesOf(small)).toBe(4);
    const { outputLanes: _drop, ...rest } = { ...DEFAULT_CHIP, lanes: 4, numeric: small.numeric };
    expect(configHash(small)).toBe(configHash(rest));
    expect(load({ lanes: 32 }).outputLanes).toBeUndefined();
    expect(load({ lanes: 48 }).outputLanes).toBeUndefined(); // lanes chosen, output lanes not: one per LFSR lane
    expect(load({ lanes: 48, outputLanes: 16 }).outputLanes).toBe(16);
    expect(load({ lanes: 48, outputLanes: 64 }).outputLanes).toBeUndefined();
    expect(outputLanesOf({ ...DEFAULT_CHIP, lanes: 8 })).toBe(8);
  });
  it('refuses a count that is not an integer in 1..256, naming the field', () => {
    expect(() => load({ outputLanes: 0 })).toThrow(/outputLanes/);
    expect(() => load({ outputLanes: 2.5 })).toThrow(/outputLanes/);
  });
});

describe('ChipConfig weightMemory', () => {
  it("'spram' is kept; 'block' (the default) is dropped, so the config and its hash equal the default's", () => {
    expect(load({ weightMemory: 'spram' }).weightMemory).toBe('spram');
    const b = load({ weightMemory: 'block' });
    expect('weightMemory' in b).toBe(false);
    expect(configHash(b)).toBe(configHash(load({})));
  });
  it('refuses another value, naming the field and the choices', () => {
    expect(() => load({ weightMemory: 'flash' })).toThrow(/weightMemory = "flash" must be 'block' or 'spram'/);
  });
});

describe('ChipConfig window and the row sums', () => {
  it('a window above 8 widens the default row-sum format to hold B gram words; a format the file sets is kept', () => {
    expect(load({}).numeric.rowSum.format).toBe('UQ4.16');
    expect(configHash(load({ window: 8 }))).toBe(configHash(DEFAULT_CHIP));
    expect(load({ window: 16 }).numeric.rowSum.format).toBe('UQ5.16');
    expect(load({ window: 33 }).numeric.rowSum.format).toBe('UQ7.16');
    const withLanes = load({ window: 16, lanes: 8 }); // lanes rewrite the LFSR section: the widening survives it
    expect([withLanes.numeric.rowSum.format, withLanes.numeric.lfsr.lanes]).toEqual(['UQ5.16', 8]);
    const narrow = { format: 'UQ3.16', rounding: 'nearest', overflow: 'saturate' };
    expect(load({ window: 16, numeric: { rowSum: narrow } }).numeric.rowSum.format).toBe('UQ3.16');
  });
  it('the commands that take --config check the fixed-point spec first: a row sum too narrow is named before anything is built', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'ibhebb-cfg-')), 'chip.json');
    writeFileSync(f, JSON.stringify({ window: 16, numeric: { rowSum: { format: 'UQ3.16', rounding: 'nearest', overflow: 'saturate' } } }));
    expect(() => loadChip(f)).toThrow(/chip\.json: numeric\.rowSum\.format: UQ3\.16 = ufixed<19,3> cannot hold the exact sum of 16 gram words/);
    writeFileSync(f, JSON.stringify({ window: 16 }));
    expect(loadChip(f).window).toBe(16);
  });
});
