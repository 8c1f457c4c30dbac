/**
 * Reference of the chip's stream front end (generator/units/frontend.ts), byte for byte: the request
 * parser with its checks and resynchronisation, the answers the front end gives itself (IDENTIFY, ECHO,
 * LINK_STATUS, RESET, error frames) and the command stream it forwards to the controller. The Verilog is
 * co-simulated against it (test/units/frontend.test.ts) and the mock transport runs it in process.
 *
 * Time appears only as events: `timeout()` is the idle timeout firing, `reset()` the chip reset.
 */
import { crc16, crc8 } from './crc.js';
import { encodeFrame } from './frame.js';
import { ERRORS, OPCODES, SYNC0, SYNC1, type CommandSpec, type ProtocolSpec } from './spec.js';
import { lengthOk } from '../../generator/protocol.js';

/** What the controller answers to one command: status 0 and a payload, or an error code and its detail. */
export interface ControllerReply {
  status: number;
  payload: ArrayLike<number>;
}

/** The controller behind the front end: gets each verified command, returns its reply. */
export type Controller = (op: number, payload: Uint8Array) => ControllerReply;

export interface LinkCounters {
  accepted: number;
  rejected: number;
  dropped: number;
}

const enum S {
  Hunt,
  Sync1,
  Header,
  Hcrc,
  Payload,
  Crc0,
  Crc1,
}

export class FrontEndModel {
  /** Response frames, as the output stream carries them. */
  out: number[] = [];
  /** The command stream to the controller: opcode, len lo, len hi, payload; `cmdLast` marks each command's final byte. */
  cmd: number[] = [];
  cmdLast: boolean[] = [];
  /** Chip resets requested by RESET commands. */
  resets = 0;
  readonly counters: LinkCounters = { accepted: 0, rejected: 0, dropped: 0 };

  private state = S.Hunt;
  private hdr: number[] = [];
  private payload: number[] = [];
  private len = 0;
  /** Bytes received since the sync pair. */
  private got = 0;
  private crc = 0;

  constructor(
    readonly spec: ProtocolSpec,
    readonly identify: readonly number[],
    readonly controller: Controller | null = null,
  ) {}

  /** One byte of the input stream, with its tlast. */
  feed(byte: number, last = false): void {
    if (this.state === S.Hunt) {
      if (byte === SYNC0) this.state = S.Sync1;
      else this.counters.dropped = (this.counters.dropped + 1) >>> 0;
      return;
    }
    if (this.state === S.Sync1) {
      if (byte === SYNC1) {
        this.state = S.Header;
        this.hdr = [];
        this.got = 0;
      } else if (byte === SYNC0) this.counters.dropped = (this.counters.dropped + 1) >>> 0;
      else {
        this.counters.dropped = (this.counters.dropped + 2) >>> 0;
        this.state = S.Hunt;
      }
      return;
    }
    this.got++;
    const final = this.state === S.Crc1;
    if (last && !final) {
      this.error(ERRORS.TRUNCATED, this.got);
      return;
    }
    switch (this.state) {
      case S.Header:
        this.hdr.push(byte);
        if (this.hdr.length === 4) this.state = S.Hcrc;
        break;
      case S.Hcrc:
        this.len = this.hdr[2] | (this.hdr[3] << 8);
        if (byte !== crc8(this.hdr)) this.error(ERRORS.HEADER_CRC, 0);
        else if (this.len > this.spec.maxPayload) this.error(ERRORS.BAD_LENGTH, this.len);
        else {
          this.crc = crc16([...this.hdr, byte]);
          this.payload = [];
          this.state = this.len === 0 ? S.Crc0 : S.Payload;
        }
        break;
      case S.Payload:
        this.payload.push(byte);
        this.crc = crc16([byte], this.crc);
        if (this.payload.length === this.len) this.state = S.Crc0;
        break;
      case S.Crc0:
        this.crc = crc16([byte], this.crc);
        this.state = S.Crc1;
        break;
      case S.Crc1:
        this.crc = crc16([byte], this.crc);
        this.state = S.Hunt;
        this.decide();
        break;
    }
  }

  feedAll(bytes: ArrayLike<number>, last: ArrayLike<boolean> | null = null): void {
    for (let i = 0; i < bytes.length; i++) this.feed(bytes[i], last ? last[i] : false);
  }

