/**
 * `ibhebb train` with a chip engine, as a user runs it: the chip (here the controller's reference model,
 * `--engine mock`) and `--engine golden --numeric fixed` built from the same --config write identical
 * weight files; chip-only options are refused where they make no sense.
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/ibhebb.js', import.meta.url).pathname;
const run = (args: string[]) => execa('node', [BIN, ...args], { reject: false, all: true });

describe('ibhebb train --engine mock --config FILE', () => {
  it('writes the same weight file as the fixed golden model of the same ChipConfig', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibhebb-chipcli-'));
    const cfg = join(dir, 'chip.json');
    writeFileSync(cfg, JSON.stringify({ layers: [784, 32, 16, 10], window: 5, lanes: 6, numeric: { lr: { hiddenShift: 2, hiddenMul: 1, outShift: 6, outMul: 1 } } }));
    const common = ['--config', cfg, '--train-limit', '200', '--test-limit', '50', '--epochs', '1', '--seed', '3', '--no-progress'];
    const a = await run(['train', '--engine', 'mock', ...common, '--check', '50', '--weights-out', join(dir, 'a.bin')]);
    expect(a.exitCode, a.all).toBe(0);
    const b = await run(['train', '--engine', 'golden', '--numeric', 'fixed', ...common, '--weights-out', join(dir, 'b.bin')]);
    expect(b.exitCode, b.all).toBe(0);
    expect(b.all).toContain('layers 784-32-16-10');
    expect(b.all).toContain('B=5');
    expect(b.all).toContain('lr 0.25 (out 0.015625)');
    expect(Buffer.compare(readFileSync(join(dir, 'a.bin')), readFileSync(join(dir, 'b.bin')))).toBe(0);
  });

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
