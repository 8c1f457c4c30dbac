/**
 * The host side of the command protocol over any Transport: frames requests with running tags, sends
 * many frames per write (pipelined batches: no round trip per sample), matches the answers by order and
 * tag, and turns error frames into ChipError. Typed helpers for every command; layouts and limits come
 * from the bindings (PROTOCOL), so frames are cut to what the chip accepts.
 */
import { FrameParser, encodeFrame, type Frame } from './frame.js';
import {
  ChipError,
  ProtocolError,
  decodeCounters,
  decodeError,
  decodeIdentify,
  decodeLinkStatus,
  decodeStates,
  decodeWords,
  encodeStates,
  encodePayload,
  encodeWords,
  type Counters,
  type Identity,
  type LinkStatus,
} from './commands.js';
import { DEFAULT_SPEC, FRAME_OVERHEAD, OPCODES, commandName, commandSpec, type CommandName, type ProtocolSpec } from './spec.js';
import type { Transport } from '../transport/transport.js';

export interface Request {
  op: number;
  payload?: ArrayLike<number>;
}

/** The answer to one request: its response frame, or the chip's error. */
export type Answer = { ok: true; frame: Frame } | { ok: false; error: ChipError };

export interface ClientOptions {
  spec?: ProtocolSpec;
  /** How long to wait for the next answer (ms; the sim transport turns it into a cycle budget). Default 30 s. */
  timeoutMs?: number;
  /**
   * Request bytes sent ahead of their answers. A board's UART has no flow control, so keep this within
   * the receive FIFO in front of the chip; pipes and the simulator accept any amount. Default 1 MiB.
   */
  window?: number;
  /**
   * Records per TRAIN or INFER frame (at most the command's maximum). Default 1: the chip's front end
   * receives a frame only once it has forwarded the previous one, so a one-record frame arrives while the
   * step before it still runs and the datapath never waits for the link; more records per frame save
   * 10 request and 9 answer bytes per record, which only matters on a slow link.
   */
  recordsPerFrame?: number;
}

export interface RunParams {
  hiddenShift: number;
  hiddenMul: number;
  outShift: number;
  outMul: number;
  seed: number;
}

export class Client {
  readonly spec: ProtocolSpec;
  private readonly parser = new FrameParser();
  private readonly timeoutMs: number;
  private readonly window: number;
  private readonly perFrame: number;
  private nextTag = 0;
  /** Frames received but not yet matched to a request: inbox[inboxHead …] (no O(n) shift per frame). */
  private inbox: Frame[] = [];
  private inboxHead = 0;

  constructor(
    readonly transport: Transport,
    o: ClientOptions = {},
  ) {
    this.spec = o.spec ?? DEFAULT_SPEC;
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.window = o.window ?? 1 << 20;
    this.perFrame = o.recordsPerFrame ?? 1;
    if (!Number.isInteger(this.perFrame) || this.perFrame < 1) throw new RangeError(`client: recordsPerFrame must be an integer ≥ 1, got ${o.recordsPerFrame}`);
  }

  /** Records per frame of a record command: the option, capped at what the command takes. */
  private recordsPerFrameOf(c: { maxRecords: number }): number {
    return Math.min(this.perFrame, c.maxRecords);
  }

