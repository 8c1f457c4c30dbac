/**
 * The simulated design behind a pseudo-terminal, so that the `uart` transport (or any serial terminal
 * program) opens it exactly like a board's serial port:
 *
 *   uart client ⇄ /dev/pts/N (link PATH) ⇄ socat ⇄ Unix socket ⇄ this process ⇄ verilated design
 *
 * `socat PTY,link=PATH,rawer,wait-slave UNIX-CONNECT:SOCK` makes the pty pair (Debian package socat,
 * installed by scripts/setup.sh); this process owns the verilated model and pumps bytes: whatever
 * arrives on the socket is queued on s_axis_in, the clock runs in slices while there is traffic, and
 * every slice's m_axis_out bytes go back. When the serial side is closed socat exits and is started
 * again, so the link can be opened any number of times.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Model } from '../../sim/verilator/index.js';
import { ByteQueue, TransportError } from './transport.js';

export interface PtyOptions {
  /** Where the pty's symlink goes (e.g. /tmp/ibhebb-tty). */
  link: string;
  /** Cycles per slice of the pump (default 4096). */
  slice?: number;
  /** Cycles without input or output after which the clock stops until the next byte (default 16 M). */
  idleCycles?: number;
  /** Input / output buses (default 'in' / 'out'). */
  inBus?: string;
  outBus?: string;
}

export class PtyBridge {
  /** Cycles run so far. */
  cycles = 0;
  private readonly dir: string;
  private readonly sock: string;
  private server: Server | null = null;
  private socat: ChildProcess | null = null;
  private conn: Socket | null = null;
  private readonly pending = new ByteQueue();
  private pumping = false;
  private closing = false;
  private readonly slice: number;
  private readonly idleCycles: number;
  private readonly inBus: string;
  private readonly outBus: string;
  private failure: Error | null = null;
  /** The socat that last carried a connection: its serial side was opened (the link it made is spoken for). */
  private used: ChildProcess | null = null;

  private constructor(
    readonly model: Model,
    readonly link: string,
    o: PtyOptions,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'ibhebb-pty-'));
    this.sock = join(this.dir, 'bridge.sock');
    this.slice = o.slice ?? 4096;
    this.idleCycles = o.idleCycles ?? 1 << 24;
    this.inBus = o.inBus ?? 'in';
    this.outBus = o.outBus ?? 'out';
  }

  /** Puts a running (reset) model behind a new pty at `o.link`; resolves once the link exists. */
  static async start(model: Model, o: PtyOptions): Promise<PtyBridge> {
    const b = new PtyBridge(model, o.link, o);
    await b.listen();
    b.spawnSocat();
    await b.ready();
    return b;
  }

  /**
   * Resolves once the link can be opened by a new client: a socat that has carried no connection yet is running
   * and has made the link. After a client closes the serial side the old socat exits and a new one makes the
   * link again, which takes a moment (longer on a loaded machine): wait here rather than for a fixed time.
   */
  async ready(timeoutMs = 10_000): Promise<void> {
    const t0 = Date.now();
    const fresh = (): boolean => this.socat !== null && this.socat !== this.used && this.socat.exitCode === null && this.socat.signalCode === null;
    while (!(fresh() && existsSync(this.link))) {
      if (this.failure) throw this.failure;
      if (Date.now() - t0 > timeoutMs) throw new TransportError(`pty: socat did not offer ${this.link} within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private listen(): Promise<void> {
    return new Promise((res, rej) => {
      this.server = createServer((s) => {
        this.conn?.destroy();
        this.conn = s;
        // socat connects once its pty's serial side is opened (wait-slave)
        this.used = this.socat;
        s.on('data', (d: Buffer) => {
          this.pending.push(new Uint8Array(d));
          void this.pump();
        });
        s.on('error', () => {
          /* socat went away: it is restarted */
        });
      });
      this.server.on('error', rej);
      this.server.listen(this.sock, () => res());
    });
  }

  private spawnSocat(): void {
    if (this.closing) return;
    const p = spawn('socat', [`PTY,link=${this.link},rawer,wait-slave`, `UNIX-CONNECT:${this.sock}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    p.on('error', (e) => {
      this.failure = new TransportError(`pty: cannot run socat (${e.message}); install it (apt-get install socat, or scripts/setup.sh)`);
    });
    p.on('exit', (code) => {
      if (this.closing) return;
      if (code !== 0 && code !== null && !existsSync(this.link)) this.failure = new TransportError(`pty: socat exited with code ${code}: ${err.trim()}`);
      // the serial side was closed: offer the link again
      setTimeout(() => this.spawnSocat(), 10);
    });
    this.socat = p;
  }

  /** Runs the clock while there is traffic; bytes out go to the serial side. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      let quiet = 0;
      while (!this.closing && (this.pending.length > 0 || quiet < this.idleCycles)) {
        if (this.pending.length > 0) {
          await this.model.push(this.inBus, this.pending.take(), 'none');
          quiet = 0;
        }
        const r = await this.model.run({ cycles: this.slice });
        this.cycles += r.cycles;
        const out = (await this.model.drainColumns(this.outBus)).data as ArrayLike<number>;
        if (out.length > 0) {
          this.conn?.write(Uint8Array.from(out));
          quiet = 0;
        } else quiet += this.slice;
      }
    } finally {
      this.pumping = false;
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    this.socat?.kill();
    this.conn?.destroy();
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
    while (this.pumping) await new Promise((r) => setTimeout(r, 5));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
