/**
 * UART co-simulation: the receiver's bit timing and framing-error detection cycle by cycle, the
 * transmitter's line waveform, and back-pressure into the core through the receive FIFO (every byte
 * delivered in order while the FIFO has room; exactly the bytes beyond its depth lost and counted).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModuleBuilder, constant, uint, type Module } from '../../generator/ir/index.js';
import { feedStream, instanceOutStream, streamIn, streamOut, streamPortName } from '../../generator/lib/stream/bundle.js';
import { uart, uartDivisor, uartRx, uartTx } from '../../generator/boards/uart.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/index.js';
import { expectToolsClean } from '../generator/tool-checks.js';

/** Random generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The line for one 8N1 frame: start, 8 data bits LSB first, stop (0 for a framing error), bitLen cycles each. */
function frameBits(byte: number, stop: 0 | 1, bitLen: number[]): number[] {
  const bits = [0, ...Array.from({ length: 8 }, (_, i) => (byte >> i) & 1), stop];
  return bits.flatMap((b, i) => Array<number>(bitLen[i]).fill(b));
}

describe('uart divisor', () => {
  it('rounds clock / baud and refuses ≥ 2 % error or < 4 cycles per bit', () => {
    expect(uartDivisor(48e6, 3e6)).toBe(16);
    expect(uartDivisor(100e6, 3e6)).toBe(33);
    expect(() => uartDivisor(12e6, 5e6)).toThrow(/needs ≥ 4/);
    expect(() => uartDivisor(10e6, 1.9e6)).toThrow(/% off/);
  });
});

describe('uart tools', () => {
  it('the UART is clean under Verilator -Wall, Icarus and Yosys', async () => {
    await expectToolsClean(uart({ clocksPerBit: 8, fifoDepth: 16 }));
  }, 240_000);
});

describe('uart_rx: timing and framing errors', () => {
  const D = 8;
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(uartRx(D));
    await m.reset(2);
  }, 300_000);
  afterAll(async () => m?.close());

  for (const seed of [1, 2, 3]) {
    it(`delivers every good frame at its stop-bit sample and flags every bad stop bit (seed ${seed})`, async () => {
      const r = rng(seed);
      const line: number[] = Array<number>(10).fill(1);
      const expected: { byte: number; good: boolean; at: number }[] = [];
      for (let f = 0; f < 60; f++) {
        const byte = Math.floor(r() * 256);
        const good = r() > 0.2;
        // bit edges jitter by ±1 cycle (±12.5 % of a bit) around their ideal place: no drift accumulates
        const jit = Array.from({ length: 11 }, (_, i) => (i === 0 || i === 10 ? 0 : Math.floor(r() * 3) - 1));
        const lens = Array.from({ length: 10 }, (_, i) => D + jit[i + 1] - jit[i]);
        const start = line.length;
        line.push(...frameBits(byte, good ? 1 : 0, lens));
        // the receiver sees the falling edge 2 cycles late (synchroniser), samples the stop bit ⌊D/2⌋ + 9·D later
        // and raises valid / frame_err at the next edge
        expected.push({ byte, good, at: start + 2 + Math.floor(D / 2) + 9 * D });
        // after a bad stop bit the line must return high (break end) before the next frame
        line.push(...Array<number>(good ? Math.floor(r() * 3 * D) : D + Math.floor(r() * 2 * D)).fill(1));
      }
      line.push(...Array<number>(2 * D).fill(1));
      const t = await m.play({ inputs: { rx: Int32Array.from(line) }, outputs: ['valid', 'data', 'frame_err'] });
      const v = t.outputs.valid;
      const fe = t.outputs.frame_err;
      const data = t.outputs.data;
      const c0 = t.cycles[0];
      const got: { byte: number; good: boolean; at: number }[] = [];
      for (let i = 0; i < v.length; i++) {
        if (Number(v[i])) got.push({ byte: Number(data[i]), good: true, at: t.cycles[i] - c0 });
        if (Number(fe[i])) got.push({ byte: -1, good: false, at: t.cycles[i] - c0 });
      }
      expect(got.length).toBe(expected.length);
      // each pulse one cycle after the stop-bit sample: exact cycle (the sample point is just before an edge)
      const offset = got[0].at - expected[0].at;
      expect(Math.abs(offset)).toBeLessThanOrEqual(1);
      got.forEach((g, i) => {
        expect({ good: g.good, byte: g.good ? g.byte : -1, at: g.at - offset }).toEqual({
          good: expected[i].good,
          byte: expected[i].good ? expected[i].byte : -1,
          at: expected[i].at,
        });
      });
    }, 120_000);
  }

  it('ignores a glitch shorter than half a bit', async () => {
    const line = [...Array<number>(10).fill(1), ...Array<number>(D / 2 - 2).fill(0), ...Array<number>(12 * D).fill(1)];
    const t = await m.play({ inputs: { rx: Int32Array.from(line) }, outputs: ['valid', 'frame_err'] });
    expect(Array.from(t.outputs.valid, Number).some((x) => x === 1)).toBe(false);
    expect(Array.from(t.outputs.frame_err, Number).some((x) => x === 1)).toBe(false);
  }, 60_000);
});

