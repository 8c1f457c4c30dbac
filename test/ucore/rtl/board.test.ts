/**
 * The UP5K engine's board core (generator/ucore/rtl/board.ts) through its UART pins: 8N1 frames driven on uart_rx
 * at the bit rate, uart_tx decoded back, around an echo program on the core. What comes back is what the same
 * program sends on the ISS given the same bytes (and 256 where the line went idle): the core started at its entry
 * after reset and again after a halt, every byte of a burst echoed in order while the program, sending two bytes
 * for each it receives, holds the FIFO back (no overrun), the idle line seen once per gap, a frame with a bad
 * stop bit dropped and counted (and the error LED lit), a fault stopping the core for good. Then the iCEBreaker's serving program on the core: a host
 * client's session (IDENTIFY, ECHO, a TRAIN record, READ_COUNTERS, LINK_STATUS) driven on the pins, answered byte
 * for byte as the ucore-link transport (the same program on the ISS) answers it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Asm, imm } from '../../../generator/ucore/asm.js';
import { EBR_BASE, encode } from '../../../generator/ucore/encode.js';
import { ucoreCore } from '../../../generator/ucore/rtl/core.js';
import { ucoreBoardCore } from '../../../generator/ucore/rtl/board.js';
import type { Program } from '../../../generator/ucore/asm.js';
import { Machine } from '../../../sim/ucore/iss.js';
import { buildFromIr } from '../../../sim/verilator/from-ir.js';
import type { Model } from '../../../sim/verilator/model.js';
import { Rand } from '../mod-helpers.js';
import { loadChipConfig } from '../../../generator/config.js';
import { loadBoard } from '../../../host/boards/board.js';
import { ucoreDesign, ucoreProgram } from '../../../host/boards/ucore.js';
import { UcoreTransport } from '../../../host/transport/ucore.js';
import { Client } from '../../../host/protocol/client.js';
import type { Transport } from '../../../host/transport/transport.js';
import { CoreTiming } from '../../../generator/ucore/rtl/core.js';
import { loadMnistSubset } from '../../units/mnist-subset.js';

/** clock cycles per bit, the receive FIFO, the idle timeout (over two byte times) */
const D = 8;
const FIFO = 16;
const IDLE = 300;
const GREETING = 0x47;
const MACHINE = { lanes: 1, lfsr: { width: 16, rbits: 8, leap: 3 } };

/**
 * At 0 a decoy (sends 0x99, halts); the entry: sends GREETING, then echoes each byte b as b and b ^ 0xff, halts
 * on byte 0, faults on byte 0xff (a load below address 0), and sends 0xEE once per idle line (r3: an idle line
 * already reported).
 */
function echoProgram(): { prog: Program; entry: number } {
  const a = new Asm();
  a.li(1, 0x99);
  a.send(1);
  a.halt();
  const entry = a.label('entry');
  const loop = a.label('loop');
  const idle = a.label('idle');
  const stop = a.label('stop');
  const bad = a.label('bad');
  a.bind(entry);
  a.li(1, GREETING);
  a.send(1);
  a.li(3, 0);
  a.li(4, 256);
  a.bind(loop);
  a.recv(1);
  a.beq(1, 4, idle);
  a.beq(1, imm(0), stop);
  a.li(5, 0xff);
  a.beq(1, 5, bad);
  a.li(3, 0);
  a.send(1);
  a.xor(2, 1, imm(0xff));
  a.send(2);
  a.b(loop);
  a.bind(idle);
  a.bne(3, imm(0), loop);
  a.li(3, 1);
  a.li(2, 0xee);
  a.send(2);
  a.b(loop);
  a.bind(stop);
  a.halt();
  a.bind(bad);
  a.li(6, -1);
  a.ld(7, 6, 0, 1, false);
  a.halt();
  const prog = a.finish();
  return { prog, entry: prog.labels.get('entry')! };
}

/** The line for one 8N1 frame, `bit` cycles a bit; stop 0: a framing error. */
const frame = (byte: number, stop: 0 | 1 = 1, bit = D): number[] => [0, ...Array.from({ length: 8 }, (_, i) => (byte >> i) & 1), stop].flatMap((b) => Array<number>(bit).fill(b));

/** Bytes of an 8N1 waveform (one sample a cycle, `bit` a bit): each falling edge starts a frame, bits sampled mid-bit. */
function decode(line: ArrayLike<number>, bit = D): number[] {
  const out: number[] = [];
  for (let t = 1; t < line.length; t++) {
    if (!(line[t - 1] === 1 && line[t] === 0)) continue;
    const mid = (k: number) => line[t + k * bit + (bit >> 1)];
    if (t + 10 * bit > line.length) throw new Error(`a frame cut at the end of the waveform (cycle ${t})`);
    expect(mid(0), `start bit at ${t}`).toBe(0);
    expect(mid(9), `stop bit at ${t}`).toBe(1);
    let b = 0;
    for (let k = 0; k < 8; k++) b |= mid(1 + k) << k;
    out.push(b);
    t += 10 * bit - 1;
  }
  return out;
}

