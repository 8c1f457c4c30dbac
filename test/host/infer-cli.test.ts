/**
 * `ibhebb infer`, as a user runs it: a weights file written by `train --weights-out` classifies the test
 * images with the same predictions on the fixed golden model, the reference chip model and the simulated
 * chip, and with the accuracy the training run reported; weights that do not fit the configuration, or are
 * not a weights file, are refused with a message naming what is wrong.
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/ibhebb.js', import.meta.url).pathname;
const run = (args: string[]) => execa('node', [BIN, ...args], { reject: false, all: true });

describe('ibhebb infer --weights FILE', () => {
  it('gives the training run\'s test accuracy and the same predictions on the golden model, the reference model and the simulated chip', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibhebb-infer-'));
    const cfg = join(dir, 'chip.json');
    // the small chip of test/host/chip-cli.test.ts's sim run (the same lean build)
    writeFileSync(cfg, JSON.stringify({ layers: [784, 16, 8, 10], window: 4, lanes: 8 }));
    const w = join(dir, 'w.bin');
    const t = await run(['train', '--engine', 'golden', '--numeric', 'fixed', '--config', cfg, '--train-limit', '160', '--test-limit', '40', '--epochs', '1', '--seed', '4', '--no-progress', '--weights-out', w, '--json', join(dir, 't.json')]);
    expect(t.exitCode, t.all).toBe(0);
    const trained = (JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')) as { epochs: { testAccuracy: number }[] }).epochs[0].testAccuracy;
    const preds: Record<string, string> = {};
    for (const engine of ['golden', 'mock', 'sim']) {
      const r = await run(['infer', '--engine', engine, '--config', cfg, '--weights', w, '--test-limit', '40', '--no-progress', '--json', join(dir, `${engine}.json`), '--predictions', join(dir, `${engine}.txt`)]);
      expect(r.exitCode, r.all).toBe(0);
      expect(r.all).toContain(`test accuracy ${(100 * trained).toFixed(2)}% on 40 images`);
      const report = JSON.parse(readFileSync(join(dir, `${engine}.json`), 'utf8')) as { accuracy: number; images: number; cyclesPerImage: number | null };
      expect(report).toMatchObject({ accuracy: trained, images: 40 });
      // the simulated chip counts its cycles: at least one pass over every weight word per image
      if (engine === 'sim') expect(report.cyclesPerImage).toBeGreaterThan(Math.ceil((16 * 785) / 8));
      else expect(report.cyclesPerImage).toBeNull();
      preds[engine] = readFileSync(join(dir, `${engine}.txt`), 'utf8');
      expect(preds[engine].trim().split('\n')).toHaveLength(40);
    }
    expect(preds.mock).toBe(preds.golden);
    expect(preds.sim).toBe(preds.golden);
  }, 600_000);

  it('refuses weights of another network, a file that is not a weights file, and a missing file, naming the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibhebb-infer-bad-'));
    const cfg = join(dir, 'chip.json');
    writeFileSync(cfg, JSON.stringify({ layers: [784, 16, 8, 10], window: 4, lanes: 8 }));
    const w = join(dir, 'w.bin');
    const t = await run(['train', '--engine', 'golden', '--numeric', 'fixed', '--config', cfg, '--train-limit', '8', '--test-limit', '4', '--epochs', '1', '--no-progress', '--weights-out', w]);
    expect(t.exitCode, t.all).toBe(0);
    // the default chip is 784-128-64-10
    const other = await run(['infer', '--engine', 'golden', '--weights', w]);
    expect(other.exitCode).toBe(2);
    expect(other.all).toContain(`--weights ${w}: its layers are 784→16, 16→8, 8→10, the configuration's 784→128, 128→64, 64→10`);
    const bad = join(dir, 'bad.bin');
    writeFileSync(bad, readFileSync(w).subarray(0, 100));
    const cut = await run(['infer', '--engine', 'golden', '--config', cfg, '--weights', bad]);
    expect(cut.exitCode).toBe(2);
    expect(cut.all).toContain(`--weights ${bad}: not a weights file of \`train --weights-out\` (weight file: truncated)`);
    const missing = await run(['infer', '--engine', 'golden', '--weights', join(dir, 'none.bin')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.all).toContain('cannot read it (ENOENT)');
    const port = await run(['infer', '--engine', 'golden', '--config', cfg, '--weights', w, '--port', '/dev/null']);
    expect(port.exitCode).toBe(2);
    expect(port.all).toContain('--port and --baud are for --engine uart');
  }, 120_000);
});