describe('uart_tx: line waveform', () => {
  it('sends start, 8 data bits LSB first and stop, D cycles each, back to back', async () => {
    const D = 6;
    const m = await buildFromIr(uartTx(D));
    try {
      await m.reset(2);
      const bytes = [0x55, 0x00, 0xff, 0xa3, 0x3c];
      await m.push('in', bytes, 'none');
      const t = await m.play({ inputs: {}, cycles: 10 * D * bytes.length + 80, outputs: ['tx'] });
      const line = Array.from(t.outputs.tx, Number);
      const first = line.indexOf(0);
      const want = bytes.flatMap((b) => frameBits(b, 1, Array<number>(10).fill(D)));
      expect(line.slice(first, first + want.length)).toEqual(want);
      expect(line.slice(first + want.length).every((x) => x === 1)).toBe(true);
    } finally {
      await m.close();
    }
  }, 300_000);
});

/** Test bench: a host-side transmitter drives the UART's rx pin; the UART's receive FIFO feeds m_axis_out. */
function backPressureBench(D: number, depth: number): Module {
  const m = new ModuleBuilder(`uart_bp_tb_d${D}_f${depth}`, { D, depth });
  m.clock();
  const s = streamIn(m, 'in', uint(8));
  const o = streamOut(m, 'out', uint(8));
  const ht = m.instance('u_host_tx', uartTx(D), feedStream('in', { valid: s.valid, data: s.data }));
  m.assign(s.ready, ht.out(streamPortName('in', 'in', 'tready')));
  const u = m.instance('u_uart', uart({ clocksPerBit: D, fifoDepth: depth }), {
    rx: ht.out('tx'),
    ...feedStream('tx', { valid: constant(0, uint(1)), data: constant(0, uint(8)) }),
    [streamPortName('out', 'rx', 'tready')]: o.ready,
  });
  const r = instanceOutStream(u, 'rx');
  m.assign(o.valid, r.valid);
  m.assign(o.data, r.data);
  m.unused(u.out('tx'), u.out(streamPortName('in', 'tx', 'tready')));
  m.output('frame_errors', u.out('frame_errors'));
  m.output('overruns', u.out('overruns'));
  return m.build();
}

describe('uart: back-pressure into the core', () => {
  const D = 4;
  const depth = 16;
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(backPressureBench(D, depth));
  }, 300_000);
  afterAll(async () => m?.close());

  for (const [seed, p] of [
    [11, 0.05],
    [12, 0.2],
    [13, 0.6],
  ] as const) {
    it(`a core taking bytes with probability ${p} per cycle loses none while the FIFO holds the backlog (seed ${seed})`, async () => {
      await m.reset(3);
      const r = rng(seed);
      const n = 300;
      const bytes = Array.from({ length: n }, () => Math.floor(r() * 256));
      await m.sourcePattern('in', 1, seed);
      await m.sinkPattern('out', p, seed + 100);
      await m.push('in', bytes, 'none');
      await m.run({ untilSinkCount: { bus: 'out', n }, maxCycles: 20 * D * n });
      const got = (await m.drain('out')).map((w) => w.data);
      expect(got).toEqual(bytes);
      expect(await m.peek('overruns')).toBe(0);
      expect(await m.peek('frame_errors')).toBe(0);
    }, 120_000);
  }

  it('a stalled core: the FIFO keeps the first bytes, later ones are lost and counted, none reordered', async () => {
    await m.reset(3);
    const n = depth + 9;
    const bytes = Array.from({ length: n }, (_, i) => (i * 37 + 5) & 255);
    await m.sourcePattern('in', 1, 5);
    await m.sinkPattern('out', 0, 6);
    await m.push('in', bytes, 'none');
    await m.step(10 * D * n + 40);
    expect(await m.peek('overruns')).toBe(n - depth);
    await m.sinkPattern('out', 1, 7);
    await m.run({ untilSinkCount: { bus: 'out', n: depth }, maxCycles: 1000 });
    await m.step(20);
    const got = (await m.drain('out')).map((w) => w.data);
    expect(got).toEqual(bytes.slice(0, depth));
  }, 120_000);
});