/** A sampled port as numbers. */
const nums = (c: ArrayLike<number | bigint>): number[] => Array.from(c, (v) => Number(v));

/**
 * What the program sends on the ISS for the received items (bytes; 256: the idle line), run from `entry` and
 * started there again after each halt, as the board does.
 */
function issReplies(prog: Program, entry: number, items: number[]): number[] {
  const sent: number[] = [];
  let next = 0;
  const m = new Machine({ memWords: EBR_BASE + 256, ...MACHINE, quantities: 1, io: { recv: () => (next < items.length ? items[next++] : 'wait'), send: (b) => sent.push(b) } });
  while (m.run(prog, entry) === 'halt');
  return sent;
}

describe('ucore board core through its UART pins', () => {
  const { prog, entry } = echoProgram();
  let m: Model;
  beforeAll(async () => {
    const core = ucoreCore({ image: encode(prog), ebrWords: 256, spramWords: 16, satBase: EBR_BASE, machine: MACHINE });
    m = await buildFromIr(ucoreBoardCore(core, { clocksPerBit: D, fifoDepth: FIFO, idleCycles: IDLE, entry }));
  }, 600_000);
  afterAll(async () => m?.close());

  it('echoes bursts at the bit rate as the ISS does: started at its entry, held back by the transmitter without losing a byte, the idle line once per gap, a bad frame dropped and counted', async () => {
    await m.reset(2);
    const rnd = new Rand(7);
    const byte = () => rnd.int(1, 254);
    // two bursts back to back at the line's rate (the program sends twice as many bytes: the FIFO holds the
    // rest), a gap past the idle timeout after each, a frame with a bad stop bit, a 0 (halt: the board starts the
    // program again), a last burst
    const bursts = [Array.from({ length: 20 }, byte), Array.from({ length: 12 }, byte), Array.from({ length: 6 }, byte)];
    const gap = (n: number) => Array<number>(n).fill(1);
    const line = [...gap(50), ...bursts[0].flatMap((b) => frame(b)), ...gap(40 * 10 * D + 2 * IDLE)];
    line.push(...bursts[1].flatMap((b) => frame(b)), ...gap(3 * D), ...frame(0x3c, 0), ...gap(24 * 10 * D + 2 * IDLE));
    line.push(...frame(0), ...gap(20 * D), ...bursts[2].flatMap((b) => frame(b)), ...gap(12 * 10 * D + 2 * IDLE));
    const t = await m.play({ inputs: { uart_rx: Int32Array.from(line) }, outputs: ['uart_tx', 'led', 'frame_errors', 'overruns'] });
    const got = decode(nums(t.outputs.uart_tx));
    const [fe, ov, led] = [nums(t.outputs.frame_errors), nums(t.outputs.overruns), nums(t.outputs.led)];
    // the ISS: the bytes received, 256 where the line went idle (the bad frame never arrives)
    const want = issReplies(prog, entry, [...bursts[0], 256, ...bursts[1], 256, 0, ...bursts[2], 256]);
    expect(want[0]).toBe(GREETING);
    expect(want.filter((b) => b === GREETING).length).toBeGreaterThanOrEqual(2);
    expect(got).toEqual(want);
    const last = fe.length - 1;
    expect(fe[last]).toBe(1);
    expect(ov[last]).toBe(0);
    // led[1]: the framing error seen (from then on)
    expect(led[last] & 2).toBe(2);
    expect(led[line.length >> 3] & 2).toBe(0);
    expect(got.length).toBe(1 + 2 * 20 + 1 + 2 * 12 + 1 + 1 + 2 * 6 + 1);
  }, 600_000);

  it('stops the core for good on a fault and lights the error LED', async () => {
    await m.reset(2);
    const line = [...Array<number>(50).fill(1), ...frame(0x11), ...frame(0xff), ...Array<number>(40 * D).fill(1), ...frame(0x22), ...Array<number>(8 * 10 * D + 2 * IDLE).fill(1)];
    const t = await m.play({ inputs: { uart_rx: Int32Array.from(line) }, outputs: ['uart_tx', 'led', 'frame_errors'] });
    // the greeting and the first echo; after the fault no echo, no idle marker and no restart (no second greeting)
    expect(decode(nums(t.outputs.uart_tx))).toEqual([GREETING, 0x11, 0x11 ^ 0xff]);
    const [led, fe] = [nums(t.outputs.led), nums(t.outputs.frame_errors)];
    expect(led[led.length - 1] & 2).toBe(2);
    expect(fe[fe.length - 1]).toBe(0);
  }, 600_000);

  it('loses the bytes beyond the FIFO when the program does not take them, and counts them', async () => {
    // a burst of FIFO + 40 bytes against a program sending two for one: the FIFO fills, the rest is lost
    await m.reset(2);
    const rnd = new Rand(11);
    const burst = Array.from({ length: FIFO + 40 }, () => rnd.int(1, 254));
    const line = [...Array<number>(50).fill(1), ...burst.flatMap((b) => frame(b)), ...Array<number>(2 * (FIFO + 40) * 10 * D + 2 * IDLE).fill(1)];
    const t = await m.play({ inputs: { uart_rx: Int32Array.from(line) }, outputs: ['uart_tx', 'overruns'] });
    const got = decode(nums(t.outputs.uart_tx));
    const ov = nums(t.outputs.overruns);
    const lost = ov[ov.length - 1];
    expect(lost).toBeGreaterThan(0);
    // every byte echoed is one of the burst's, in order, in pairs (b, b ^ 0xff), and lost + echoed = the burst
    const echoed = got.slice(1, -1).filter((_, i) => i % 2 === 0);
    expect(got.slice(1, -1).filter((_, i) => i % 2 === 1)).toEqual(echoed.map((b) => b ^ 0xff));
    expect(echoed.length + lost).toBe(burst.length);
    let k = 0;
    for (const b of echoed) {
      while (k < burst.length && burst[k] !== b) k++;
      expect(k, `byte ${b} in the burst's order`).toBeLessThan(burst.length);
      k++;
    }
    expect(got[got.length - 1]).toBe(0xee);
  }, 600_000);
});

