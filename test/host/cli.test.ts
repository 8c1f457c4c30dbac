/**
 * The CLI end to end, as a user runs it: a real process, real files.
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/ibhebb.js', import.meta.url).pathname;
const run = (args: string[]) => execa('node', [BIN, ...args], { reject: false, all: true });
const tmp = () => mkdtempSync(join(tmpdir(), 'ibhebb-cli-'));

function layersOf(file: string): unknown {
  return (JSON.parse(readFileSync(file, 'utf8')) as { layers: unknown }).layers;
}

describe('ibhebb train', () => {
  it('reaches ≥ 90% on xor with the defaults and writes the JSON report', async () => {
    const dir = tmp();
    const json = join(dir, 'out.json');
    const r = await run(['train', '--engine', 'golden', '--dataset', 'xor', '--json', json]);
    expect(r.exitCode, r.all).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      config: { dataset: string; train: { layers: number[] } };
      epochs: { epoch: number; testAccuracy: number; trainSamples: number; seconds: number; samplesPerSecond: number }[];
    };
    expect(report.config.dataset).toBe('xor');
    expect(report.epochs.length).toBeGreaterThan(0);
    report.epochs.forEach((e, i) => {
      expect(e.epoch).toBe(i + 1);
      expect(e.trainSamples).toBe(900);
      expect(e.seconds).toBeGreaterThan(0);
      expect(e.samplesPerSecond).toBeGreaterThan(0);
    });
    expect(report.epochs.at(-1)!.testAccuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('rejects bad options with a message naming the option', async () => {
    const cases: [string[], RegExp][] = [
      [['--window', '1'], /--window: 1 is out of range \(must be ≥ 2\)/],
      [['--window', '2.5'], /--window: '2\.5' must be an integer/],
      [['--sigma', '1,2'], /--sigma: expected 3 comma-separated values, got 2/],
      [['--lr', '-1'], /--lr: -1 is out of range \(must be > 0\)/],
      [['--lr', 'fast'], /--lr: 'fast' is not a number/],
      [['--variant', 'Q'], /--variant: 'Q' is not one of P, F, E, J/],
      [['--dataset', 'xor', '--layers', '784,10,2'], /--layers: the input width is 784 but xor has 2 features/],
      [['--dataset', 'xor', '--layers', '2,8,3'], /--layers: the output width is 3 but xor has 2 classes/],
      [['--resume'], /--resume needs --checkpoint FILE/],
      [['--lanes', '4'], /--lanes: only the fixed-point arithmetic has lanes/],
      [['--numeric', 'fixed', '--lanes', '0'], /--lanes: 0 is out of range \(must be ≥ 1\)/],
      [['--data-dir', '/nonexistent-dir'], /nonexistent-dir/],
    ];
    for (const [args, message] of cases) {
      const r = await run(['train', ...args, '--epochs', '1']);
      expect(r.exitCode, args.join(' ')).toBe(2);
      expect(r.all, args.join(' ')).toMatch(message);
      expect(r.all, args.join(' ')).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  it('a run resumed from an epoch checkpoint ends with exactly the weights of an uninterrupted run', async () => {
    const dir = tmp();
    const common = ['train', '--dataset', 'xor', '--seed', '7'];
    const full = await run([...common, '--epochs', '4', '--weights-out', join(dir, 'full.json')]);
    expect(full.exitCode, full.all).toBe(0);
    const ck = join(dir, 'run.ckpt');
    const first = await run([...common, '--epochs', '2', '--checkpoint', ck]);
    expect(first.exitCode, first.all).toBe(0);
    const refused = await run([...common, '--checkpoint', ck, '--resume', '--seed', '8']);
    expect(refused.exitCode).toBe(2);
    expect(refused.all).toMatch(/--resume: --seed 8 differs from the checkpoint's 7/);
    const rest = await run([...common, '--epochs', '4', '--checkpoint', ck, '--resume', '--weights-out', join(dir, 'resumed.json')]);
    expect(rest.exitCode, rest.all).toBe(0);
    expect(rest.all).toMatch(/resuming at epoch 3, sample 0/);
    expect(layersOf(join(dir, 'resumed.json'))).toEqual(layersOf(join(dir, 'full.json')));
  });

  it('Ctrl-C mid-epoch saves a checkpoint from which the run ends bit-identically', async () => {
    const dir = tmp();
    const common = ['train', '--dataset', 'mnist', '--train-limit', '3000', '--test-limit', '200', '--layers', '784,32,16,10', '--epochs', '2', '--no-progress'];
    const full = await run([...common, '--weights-out', join(dir, 'full.json')]);
    expect(full.exitCode, full.all).toBe(0);
    const ck = join(dir, 'run.ckpt');
    const child = execa('node', [BIN, ...common, '--checkpoint', ck], { reject: false, all: true });
    // interrupt once training has started
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ibhebb train:')) setTimeout(() => { child.kill('SIGINT'); resolve(); }, 300);
      });
    });
    const r = await child;
    expect(r.all).toMatch(/interrupted at epoch \d, sample \d+; state saved/);
    expect(r.exitCode).toBe(130);
    const rest = await run([...common, '--checkpoint', ck, '--resume', '--weights-out', join(dir, 'resumed.json')]);
    expect(rest.exitCode, rest.all).toBe(0);
    expect(layersOf(join(dir, 'resumed.json'))).toEqual(layersOf(join(dir, 'full.json')));
  });

  it("--numeric fixed: the chip's arithmetic learns xor, reports formats and saturations, and writes identical raw weight files for the same seed", async () => {
    const dir = tmp();
    const args = ['train', '--numeric', 'fixed', '--dataset', 'xor', '--epochs', '3', '--format', 'weight=Q4.12'];
    const a = await run([...args, '--json', join(dir, 'a.json'), '--weights-out', join(dir, 'a.bin')]);
    expect(a.exitCode, a.all).toBe(0);
    const b = await run([...args, '--weights-out', join(dir, 'b.bin')]);
    expect(b.exitCode, b.all).toBe(0);
    const wa = readFileSync(join(dir, 'a.bin'));
    expect(wa.length).toBeGreaterThan(2 * (2 * 16 + 16 * 16 + 16 * 2));
    expect(wa.equals(readFileSync(join(dir, 'b.bin')))).toBe(true);
    const report = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')) as {
      epochs: { testAccuracy: number }[];
      fixed: { formats: Record<string, string>; saturations: Record<string, { high: number; low: number }>; memoryBits: { total: number } };
    };
    expect(report.epochs.at(-1)!.testAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(report.fixed.formats.weight).toMatch(/Q4\.12.*fixed<16,4>/);
    expect(report.fixed.saturations.weight).toEqual({ high: expect.any(Number), low: expect.any(Number) });
    expect(report.fixed.memoryBits.total).toBeGreaterThan(0);
    const c = await run([...args, '--seed', '43', '--weights-out', join(dir, 'c.bin')]);
    expect(c.exitCode, c.all).toBe(0);
    expect(readFileSync(join(dir, 'c.bin')).equals(wa)).toBe(false);
  });

  it('--engine ucore (the UP5K engine on its simulator) trains MNIST to the weights file and accuracy of --engine golden --numeric fixed', async () => {
    const dir = tmp();
    const args = ['train', '--config', 'boards/icebreaker/chip.json', '--train-limit', '120', '--test-limit', '60', '--epochs', '2'];
    const u = await run([...args, '--engine', 'ucore', '--json', join(dir, 'u.json'), '--weights-out', join(dir, 'u.bin')]);
    expect(u.exitCode, u.all).toBe(0);
    expect(u.all).toMatch(/epoch 2\/2: .*; [\d,]+ cycles\/sample, [\d,]+ cycles\/inference \(ISS plan\)/);
    const g = await run([...args, '--engine', 'golden', '--numeric', 'fixed', '--json', join(dir, 'g.json'), '--weights-out', join(dir, 'g.bin')]);
    expect(g.exitCode, g.all).toBe(0);
    expect(readFileSync(join(dir, 'u.bin')).equals(readFileSync(join(dir, 'g.bin')))).toBe(true);
    type Report = { epochs: { testAccuracy: number }[]; fixed: { saturations: unknown } };
    const [ru, rg] = ['u', 'g'].map((k) => JSON.parse(readFileSync(join(dir, `${k}.json`), 'utf8')) as Report);
    expect(ru.epochs.map((e) => e.testAccuracy)).toEqual(rg.epochs.map((e) => e.testAccuracy));
    expect(ru.fixed.saturations).toEqual(rg.fixed.saturations);
    const f = await run([...args, '--engine', 'ucore', '--numeric', 'float']);
    expect(f.exitCode).toBe(2);
    expect(f.all).toMatch(/--engine ucore: the UP5K engine computes in fixed point/);
  });

  it('--numeric fixed rejects settings the chip does not implement, naming them', async () => {
    const cases: [string[], RegExp][] = [
      [['--lr', '0.3'], /--lr 0\.3 is not a rate the chip can apply: .*nearest below: 0\.298828125 = 153·2\^−9, above: 0\.30078125 = 77·2\^−8/],
      [['--format', 'weight=Q9.99'], /numeric\.weight\.format: Q9\.99/],
      [['--format', 'bogus=Q4.12'], /--format: 'bogus=Q4\.12' must be quantity=format/],
      [['--memory', 'recompute'], /memory 'recompute'/],
      // a row-sum format set too narrow for the window is named before the run (the default one widens: below)
      [['--window', '16', '--format', 'rowSum=UQ3.16'], /numeric\.rowSum\.format: UQ3\.16 = ufixed<19,3> cannot hold the exact sum of 16 gram words/],
    ];
    for (const [extra, message] of cases) {
      const r = await run(['train', '--numeric', 'fixed', '--dataset', 'xor', '--epochs', '1', ...extra]);
      expect(r.exitCode, extra.join(' ')).toBe(2);
      expect(r.all, extra.join(' ')).toMatch(message);
    }
    const wide = await run(['train', '--numeric', 'fixed', '--dataset', 'xor', '--epochs', '1', '--window', '16']);
    expect(wide.exitCode, wide.all).toBe(0); // the default row-sum format widened to UQ5.16 for 16 gram words
    const ck = join(tmp(), 'run.ckpt');
    const first = await run(['train', '--numeric', 'fixed', '--dataset', 'xor', '--epochs', '1', '--checkpoint', ck]);
    expect(first.exitCode, first.all).toBe(0);
    const resumed = await run(['train', '--numeric', 'fixed', '--dataset', 'xor', '--epochs', '2', '--checkpoint', ck, '--resume', '--format', 'weight=Q2.10']);
    expect(resumed.exitCode).toBe(2);
    expect(resumed.all).toMatch(/--resume: --format changes the number formats saved in the checkpoint/);
  });
});
