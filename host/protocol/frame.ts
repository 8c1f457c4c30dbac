/**
 * Frames on the byte streams (docs/protocol.md): encoding, and a streaming parser with the protocol's
 * resynchronisation rules, used by the host for responses (the front end applies the same rules to requests).
 *
 *   0xA5 0x5A | opcode | tag | len lo | len hi | hcrc | payload[len] | crc hi | crc lo
 */
import { crc16, crc8 } from './crc.js';
import { FRAME_OVERHEAD, MAX_PAYLOAD, SYNC0, SYNC1 } from './spec.js';

export interface Frame {
  op: number;
  tag: number;
  payload: Uint8Array;
}

/** The bytes of one frame. */
export function encodeFrame(op: number, tag: number, payload: ArrayLike<number> = []): Uint8Array {
  const len = payload.length;
  if (len > 0xffff) throw new RangeError(`frame payload of ${len} bytes does not fit the 16-bit length`);
  const out = new Uint8Array(FRAME_OVERHEAD + len);
  out[0] = SYNC0;
  out[1] = SYNC1;
  out[2] = op & 0xff;
  out[3] = tag & 0xff;
  out[4] = len & 0xff;
  out[5] = len >>> 8;
  out[6] = crc8(out, undefined, 2, 6);
  out.set(payload as ArrayLike<number>, 7);
  const c = crc16(out, undefined, 2, 7 + len);
  out[7 + len] = c >>> 8;
  out[8 + len] = c & 0xff;
  return out;
}

/** What the parser threw away, by reason. */
export interface ParserStats {
  /** Bytes outside any frame (skipped while hunting for sync). */
  dropped: number;
  /** Headers whose CRC-8 failed. */
  badHeaders: number;
  /** Headers announcing more than MAX_PAYLOAD bytes. */
  tooLong: number;
  /** Frames whose CRC-16 failed. */
  badCrc: number;
}

const enum S {
  Hunt,
  Sync1,
  Header,
  Body,
}

/**
 * Incremental frame parser. push() any chunking of the stream; complete, CRC-checked frames come back in
 * order. Resynchronisation: bytes before a sync pair are dropped; a header with a bad CRC-8 or a length
 * above MAX_PAYLOAD is dropped and the hunt resumes at the byte after it; a frame with a bad CRC-16 is
 * dropped whole.
 */
export class FrameParser {
  readonly stats: ParserStats = { dropped: 0, badHeaders: 0, tooLong: 0, badCrc: 0 };
  private state = S.Hunt;
  private hdr = new Uint8Array(5);
  private hdrN = 0;
  private body = new Uint8Array(0);
  private bodyN = 0;

  push(chunk: ArrayLike<number>): Frame[] {
    const frames: Frame[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      switch (this.state) {
        case S.Hunt:
          if (b === SYNC0) this.state = S.Sync1;
          else this.stats.dropped++;
          break;
        case S.Sync1:
          if (b === SYNC1) {
            this.state = S.Header;
            this.hdrN = 0;
          } else if (b === SYNC0) this.stats.dropped++;
          else {
            this.stats.dropped += 2;
            this.state = S.Hunt;
          }
          break;
        case S.Header: {
          this.hdr[this.hdrN++] = b;
          if (this.hdrN < 5) break;
          const len = this.hdr[2] | (this.hdr[3] << 8);
          if (crc8(this.hdr, undefined, 0, 4) !== this.hdr[4]) {
            this.stats.badHeaders++;
            this.state = S.Hunt;
          } else if (len > MAX_PAYLOAD) {
            this.stats.tooLong++;
            this.state = S.Hunt;
          } else {
            this.body = new Uint8Array(len + 2);
            this.bodyN = 0;
            this.state = S.Body;
          }
          break;
        }
        case S.Body: {
          this.body[this.bodyN++] = b;
          if (this.bodyN < this.body.length) break;
          this.state = S.Hunt;
          if (crc16(this.body, crc16(this.hdr)) !== 0) {
            this.stats.badCrc++;
            break;
          }
          frames.push({ op: this.hdr[0], tag: this.hdr[1], payload: this.body.subarray(0, this.body.length - 2) });
          break;
        }
      }
    }
    return frames;
  }

  /** Bytes still needed to finish the frame under way (0 when hunting), a lower bound for readers. */
  get pending(): number {
    if (this.state === S.Header) return 5 - this.hdrN + 2;
    if (this.state === S.Body) return this.body.length - this.bodyN;
    return 0;
  }

  /** Whether a frame has started (sync seen) and is not complete. */
  get midFrame(): boolean {
    return this.state === S.Header || this.state === S.Body;
  }
}
