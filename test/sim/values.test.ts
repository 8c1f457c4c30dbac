import { describe, expect, it } from 'vitest';
import { fromBits, toBits, type PortSpec } from '../../sim/verilator/index.js';
import { packBits, Reply, Request, Op, readUnsignedBig, writeRaw } from '../../sim/verilator/protocol.js';
import { decodeColumn, decodeLanes, encodeColumn, encodeLanes, laneLayout } from '../../sim/verilator/values.js';
import { Rng } from '../../sim/rng.js';

const port = (width: number, signed = false): PortSpec => ({ name: 'p', dir: 'in', width, signed });

describe('co-simulation value encoding', () => {
  it('numbers and bigints give the same raw bits, on both sides of the 52-bit fast path', () => {
    const cases: [PortSpec, bigint][] = [
      [port(8), 0n],
      [port(8), 255n],
      [port(8, true), -128n],
      [port(8, true), -1n],
      [port(8, true), 127n],
      [port(40, true), -(1n << 39n)],
      [port(52, true), -(1n << 51n)],
      [port(52), (1n << 52n) - 1n],
      [port(53), (1n << 53n) - 1n],
      [port(60, true), -5n],
      [port(64), (1n << 64n) - 1n],
    ];
    for (const [p, v] of cases) {
      const fromBig = BigInt(toBits(v, p));
      const mask = (1n << BigInt(p.width)) - 1n;
      expect(fromBig & mask).toBe(BigInt.asUintN(p.width, v));
      if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) {
        expect(BigInt(toBits(Number(v), p)) & mask).toBe(fromBig & mask);
      }
      expect(fromBits(fromBig & mask, p)).toBe(v);
    }
  });

  it('rejects values outside the port range', () => {
    expect(() => toBits(256, port(8))).toThrow(/out of range \[0, 255\]/);
    expect(() => toBits(128, port(8, true))).toThrow(/out of range \[-128, 127\]/);
    expect(() => toBits(-129n, port(8, true))).toThrow(/out of range/);
    expect(() => toBits(1n << 64n, port(64))).toThrow(/out of range/);
    expect(() => toBits(2 ** 53, port(60))).toThrow(/not a safe integer/);
  });

  it('frames requests exactly and packs tlast bitmaps lowest bit first', () => {
    const f = new Request(Op.POKE, 10).u16(3).u64(2 ** 40 + 5).done();
    expect([...f]).toEqual([11, 0, 0, 0, Op.POKE, 3, 0, 5, 0, 0, 0, 0, 1, 0, 0]);
    expect(() => new Request(Op.PEEK, 2).done()).toThrow(/filled 5 of 7/);
    const bits = [true, false, false, true, false, false, false, false, true];
    const packed = packBits(bits);
    expect([...packed]).toEqual([0b1001, 0b1]);
    expect(new Reply(Buffer.from(packed)).bits(bits.length)).toEqual(bits);
  });

  it('packs values in ceil(width/8) bytes and lanes lowest first, on the byte-aligned and the bit-packed paths', () => {
    const rng = new Rng(3);
    for (const [width, lw] of [[1024, 16], [1024, 8], [96, 32], [100, 20], [63, 9], [30, 3]] as const) {
      const nb = Math.ceil(width / 8);
      const L = laneLayout(port(width), lw, true);
      const words = 5;
      const vals = Array.from({ length: words * L.lanes }, () => rng.int(2 ** lw) - 2 ** (lw - 1));
      const buf = new Uint8Array(words * nb);
      encodeLanes(vals, L, words, nb, buf, 0, 'x');
      expect(Array.from(decodeLanes(buf, 0, words, nb, L))).toEqual(vals);
      // the same bits as a bigint built lane by lane
      for (let i = 0; i < words; i++) {
        let want = 0n;
        for (let j = L.lanes - 1; j >= 0; j--) want = (want << BigInt(lw)) | BigInt.asUintN(lw, BigInt(vals[i * L.lanes + j]));
        expect(readUnsignedBig(buf, i * nb, nb)).toBe(want);
      }
    }
    const col = [-(2n ** 99n), 2n ** 99n - 1n, -1n, 0n];
    const buf = new Uint8Array(4 * 13);
    encodeColumn(col, port(100, true), buf, 0);
    expect(decodeColumn(buf, 0, 4, port(100, true))).toEqual(col);
    const b2 = new Uint8Array(7);
    writeRaw(b2, 0, 2 ** 52 + 3, 7);
    expect(readUnsignedBig(b2, 0, 7)).toBe(2n ** 52n + 3n);
    expect(Array.from(decodeColumn(b2, 0, 1, port(53)) as Float64Array)).toEqual([2 ** 52 + 3]);
    expect(() => laneLayout(port(100), 33, false)).toThrow(/lane width must be 1\.\.32/);
  });
});
