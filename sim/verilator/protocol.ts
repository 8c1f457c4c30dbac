/**
 * Wire protocol between the Model (TS) and the harness child process (C++), over the child's
 * stdin/stdout. All integers little-endian.
 *
 * Request:  u32 length (bytes that follow) | u8 op | payload
 * Response: u32 length (bytes that follow) | u8 status (0 ok, 1 error) | payload (error: UTF-8 text)
 *
 * Requests may be pipelined; responses come back in request order. Ports, sources, sinks, watched
 * streams and memories are numbered as in the build (sources and sinks in findStreams order; stream
 * numbers in violations: sinks first, then watched streams). A value of a port or memory word of w
 * bits travels packed in bytes(w) = ⌈w/8⌉ bytes, little-endian, two's complement truncated to w bits.
 *
 * | op | request payload | response payload |
 * |---|---|---|
 * | 1 POKE | u16 port, bytes(w) value | – (evaluates combinational logic) |
 * | 2 PEEK | u16 port | bytes(w) value |
 * | 3 STEP | u64 n | u64 cycle, u32 violations |
 * | 4 RESET | u32 n | u64 cycle, u32 violations |
 * | 5 PUSH | u16 source, u32 n, n × bytes(w) data, ⌈n/8⌉ bytes tlast bitmap | u32 queued |
 * | 6 PATTERN | u8 kind (0 source, 1 sink), u16 index, f64 probability, u64 seed | – |
 * | 7 RUN | u64 cycles (0: no limit), u8 flags (RunFlag), u16 sink, u64 n, u64 maxCycles, u16 lastSink, u16 port, [bytes(w) value if PORT_EQUALS] | u64 ran, u8 reason, u64 cycle, u32 violations |
 * | 8 DRAIN | u16 sink, u8 withCycles | u32 n, n × bytes(w) data, [n × u64 cycle], ⌈n/8⌉ bytes tlast bitmap |
 * | 9 VIOLATIONS | – | u32 total, u32 kept, kept × (u16 stream, u8 kind, u64 cycle) |
 * | 10 TRACE_OPEN | UTF-8 path | – |
 * | 11 TRACE_CLOSE | – | – |
 * | 12 STATUS | – | u64 cycle, u32 violations, u16 ns, ns × u32 queued, u16 nk, nk × u32 buffered |
 * | 13 QUIT | – | – (then the harness exits) |
 * | 14 PEEK_MEM | u16 memory, u32 addr, u32 count | count × bytes(w) |
 * | 15 POKE_MEM | u16 memory, u32 addr, u32 count, count × bytes(w) | – (evaluates) |
 * | 16 PLAY | u32 n, u8 flags (1: conditional), u16 k, k × u16 input, u16 m, m × u16 output, [u16 cond port, bytes(w) value], k columns of n × bytes(w) | u32 s, m columns of s × bytes(w), [s × u64 cycle if conditional], u64 cycle, u32 violations |
 * | 17 CHECKS | u8 flags (1: valid/ready independence, 2: the watched internal streams) | – |
 */

export const Op = {
  POKE: 1,
  PEEK: 2,
  STEP: 3,
  RESET: 4,
  PUSH: 5,
  PATTERN: 6,
  RUN: 7,
  DRAIN: 8,
  VIOLATIONS: 9,
  TRACE_OPEN: 10,
  TRACE_CLOSE: 11,
  STATUS: 12,
  QUIT: 13,
  PEEK_MEM: 14,
  POKE_MEM: 15,
  PLAY: 16,
  CHECKS: 17,
} as const;
export type OpCode = (typeof Op)[keyof typeof Op];

export const RunFlag = { SINK_COUNT: 1, SOURCES_EMPTY: 2, SINK_LAST: 4, PORT_EQUALS: 8 } as const;
export const RUN_REASONS = ['cycles', 'sinkCount', 'sourcesEmpty', 'maxCycles', 'sinkLast', 'portEquals'] as const;
export const VIOLATION_KINDS = { 1: 'valid-dropped', 2: 'data-changed', 3: 'last-changed', 4: 'valid-depends-on-ready' } as const;

/** Bytes a value of `width` bits takes on the wire. */
export function byteWidth(width: number): number {
  return (width + 7) >> 3;
}

/** Builds one request frame; the size is known up front, so one allocation. */
export class Request {
  readonly buf: Buffer;
  private readonly view: DataView;
  private off = 5;

  constructor(op: OpCode, payloadBytes: number) {
    this.buf = Buffer.allocUnsafe(5 + payloadBytes);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    this.view.setUint32(0, 1 + payloadBytes, true);
    this.view.setUint8(4, op);
  }

