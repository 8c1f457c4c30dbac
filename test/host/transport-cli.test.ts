/**
 * The command line around the transports: `ibhebb serve --pty` puts the simulated front end behind a
 * pseudo-terminal and `ibhebb identify --transport uart` reaches it like a board; `serve --board icebreaker`
 * serves the UP5K engine's board core (the model test/boards/ucore-link.test.ts verilates: one build), which
 * answers IDENTIFY and trains through `ibhebb train --engine uart`; `identify` over the mock; a missing serial
 * port is one clear line, not a stack trace.
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CHIP, configHash, loadChipConfig } from '../../generator/config.js';
import { loadCheckpoint } from '../../host/checkpoint.js';

const BIN = new URL('../../bin/ibhebb.js', import.meta.url).pathname;

/** Runs `ibhebb serve --pty LINK …args` until the link exists, then `use`; Ctrl-C ends it; returns its stderr. */
async function serving(link: string, args: string[], use: () => Promise<void>, waitMs = 120_000): Promise<string> {
  const serve = execa('node', [BIN, 'serve', '--pty', link, ...args], { reject: false });
  try {
    const t0 = Date.now();
    while (!existsSync(link) && Date.now() - t0 < waitMs && serve.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(link)).toBe(true);
    await use();
  } finally {
    serve.kill('SIGINT');
  }
  const s = await serve;
  expect(s.stderr).toMatch(/cycles simulated/);
  return s.stderr;
}

describe('ibhebb serve / identify', () => {
  it('identify over the mock reports the identity, the link counters and that the config hash matches', async () => {
    const r = await execa('node', [BIN, 'identify', '--transport', 'mock'], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { identity: { configHash: string; layers: number[] }; link: { accepted: number }; matchesConfig: boolean };
    expect(out.identity.configHash).toBe(configHash(DEFAULT_CHIP));
    expect(out.identity.layers).toEqual(DEFAULT_CHIP.layers);
    expect(out.link.accepted).toBe(2);
    expect(out.matchesConfig).toBe(true);
  });

  it('a missing serial port or a missing --port is one clear line and exit code 2', async () => {
    const missing = await execa('node', [BIN, 'identify', '--transport', 'uart', '--port', '/nonexistent/tty'], { reject: false });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^ibhebb: cannot open serial port \/nonexistent\/tty/);
    const noPort = await execa('node', [BIN, 'identify', '--transport', 'uart'], { reject: false });
    expect(noPort.exitCode).toBe(2);
    expect(noPort.stderr).toMatch(/needs --port/);
  });

  it('serve: --mhz and --baud are options of the ucore engine; a clock that is no number is refused in one line', async () => {
    const chip = await execa('node', [BIN, 'serve', '--pty', join(tmpdir(), `ibhebb-cli-no-${process.pid}`), '--engine', 'chip', '--mhz', '27'], { reject: false });
    expect(chip.exitCode).toBe(2);
    expect(chip.stderr).toMatch(/^ibhebb: --baud, --mhz, --vector and --no-vector are options of the ucore engine/);
    const bad = await execa('node', [BIN, 'serve', '--pty', join(tmpdir(), `ibhebb-cli-no-${process.pid}`), '--board', 'icebreaker', '--mhz', 'fast'], { reject: false });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/^ibhebb: --mhz must be a number > 0, got 'fast'$/m);
  });

  it('serve --pty puts the simulated design behind a pty that identify --transport uart opens like a board', async () => {
    const link = join(tmpdir(), `ibhebb-cli-tty-${process.pid}`);
    await serving(link, [], async () => {
      const r = await execa('node', [BIN, 'identify', '--transport', 'uart', '--port', link], { reject: false });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ identity: { configHash: configHash(DEFAULT_CHIP) }, matchesConfig: true });
    });
  });

  it('serve --board icebreaker serves the UP5K engine: IDENTIFY answers its config, and train --engine uart trains on it as the fixed golden model does', async () => {
    const CONFIG = 'boards/icebreaker/chip.json';
    const link = join(tmpdir(), `ibhebb-cli-ucore-tty-${process.pid}`);
    const dir = mkdtempSync(join(tmpdir(), 'ibhebb-cli-ucore-'));
    // the window's worth and one more: a step with the window full, and two inferences
    const common = ['train', '--config', CONFIG, '--dataset', 'mnist', '--train-limit', '5', '--test-limit', '2', '--epochs', '1', '--seed', '5', '--no-progress'];
    const out = (k: string) => ['--checkpoint', join(dir, `${k}.ckpt`), '--json', join(dir, `${k}.json`)];
    const stderr = await serving(
      link,
      ['--board', 'icebreaker', '--vector'],
      async () => {
        const id = await execa('node', [BIN, 'identify', '--transport', 'uart', '--port', link, '--config', CONFIG], { reject: false });
        expect(id.exitCode, id.stderr).toBe(0);
        expect(JSON.parse(id.stdout)).toMatchObject({ identity: { configHash: configHash(loadChipConfig(CONFIG)) }, matchesConfig: true });
        const u = await execa('node', [BIN, ...common, '--engine', 'uart', '--port', link, ...out('u')], { reject: false, all: true });
        expect(u.exitCode, u.all).toBe(0);
      },
      900_000,
    );
    expect(stderr).toMatch(/ucore_board_link .* the UP5K engine on .*iCEBreaker.* at \d+ baud/);
    const g = await execa('node', [BIN, ...common, '--engine', 'golden', '--numeric', 'fixed', ...out('g')], { reject: false, all: true });
    expect(g.exitCode, g.all).toBe(0);
    type Report = { epochs: { testAccuracy: number; trainSamples: number }[] };
    const [ru, rg] = ['u', 'g'].map((k) => JSON.parse(readFileSync(join(dir, `${k}.json`), 'utf8')) as Report);
    expect(ru.epochs.map((e) => e.trainSamples)).toEqual([5]);
    expect(ru.epochs.map((e) => e.testAccuracy)).toEqual(rg.epochs.map((e) => e.testAccuracy));
    // the board's weights, biases and LFSR states after the run (READ_WEIGHTS, READ_LFSR), word for word
    const [cu, cg] = ['u', 'g'].map((k) => loadCheckpoint(join(dir, `${k}.ckpt`)));
    const layers = loadChipConfig(CONFIG).layers.length - 1;
    const names = Array.from({ length: layers }, (_, l) => [`W${l}`, `b${l}`, `lfsr${l}`]).flat();
    expect(Object.keys(cu.arrays).sort()).toEqual([...names].sort());
    for (const k of names) expect(Array.from(cu.arrays[k] as ArrayLike<number>), k).toEqual(Array.from(cg.arrays[k] as ArrayLike<number>));
  }, 1_000_000);
});
