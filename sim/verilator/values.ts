/**
 * Port values between TypeScript and the packed wire format (protocol.ts): single values, columns of
 * values (typed arrays for speed) and lane vectors (a wide port read as equal lanes, lane 0 in the
 * lowest bits — e.g. 64 lanes × 16 bits in a 1024-bit port).
 */
import type { PortSpec } from './ports.js';
import { byteWidth, readUnsigned, readUnsignedBig, writeRaw } from './protocol.js';

/** Values of one port over many words or cycles: numbers up to 53 bits, bigints above. */
export type Column = Int32Array | Uint32Array | Float64Array | bigint[];

/** Input values for a port: a plain array or a typed array (numbers, or bigints for any width). */
export type Values = ArrayLike<number> | ArrayLike<bigint> | readonly (number | bigint)[];

/**
 * Raw bits of a value for a port, range-checked against its width and signedness: a number below
 * 2^53 for numbers on ports of at most 52 bits (no bigint on the hot paths), else a bigint in
 * [0, 2^width) (negative values as two's complement).
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
  if (typeof value !== 'bigint' && typeof value !== 'number') throw new TypeError(`'${port.name}': ${String(value)} is not a number or bigint`);
  const v = BigInt(value);
  const w = BigInt(port.width);
  const lo = port.signed ? -(1n << (w - 1n)) : 0n;
  const hi = port.signed ? (1n << (w - 1n)) - 1n : (1n << w) - 1n;
  if (v < lo || v > hi) throw new RangeError(`'${port.name}' (${port.signed ? 's' : 'u'}${port.width}): ${value} is out of range [${lo}, ${hi}]`);
  return v < 0n ? v + (1n << w) : v;
}

/** Value of raw bits on a port: sign-extended when the port is signed. */
export function fromBits(bits: bigint, port: PortSpec): bigint {
  return port.signed ? BigInt.asIntN(port.width, bits) : bits;
}

/** Packs `values` for `port` into `buf` at `off` (byteWidth(port.width) bytes each). */
export function encodeColumn(values: Values, port: PortSpec, buf: Uint8Array, off: number): void {
  const nb = byteWidth(port.width);
  const n = values.length;
  if (port.width <= 32) {
    // the common case inline: numbers checked against the port's range, written byte by byte
    const span = 2 ** port.width;
    const lo = port.signed ? -span / 2 : 0;
    const hi = port.signed ? span / 2 - 1 : span - 1;
    for (let i = 0, o = off; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
        writeRaw(buf, o, toBits(v, port), nb); // a bigint in range, or the error that names the value
        o += nb;
        continue;
      }
      const u = v < 0 ? v + span : v;
      buf[o++] = u & 0xff;
      if (nb > 1) buf[o++] = (u >>> 8) & 0xff;
      if (nb > 2) buf[o++] = (u >>> 16) & 0xff;
      if (nb > 3) buf[o++] = (u >>> 24) & 0xff;
    }
    return;
  }
  for (let i = 0; i < n; i++) writeRaw(buf, off + i * nb, toBits(values[i] as number | bigint, port), nb);
}

/** Decodes `n` packed values of `port` from `buf` at `off` (typed arrays up to 53 bits). */
export function decodeColumn(buf: Uint8Array, off: number, n: number, port: PortSpec): Column {
  const nb = byteWidth(port.width);
  const w = port.width;
  if (w <= 53) {
    const out = w <= 32 ? (port.signed ? new Int32Array(n) : new Uint32Array(n)) : new Float64Array(n);
    const half = 2 ** (w - 1);
    for (let i = 0; i < n; i++) {
      const v = readUnsigned(buf, off + i * nb, nb);
      out[i] = port.signed && v >= half ? v - 2 * half : v;
    }
    return out;
  }
  const out = new Array<bigint>(n);
  for (let i = 0; i < n; i++) out[i] = fromBits(readUnsignedBig(buf, off + i * nb, nb), port);
  return out;
}

/** Lane layout of a port: `lanes` lanes of `laneWidth` bits (≤ 32) filling its width exactly. */
export interface LaneLayout {
  laneWidth: number;
  lanes: number;
  signed: boolean;
}