  u8(v: number): this {
    this.view.setUint8(this.off, v);
    this.off += 1;
    return this;
  }
  u16(v: number): this {
    this.view.setUint16(this.off, v, true);
    this.off += 2;
    return this;
  }
  u32(v: number): this {
    this.view.setUint32(this.off, v, true);
    this.off += 4;
    return this;
  }
  /** Unsigned 64-bit from a non-negative safe integer or a bigint in [0, 2^64). */
  u64(v: number | bigint): this {
    if (typeof v === 'number') {
      this.view.setUint32(this.off, v % 0x1_0000_0000, true);
      this.view.setUint32(this.off + 4, Math.floor(v / 0x1_0000_0000), true);
    } else {
      this.view.setBigUint64(this.off, v, true);
    }
    this.off += 8;
    return this;
  }
  f64(v: number): this {
    this.view.setFloat64(this.off, v, true);
    this.off += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.buf.set(b, this.off);
    this.off += b.length;
    return this;
  }
  /** Raw bits (from toBits) packed in `nb` bytes. */
  raw(v: number | bigint, nb: number): this {
    writeRaw(this.buf, this.off, v, nb);
    this.off += nb;
    return this;
  }
  /** Room for `n` bytes the caller fills in place; returns their offset in `buf`. */
  reserve(n: number): number {
    const at = this.off;
    this.off += n;
    return at;
  }
  /** The frame, checked to be exactly filled. */
  done(): Buffer {
    if (this.off !== this.buf.length) throw new Error(`protocol: request filled ${this.off} of ${this.buf.length} bytes`);
    return this.buf;
  }
}

/** Reads a response payload. */
export class Reply {
  private off = 0;
  constructor(readonly buf: Buffer) {}

  u8(): number {
    return this.buf.readUInt8(this.off++);
  }
  u16(): number {
    const v = this.buf.readUInt16LE(this.off);
    this.off += 2;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32LE(this.off);
    this.off += 4;
    return v;
  }
  /** u64 as a number (exact below 2^53: cycle counts). */
  u64num(): number {
    const lo = this.buf.readUInt32LE(this.off);
    const hi = this.buf.readUInt32LE(this.off + 4);
    this.off += 8;
    return hi * 0x1_0000_0000 + lo;
  }
  /** n bits of a bitmap, lowest bit of the first byte first. */
  bits(n: number): boolean[] {
    const out = new Array<boolean>(n);
    for (let i = 0; i < n; i++) out[i] = ((this.buf[this.off + (i >> 3)] >> (i & 7)) & 1) === 1;
    this.off += (n + 7) >> 3;
    return out;
  }
  /** `nb` bytes as an unsigned bigint. */
  unsignedBig(nb: number): bigint {
    const v = readUnsignedBig(this.buf, this.off, nb);
    this.off += nb;
    return v;
  }
  /** Skips `n` bytes and returns where they start. */
  skip(n: number): number {
    const at = this.off;
    this.off += n;
    return at;
  }
  get offset(): number {
    return this.off;
  }
}

const TWO_32 = 0x1_0000_0000;

/** Writes raw bits (a non-negative number below 2^53 or a bigint) as `nb` little-endian bytes. */
export function writeRaw(buf: Uint8Array, off: number, v: number | bigint, nb: number): void {
  if (typeof v === 'number') {
    if (nb <= 4) {
      for (let i = 0; i < nb; i++) buf[off + i] = (v >>> (8 * i)) & 0xff;
      return;
    }
    const lo = v % TWO_32;
    let hi = Math.floor(v / TWO_32);
    for (let i = 0; i < 4; i++) buf[off + i] = (lo >>> (8 * i)) & 0xff;
    for (let i = 4; i < nb; i++, hi = Math.floor(hi / 256)) buf[off + i] = hi & 0xff;
    return;
  }
  let x = v;
  for (let i = 0; i < nb; i++, x >>= 8n) buf[off + i] = Number(x & 0xffn);
}

/** `nb` little-endian bytes as a number (nb ≤ 7; exact below 2^53). */
export function readUnsigned(buf: Uint8Array, off: number, nb: number): number {
  let v = 0;
  for (let i = nb - 1; i >= 0; i--) v = v * 256 + buf[off + i];
  return v;
}

/** `nb` little-endian bytes as a bigint. */
export function readUnsignedBig(buf: Uint8Array, off: number, nb: number): bigint {
  if (nb <= 6) return BigInt(readUnsigned(buf, off, nb));
  let hex = '';
  for (let i = nb - 1; i >= 0; i--) hex += buf[off + i].toString(16).padStart(2, '0');
  return BigInt(`0x${hex}`);
}

/** Packs booleans into the bitmap layout Reply.bits reads. */
export function packBits(bits: ArrayLike<boolean>): Uint8Array {
  const out = new Uint8Array((bits.length + 7) >> 3);
  for (let i = 0; i < bits.length; i++) if (bits[i]) out[i >> 3] |= 1 << (i & 7);
  return out;
}