  /**
   * Sends the requests as one pipelined stream (up to `window` bytes ahead of the answers) and returns
   * their answers in order. Throws ProtocolError when an answer is missing or does not match its request.
   */
  async batch(reqs: readonly Request[]): Promise<Answer[]> {
    const frames = reqs.map((r) => {
      const tag = this.nextTag;
      this.nextTag = (this.nextTag + 1) & 0xff;
      return { op: r.op, tag, bytes: encodeFrame(r.op, tag, r.payload ?? []) };
    });
    const answers: Answer[] = [];
    let sent = 0;
    let inFlight = 0;
    while (answers.length < frames.length) {
      // send as much as the window allows (at least one frame when nothing is outstanding)
      const chunk: Uint8Array[] = [];
      while (sent < frames.length && (sent === answers.length || inFlight + frames[sent].bytes.length <= this.window)) {
        chunk.push(frames[sent].bytes);
        inFlight += frames[sent].bytes.length;
        sent++;
      }
      if (chunk.length) await this.transport.write(chunk.length === 1 ? chunk[0] : Buffer.concat(chunk));
      // read until every sent frame is answered (each answer is at least FRAME_OVERHEAD bytes)
      while (answers.length < sent) {
        const f = this.nextFrame() ?? (await this.receive(sent - answers.length));
        if (!f) continue;
        const want = frames[answers.length];
        if (f.tag !== want.tag) {
          throw new ProtocolError(`answer with tag ${f.tag} where ${commandName(want.op)} (tag ${want.tag}) was due: a frame was lost (link stats: ${JSON.stringify(this.parser.stats)})`);
        }
        if (f.op === this.spec.errorOpcode) answers.push({ ok: false, error: new ChipError(decodeError(f.payload)) });
        else if (f.op === (want.op | this.spec.responseBit)) answers.push({ ok: true, frame: f });
        else throw new ProtocolError(`answer opcode 0x${f.op.toString(16)} to ${commandName(want.op)}`);
        inFlight -= want.bytes.length;
      }
    }
    return answers;
  }

  /** One request; its response payload, or throws the chip's error. */
  async call(op: number, payload: ArrayLike<number> = []): Promise<Uint8Array> {
    const [a] = await this.batch([{ op, payload }]);
    if (!a.ok) throw a.error;
    return a.frame.payload;
  }

  /**
   * Reads until at least one more frame is complete; returns it (the rest wait in the inbox), or null if
   * the bytes so far complete none. Asks the transport for a lower bound of the bytes still due for
   * `due` answers, so a simulator can run exactly long enough.
   */
  private async receive(due: number): Promise<Frame | null> {
    const min = this.parser.midFrame ? this.parser.pending + (due - 1) * FRAME_OVERHEAD : due * FRAME_OVERHEAD;
    const bytes = await this.transport.read(Math.max(1, min), this.timeoutMs);
    if (bytes.length === 0) {
      throw new ProtocolError(`no answer from the chip within ${this.timeoutMs} ms over ${this.transport.name} (link stats: ${JSON.stringify(this.parser.stats)})`);
    }
    for (const f of this.parser.push(bytes)) this.inbox.push(f);
    return this.nextFrame();
  }

  private nextFrame(): Frame | null {
    if (this.inboxHead >= this.inbox.length) {
      this.inbox = [];
      this.inboxHead = 0;
      return null;
    }
    return this.inbox[this.inboxHead++];
  }

  // ---- commands ------------------------------------------------------------------------------

  async identify(): Promise<Identity> {
    return decodeIdentify(await this.call(OPCODES.IDENTIFY));
  }

  async echo(bytes: ArrayLike<number>): Promise<Uint8Array> {
    return this.call(OPCODES.ECHO, bytes);
  }

  async linkStatus(): Promise<LinkStatus> {
    return decodeLinkStatus(await this.call(OPCODES.LINK_STATUS));
  }

  async reset(): Promise<void> {
    await this.call(OPCODES.RESET);
  }

  async setParams(p: RunParams): Promise<void> {
    await this.call(OPCODES.SET_PARAMS, this.payload('SET_PARAMS', { ...p }));
  }

  async newEpoch(): Promise<void> {
    await this.call(OPCODES.NEW_EPOCH);
  }

  /** Writes weight words from `offset` (the weight map), as many frames as needed, pipelined. */
  async loadWeights(offset: number, words: readonly number[]): Promise<void> {
    await this.loadSpan('LOAD_WEIGHTS', offset, encodeWords(words, this.spec.wordBytes));
  }

  /** Reads `count` weight words from `offset`. */
  async readWeights(offset: number, count: number): Promise<number[]> {
    return (await this.readSpan('READ_WEIGHTS', offset, count)).flatMap((p) => decodeWords(p, this.spec.wordBytes));
  }

  /** Writes LFSR lane states from state `offset` (state n: lane n mod lanes of weight layer ⌊n/lanes⌋). */
  async loadLfsr(offset: number, states: readonly number[]): Promise<void> {
    await this.loadSpan('LOAD_LFSR', offset, encodeStates(states, this.spec.lfsrBytes, this.spec.lfsrWidth));
  }

