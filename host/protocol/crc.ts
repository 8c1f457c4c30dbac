/**
 * The two CRCs of the frame format (generator/protocol.ts): CRC-8/SMBUS over the header, CRC-16/CCITT-FALSE
 * over opcode … payload. Table-driven, MSB first, no reflection, no final XOR — the same bit order as the
 * front end's XOR networks, so `crc16(frame after sync)` is 0 for an intact frame.
 */
function table(width: 8 | 16, poly: number): Uint16Array {
  const top = 1 << (width - 1);
  const mask = (1 << width) - 1;
  const t = new Uint16Array(256);
  for (let b = 0; b < 256; b++) {
    let c = b << (width - 8);
    for (let k = 0; k < 8; k++) c = c & top ? ((c << 1) ^ poly) & mask : (c << 1) & mask;
    t[b] = c;
  }
  return t;
}

const T8 = table(8, 0x07);
const T16 = table(16, 0x1021);

export const CRC8_INIT = 0x00;
export const CRC16_INIT = 0xffff;

/** CRC-8 (poly 0x07) of `bytes[from, to)` continuing from `crc`. */
export function crc8(bytes: ArrayLike<number>, crc = CRC8_INIT, from = 0, to = bytes.length): number {
  for (let i = from; i < to; i++) crc = T8[(crc ^ bytes[i]) & 0xff];
  return crc;
}

/** CRC-16/CCITT-FALSE of `bytes[from, to)` continuing from `crc`. */
export function crc16(bytes: ArrayLike<number>, crc = CRC16_INIT, from = 0, to = bytes.length): number {
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ T16[((crc >>> 8) ^ bytes[i]) & 0xff];
  return crc;
}

/** One byte into a running CRC-16. */
export function crc16Byte(crc: number, byte: number): number {
  return ((crc << 8) & 0xffff) ^ T16[((crc >>> 8) ^ byte) & 0xff];
}

/** One byte into a running CRC-8. */
export function crc8Byte(crc: number, byte: number): number {
  return T8[(crc ^ byte) & 0xff];
}
