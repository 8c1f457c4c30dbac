/**
 * `sim` transport: the verilated design in a child process (sim/verilator's runner); the request bytes
 * go into its s_axis_in stream and the answers come from m_axis_out, over the runner's pipes. A write
 * queues any number of frames; a read runs the clock inside the harness until the bytes asked for have
 * come out (or a cycle budget is spent), so a whole pipelined batch costs a few pipe round trips, not one
 * per frame. Optional seeded random valid/ready on both streams.
 */
import type { Module } from '../../generator/ir/index.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/index.js';
import type { Transport } from './transport.js';

export interface SimOptions {
  /** Input / output stream buses (default 'in' / 'out': s_axis_in, m_axis_out). */
  inBus?: string;
  outBus?: string;
  /** Cycles a read may run per millisecond of its timeout (default 20,000: a 30 s timeout = 600 M cycles). */
  cyclesPerMs?: number;
  /** Seeded random back-pressure: valid probability of the input, ready probability of the output. */
  pValid?: number;
  pReady?: number;
  seed?: number;
  /** Reset cycles at start (default 4). */
  resetCycles?: number;
}

export class SimTransport implements Transport {
  readonly name: string;
  /** Clock cycles run so far by reads. */
  cycles = 0;
  private readonly inBus: string;
  private readonly outBus: string;
  private readonly cyclesPerMs: number;

  private constructor(
    readonly model: Model,
    o: SimOptions,
  ) {
    this.inBus = o.inBus ?? 'in';
    this.outBus = o.outBus ?? 'out';
    this.cyclesPerMs = o.cyclesPerMs ?? 20_000;
    this.name = `sim (${model.build.top})`;
  }

  /** Around a running model (reset and set up here). */
  static async attach(model: Model, o: SimOptions = {}): Promise<SimTransport> {
    const t = new SimTransport(model, o);
    if (o.pValid !== undefined) await model.sourcePattern(t.inBus, o.pValid, o.seed ?? 1);
    if (o.pReady !== undefined) await model.sinkPattern(t.outBus, o.pReady, (o.seed ?? 1) + 1);
    await model.reset(o.resetCycles ?? 4);
    return t;
  }

  /** Builds (cached) and starts a design, then attaches to it. */
  static async start(top: Module, o: SimOptions = {}): Promise<SimTransport> {
    return SimTransport.attach(await buildFromIr(top), o);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    await this.model.push(this.inBus, Array.from(bytes), 'none');
  }

  async read(min: number, timeoutMs: number): Promise<Uint8Array> {
    const maxCycles = Math.max(1, Math.round(timeoutMs * this.cyclesPerMs));
    const r = await this.model.run({ untilSinkCount: { bus: this.outBus, n: Math.max(1, min) }, maxCycles, allowTimeout: true });
    this.cycles += r.cycles;
    const words = await this.model.drain(this.outBus);
    return Uint8Array.from(words, (w) => w.data);
  }

  async close(): Promise<void> {
    await this.model.close();
  }
}