  /** Reads `count` LFSR lane states from state `offset`. */
  async readLfsr(offset: number, count: number): Promise<number[]> {
    return (await this.readSpan('READ_LFSR', offset, count)).flatMap((p) => decodeStates(p, this.spec.lfsrBytes));
  }

  /** A LOAD command's records from `offset`, as many frames as needed, pipelined. */
  private async loadSpan(name: 'LOAD_WEIGHTS' | 'LOAD_LFSR', offset: number, recs: Uint8Array[]): Promise<void> {
    const c = commandSpec(this.spec, name);
    const reqs: Request[] = [];
    for (let i = 0; i < recs.length; i += c.maxRecords) reqs.push({ op: c.code, payload: this.payload(name, { offset: offset + i }, recs.slice(i, i + c.maxRecords)) });
    this.throwFirst(await this.batch(reqs));
  }

  /** The answers' payloads of a READ command over `count` units from `offset`, as many frames as needed. */
  private async readSpan(name: 'READ_WEIGHTS' | 'READ_LFSR', offset: number, count: number): Promise<Uint8Array[]> {
    const c = commandSpec(this.spec, name);
    const max = (c.fields.find((f) => f.name === 'count') as { max: number }).max;
    const reqs: Request[] = [];
    for (let i = 0; i < count; i += max) reqs.push({ op: c.code, payload: this.payload(name, { offset: offset + i, count: Math.min(max, count - i) }) });
    return this.throwFirst(await this.batch(reqs)).map((f) => f.payload);
  }

  /** One training step per sample, in frames of as many samples as fit, all pipelined. */
  async train(samples: readonly { pixels: ArrayLike<number>; label: number }[]): Promise<void> {
    this.throwFirst(await this.batch(this.trainRequests(samples)));
  }

  /** The TRAIN frames of `samples` (as many samples per frame as fit), for a batch of its own or a larger one. */
  trainRequests(samples: readonly { pixels: ArrayLike<number>; label: number }[]): Request[] {
    const c = commandSpec(this.spec, 'TRAIN');
    const n = this.recordsPerFrameOf(c);
    const reqs: Request[] = [];
    for (let i = 0; i < samples.length; i += n) {
      const recs = samples.slice(i, i + n).map((s) => {
        if (s.pixels.length !== this.spec.pixels) throw new RangeError(`train: a sample has ${s.pixels.length} pixels, the chip takes ${this.spec.pixels}`);
        const r = new Uint8Array(this.spec.pixels + 1);
        r.set(s.pixels);
        r[this.spec.pixels] = s.label;
        return r;
      });
      reqs.push({ op: c.code, payload: this.payload('TRAIN', {}, recs) });
    }
    return reqs;
  }

  /**
   * Predicted class of each sample, in frames of as many records as fit (whatever `recordsPerFrame` says):
   * the chip answers an INFER frame after its last record, and streams each record's bytes in while it
   * still infers the previous one, so full frames keep it busy.
   */
  async infer(samples: readonly ArrayLike<number>[]): Promise<number[]> {
    const c = commandSpec(this.spec, 'INFER');
    const n = c.maxRecords;
    const reqs: Request[] = [];
    for (let i = 0; i < samples.length; i += n) reqs.push({ op: c.code, payload: this.payload('INFER', {}, samples.slice(i, i + n)) });
    return this.throwFirst(await this.batch(reqs)).flatMap((f) => [...f.payload]);
  }

  async readCounters(): Promise<Counters> {
    const c = await this.call(OPCODES.READ_COUNTERS);
    return decodeCounters(c, (c.length - 24) / 4);
  }

  private payload(name: CommandName, fields: Record<string, number>, records: readonly ArrayLike<number>[] = []): Uint8Array {
    return encodePayload(this.spec, name, fields, records);
  }

  private throwFirst(answers: Answer[]): Frame[] {
    return answers.map((a) => {
      if (!a.ok) throw a.error;
      return a.frame;
    });
  }
}