  /** The idle timeout: a frame under way is cut (TRUNCATED); while hunting nothing happens. */
  timeout(): void {
    if (this.state !== S.Hunt && this.state !== S.Sync1) this.error(ERRORS.TRUNCATED, this.got);
  }

  /** Chip reset (rst): parser state and counters back to power-up. */
  reset(): void {
    this.state = S.Hunt;
    this.counters.accepted = 0;
    this.counters.rejected = 0;
    this.counters.dropped = 0;
  }

  /** Whether the parser is between frames (hunting for sync). */
  get idle(): boolean {
    return this.state === S.Hunt;
  }

  private get op(): number {
    return this.hdr[0] ?? 0;
  }
  private get tag(): number {
    return this.hdr[1] ?? 0;
  }

  private error(code: number, detail: number): void {
    this.state = S.Hunt;
    this.counters.rejected = (this.counters.rejected + 1) >>> 0;
    this.emit(this.spec.errorOpcode, [code, this.op, detail & 0xff, (detail >>> 8) & 0xff]);
  }

  private emit(op: number, payload: ArrayLike<number>): void {
    const f = encodeFrame(op, this.tag, payload);
    for (const b of f) this.out.push(b);
  }

  private decide(): void {
    if (this.crc !== 0) return this.error(ERRORS.BAD_CRC, 0);
    const c = this.spec.commands.find((x) => x.code === this.op);
    if (!c) return this.error(ERRORS.UNKNOWN_OPCODE, this.op);
    if (!lengthOk(c, this.len)) return this.error(ERRORS.BAD_LENGTH, this.len);
    const bad = firstBadField(c, this.payload);
    if (bad !== null) return this.error(ERRORS.OUT_OF_RANGE, bad);
    this.counters.accepted = (this.counters.accepted + 1) >>> 0;
    const ok = this.op | this.spec.responseBit;
    switch (this.op) {
      case OPCODES.IDENTIFY:
        return this.emit(ok, this.identify);
      case OPCODES.ECHO:
        return this.emit(ok, this.payload);
      case OPCODES.LINK_STATUS: {
        const { accepted, rejected, dropped } = this.counters;
        return this.emit(ok, [...u32(accepted), ...u32(rejected), ...u32(dropped)]);
      }
      case OPCODES.RESET:
        this.emit(ok, []);
        this.resets++;
        return;
    }
    const words = [this.op, this.len & 0xff, this.len >>> 8, ...this.payload];
    words.forEach((w, i) => {
      this.cmd.push(w);
      this.cmdLast.push(i === words.length - 1);
    });
    if (!this.controller) return;
    const r = this.controller(this.op, Uint8Array.from(this.payload));
    if (r.status === 0) this.emit(ok, r.payload);
    else this.emit(this.spec.errorOpcode, [r.status, this.op, ...Array.from(r.payload)]);
  }
}

function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

function readField(p: readonly number[], at: number, bytes: number): number {
  let v = 0;
  for (let k = bytes - 1; k >= 0; k--) v = v * 256 + p[at + k];
  return v;
}

/**
 * The payload offset of the first field out of range, in the front end's order: header fields as listed,
 * then the span (reported at the offset field), then record fields record by record; null when all pass.
 * The length must already have passed lengthOk.
 */
export function firstBadField(c: CommandSpec, p: readonly number[]): number | null {
  const value = new Map<string, number>();
  for (const f of c.fields) {
    if (f.in !== 'header') continue;
    const v = readField(p, f.offset, f.bytes);
    value.set(f.name, v);
    if (v < f.min || v > f.max) return f.offset;
  }
  if (c.span) {
    const off = value.get(c.span.offset) as number;
    const count = c.span.count === 'records' ? (p.length - c.header) / c.record : (value.get(c.span.count) as number);
    if (off + count > c.span.limit) return (c.fields.find((f) => f.name === c.span?.offset) as { offset: number }).offset;
  }
  for (let r = c.header; c.record > 0 && r < p.length; r += c.record) {
    for (const f of c.fields) {
      if (f.in !== 'record') continue;
      const v = p[r + f.offset];
      if (v < f.min || v > f.max) return r + f.offset;
    }
  }
  return null;
}
