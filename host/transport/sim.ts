/**
 * `sim` transport: the verilated design in a child process (sim/verilator's runner); the request bytes
 * go into its s_axis_in stream and the answers come from m_axis_out, over the runner's pipes. A write
 * queues any number of frames; a read runs the clock inside the harness until the bytes asked for have
 * come out (or a cycle budget is spent), so a whole pipelined batch costs a few pipe round trips, not one
 * per frame. Optional seeded random valid/ready on both streams.
 *
 * `controller`: a software controller on the design's command streams (m_axis_cmd → s_axis_rsp, see
 * generator/units/frontend.ts) for a design that has the front end but not yet the chip's controller —
 * every verified command is handed to it and its reply queued back, so the whole client API runs
 * through the RTL front end (e.g. with host/transport/fake-chip.ts).
 */
import type { Module } from '../../generator/ir/index.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import { Model } from '../../sim/verilator/index.js';
import type { Transport } from './transport.js';
import type { Controller } from '../protocol/frontend-model.js';

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
  /**
   * The runner's per-cycle checks (default true): the valid/ready independence of the outputs and the stream
   * rules of every watched internal stream. Off for long runs (a training epoch): then the model is also
   * built lean — no internal stream watched and no memory reachable by peekMem/pokeMem — because Verilator
   * keeps public signals and memories as they are and re-evaluates the logic that reads them at every
   * evaluation (≈ 14 % of the default chip's instructions per cycle). A separate cached build.
   */
  checks?: boolean;
  /** C++ optimisation of the model (make OPT_FAST; default the runner's -O2): another cached build. */
  optFast?: string;
  /**
   * Profile-guided build (sim/verilator's BuildSpec.profile): when the model is built, `run` drives an
   * instrumented copy through a transport like this one (closed afterwards), and the C++ is compiled again
   * from that profile. `id` names the workload in the build cache.
   */
  profile?: { id: string; run(t: SimTransport): Promise<void> };
  /** Told each step of the model's build when it is not cached (it can take a minute or two). */
  onStage?: (stage: string) => void;
  /** Software controller on m_axis_cmd / s_axis_rsp (for the front end without the chip). */
  controller?: Controller;
  /** Called when the design pulses chip_rst (RESET): reset the software controller. */
  onChipReset?: () => void;
}

/** How long runs build and start a model: the runner's per-cycle checks off, no stream watched, no memory public. */
export const LEAN_BUILD = { checkValidReady: false, checkWatches: false, memories: false, watchStreams: false } as const;

export class SimTransport implements Transport {
  readonly name: string;
  /** Clock cycles run so far by reads. */
  cycles = 0;
  private readonly inBus: string;
  private readonly outBus: string;
  private readonly cyclesPerMs: number;
  private readonly controller: Controller | null;
  private readonly onChipReset: (() => void) | null;
  /** Command bytes of a command not complete yet (no tlast seen). */
  private cmdBytes: number[] = [];

  private constructor(
    readonly model: Model,
    o: SimOptions,
  ) {
    this.inBus = o.inBus ?? 'in';
    this.outBus = o.outBus ?? 'out';
    this.cyclesPerMs = o.cyclesPerMs ?? 20_000;
    this.controller = o.controller ?? null;
    this.onChipReset = o.onChipReset ?? null;
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
    const opt = { ...(o.checks === false ? LEAN_BUILD : {}), ...(o.optFast === undefined ? {} : { optFast: o.optFast }) };
    const p = o.profile;
    const profile = p && {
      id: p.id,
      run: async (b: Parameters<typeof Model.start>[0]): Promise<void> => {
        const t = await SimTransport.attach(await Model.start(b, opt), o);
        try {
          await p.run(t);
        } finally {
          await t.close();
        }
      },
    };
    return SimTransport.attach(await buildFromIr(top, { ...opt, ...(profile ? { profile } : {}), ...(o.onStage ? { onStage: o.onStage } : {}) }), o);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    await this.model.push(this.inBus, bytes, 'none');
  }

  async read(min: number, timeoutMs: number): Promise<Uint8Array> {
    let budget = Math.max(1, Math.round(timeoutMs * this.cyclesPerMs));
    for (;;) {
      const r = await this.model.run({
        untilSinkCount: { bus: this.outBus, n: Math.max(1, min) },
        ...(this.controller ? { untilLast: { bus: 'cmd' } } : {}),
        ...(this.onChipReset ? { untilPort: { port: 'chip_rst', equals: 1 } } : {}),
        maxCycles: budget,
        allowTimeout: true,
      });
      this.cycles += r.cycles;
      budget -= r.cycles;
      // serve after every run: a command may end in the same cycle as the bytes asked for arrive
      if (this.controller) await this.serveCommands();
      if (r.reason === 'portEquals' && this.onChipReset) {
        this.onChipReset();
        await this.model.step(1); // past the pulse
        budget -= 1;
      } else if (r.reason !== 'sinkLast') break;
      if (budget <= 0) break;
    }
    const words = await this.model.drainColumns(this.outBus);
    return Uint8Array.from(words.data as ArrayLike<number>);
  }

  /** Hands every complete command on m_axis_cmd to the software controller and queues its replies. */
  private async serveCommands(): Promise<void> {
    const c = await this.model.drainColumns('cmd');
    const data = c.data as ArrayLike<number>;
    const replies: number[] = [];
    for (let i = 0; i < data.length; i++) {
      this.cmdBytes.push(data[i]);
      if (!c.last[i]) continue;
      const [op, lo, hi, ...payload] = this.cmdBytes;
      this.cmdBytes = [];
      if (payload.length !== (lo | (hi << 8))) throw new Error(`sim: command 0x${op.toString(16)} announces ${lo | (hi << 8)} bytes, carries ${payload.length}`);
      const r = (this.controller as Controller)(op, Uint8Array.from(payload));
      const p = Array.from(r.payload);
      replies.push(r.status, p.length & 0xff, p.length >>> 8, ...p);
    }
    if (replies.length) await this.model.push('rsp', replies, 'none');
  }

  async close(): Promise<void> {
    await this.model.close();
  }
}
