/**
 * A running co-simulation: the harness child process of one build, driven transaction by transaction.
 *
 * Time only advances in step / reset / run, always in whole cycles inside the harness. The harness
 * drives every stream found in the port list during all of them: sources present queued words (valid
 * drawn with their valid probability, held stable until the transfer), sinks accept with their ready
 * probability (default 1: always ready) and record every received word with its cycle. Ports owned by a
 * stream and the clock cannot be poked.
 *
 * Every DUT output stream is checked against the AXI4-Stream rules (valid must stay high and data/last
 * stable until the transfer). By default a step/reset/run that saw a new violation rejects with a
 * StreamProtocolError; set `failOnViolation = false` to collect them with violations() instead.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { BuildResult } from './build.js';
import type { PortSpec, StreamGroup } from './ports.js';
import { Op, Reply, Request, RunFlag, RUN_REASONS, VIOLATION_KINDS, packBits } from './protocol.js';

/** A word received by a sink. */
export interface SinkWord<T extends number | bigint = number> {
  data: T;
  last: boolean;
  /** Cycle number of the clock edge at which the transfer happened (cycles count from 0 at start-up). */
  cycle: number;
}

export interface Violation {
  /** Bus of the DUT output stream (m_axis_<bus>). */
  bus: string;
  kind: (typeof VIOLATION_KINDS)[keyof typeof VIOLATION_KINDS];
  /** Cycle at whose edge the rule was broken (the word should still have been presented). */
  cycle: number;
}

export interface RunOptions {
  /** Stop after this many cycles. */
  cycles?: number;
  /** Stop once the sink holds n undrained words. */
  untilSinkCount?: { bus: string; n: number };
  /** Stop once every source queue has been transferred. */
  untilSourcesEmpty?: boolean;
  /** Hard limit; required unless only `cycles` is given (then it defaults to `cycles`). */
  maxCycles?: number;
  /** Return instead of rejecting when maxCycles ends the run before an until-condition is met. */
  allowTimeout?: boolean;
}

export interface RunResult {
  /** Cycles this run advanced. */
  cycles: number;
  /** What ended the run. */
  reason: (typeof RUN_REASONS)[number];
  /** Cycle counter after the run. */
  cycle: number;
}

export interface Status {
  cycle: number;
  violations: number;
  /** Words queued and not yet transferred, per source bus. */
  queued: Record<string, number>;
  /** Words received and not yet drained, per sink bus. */
  buffered: Record<string, number>;
}

/** A DUT output stream broke the AXI4-Stream rules. */
export class StreamProtocolError extends Error {
  constructor(readonly violations: Violation[], readonly total: number) {
    super(
      `AXI4-Stream violation${total === 1 ? '' : 's'} on the DUT outputs (${total}): ` +
        violations
          .slice(0, 5)
          .map((v) => `m_axis_${v.bus} ${v.kind} at cycle ${v.cycle}`)
          .join('; ') +
        (violations.length > 5 ? '; …' : ''),
    );
    this.name = 'StreamProtocolError';
  }
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
}

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

const TWO_64 = 1n << 64n;

export class Model {
  /** Reject step/reset/run when the DUT broke a stream rule (default true). */
  failOnViolation = true;

  private readonly child: Child;
  /** Requests awaiting their reply, oldest at pendingHead (a queue without O(n) shifts). */
  private pending: Pending[] = [];
  private pendingHead = 0;
  /** Received bytes not yet parsed, as chunks (joined only once a whole response is in). */
  private inbox: Buffer[] = [];
  private inboxBytes = 0;
  /** Request frames of the current tick, written together. */
  private outbox: Buffer[] = [];
  private stderrTail = '';
  private exitError: Error | undefined;
  private readonly exited: Promise<void>;
  private readonly portIndex = new Map<string, number>();
  /** The source and the sink streams, each in the harness's numbering. */
  private readonly sources: readonly StreamGroup[];
  private readonly sinks: readonly StreamGroup[];
  private readonly sourceIndex: ReadonlyMap<string, number>;
  private readonly sinkIndex: ReadonlyMap<string, number>;
  private violationsSeen = 0;

