/**
 * Request streams for the front end's co-simulation and its benchmark: well-formed frames of every
 * command and every kind of malformed input, each with the answer docs/protocol.md promises for it
 * (worked out here from the rules, not by the reference model), and a deterministic stand-in controller.
 */
import { Rng } from '../../sim/rng.js';
import { FrameParser, encodeFrame } from '../../host/protocol/frame.js';
import { decodeError, encodePayload } from '../../host/protocol/commands.js';
import { ERRORS, type CommandSpec, type ProtocolSpec } from '../../host/protocol/spec.js';
import type { ControllerReply } from '../../host/protocol/frontend-model.js';

export type Kind = 'good' | 'badCrc' | 'badHeader' | 'unknownOp' | 'badLength' | 'tooLong' | 'outOfRange' | 'truncated' | 'garbage';
export const KINDS: readonly Kind[] = ['good', 'badCrc', 'badHeader', 'unknownOp', 'badLength', 'tooLong', 'outOfRange', 'truncated', 'garbage'];

/** The answer a piece of input must get: a response or error frame with this opcode and tag, or none. */
export interface Expect {
  op: number;
  tag: number;
  /** For error frames: the code and the request opcode in the payload. */
  code?: number;
  reqOp?: number;
}

export interface Item {
  kind: Kind;
  bytes: number[];
  last: boolean[];
  expect: Expect | null;
}

/**
 * Stand-in controller: a reply that depends on the command only (so the test can queue the replies up
 * front): mostly status 0 with a short payload, sometimes a controller error with a two-byte detail.
 */
export function fakeController(op: number, payload: Uint8Array): ControllerReply {
  let h = op * 31;
  for (const b of payload) h = (h * 33 + b) >>> 0;
  if (h % 7 === 0) return { status: ERRORS.NOT_SUPPORTED, payload: [op, h & 0xff] };
  return { status: 0, payload: Array.from({ length: h % 13 }, (_, i) => (h >>> (i % 24)) & 0xff) };
}

/** The reply `fakeController` gives, as the bytes of the response stream (status, len lo, len hi, payload). */
export function replyBytes(r: ControllerReply): number[] {
  const p = Array.from(r.payload);
  return [r.status, p.length & 0xff, p.length >>> 8, ...p];
}

function randBytes(rng: Rng, n: number, avoid: number | null = null): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let b = rng.int(256);
    while (b === avoid) b = rng.int(256);
    out[i] = b;
  }
  return out;
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

/** A well-formed payload for command c: fields in range, span respected, a few records. */
export function validPayload(spec: ProtocolSpec, c: CommandSpec, rng: Rng, maxRecords = 40): Uint8Array {
  // records and counts stay within a span's limit (a small chip's memories hold fewer words than a frame)
  const most = Math.min(c.maxRecords, c.span?.count === 'records' ? c.span.limit : Infinity);
  const k = c.record === 0 ? 0 : c.minRecords + rng.int(Math.min(most, Math.max(c.minRecords, maxRecords)) - c.minRecords + 1);
  const fields: Record<string, number> = {};
  for (const f of c.fields) if (f.in === 'header') fields[f.name] = f.min + rng.int(f.max - f.min + 1);
  if (c.span) {
    const count = c.span.count === 'records' ? k : (fields[c.span.count] = 1 + rng.int(Math.min(64, fields[c.span.count], c.span.limit)));
    fields[c.span.offset] = rng.int(c.span.limit - count + 1);
  }
  const records = Array.from({ length: k }, () => {
    const r = randBytes(rng, c.record);
    for (const f of c.fields) if (f.in === 'record') r[f.offset] = f.min + rng.int(f.max - f.min + 1);
    return r;
  });
  return encodePayload(spec, c.name, fields, records);
}

