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
 * stable until the transfer, and valid must not depend on ready: each cycle the harness evaluates the
 * design with every sink's ready inverted and compares tvalid), and so is every watched internal
 * stream (BuildSpec.watches; buildFromIr watches the stream ports of every sub-module instance). By
 * default a step/reset/run/play that saw a new violation rejects with a StreamProtocolError; set
 * `failOnViolation = false` to collect them with violations() instead.
 *
 * Start-up values: models are built with `--x-initial unique` and started with
 * `+verilator+rand+reset+2 +verilator+seed+<seed>` (StartOptions), so state without a reset or an
 * initial value is random for a seed, never a quiet 0.
 *
 * Every call has a timeout (StartOptions.timeoutMs, per call for the long ones): when it passes, the
 * harness is killed and every waiting call rejects. close() ends the harness, killing it if it is busy.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { BuildResult } from './build.js';
import type { MemorySpec, PortSpec, StreamGroup } from './ports.js';
import { Op, Reply, Request, RunFlag, RUN_REASONS, VIOLATION_KINDS, byteWidth, packBits } from './protocol.js';
import { decodeColumn, decodeLanes, encodeColumn, encodeLanes, fromBits, laneLayout, toBits, type Column, type Values } from './values.js';

export { fromBits, toBits } from './values.js';

/** A word received by a sink. */
export interface SinkWord<T extends number | bigint = number> {
  data: T;
  last: boolean;
  /** Cycle number of the clock edge at which the transfer happened (cycles count from 0 at start-up). */
  cycle: number;
}

export interface Violation {
  /** Bus of the DUT output stream (m_axis_<bus>), or the name of a watched internal stream. */
  bus: string;
  /** `m_axis_<bus>` for an output of the DUT, the watch's name (`top.u_fifo.m_axis_out`) for an internal stream. */
  stream: string;
  kind: (typeof VIOLATION_KINDS)[keyof typeof VIOLATION_KINDS];
  /**
   * Cycle at whose edge the rule was broken (the word should still have been presented); for
   * valid-depends-on-ready, the cycle whose tvalid changed with tready.
   */
  cycle: number;
}

export interface StartOptions {
  /** Seed of the random start-up values (`+verilator+seed`), 1 ≤ seed < 2^31; default 1. */
  seed?: number;
  /** Start-up value of state without reset or initial value: 'random' (default), 'zeros' or 'ones'. */
  initValues?: 'random' | 'zeros' | 'ones';
  /** Timeout of each call in ms (default 600 000; 0: none); the long calls take their own. */
  timeoutMs?: number;
  /** Check every cycle that no DUT output's tvalid depends on the tready inputs (default true). */
  checkValidReady?: boolean;
  /**
   * Check the watched internal streams every cycle (default true). Off, a long run (a training epoch) skips
   * their per-cycle cost; the build, and so its cache entry, is the same either way.
   */
  checkWatches?: boolean;
}

/** Per-call options of the calls that advance time. */
export interface TimeOptions {
  /** Timeout of this call in ms (default: the model's timeoutMs; 0: none). */
  timeoutMs?: number;
}

