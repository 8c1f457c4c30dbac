/**
 * The command line around the transports: `ibhebb serve --pty` puts the simulated front end behind a
 * pseudo-terminal and `ibhebb identify --transport uart` reaches it like a board; `identify` over the mock;
 * a missing serial port is one clear line, not a stack trace.
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CHIP, configHash } from '../../generator/config.js';

const BIN = new URL('../../bin/ibhebb.js', import.meta.url).pathname;

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

  it('serve --pty puts the simulated design behind a pty that identify --transport uart opens like a board', async () => {
    const link = join(tmpdir(), `ibhebb-cli-tty-${process.pid}`);
    const serve = execa('node', [BIN, 'serve', '--pty', link], { reject: false });
    try {
      const t0 = Date.now();
      while (!existsSync(link) && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(link)).toBe(true);
      const r = await execa('node', [BIN, 'identify', '--transport', 'uart', '--port', link], { reject: false });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ identity: { configHash: configHash(DEFAULT_CHIP) }, matchesConfig: true });
    } finally {
      serve.kill('SIGINT');
      const s = await serve;
      expect(s.stderr).toMatch(/cycles simulated/);
    }
  });
});