/** A payload of command c with one field out of range, or null when c has no field that can be. */
function outOfRangePayload(spec: ProtocolSpec, c: CommandSpec, rng: Rng): Uint8Array | null {
  const p = validPayload(spec, c, rng, 3);
  const checkable = c.fields.filter((f) => f.min > 0 || f.max < 2 ** (8 * f.bytes) - 1);
  if (checkable.length === 0 && !c.span) return null;
  const write = (at: number, bytes: number, v: number) => {
    for (let i = 0; i < bytes; i++) p[at + i] = Math.floor(v / 2 ** (8 * i)) & 0xff;
  };
  if (c.span && rng.int(2) === 0) {
    const field = (name: string) => c.fields.find((f) => f.name === name) as { offset: number; bytes: number };
    const off = field(c.span.offset);
    let count = (p.length - c.header) / c.record;
    if (c.span.count !== 'records') {
      const cf = field(c.span.count);
      count = 0;
      for (let i = cf.bytes - 1; i >= 0; i--) count = count * 256 + p[cf.offset + i];
    }
    // offset so large that offset + count passes the end (offset itself may still be a valid word)
    write(off.offset, off.bytes, c.span.limit - count + 1 + rng.int(3));
    return p;
  }
  if (checkable.length === 0) return null;
  const f = pick(rng, checkable);
  const top = 2 ** (8 * f.bytes) - 1;
  const v = f.min > 0 && (f.max === top || rng.int(2) === 0) ? rng.int(f.min) : f.max + 1 + rng.int(Math.min(top - f.max, 1000));
  if (f.in === 'header') write(f.offset, f.bytes, v);
  else {
    const records = (p.length - c.header) / c.record;
    p[c.header + rng.int(records) * c.record + f.offset] = v;
  }
  return p;
}

function frameItem(kind: Kind, bytes: Uint8Array | number[], expect: Expect | null, tlast: boolean): Item {
  const b = Array.from(bytes);
  return { kind, bytes: b, last: b.map((_, i) => tlast && i === b.length - 1), expect };
}

/** One piece of input of the given kind, with the answer it must get. */
export function makeItem(spec: ProtocolSpec, kind: Kind, tag: number, rng: Rng): Item {
  const c = pick(rng, spec.commands);
  const tlast = rng.int(2) === 0;
  const E = spec.errorOpcode;
  const err = (code: number, reqOp: number): Expect => ({ op: E, tag, code, reqOp });
  switch (kind) {
    case 'good': {
      const p = validPayload(spec, c, rng);
      let expect: Expect = { op: c.code | spec.responseBit, tag };
      if (c.handler === 'controller') {
        const r = fakeController(c.code, p);
        if (r.status !== 0) expect = err(r.status, c.code);
      }
      return frameItem(kind, encodeFrame(c.code, tag, p), expect, tlast);
    }
    case 'badCrc': {
      const f = encodeFrame(c.code, tag, validPayload(spec, c, rng));
      const at = 7 + rng.int(f.length - 7);
      f[at] ^= 1 << rng.int(8);
      return frameItem(kind, f, err(ERRORS.BAD_CRC, c.code), tlast);
    }
    case 'badHeader': {
      const f = encodeFrame(c.code, tag, validPayload(spec, c, rng, 2));
      f[4 + rng.int(3)] ^= 1 << rng.int(8);
      // the rest is hunted through as garbage: keep it free of sync bytes so it cannot start a frame
      for (let i = 7; i < f.length; i++) if (f[i] === spec.sync[0]) f[i] = 0;
      return frameItem(kind, f, err(ERRORS.HEADER_CRC, c.code), false);
    }
    case 'unknownOp': {
      const known = new Set(spec.commands.map((x) => x.code));
      let op = rng.int(256);
      while (known.has(op)) op = rng.int(256);
      return frameItem(kind, encodeFrame(op, tag, randBytes(rng, rng.int(20))), err(ERRORS.UNKNOWN_OPCODE, op), tlast);
    }
    case 'badLength': {
      const choices = spec.commands.filter((x) => !(x.header === 0 && x.record === 1 && x.minRecords === 0 && x.maxRecords === spec.maxPayload));
      const b = pick(rng, choices);
      const lens: number[] = [];
      if (b.header > 0) lens.push(rng.int(b.header));
      if (b.record === 0) lens.push(b.header + 1 + rng.int(8));
      if (b.record > 1) lens.push(b.header + b.record * (b.minRecords + 1) - 1);
      if (b.minRecords > 0) lens.push(b.header);
      if (b.record > 0 && b.header + b.record * (b.maxRecords + 1) <= spec.maxPayload) lens.push(b.header + b.record * (b.maxRecords + 1));
      const len = pick(rng, lens);
      return frameItem(kind, encodeFrame(b.code, tag, randBytes(rng, len)), err(ERRORS.BAD_LENGTH, b.code), tlast);
    }
    case 'tooLong': {
      const len = spec.maxPayload + 1 + rng.int(0xffff - spec.maxPayload);
      // the header only: an encoded frame's first 7 bytes carry the length and a valid header CRC
      const f = encodeFrame(c.code, tag, new Uint8Array(len)).subarray(0, 7);
      return frameItem(kind, f, err(ERRORS.BAD_LENGTH, c.code), false);
    }
    case 'outOfRange': {
      const cands = spec.commands.filter((x) => x.fields.some((f) => f.min > 0 || f.max < 2 ** (8 * f.bytes) - 1) || x.span);
      for (;;) {
        const b = pick(rng, cands);
        const p = outOfRangePayload(spec, b, rng);
        if (p) return frameItem(kind, encodeFrame(b.code, tag, p), err(ERRORS.OUT_OF_RANGE, b.code), tlast);
      }
    }
    case 'truncated': {
      const f = encodeFrame(c.code, tag, validPayload(spec, c, rng, 3));
      const n = 3 + rng.int(f.length - 3); // at least one header byte, at most all but the last byte
      const b = Array.from(f.subarray(0, n));
      // the byte carrying tlast is not taken into the header: opcode and tag are 0 unless received before it
      const expect = { op: E, tag: n >= 5 ? tag : 0, code: ERRORS.TRUNCATED, reqOp: n >= 4 ? c.code : 0 };
      return { kind, bytes: b, last: b.map((_, i) => i === n - 1), expect };
    }
    case 'garbage': {
      const b = randBytes(rng, 1 + rng.int(24), spec.sync[0]);
      return { kind, bytes: b, last: b.map(() => rng.int(4) === 0), expect: null };
    }
  }
}