export interface RunOptions extends TimeOptions {
  /** Stop after this many cycles. */
  cycles?: number;
  /** Stop once the sink holds n undrained words. */
  untilSinkCount?: { bus: string; n: number };
  /** Stop once every source queue has been transferred. */
  untilSourcesEmpty?: boolean;
  /** Stop after the edge at which sink `bus` received a word with tlast (one received in this run). */
  untilLast?: { bus: string };
  /** Stop once output (or input) port `port` equals `equals` (checked before each cycle, after the previous edge). */
  untilPort?: { port: string; equals: number | bigint };
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

/** Words received by a sink as columns (the cheap way to take large transfers). */
export interface SinkColumns<D> {
  data: D;
  /** 1 where the word had tlast. */
  last: Uint8Array;
  /** Cycle of each transfer (when asked for). */
  cycles?: Float64Array;
}

/** A table of inputs played cycle by cycle (Model.play). */
export interface PlayTable extends TimeOptions {
  /**
   * Input port → one value per cycle (all columns the same length), or lanes of a wide port (flat,
   * cycle-major: cycle c's lane j at lanes[c * L + j]); held after the table ends.
   */
  inputs: Record<string, Values | LaneValues>;
  /** Cycles to play (default: the length of the columns; required when there are no inputs). */
  cycles?: number;
  /**
   * Ports to sample at each cycle's sample point (inputs applied, just before the rising edge); a
   * port given with a lane width comes back as lanes (flat, sample-major).
   */
  outputs: readonly (string | { port: string; laneWidth: number; signed?: boolean })[];
  /** Sample only in cycles where this port equals this value. */
  when?: { port: string; equals: number | bigint };
}

/** Lane values of a wide port (lanes of `laneWidth` ≤ 32 bits, lane 0 in the lowest bits). */
export interface LaneValues {
  lanes: ArrayLike<number>;
  laneWidth: number;
  signed?: boolean;
}

export interface PlayResult {
  /** Samples per output port (Int32Array / Uint32Array up to 32 bits, Float64Array up to 53, bigint[] above). */
  outputs: Record<string, Column>;
  /** Cycle number of each sample. */
  cycles: Float64Array;
  /** Cycle counter after the table. */
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

/** A DUT output stream or a watched internal stream broke the AXI4-Stream rules. */
export class StreamProtocolError extends Error {
  constructor(readonly violations: Violation[], readonly total: number) {
    super(
      `AXI4-Stream violation${total === 1 ? '' : 's'} (${total}): ` +
        violations
          .slice(0, 5)
          .map((v) => `${v.stream} ${v.kind} at cycle ${v.cycle}`)
          .join('; ') +
        (violations.length > 5 ? '; …' : ''),
    );
    this.name = 'StreamProtocolError';
  }
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  /** performance.now() by which the answer must be in (Infinity: none). */
  deadline: number;
  what: string;
  timeoutMs: number;
}

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

const DEFAULT_TIMEOUT_MS = 600_000;
const QUIT_GRACE_MS = 2_000;
const INIT_MODES = { zeros: 0, ones: 1, random: 2 } as const;

/** Harness processes still running, killed when this process exits (a test that forgot close()). */
const live = new Set<Child>();
let exitHookInstalled = false;
function track(child: Child): void {
  live.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

export class Model {
  /** Reject step/reset/run/play when a stream rule was broken (default true). */
  failOnViolation = true;
  /** Timeout of each call in ms (0: none); the long calls take their own in TimeOptions. */
  timeoutMs: number;

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
  private timer: NodeJS.Timeout | undefined;
  /** performance.now() at which the timer fires. */
  private timerAt = Infinity;
  private readonly portIndex = new Map<string, number>();
  /** The source and the sink streams, each in the harness's numbering. */
  private readonly sources: readonly StreamGroup[];
  private readonly sinks: readonly StreamGroup[];
  private readonly sourceIndex: ReadonlyMap<string, number>;
  private readonly sinkIndex: ReadonlyMap<string, number>;
  private readonly memoryIndex = new Map<string, number>();
  private violationsSeen = 0;

  private constructor(
    readonly build: BuildResult,
    opts: StartOptions,
  ) {
    const seed = opts.seed ?? 1;
    if (!Number.isInteger(seed) || seed < 1 || seed >= 2 ** 31) throw new RangeError(`seed must be an integer in [1, 2^31), got ${seed}`);
    const mode = INIT_MODES[opts.initValues ?? 'random'];
    if (mode === undefined) throw new RangeError(`initValues must be 'random', 'zeros' or 'ones', got '${opts.initValues}'`);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    checkCount('timeoutMs', this.timeoutMs);
    build.ports.forEach((p, i) => this.portIndex.set(p.name, i));
    this.sources = build.streams.filter((g) => g.kind === 'source');
    this.sinks = build.streams.filter((g) => g.kind === 'sink');
    this.sourceIndex = new Map(this.sources.map((g, i) => [g.bus, i]));
    this.sinkIndex = new Map(this.sinks.map((g, i) => [g.bus, i]));
    build.memories.forEach((m, i) => m.paths.forEach((p) => this.memoryIndex.set(p, i)));
    // the sources folder holds the memory images `$readmemh` reads (relative names)
    this.child = spawn(build.binary, [`+verilator+rand+reset+${mode}`, `+verilator+seed+${seed}`], {
      cwd: join(build.dir, 'src'),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    track(this.child);
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
        live.delete(this.child);
        this.stopTimer();
        this.exitError ??= new Error(`co-simulation harness ${why}${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`);
        this.rejectAll(this.exitError);
        res();
      };
      this.child.on('error', (e) => fail(`could not run (${e.message})`));
      this.child.on('close', (code, signal) => fail(signal ? `killed by ${signal}` : `exited with code ${code}`));
    });
    // a failure here shows on the next call (the harness is gone)
    if (opts.checkValidReady === false || opts.checkWatches === false) {
      this.setChecks({ validReady: opts.checkValidReady !== false, watches: opts.checkWatches !== false }).catch(() => undefined);
    }
  }

  /** Starts a harness process for a build (several may run from one build). */
  static start(build: BuildResult, opts: StartOptions = {}): Model {
    return new Model(build, opts);
  }

  get ports(): readonly PortSpec[] {
    return this.build.ports;
  }
  get streams(): readonly StreamGroup[] {
    return this.build.streams;
  }
  /** Process id of the harness (undefined if it could not be started). */
  get pid(): number | undefined {
    return this.child.pid;
  }
  /** Memories reachable by peekMem / pokeMem. */
  get memories(): readonly MemorySpec[] {
    return this.build.memories;
  }

  // ---- ports ---------------------------------------------------------------------------------

  /** Drives an input port (held until poked again) and settles combinational logic. */
  async poke(name: string, value: number | bigint): Promise<void> {
    const i = this.port(name);
    const p = this.build.ports[i];
    const nb = byteWidth(p.width);
    await this.call(new Request(Op.POKE, 2 + nb).u16(i).raw(toBits(value, p), nb), 'poke');
  }

  /** Reads a port of at most 53 bits as a number (sign-extended when the port is signed). */
  async peek(name: string): Promise<number> {
    const p = this.build.ports[this.port(name)];
    if (p.width > 53) throw new RangeError(`peek: '${name}' is ${p.width} bits wide; use peekBig or peekLanes`);
    return Number(await this.peekBig(name));
  }

  /** Reads any port as a bigint (sign-extended when the port is signed). */
  async peekBig(name: string): Promise<bigint> {
    const i = this.port(name);
    const p = this.build.ports[i];
    const r = await this.call(new Request(Op.PEEK, 2).u16(i), 'peek');
    return fromBits(r.unsignedBig(byteWidth(p.width)), p);
  }

  /** Drives a wide input port as lanes of `laneWidth` bits (lane 0 in the lowest bits). */
  async pokeLanes(name: string, lanes: ArrayLike<number>, laneWidth: number, opts: { signed?: boolean } = {}): Promise<void> {
    const i = this.port(name);
    const p = this.build.ports[i];
    const layout = laneLayout(p, laneWidth, opts.signed ?? false);
    const nb = byteWidth(p.width);
    const req = new Request(Op.POKE, 2 + nb).u16(i);
    encodeLanes(lanes, layout, 1, nb, req.buf, req.reserve(nb), `pokeLanes '${name}'`);
    await this.call(req, 'poke');
  }

  /** Reads a port as lanes of `laneWidth` bits (lane 0 in the lowest bits). */
  async peekLanes(name: string, laneWidth: number, opts: { signed?: boolean } = {}): Promise<number[]> {
    const i = this.port(name);
    const p = this.build.ports[i];
    const layout = laneLayout(p, laneWidth, opts.signed ?? false);
    const r = await this.call(new Request(Op.PEEK, 2).u16(i), 'peek');
    return Array.from(decodeLanes(r.buf, r.skip(byteWidth(p.width)), 1, byteWidth(p.width), layout));
  }

  // ---- memories ------------------------------------------------------------------------------

  /** Reads `count` words of a memory by path (name-map path `<module>.<memory>` or instance path), as numbers. */
  async peekMem(path: string, addr: number, count = 1): Promise<number[]> {
    const m = this.build.memories[this.memory(path)];
    if (m.width > 53) throw new RangeError(`peekMem: '${path}' has ${m.width}-bit words; use peekMemBig`);
    return Array.from((await this.memWords(path, addr, count, (buf, off) => decodeColumn(buf, off, count, memPort(m)))) as ArrayLike<number>);
  }

  /** Reads `count` words of a memory by path, as bigints. */
  async peekMemBig(path: string, addr: number, count = 1): Promise<bigint[]> {
    const m = this.build.memories[this.memory(path)];
    // decoded at the words' own width (their byte stride on the wire), then every value as a bigint
    const col = await this.memWords(path, addr, count, (buf, off) => decodeColumn(buf, off, count, memPort(m)));
    return Array.from(col as ArrayLike<number | bigint>, (v) => BigInt(v));
  }

  /** Writes words of a memory by path from address `addr` on (then settles combinational logic). */
  async pokeMem(path: string, addr: number, values: Values): Promise<void> {
    const i = this.memory(path);
    const m = this.build.memories[i];
    this.memRange(m, path, addr, values.length);
    const nb = byteWidth(m.width);
    const req = new Request(Op.POKE_MEM, 10 + values.length * nb).u16(i).u32(addr).u32(values.length);
    encodeColumn(values, memPort(m), req.buf, req.reserve(values.length * nb));
    await this.call(req, 'pokeMem');
  }

  private async memWords<T>(path: string, addr: number, count: number, decode: (buf: Buffer, off: number) => T): Promise<T> {
    const i = this.memory(path);
    const m = this.build.memories[i];
    this.memRange(m, path, addr, count);
    const r = await this.call(new Request(Op.PEEK_MEM, 10).u16(i).u32(addr).u32(count), 'peekMem');
    return decode(r.buf, 0);
  }

  private memRange(m: MemorySpec, path: string, addr: number, count: number): void {
    checkCount('address', addr);
    checkCount('word count', count);
    if (addr + count > m.depth) throw new RangeError(`memory '${path}': words ${addr}..${addr + count - 1} are outside 0..${m.depth - 1}`);
  }

  // ---- time ----------------------------------------------------------------------------------

  /** n rising clock edges with the poked inputs held (streams keep running). */
  async step(n = 1, opts: TimeOptions = {}): Promise<void> {
    checkCount('step', n);
    const r = await this.call(new Request(Op.STEP, 8).u64(n), `step(${n})`, opts.timeoutMs);
    r.u64num();
    await this.noteViolations(r.u32());
  }

  /** Holds rst high for n edges (sources withdraw, sinks not ready, checks paused), then releases it. */
  async reset(n = 1, opts: TimeOptions = {}): Promise<void> {
    checkCount('reset', n);
    const r = await this.call(new Request(Op.RESET, 4).u32(n), `reset(${n})`, opts.timeoutMs);
    r.u64num();
    await this.noteViolations(r.u32());
  }

  /** Runs the clock inside the harness until a condition holds (see RunOptions). */
  async run(opts: RunOptions): Promise<RunResult> {
    const cycles = opts.cycles ?? 0;
    if (opts.cycles !== undefined) checkCount('run cycles', opts.cycles);
    const until = opts.untilSinkCount !== undefined || opts.untilSourcesEmpty === true || opts.untilLast !== undefined || opts.untilPort !== undefined;
    if (!until && opts.cycles === undefined && opts.maxCycles === undefined) throw new RangeError('run: give cycles, an until-condition or maxCycles');
    if (until && opts.maxCycles === undefined) throw new RangeError('run: an until-condition needs maxCycles');
    const maxCycles = opts.maxCycles ?? cycles;
    checkCount('run maxCycles', maxCycles);
    let flags = 0;
    let sink = 0;
    let n = 0;
    let lastSink = 0;
    let port = 0;
    let value: number | bigint = 0;
    if (opts.untilSinkCount) {
      flags |= RunFlag.SINK_COUNT;
      sink = this.sink(opts.untilSinkCount.bus);
      n = opts.untilSinkCount.n;
      checkCount('run untilSinkCount.n', n);
    }
    if (opts.untilSourcesEmpty) flags |= RunFlag.SOURCES_EMPTY;
    if (opts.untilLast) {
      flags |= RunFlag.SINK_LAST;
      lastSink = this.sink(opts.untilLast.bus);
    }
    if (opts.untilPort) {
      flags |= RunFlag.PORT_EQUALS;
      port = this.port(opts.untilPort.port);
      value = toBits(opts.untilPort.equals, this.build.ports[port]);
    }
    const nb = opts.untilPort ? byteWidth(this.build.ports[port].width) : 0;
    const req = new Request(Op.RUN, 31 + nb).u64(cycles).u8(flags).u16(sink).u64(n).u64(maxCycles).u16(lastSink).u16(port);
    if (opts.untilPort) req.raw(value, nb);
    const r = await this.call(req, 'run', opts.timeoutMs);
    const result: RunResult = { cycles: r.u64num(), reason: RUN_REASONS[r.u8()], cycle: r.u64num() };
    await this.noteViolations(r.u32());
    if (until && result.reason === 'maxCycles' && !opts.allowTimeout) {
      const st = await this.status();
      const what: string[] = [];
      if (opts.untilSinkCount) what.push(`sink '${opts.untilSinkCount.bus}' holds ${st.buffered[opts.untilSinkCount.bus]} of ${opts.untilSinkCount.n} words`);
      if (opts.untilSourcesEmpty) what.push(`sources still queue ${JSON.stringify(st.queued)}`);
      if (opts.untilLast) what.push(`sink '${opts.untilLast.bus}' received no tlast (${st.buffered[opts.untilLast.bus]} words buffered)`);
      if (opts.untilPort) what.push(`port '${opts.untilPort.port}' is ${await this.peekBig(opts.untilPort.port)}, waiting for ${opts.untilPort.equals}`);
      throw new Error(`run: maxCycles=${maxCycles} reached at cycle ${result.cycle}: ${what.join(', ')}`);
    }
    return result;
  }

  /**
   * Plays a table of inputs cycle by cycle inside the harness (streams keep running) and samples
   * output ports at each cycle's sample point (inputs applied, just before the rising edge — what a
   * register clocked at that edge captures), every cycle or when `when` holds.
   */
  async play(table: PlayTable): Promise<PlayResult> {
    const inputs = Object.entries(table.inputs).map(([name, v]) => {
      const i = this.port(name);
      if (!isLaneValues(v)) return { i, name, length: v.length, encode: (buf: Uint8Array, off: number) => encodeColumn(v, this.build.ports[i], buf, off) };
      const p = this.build.ports[i];
      const layout = laneLayout(p, v.laneWidth, v.signed ?? false);
      const length = v.lanes.length / layout.lanes;
      if (!Number.isInteger(length)) throw new RangeError(`play: input '${name}': ${v.lanes.length} lane values are not a whole number of ${layout.lanes}-lane words`);
      return { i, name, length, encode: (buf: Uint8Array, off: number) => encodeLanes(v.lanes, layout, length, byteWidth(p.width), buf, off, `play input '${name}'`) };
    });
    const n = table.cycles ?? inputs[0]?.length;
    if (n === undefined) throw new RangeError('play: no input columns; give cycles');
    checkCount('play cycles', n);
    for (const c of inputs) if (c.length !== n) throw new RangeError(`play: input '${c.name}' has ${c.length} values for ${n} cycles`);
    const outs = table.outputs.map((o) => {
      const i = this.port(typeof o === 'string' ? o : o.port);
      const p = this.build.ports[i];
      const layout = typeof o === 'string' ? undefined : laneLayout(p, o.laneWidth, o.signed ?? false);
      return { i, p, layout };
    });
    for (const [j, o] of outs.entries()) if (outs.findIndex((x) => x.i === o.i) !== j) throw new RangeError(`play: output '${o.p.name}' is listed twice`);
    let bytes = 4 + 1 + 2 + 2 * inputs.length + 2 + 2 * outs.length;
    const cond = table.when ? this.port(table.when.port) : -1;
    const condNb = cond >= 0 ? byteWidth(this.build.ports[cond].width) : 0;
    if (cond >= 0) bytes += 2 + condNb;
    for (const c of inputs) bytes += n * byteWidth(this.build.ports[c.i].width);
    const req = new Request(Op.PLAY, bytes).u32(n).u8(cond >= 0 ? 1 : 0).u16(inputs.length);
    for (const c of inputs) req.u16(c.i);
    req.u16(outs.length);
    for (const o of outs) req.u16(o.i);
    if (table.when) req.u16(cond).raw(toBits(table.when.equals, this.build.ports[cond]), condNb);
    for (const c of inputs) c.encode(req.buf, req.reserve(n * byteWidth(this.build.ports[c.i].width)));
    const r = await this.call(req, `play(${n} cycles)`, table.timeoutMs);
    const s = r.u32();
    const outputs: Record<string, Column> = {};
    for (const { p, layout } of outs) {
      const nb = byteWidth(p.width);
      const at = r.skip(s * nb);
      outputs[p.name] = layout ? decodeLanes(r.buf, at, s, nb, layout) : decodeColumn(r.buf, at, s, p);
    }
    const cycles = cond >= 0 ? readCycles(r, s) : new Float64Array(s);
    const cycle = r.u64num();
    // unconditional: one sample per cycle, the last one in the cycle before `cycle`
    if (cond < 0) for (let j = 0, c0 = cycle - s; j < s; j++) cycles[j] = c0 + j;
    await this.noteViolations(r.u32());
    return { outputs, cycles, cycle };
  }

  /**
   * Turns the per-cycle checks on or off: the valid/ready independence of the DUT outputs, and the stream rules
   * of the watched internal streams (`watches`, default on).
   */
  async setChecks(checks: { validReady: boolean; watches?: boolean }): Promise<void> {
    const flags = (checks.validReady ? 1 : 0) | (checks.watches !== false ? 2 : 0);
    await this.call(new Request(Op.CHECKS, 1).u8(flags), 'setChecks');
  }

  // ---- streams -------------------------------------------------------------------------------

  /**
   * Queues words on source `bus` (s_axis_<bus>). `last`: 'final' (default) sets tlast on the final word
   * only, 'none' on none, or one flag per word.
   */
  async push(bus: string, data: Values, last: 'final' | 'none' | ArrayLike<boolean> = 'final'): Promise<number> {
    const i = this.source(bus);
    const port = this.build.ports[this.sources[i].data];
    const nb = byteWidth(port.width);
    const { req, at } = this.pushRequest(i, data.length, nb, last);
    encodeColumn(data, port, req.buf, at);
    return (await this.call(req, 'push')).u32();
  }

  /** Queues words given as lanes of `laneWidth` bits (flat: word i's lane j at lanes[i * L + j]). */
  async pushLanes(bus: string, lanes: ArrayLike<number>, laneWidth: number, opts: { signed?: boolean; last?: 'final' | 'none' | ArrayLike<boolean> } = {}): Promise<number> {
    const i = this.source(bus);
    const port = this.build.ports[this.sources[i].data];
    const layout = laneLayout(port, laneWidth, opts.signed ?? false);
    const words = lanes.length / layout.lanes;
    if (!Number.isInteger(words)) throw new RangeError(`pushLanes '${bus}': ${lanes.length} lane values are not a whole number of ${layout.lanes}-lane words`);
    const nb = byteWidth(port.width);
    const { req, at } = this.pushRequest(i, words, nb, opts.last ?? 'final');
    encodeLanes(lanes, layout, words, nb, req.buf, at, `pushLanes '${bus}'`);
    return (await this.call(req, 'push')).u32();
  }

  /** A PUSH request for n words with the tlast bitmap written; `at`: where the data goes. */
  private pushRequest(i: number, n: number, nb: number, last: 'final' | 'none' | ArrayLike<boolean>): { req: Request; at: number } {
    let bits: Uint8Array;
    if (last === 'final' || last === 'none') {
      bits = new Uint8Array((n + 7) >> 3);
      if (last === 'final' && n > 0) bits[(n - 1) >> 3] |= 1 << ((n - 1) & 7);
    } else {
      if (last.length !== n) throw new RangeError(`push: ${n} words but ${last.length} last flags`);
      bits = packBits(last);
    }
    const req = new Request(Op.PUSH, 6 + n * nb + bits.length).u16(i).u32(n);
    const at = req.reserve(n * nb);
    req.bytes(bits);
    return { req, at };
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
    if (port.width > 53) throw new RangeError(`drain: m_axis_${bus}_tdata is ${port.width} bits wide; use drainBig, drainColumns or drainLanes`);
    const c = await this.drainColumns(bus, { cycles: true });
    return words(c.data as ArrayLike<number>, c);
  }

  /** Takes the words sink `bus` received so far, data as bigint. */
  async drainBig(bus: string): Promise<SinkWord<bigint>[]> {
    const port = this.sinkData(bus);
    // decoded at the port's own width (its byte stride on the wire), then every value as a bigint
    const c = await this.drainRaw(bus, true, (buf, off, n) => decodeColumn(buf, off, n, port));
    return words(Array.from(c.data as ArrayLike<number | bigint>, (v) => BigInt(v)), c);
  }

  /** Takes the words sink `bus` received so far as columns; cycles only when asked for (cheaper). */
  async drainColumns(bus: string, opts: { cycles?: boolean } = {}): Promise<SinkColumns<Column>> {
    const port = this.sinkData(bus);
    return this.drainRaw(bus, opts.cycles === true, (buf, off, n) => decodeColumn(buf, off, n, port));
  }

  /** Takes the words sink `bus` received so far as lanes of `laneWidth` bits (flat, word-major). */
  async drainLanes(bus: string, laneWidth: number, opts: { signed?: boolean; cycles?: boolean } = {}): Promise<SinkColumns<Int32Array | Uint32Array> & { lanes: number }> {
    const port = this.sinkData(bus);
    const layout = laneLayout(port, laneWidth, opts.signed ?? false);
    const c = await this.drainRaw(bus, opts.cycles === true, (buf, off, n) => decodeLanes(buf, off, n, byteWidth(port.width), layout));
    return { ...c, lanes: layout.lanes };
  }

  private async drainRaw<D>(bus: string, withCycles: boolean, decode: (buf: Buffer, off: number, n: number) => D): Promise<SinkColumns<D>> {
    const port = this.sinkData(bus);
    const r = await this.call(new Request(Op.DRAIN, 3).u16(this.sink(bus)).u8(withCycles ? 1 : 0), 'drain');
    const n = r.u32();
    const data = decode(r.buf, r.skip(n * byteWidth(port.width)), n);
    const cycles = withCycles ? readCycles(r, n) : undefined;
    const last = new Uint8Array(n);
    const at = r.skip((n + 7) >> 3);
    for (let j = 0; j < n; j++) last[j] = (r.buf[at + (j >> 3)] >> (j & 7)) & 1;
    return { data, last, cycles };
  }

  private sinkData(bus: string): PortSpec {
    return this.build.ports[this.sinks[this.sink(bus)].data];
  }

  /** Stream-rule violations seen so far: `total` counts all, `list` keeps the first 1000. */
  async violations(): Promise<{ total: number; list: Violation[] }> {
    const r = await this.call(new Request(Op.VIOLATIONS, 0), 'violations');
    const total = r.u32();
    const kept = r.u32();
    const list: Violation[] = [];
    for (let j = 0; j < kept; j++) {
      const k = r.u16();
      const kind = VIOLATION_KINDS[r.u8() as keyof typeof VIOLATION_KINDS];
      const cycle = r.u64num();
      if (k < this.sinks.length) list.push({ bus: this.sinks[k].bus, stream: `m_axis_${this.sinks[k].bus}`, kind, cycle });
      else {
        const name = this.build.watches[k - this.sinks.length].name;
        list.push({ bus: name, stream: name, kind, cycle });
      }
    }
    return { total, list };
  }

  async status(): Promise<Status> {
    const r = await this.call(new Request(Op.STATUS, 0), 'status');
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
    await this.call(new Request(Op.TRACE_OPEN, bytes.length).bytes(bytes), 'traceTo');
  }

  /** Stops dumping and completes the FST file. */
  async traceStop(): Promise<void> {
    await this.call(new Request(Op.TRACE_CLOSE, 0), 'traceStop');
  }

  /**
   * Ends the harness and waits for it to exit: politely (completing any open trace) when it is idle,
   * with SIGKILL when calls are still running or it does not quit within 2 s.
   */
  async close(): Promise<void> {
    if (!this.exitError) {
      if (this.pending.length > this.pendingHead) {
        this.kill(new Error('co-simulation harness: closed while calls were running (killed)'));
      } else {
        void this.call(new Request(Op.QUIT, 0), 'quit', 0).catch(() => undefined);
        this.flush();
        this.child.stdin.end();
        const t = setTimeout(() => this.child.kill('SIGKILL'), QUIT_GRACE_MS);
        t.unref();
        await this.exited;
        clearTimeout(t);
      }
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
  private memory(path: string): number {
    const i = this.memoryIndex.get(path);
    if (i === undefined) {
      const known = [...this.memoryIndex.keys()];
      throw new RangeError(
        `no memory '${path}' in ${this.build.top}` + (known.length ? ` (known: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''})` : ' (the build lists no memories)'),
      );
    }
    return i;
  }

  private async pattern(kind: number, index: number, probability: number, seed: number | bigint): Promise<void> {
    if (!(probability >= 0 && probability <= 1)) throw new RangeError(`probability must be in [0, 1], got ${probability}`);
    const s = BigInt(seed);
    await this.call(new Request(Op.PATTERN, 19).u8(kind).u16(index).f64(probability).u64(BigInt.asUintN(64, s)), 'pattern');
  }

  private async noteViolations(total: number): Promise<void> {
    if (total <= this.violationsSeen) return;
    this.violationsSeen = total;
    if (this.failOnViolation) {
      const v = await this.violations();
      throw new StreamProtocolError(v.list, total);
    }
  }

  private call(req: Request, what: string, timeoutMs: number = this.timeoutMs): Promise<Reply> {
    if (this.exitError) return Promise.reject(this.exitError);
    checkCount('timeoutMs', timeoutMs);
    const frame = req.done();
    if (this.outbox.length === 0) queueMicrotask(() => this.flush());
    this.outbox.push(frame);
    const now = performance.now();
    // answers come in order: a call cannot be due before the one queued ahead of it
    const ahead = this.pending.length > this.pendingHead ? this.pending[this.pending.length - 1].deadline : 0;
    const deadline = Math.max(timeoutMs > 0 ? now + timeoutMs : Infinity, ahead);
    if (deadline < this.timerAt) this.armTimer(deadline, now);
    return new Promise((res, rej) => {
      this.pending.push({ resolve: res, reject: rej, deadline, what, timeoutMs });
    });
  }

  /** One timer for all calls: when it fires, the oldest call is either overdue (kill) or it re-arms. */
  private armTimer(at: number, now: number): void {
    this.stopTimer();
    this.timerAt = at;
    this.timer = setTimeout(() => this.onTimer(), Math.min(Math.max(0, at - now), 2 ** 31 - 1));
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.pendingHead >= this.pending.length) return;
    const head = this.pending[this.pendingHead];
    const now = performance.now();
    if (head.deadline <= now) {
      this.kill(new Error(`co-simulation harness: ${head.what} got no answer within ${head.timeoutMs} ms; the harness was killed`));
    } else if (head.deadline !== Infinity) {
      this.armTimer(head.deadline, now);
    }
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  /** Kills the harness; every waiting call rejects with `err`. */
  private kill(err: Error): void {
    this.exitError ??= err;
    this.stopTimer();
    this.child.kill('SIGKILL');
    this.rejectAll(this.exitError);
  }

  private rejectAll(err: Error): void {
    const waiting = this.pending.slice(this.pendingHead);
    this.pending = [];
    this.pendingHead = 0;
    for (const p of waiting) p.reject(err);
  }

  /** One pipe write for all requests issued in the same tick (pipelined calls cost one syscall). */
  private flush(): void {
    const frames = this.outbox;
    this.outbox = [];
    if (this.exitError || frames.length === 0) return;
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

/** A memory's words seen as a port (for the value codecs). */
function memPort(m: MemorySpec): PortSpec {
  return { name: m.paths[0], dir: 'in', width: m.width, signed: m.signed === true };
}

function isLaneValues(v: Values | LaneValues): v is LaneValues {
  return typeof v === 'object' && v !== null && 'laneWidth' in v;
}

/** `n` u64 cycle numbers as doubles (exact below 2^53). */
function readCycles(r: Reply, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) out[j] = r.u64num();
  return out;
}

/** SinkWords from decoded data and a drain's tlast flags and cycles. */
function words<T extends number | bigint>(data: ArrayLike<T>, c: SinkColumns<unknown>): SinkWord<T>[] {
  const out = new Array<SinkWord<T>>(data.length);
  for (let j = 0; j < data.length; j++) out[j] = { data: data[j], last: c.last[j] === 1, cycle: c.cycles ? c.cycles[j] : -1 };
  return out;
}
