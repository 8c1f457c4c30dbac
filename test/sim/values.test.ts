import { describe, expect, it } from 'vitest';
import { fromBits, toBits, type PortSpec } from '../../sim/verilator/index.js';
import { packBits, Reply, Request, Op } from '../../sim/verilator/protocol.js';

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
});