/** A transport that records the bytes written to it and the bytes read back. */
class Recording implements Transport {
  readonly name = 'recording';
  readonly written: number[] = [];
  readonly answered: number[] = [];
  constructor(private readonly inner: Transport) {}
  async write(bytes: Uint8Array): Promise<void> {
    this.written.push(...bytes);
    await this.inner.write(bytes);
  }
  async read(min: number, timeoutMs: number): Promise<Uint8Array> {
    const b = await this.inner.read(min, timeoutMs);
    this.answered.push(...b);
    return b;
  }
  async close(): Promise<void> {
    await this.inner.close();
  }
}

describe('the iCEBreaker serving program on the board core, through its UART pins', () => {
  const cfg = loadChipConfig('boards/icebreaker/chip.json');
  const BIT = 4;
  let m: Model;
  beforeAll(async () => {
    const d = ucoreDesign(cfg, ucoreProgram(cfg, loadBoard('icebreaker')), { clocksPerBit: BIT, fifoDepth: 1024, idleCycles: 1 << 22 });
    m = await buildFromIr(d.module);
  }, 900_000);
  afterAll(async () => m?.close());

  it('answers a host session byte for byte as the same program on the ISS', async () => {
    // the session on the ISS (the core's timing, to size the run), its bytes recorded
    const timing = new CoreTiming();
    const link = new UcoreTransport(cfg, { timing: timing.timing });
    const rec = new Recording(link);
    const client = new Client(rec, { spec: link.serving.spec });
    const data = loadMnistSubset(1, 0);
    await client.identify();
    expect(Array.from(await client.echo([0, 1, 0xa5, 0x5a, 255]))).toEqual([0, 1, 0xa5, 0x5a, 255]);
    await client.train([{ pixels: data.train.pixels!.subarray(0, cfg.layers[0]), label: data.train.y[0] }]);
    const counters = await client.readCounters();
    expect(counters.steps).toBe(0n); // the window is not full yet: no step counted
    await client.linkStatus();
    expect(rec.written.length).toBeGreaterThan(cfg.layers[0]);
    // the same bytes on the pin, all at once after reset (the FIFO holds them while the program powers up)
    const line = [...Array<number>(20).fill(1), ...rec.written.flatMap((b) => frame(b, 1, BIT))];
    const cycles = Math.ceil(link.cycles * 1.2) + line.length + 10 * BIT * (rec.answered.length + 10);
    await m.reset(2);
    const t = await m.play({ inputs: { uart_rx: Int32Array.from([...line, ...Array<number>(cycles - line.length).fill(1)]) }, outputs: ['uart_tx', 'overruns', 'led'] });
    // five responses (the identify block, the echo, the counters, …)
    expect(rec.answered.length).toBeGreaterThan(100);
    expect(decode(nums(t.outputs.uart_tx), BIT)).toEqual(rec.answered);
    const ov = nums(t.outputs.overruns);
    expect(ov[ov.length - 1]).toBe(0);
    // no fault, no link error
    expect(nums(t.outputs.led)[ov.length - 1] & 2).toBe(0);
  }, 900_000);
});