/** n items, kinds drawn with the given weights (default: half well-formed, the rest spread over the faults). */
export function makeStream(spec: ProtocolSpec, n: number, seed: number, weights: Partial<Record<Kind, number>> = {}): Item[] {
  const rng = new Rng(seed);
  const w = KINDS.map((k) => weights[k] ?? (k === 'good' ? 8 : 1));
  const total = w.reduce((a, b) => a + b, 0);
  const items: Item[] = [];
  for (let i = 0; i < n; i++) {
    let r = rng.int(total);
    let j = 0;
    while (r >= w[j]) r -= w[j++];
    items.push(makeItem(spec, KINDS[j], i & 0xff, rng));
  }
  return items;
}

/** Bytes and tlast flags of a stream of items. */
export function flatten(items: readonly Item[]): { bytes: number[]; last: boolean[] } {
  const bytes: number[] = [];
  const last: boolean[] = [];
  for (const it of items) {
    for (const b of it.bytes) bytes.push(b);
    for (const l of it.last) last.push(l);
  }
  return { bytes, last };
}

/**
 * Checks the output stream against the items' promised answers: the frames parse cleanly, each ends with
 * tlast, and they are exactly the expected ones in order (opcode, tag; for errors code and request
 * opcode). Returns null, or what is wrong.
 */
export function answerMismatch(out: readonly number[], outLast: readonly boolean[], items: readonly Item[]): string | null {
  const parser = new FrameParser();
  const frames = parser.push(out);
  const s = parser.stats;
  if (s.dropped || s.badHeaders || s.tooLong || s.badCrc || parser.midFrame) return `output stream does not parse cleanly: ${JSON.stringify(s)}`;
  let at = 0;
  const ends = new Set(frames.map((f) => (at += 9 + f.payload.length) - 1));
  const badLast = outLast.findIndex((l, i) => l !== ends.has(i));
  if (badLast >= 0) return `tlast ${outLast[badLast] ? 'on' : 'missing on'} output byte ${badLast}`;
  const want = items.filter((it) => it.expect);
  if (frames.length !== want.length) return `${frames.length} answers for ${want.length} expected`;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    const w = want[i].expect as Expect;
    const e = f.op === 0xff ? decodeError(f.payload) : null;
    if (f.op !== w.op || f.tag !== w.tag || (e && (e.code !== w.code || e.op !== w.reqOp))) {
      return `answer ${i} (${want[i].kind}): got op ${f.op} tag ${f.tag}${e ? ` code ${e.code} reqOp ${e.op}` : ''}, want ${JSON.stringify(w)}`;
    }
  }
  return null;
}
