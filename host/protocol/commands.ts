/**
 * Request payloads from the command table of the bindings, and the decoders of the response payloads
 * (docs/protocol.md). Field names, offsets and ranges come from PROTOCOL, so an encoder cannot disagree
 * with the front end's checks.
 */
import { OVERFLOWS, ROUNDINGS } from '../../generator/fixed/types.js';
import { commandSpec, errorName, commandName, type CommandName, type ProtocolSpec } from './spec.js';

/**
 * The payload of a request: the header fields by name (each must be given and in range), then the
 * records (each exactly `record` bytes) or, for a command without fields, raw bytes.
 */
export function encodePayload(
  spec: ProtocolSpec,
  name: CommandName,
  fields: Readonly<Record<string, number>> = {},
  records: readonly ArrayLike<number>[] = [],
): Uint8Array {
  const c = commandSpec(spec, name);
  const out = new Uint8Array(c.header + records.reduce((s, r) => s + r.length, 0));
  for (const f of c.fields) {
    if (f.in !== 'header') continue;
    const v = fields[f.name];
    if (v === undefined) throw new RangeError(`${name}: field '${f.name}' is missing`);
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** (8 * f.bytes)) throw new RangeError(`${name}: field '${f.name}' = ${v} does not fit ${f.bytes} byte(s)`);
    for (let k = 0; k < f.bytes; k++) out[f.offset + k] = Math.floor(v / 2 ** (8 * k)) & 0xff;
  }
  for (const key of Object.keys(fields)) {
    if (!c.fields.some((f) => f.name === key && f.in === 'header')) throw new RangeError(`${name}: no header field '${key}'`);
  }
  let at = c.header;
  for (const r of records) {
    if (c.record > 0 && r.length !== c.record) throw new RangeError(`${name}: a record is ${c.record} bytes, got ${r.length}`);
    out.set(r as ArrayLike<number>, at);
    at += r.length;
  }
  return out;
}

/** An error frame's payload. */
export interface ErrorInfo {
  code: number;
  name: string;
  /** Opcode of the request it answers (as received). */
  op: number;
  detail: number;
  /** The controller's detail bytes beyond the first two. */
  extra: Uint8Array;
}

export function decodeError(p: Uint8Array): ErrorInfo {
  if (p.length < 2) throw new ProtocolError(`error frame with a ${p.length}-byte payload (need ≥ 2)`);
  return { code: p[0], name: errorName(p[0]), op: p[1], detail: p.length >= 4 ? p[2] | (p[3] << 8) : p.length === 3 ? p[2] : 0, extra: p.subarray(4) };
}

/** A request the chip refused: the error frame, named. */
export class ChipError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(`chip rejected ${commandName(info.op)}: ${info.name} (detail ${info.detail})`);
    this.name = 'ChipError';
  }
}

/** The byte stream did not carry what the protocol says (no answer, wrong answer). */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

