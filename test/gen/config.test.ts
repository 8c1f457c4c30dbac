import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHIP, configHash, loadChipConfig, validateChip, type ChipConfig } from '../../generator/config.js';

function load(obj: unknown): ChipConfig {
  const dir = mkdtempSync(join(tmpdir(), 'ibhebb-cfg-'));
  const f = join(dir, 'chip.json');
  writeFileSync(f, JSON.stringify(obj));
  return loadChipConfig(f);
}

describe('ChipConfig lanes and Gram array', () => {
  it('defaults: 64 lanes equal to the LFSR lanes, an 8×8 Gram array', () => {
    expect(validateChip(DEFAULT_CHIP).lanes).toBe(64);
    expect(DEFAULT_CHIP.numeric.lfsr.lanes).toBe(64);
    expect(DEFAULT_CHIP.gram).toEqual({ rows: 8, cols: 8 });
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
    expect(load({ gram: { rows: 4 } }).gram).toEqual({ rows: 4, cols: 8 });
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