export function laneLayout(port: PortSpec, laneWidth: number, signed: boolean): LaneLayout {
  if (!Number.isInteger(laneWidth) || laneWidth < 1 || laneWidth > 32) throw new RangeError(`'${port.name}': lane width must be 1..32 bits, got ${laneWidth}`);
  if (port.width % laneWidth !== 0) throw new RangeError(`'${port.name}' is ${port.width} bits wide, not a whole number of ${laneWidth}-bit lanes`);
  return { laneWidth, lanes: port.width / laneWidth, signed };
}

/**
 * Packs `words` words of lane values (flat: word i's lane j at values[i * lanes + j]) into `buf` at
 * `off`, `nb` bytes per word, lane 0 in the lowest bits; each lane is range-checked.
 */
export function encodeLanes(values: ArrayLike<number>, layout: LaneLayout, words: number, nb: number, buf: Uint8Array, off: number, what: string): void {
  const { laneWidth: lw, lanes, signed } = layout;
  const span = 2 ** lw;
  const lo = signed ? -span / 2 : 0;
  const hi = signed ? span / 2 - 1 : span - 1;
  if (values.length !== words * lanes) throw new RangeError(`${what}: ${values.length} lane values for ${words} words of ${lanes} lanes`);
  const laneBytes = lw >> 3;
  if ((lw & 7) === 0) {
    // byte-aligned lanes (8, 16, 24, 32 bits): little-endian bytes, no bit shuffling
    for (let i = 0; i < words; i++) {
      let o = off + i * nb;
      for (let j = 0; j < lanes; j++) {
        const v = values[i * lanes + j];
        if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${what}: lane ${j} of word ${i} = ${v} is out of range [${lo}, ${hi}]`);
        const u = v < 0 ? v + span : v;
        for (let b = 0; b < laneBytes; b++) buf[o++] = (u >>> (8 * b)) & 0xff;
      }
    }
    return;
  }
  for (let i = 0; i < words; i++) {
    const base = off + i * nb;
    buf.fill(0, base, base + nb);
    let bit = 0;
    for (let j = 0; j < lanes; j++, bit += lw) {
      const v = values[i * lanes + j];
      if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${what}: lane ${j} of word ${i} = ${v} is out of range [${lo}, ${hi}]`);
      let u = v < 0 ? v + span : v;
      // write lw bits starting at `bit`, a byte at a time
      let at = bit;
      let left = lw;
      while (left > 0) {
        const byte = base + (at >> 3);
        const sh = at & 7;
        const take = Math.min(8 - sh, left);
        buf[byte] |= (u & ((1 << take) - 1)) << sh;
        u = Math.floor(u / 2 ** take);
        at += take;
        left -= take;
      }
    }
  }
}

/** Decodes `words` packed words into lane values (flat, word-major), the inverse of encodeLanes. */
export function decodeLanes(buf: Uint8Array, off: number, words: number, nb: number, layout: LaneLayout): Int32Array | Uint32Array {
  const { laneWidth: lw, lanes, signed } = layout;
  const out = signed ? new Int32Array(words * lanes) : new Uint32Array(words * lanes);
  const half = 2 ** (lw - 1);
  const laneBytes = lw >> 3;
  if ((lw & 7) === 0) {
    for (let i = 0, k = 0; i < words; i++) {
      let o = off + i * nb;
      for (let j = 0; j < lanes; j++, k++) {
        let v = 0;
        for (let b = laneBytes - 1; b >= 0; b--) v = v * 256 + buf[o + b];
        o += laneBytes;
        out[k] = signed && v >= half ? v - 2 * half : v;
      }
    }
    return out;
  }
  for (let i = 0; i < words; i++) {
    const base = off + i * nb;
    let bit = 0;
    for (let j = 0; j < lanes; j++, bit += lw) {
      let v = 0;
      let scale = 1;
      let at = bit;
      let left = lw;
      while (left > 0) {
        const sh = at & 7;
        const take = Math.min(8 - sh, left);
        v += ((buf[base + (at >> 3)] >> sh) & ((1 << take) - 1)) * scale;
        scale *= 2 ** take;
        at += take;
        left -= take;
      }
      out[i * lanes + j] = signed && v >= half ? v - 2 * half : v;
    }
  }
  return out;
}