class Reader {
  off = 0;
  constructor(
    readonly p: Uint8Array,
    readonly what: string,
  ) {}
  need(n: number): void {
    if (this.off + n > this.p.length) throw new ProtocolError(`${this.what}: payload ends at byte ${this.p.length}, need ${this.off + n}`);
  }
  u8(): number {
    this.need(1);
    return this.p[this.off++];
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  u32(): number {
    return (this.u16() + this.u16() * 0x10000) >>> 0;
  }
  u64(): bigint {
    const lo = BigInt(this.u32());
    return lo | (BigInt(this.u32()) << 32n);
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.p.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }
  end(): void {
    if (this.off !== this.p.length) throw new ProtocolError(`${this.what}: ${this.p.length - this.off} bytes left over`);
  }
}

export interface Identity {
  protocol: number;
  generatorVersion: string;
  configHash: string;
  maxPayload: number;
  timeoutCycles: number;
  layers: number[];
  window: number;
  lanes: number;
  weightWords: number;
  wordBytes: number;
  formats: { width: number; fracBits: number; signed: boolean; rounding: string; overflow: string }[];
}

/** IDENTIFY's payload (generator/protocol.ts identifyBlock). */
export function decodeIdentify(p: Uint8Array): Identity {
  const r = new Reader(p, 'IDENTIFY');
  const protocol = r.u8();
  const generatorVersion = Buffer.from(r.bytes(r.u8())).toString('ascii');
  const configHash = Buffer.from(r.bytes(8)).toString('hex');
  const maxPayload = r.u16();
  const timeoutCycles = r.u32();
  const layers = Array.from({ length: r.u8() }, () => r.u16());
  const window = r.u16();
  const lanes = r.u16();
  const weightWords = r.u32();
  const wordBytes = r.u8();
  const formats = Array.from({ length: r.u8() }, () => {
    const width = r.u8();
    const fb = r.u8();
    return { width, fracBits: fb >= 128 ? fb - 256 : fb, signed: r.u8() === 1, rounding: ROUNDINGS[r.u8()] ?? '?', overflow: OVERFLOWS[r.u8()] ?? '?' };
  });
  r.end();
  return { protocol, generatorVersion, configHash, maxPayload, timeoutCycles, layers, window, lanes, weightWords, wordBytes, formats };
}

export interface LinkStatus {
  accepted: number;
  rejected: number;
  dropped: number;
}

export function decodeLinkStatus(p: Uint8Array): LinkStatus {
  const r = new Reader(p, 'LINK_STATUS');
  const s = { accepted: r.u32(), rejected: r.u32(), dropped: r.u32() };
  r.end();
  return s;
}

export interface Counters {
  steps: bigint;
  busyCycles: bigint;
  stalledCycles: bigint;
  saturations: number[];
}

export function decodeCounters(p: Uint8Array, quantities: number): Counters {
  const r = new Reader(p, 'READ_COUNTERS');
  const c = { steps: r.u64(), busyCycles: r.u64(), stalledCycles: r.u64(), saturations: Array.from({ length: quantities }, () => r.u32()) };
  r.end();
  return c;
}

/** READ_COUNTERS' payload (what the controller answers): u64 steps, busy, stalled cycles, u32 saturations. */
export function encodeCounters(c: Counters): number[] {
  const out: number[] = [];
  const le = (v: bigint, bytes: number) => {
    for (let k = 0n; k < BigInt(bytes); k++) out.push(Number((v >> (8n * k)) & 0xffn));
  };
  le(c.steps, 8);
  le(c.busyCycles, 8);
  le(c.stalledCycles, 8);
  for (const n of c.saturations) le(BigInt(n), 4);
  return out;
}

/** READ_WEIGHTS' payload: little-endian two's-complement words of `wordBytes` bytes. */
export function decodeWords(p: Uint8Array, wordBytes: number): number[] {
  if (p.length % wordBytes !== 0) throw new ProtocolError(`READ_WEIGHTS: ${p.length} bytes is not a whole number of ${wordBytes}-byte words`);
  const out: number[] = [];
  const span = 2 ** (8 * wordBytes);
  for (let i = 0; i < p.length; i += wordBytes) {
    let v = 0;
    for (let k = wordBytes - 1; k >= 0; k--) v = v * 256 + p[i + k];
    out.push(v >= span / 2 ? v - span : v);
  }
  return out;
}

/** Weight words as LOAD_WEIGHTS records. */
export function encodeWords(words: readonly number[], wordBytes: number): Uint8Array[] {
  const span = 2 ** (8 * wordBytes);
  return words.map((w) => {
    if (!Number.isInteger(w) || w < -span / 2 || w >= span / 2) throw new RangeError(`weight word ${w} does not fit ${wordBytes} byte(s)`);
    const u = w < 0 ? w + span : w;
    return Uint8Array.from({ length: wordBytes }, (_, k) => Math.floor(u / 2 ** (8 * k)) & 0xff);
  });
}

/** READ_LFSR's payload: unsigned little-endian lane states of `bytes` bytes. */
export function decodeStates(p: Uint8Array, bytes: number): number[] {
  if (p.length % bytes !== 0) throw new ProtocolError(`READ_LFSR: ${p.length} bytes is not a whole number of ${bytes}-byte states`);
  const out: number[] = [];
  for (let i = 0; i < p.length; i += bytes) {
    let v = 0;
    for (let k = bytes - 1; k >= 0; k--) v = v * 256 + p[i + k];
    out.push(v);
  }
  return out;
}

/**
 * LFSR lane states as LOAD_LFSR records. A state must be a nonzero `width`-bit value: 0 locks a Galois
 * LFSR at 0 (the chip would store it, and every stochastic rounding of that lane would round down).
 */
export function encodeStates(states: readonly number[], bytes: number, width: number): Uint8Array[] {
  return states.map((s, i) => {
    if (!Number.isInteger(s) || s < 1 || s > 2 ** width - 1) throw new RangeError(`LFSR state ${i} = ${s} must be an integer in 1..2^${width}−1`);
    return Uint8Array.from({ length: bytes }, (_, k) => Math.floor(s / 2 ** (8 * k)) & 0xff);
  });
}

/** READ_LFSR's answer (what the controller sends): unsigned little-endian states of `bytes` bytes. */
export function encodeStateBytes(states: readonly number[], bytes: number): number[] {
  return states.flatMap((s) => Array.from({ length: bytes }, (_, k) => Math.floor(s / 2 ** (8 * k)) & 0xff));
}
