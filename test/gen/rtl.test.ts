/**
 * The checked-in Verilog of the default configuration (rtl/default) is exactly what the generator emits,
 * and every module of it is clean in Verilator, Yosys and Icarus. `ibhebb gen` with a config file.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execa } from 'execa';
import { DEFAULT_CHIP } from '../../generator/config.js';
import { generateFiles } from '../../generator/gen.js';
import { designModules } from '../../generator/design.js';
import { expectToolsClean } from '../generator/tool-checks.js';

const RTL = new URL('../../rtl/default/', import.meta.url).pathname;
const BIN = new URL('../../bin/ibhebb.js', import.meta.url).pathname;
const REGEN = 'run `npx ibhebb gen --out rtl/default` and commit the diff';

describe('rtl/default', () => {
  it('equals the generator output for the default configuration, file by file', () => {
    const want = generateFiles(DEFAULT_CHIP);
    expect(readdirSync(RTL).sort(), REGEN).toEqual(want.map((f) => f.name));
    for (const f of want) expect(readFileSync(join(RTL, f.name), 'utf8'), `${f.name}: ${REGEN}`).toBe(f.content);
  });

  // one test per module: each gets its own time budget (synthesis of a unit takes tens of seconds). Generic
  // synthesis turns the working memory's 40 block RAMs into ~76k flip-flops and takes the 8×8 Gram array's 64
  // multipliers to gates, minutes each; the Hebbian unit's 64 weight banks (1.8 Mbit) and the output layer's
  // 64 lane multipliers likewise: these are synthesized at small shapes in their unit tests and at the default
  // for iCE40 / Xilinx in bench/units (bench/RESULTS.md); here they are linted and parsed. The modulator with
  // the all-slot window stream likewise (its B ξ multipliers; synthesized at a small shape in its unit test),
  // and the sequencer and the chip top, which hold all of them (synthesized per board by `ibhebb build`, bench/RESULTS.md)
  const synthInBench = new Set(['wm', 'gram', 'hebbian', 'output_layer', 'modulator_wide', 'sequencer', 'chip']);
  for (const top of designModules(DEFAULT_CHIP)) {
    const synth = !synthInBench.has(top.name);
    it(`${top.name}: lints with zero warnings, ${synth ? 'synthesizes without latches ' : ''}and parses in Icarus`, async () => {
      await expectToolsClean(top, { synth });
    }, 600_000); // generic synthesis flattens memories into flip-flops: the front end's 32-Kbit buffer takes ~30 s of CPU
  }
});

describe('ibhebb gen --config', () => {
  it('follows the configuration and rejects a bad one naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibhebb-gen-'));
    const cfg = join(dir, 'chip.json');
    writeFileSync(cfg, JSON.stringify({ numeric: { lfsr: { width: 24, rbits: 8, leap: 8, lanes: 64, seed: 5 } } }));
    const out = join(dir, 'rtl');
    const r = await execa('node', [BIN, 'gen', '--config', cfg, '--out', out], { reject: false, all: true });
    expect(r.exitCode, r.all).toBe(0);
    const names = readdirSync(out);
    expect(names.some((n) => /^lfsr_w24_.*_r8_l8\.v$/.test(n)), names.join(' ')).toBe(true);
    expect(names).toContain('bindings.ts');
    expect(readFileSync(join(out, 'bindings.ts'), 'utf8')).toMatch(/"width": 24/);
    expect(r.stdout).toMatch(/; 64 Hebbian lanes; /); // 64 lanes: one row group

    // lanes without row groups: chosen (48 lanes: 3) and said
    writeFileSync(cfg, JSON.stringify({ lanes: 48 }));
    const grouped = await execa('node', [BIN, 'gen', '--config', cfg, '--out', out], { reject: false, all: true });
    expect(grouped.exitCode, grouped.all).toBe(0);
    expect(grouped.stdout).toMatch(/; 48 Hebbian lanes in 3 row groups; /);
    expect(readFileSync(join(out, 'hebbian.v'), 'utf8')).toMatch(/bias_mem_g2\b/);

    writeFileSync(cfg, JSON.stringify({ window: 1 }));
    const bad = await execa('node', [BIN, 'gen', '--config', cfg, '--out', out], { reject: false, all: true });
    expect(bad.exitCode).toBe(2);
    expect(bad.all).toMatch(/chip\.json: window = 1 must be an integer in 2\.\.1024/);
    writeFileSync(cfg, JSON.stringify({ windw: 8 }));
    const typo = await execa('node', [BIN, 'gen', '--config', cfg, '--out', out], { reject: false, all: true });
    expect(typo.all).toMatch(/unknown field 'windw'/);
  });
});