  private constructor(readonly build: BuildResult) {
    build.ports.forEach((p, i) => this.portIndex.set(p.name, i));
    this.sources = build.streams.filter((g) => g.kind === 'source');
    this.sinks = build.streams.filter((g) => g.kind === 'sink');
    this.sourceIndex = new Map(this.sources.map((g, i) => [g.bus, i]));
    this.sinkIndex = new Map(this.sinks.map((g, i) => [g.bus, i]));
    this.child = spawn(build.binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => this.receive(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (s: string) => {
      this.stderrTail = (this.stderrTail + s).slice(-4000);
    });
    this.child.stdin.on('error', () => {
      /* EPIPE after the harness died: reported through 'exit' */
    });
    this.exited = new Promise((res) => {
      const fail = (why: string): void => {
        this.exitError ??= new Error(`co-simulation harness ${why}${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`);
        const waiting = this.pending.slice(this.pendingHead);
        this.pending = [];
        this.pendingHead = 0;
        for (const p of waiting) p.reject(this.exitError);
        res();
      };
      this.child.on('error', (e) => fail(`could not run (${e.message})`));
      this.child.on('close', (code, signal) => fail(signal ? `killed by ${signal}` : `exited with code ${code}`));
    });
  }

  /** Starts a harness process for a build (several may run from one build). */
  static start(build: BuildResult): Model {
    return new Model(build);
  }

  get ports(): readonly PortSpec[] {
    return this.build.ports;
  }
  get streams(): readonly StreamGroup[] {
    return this.build.streams;
  }

  // ---- ports ---------------------------------------------------------------------------------

  /** Drives an input port (held until poked again) and settles combinational logic. */
  async poke(name: string, value: number | bigint): Promise<void> {
    const i = this.port(name);
    await this.call(new Request(Op.POKE, 10).u16(i).u64(toBits(value, this.build.ports[i])));
  }

  /** Reads a port of at most 53 bits as a number (sign-extended when the port is signed). */
  async peek(name: string): Promise<number> {
    const p = this.build.ports[this.port(name)];
    if (p.width > 53) throw new RangeError(`peek: '${name}' is ${p.width} bits wide; use peekBig`);
    return Number(await this.peekBig(name));
  }

  /** Reads any port as a bigint (sign-extended when the port is signed). */
  async peekBig(name: string): Promise<bigint> {
    const i = this.port(name);
    const r = await this.call(new Request(Op.PEEK, 2).u16(i));
    return fromBits(r.u64big(), this.build.ports[i]);
  }

  // ---- time ----------------------------------------------------------------------------------

  /** n rising clock edges with the poked inputs held (streams keep running). */
  async step(n = 1): Promise<void> {
    checkCount('step', n);
    const r = await this.call(new Request(Op.STEP, 8).u64(n));
    r.u64num();
    await this.noteViolations(r.u32());
  }

  /** Holds rst high for n edges (sources withdraw, sinks not ready, checks paused), then releases it. */
  async reset(n = 1): Promise<void> {
    checkCount('reset', n);
    const r = await this.call(new Request(Op.RESET, 4).u32(n));
    r.u64num();
    await this.noteViolations(r.u32());
  }

  /** Runs the clock inside the harness until a condition holds (see RunOptions). */
  async run(opts: RunOptions): Promise<RunResult> {
    const cycles = opts.cycles ?? 0;
    if (opts.cycles !== undefined) checkCount('run cycles', opts.cycles);
    const until = opts.untilSinkCount !== undefined || opts.untilSourcesEmpty === true;
    if (!until && opts.cycles === undefined && opts.maxCycles === undefined) throw new RangeError('run: give cycles, an until-condition or maxCycles');
    if (until && opts.maxCycles === undefined) throw new RangeError('run: an until-condition needs maxCycles');
    const maxCycles = opts.maxCycles ?? cycles;
    checkCount('run maxCycles', maxCycles);
    let flags = 0;
    let sink = 0;
    let n = 0;
    if (opts.untilSinkCount) {
      flags |= RunFlag.SINK_COUNT;
      sink = this.sink(opts.untilSinkCount.bus);
      n = opts.untilSinkCount.n;
      checkCount('run untilSinkCount.n', n);
    }
    if (opts.untilSourcesEmpty) flags |= RunFlag.SOURCES_EMPTY;
    const r = await this.call(new Request(Op.RUN, 27).u64(cycles).u8(flags).u16(sink).u64(n).u64(maxCycles));
    const result: RunResult = { cycles: r.u64num(), reason: RUN_REASONS[r.u8()], cycle: r.u64num() };
    await this.noteViolations(r.u32());
    if (until && result.reason === 'maxCycles' && !opts.allowTimeout) {
      const st = await this.status();
      const what = [
        opts.untilSinkCount ? `sink '${opts.untilSinkCount.bus}' holds ${st.buffered[opts.untilSinkCount.bus]} of ${opts.untilSinkCount.n} words` : '',
        opts.untilSourcesEmpty ? `sources still queue ${JSON.stringify(st.queued)}` : '',
      ]
        .filter((s) => s)
        .join(', ');
      throw new Error(`run: maxCycles=${maxCycles} reached at cycle ${result.cycle}: ${what}`);
    }
    return result;
  }

  // ---- streams -------------------------------------------------------------------------------

  /**
   * Queues words on source `bus` (s_axis_<bus>). `last`: 'final' (default) sets tlast on the final word
   * only, 'none' on none, or one flag per word.
   */
  async push(bus: string, data: readonly (number | bigint)[], last: 'final' | 'none' | readonly boolean[] = 'final'): Promise<number> {
    const i = this.source(bus);
    const port = this.build.ports[this.build.streams[i].data];
    let flags: readonly boolean[];
    if (last === 'final') flags = data.map((_, j) => j === data.length - 1);
    else if (last === 'none') flags = data.map(() => false);
    else {
      if (last.length !== data.length) throw new RangeError(`push: ${data.length} words but ${last.length} last flags`);
      flags = last;
    }
    const bits = packBits(flags);
    const req = new Request(Op.PUSH, 6 + 8 * data.length + bits.length).u16(i).u32(data.length);
    for (const d of data) req.u64(toBits(d, port));
    const r = await this.call(req.bytes(bits));
    return r.u32();
  }

  /** Valid pattern of source `bus`: each cycle without a presented word, present one with probability p. */
  async sourcePattern(bus: string, probability: number, seed: number | bigint): Promise<void> {
    await this.pattern(0, this.source(bus), probability, seed);
  }

  /** Ready pattern of sink `bus`: ready with probability p, drawn every cycle. */
  async sinkPattern(bus: string, probability: number, seed: number | bigint): Promise<void> {
    await this.pattern(1, this.sink(bus), probability, seed);
  }

  /** Takes the words sink `bus` received so far (tdata of at most 53 bits). */
  async drain(bus: string): Promise<SinkWord<number>[]> {
    const port = this.sinkData(bus);
    if (port.width > 53) throw new RangeError(`drain: m_axis_${bus}_tdata is ${port.width} bits wide; use drainBig`);
    const r = await this.call(new Request(Op.DRAIN, 2).u16(this.sink(bus)));
    const n = r.u32();
    const data = new Array<number>(n);
    const half = 2 ** (port.width - 1);
    for (let j = 0; j < n; j++) {
      const v = r.u64num();
      data[j] = port.signed && v >= half ? v - 2 * half : v;
    }
    return this.words(r, data);
  }

  /** Takes the words sink `bus` received so far, data as bigint. */
  async drainBig(bus: string): Promise<SinkWord<bigint>[]> {
    const port = this.sinkData(bus);
    const r = await this.call(new Request(Op.DRAIN, 2).u16(this.sink(bus)));
    const n = r.u32();
    const data = new Array<bigint>(n);
    for (let j = 0; j < n; j++) data[j] = fromBits(r.u64big(), port);
    return this.words(r, data);
  }

  /** The rest of a DRAIN reply (cycles, tlast bitmap) around already decoded data. */
  private words<T extends number | bigint>(r: Reply, data: T[]): SinkWord<T>[] {
    const n = data.length;
    const cycles = new Array<number>(n);
    for (let j = 0; j < n; j++) cycles[j] = r.u64num();
    const last = r.bits(n);
    const out = new Array<SinkWord<T>>(n);
    for (let j = 0; j < n; j++) out[j] = { data: data[j], last: last[j], cycle: cycles[j] };
    return out;
  }

  private sinkData(bus: string): PortSpec {
    return this.build.ports[this.sinks[this.sink(bus)].data];
  }

  /** Stream-rule violations seen so far: `total` counts all, `list` keeps the first 1000. */
  async violations(): Promise<{ total: number; list: Violation[] }> {
    const r = await this.call(new Request(Op.VIOLATIONS, 0));
    const total = r.u32();
    const kept = r.u32();
    const list: Violation[] = [];
    for (let j = 0; j < kept; j++) {
      const bus = this.sinks[r.u16()].bus;
      const kind = VIOLATION_KINDS[r.u8() as keyof typeof VIOLATION_KINDS];
      list.push({ bus, kind, cycle: r.u64num() });
    }
    return { total, list };
  }

  async status(): Promise<Status> {
    const r = await this.call(new Request(Op.STATUS, 0));
    const st: Status = { cycle: r.u64num(), violations: r.u32(), queued: {}, buffered: {} };
    const ns = r.u16();
    for (let j = 0; j < ns; j++) st.queued[this.sources[j].bus] = r.u32();
    const nk = r.u16();
    for (let j = 0; j < nk; j++) st.buffered[this.sinks[j].bus] = r.u32();
    return st;
  }

  // ---- waveforms -----------------------------------------------------------------------------

  /**
   * Starts dumping every signal to an FST file (build with `trace: true`); cycles run from now on are
   * recorded until traceStop() or close(). Opening another file closes the current one.
   */
  async traceTo(path: string): Promise<void> {
    if (!this.build.trace) throw new Error('traceTo: this model was built without trace: true');
    const abs = resolve(path);
    mkdirSync(dirname(abs), { recursive: true });
    const bytes = Buffer.from(abs, 'utf8');
    await this.call(new Request(Op.TRACE_OPEN, bytes.length).bytes(bytes));
  }

  /** Stops dumping and completes the FST file. */
  async traceStop(): Promise<void> {
    await this.call(new Request(Op.TRACE_CLOSE, 0));
  }

  /** Ends the harness (closing any open trace) and waits for it to exit. */
  async close(): Promise<void> {
    if (!this.exitError) {
      try {
        await this.call(new Request(Op.QUIT, 0));
      } catch {
        /* already gone */
      }
      this.child.stdin.end();
    }
    await this.exited;
  }

  // ---- internals -----------------------------------------------------------------------------

  private port(name: string): number {
    const i = this.portIndex.get(name);
    if (i === undefined) throw new RangeError(`no port '${name}' in ${this.build.top}`);
    return i;
  }
  private source(bus: string): number {
    const i = this.sourceIndex.get(bus);
    if (i === undefined) throw new RangeError(`no source stream s_axis_${bus} in ${this.build.top}`);
    return i;
  }
  private sink(bus: string): number {
    const i = this.sinkIndex.get(bus);
    if (i === undefined) throw new RangeError(`no sink stream m_axis_${bus} in ${this.build.top}`);
    return i;
  }

  private async pattern(kind: number, index: number, probability: number, seed: number | bigint): Promise<void> {
    if (!(probability >= 0 && probability <= 1)) throw new RangeError(`probability must be in [0, 1], got ${probability}`);
    const s = BigInt(seed);
    await this.call(new Request(Op.PATTERN, 19).u8(kind).u16(index).f64(probability).u64(BigInt.asUintN(64, s)));
  }

  private async noteViolations(total: number): Promise<void> {
    if (total <= this.violationsSeen) return;
    this.violationsSeen = total;
    if (this.failOnViolation) {
      const v = await this.violations();
      throw new StreamProtocolError(v.list, total);
    }
  }

  private call(req: Request): Promise<Reply> {
    if (this.exitError) return Promise.reject(this.exitError);
    const frame = req.done();
    if (this.outbox.length === 0) queueMicrotask(() => this.flush());
    this.outbox.push(frame);
    return new Promise((res, rej) => {
      this.pending.push({ resolve: res, reject: rej });
    });
  }

  /** One pipe write for all requests issued in the same tick (pipelined calls cost one syscall). */
  private flush(): void {
    const frames = this.outbox;
    this.outbox = [];
    if (this.exitError) return;
    this.child.stdin.write(frames.length === 1 ? frames[0] : Buffer.concat(frames));
  }

  private nextPending(): Pending | undefined {
    if (this.pendingHead >= this.pending.length) return undefined;
    const p = this.pending[this.pendingHead++];
    if (this.pendingHead === this.pending.length) {
      this.pending = [];
      this.pendingHead = 0;
    } else if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
    return p;
  }

  private receive(chunk: Buffer): void {
    this.inbox.push(chunk);
    this.inboxBytes += chunk.length;
    for (;;) {
      if (this.inboxBytes < 4) return;
      if (this.inbox[0].length < 4) this.inbox = [Buffer.concat(this.inbox)];
      const len = this.inbox[0].readUInt32LE(0);
      if (this.inboxBytes < 4 + len) return;
      const buf = this.inbox.length === 1 ? this.inbox[0] : Buffer.concat(this.inbox);
      const status = buf[4];
      const payload = buf.subarray(5, 4 + len);
      const rest = buf.subarray(4 + len);
      this.inbox = rest.length > 0 ? [rest] : [];
      this.inboxBytes = rest.length;
      const p = this.nextPending();
      if (!p) continue;
      if (status === 0) p.resolve(new Reply(payload));
      else p.reject(new Error(`harness: ${payload.toString('utf8')}`));
    }
  }
}

function checkCount(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
}

/**
 * Raw bits of a value for a port, range-checked against its width and signedness: a number below
 * 2^53 for numbers on ports of at most 52 bits (no bigint on the hot path of push), else a bigint
 * (negative values as 64-bit two's complement; the harness masks to the port width).
 */
export function toBits(value: number | bigint, port: PortSpec): number | bigint {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`'${port.name}': ${value} is not a safe integer (use a bigint)`);
    if (port.width <= 52) {
      const span = 2 ** port.width;
      const lo = port.signed ? -span / 2 : 0;
      const hi = port.signed ? span / 2 - 1 : span - 1;
      if (value < lo || value > hi) throw new RangeError(`'${port.name}' (${port.signed ? 's' : 'u'}${port.width}): ${value} is out of range [${lo}, ${hi}]`);
      return value < 0 ? value + span : value;
    }
  }
  const v = BigInt(value);
  const w = BigInt(port.width);
  const lo = port.signed ? -(1n << (w - 1n)) : 0n;
  const hi = port.signed ? (1n << (w - 1n)) - 1n : (1n << w) - 1n;
  if (v < lo || v > hi) throw new RangeError(`'${port.name}' (${port.signed ? 's' : 'u'}${port.width}): ${value} is out of range [${lo}, ${hi}]`);
  return v < 0n ? v + TWO_64 : v;
}

/** Value of raw bits on a port: sign-extended when the port is signed. */
export function fromBits(bits: bigint, port: PortSpec): bigint {
  return port.signed ? BigInt.asIntN(port.width, bits) : bits;
}
