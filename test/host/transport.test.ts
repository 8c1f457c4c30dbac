/**
 * Protocol round trips through the transports: the same host code (host/protocol/client.ts) against the
 * in-process mock, the verilated front end over pipes (sim), and the verilated front end behind a
 * pseudo-terminal opened by the serialport-based uart transport. Until the chip top exists the simulated
 * design is the front end alone: it answers IDENTIFY, ECHO (loopback), LINK_STATUS, RESET and every
 * malformed frame itself; controller commands get no answer, which the client reports instead of hanging.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CHIP, configHash } from '../../generator/config.js';
import { GENERATOR_VERSION } from '../../generator/version.js';
import { frontend } from '../../generator/units/frontend.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import { Client } from '../../host/protocol/client.js';
import { ChipError, ProtocolError } from '../../host/protocol/commands.js';
import { FrameParser, encodeFrame } from '../../host/protocol/frame.js';
import { DEFAULT_SPEC, ERRORS, OPCODES } from '../../host/protocol/spec.js';
import { MockTransport } from '../../host/transport/mock.js';
import { SimTransport } from '../../host/transport/sim.js';
import { UartTransport } from '../../host/transport/uart.js';
import { PtyBridge } from '../../host/transport/pty.js';
import type { Transport } from '../../host/transport/transport.js';
import { FakeChip } from '../../host/transport/fake-chip.js';

/** What every transport must carry: identify, loopback (one and a pipelined batch), link counters, errors. */
async function frontEndRoundTrips(t: Transport): Promise<void> {
  const c = new Client(t, { timeoutMs: 5_000 });
  const id = await c.identify();
  expect(id.configHash).toBe(configHash(DEFAULT_CHIP));
  expect(id.generatorVersion).toBe(GENERATOR_VERSION);
  expect(id.layers).toEqual(DEFAULT_CHIP.layers);
  expect(id.maxPayload).toBe(DEFAULT_SPEC.maxPayload);

  const big = Uint8Array.from({ length: DEFAULT_SPEC.maxPayload }, (_, i) => (i * 7 + 3) & 0xff);
  expect(Buffer.from(await c.echo(big)).equals(Buffer.from(big))).toBe(true);

  const reqs = Array.from({ length: 300 }, (_, i) => ({ op: OPCODES.ECHO, payload: Uint8Array.from({ length: i % 50 }, (_, j) => (i + j) & 0xff) }));
  const answers = await c.batch(reqs);
  expect(answers.every((a) => a.ok)).toBe(true);
  answers.forEach((a, i) => {
    if (a.ok) expect([...a.frame.payload]).toEqual([...reqs[i].payload]);
  });

  // malformed input written raw: garbage, a bad CRC, an unknown opcode; then the client carries on
  const bad = encodeFrame(OPCODES.ECHO, 200, [1, 2, 3]);
  bad[8] ^= 0x40;
  await t.write(Uint8Array.from([0x00, 0x13, 0x37, ...bad, ...encodeFrame(0x77, 201)]));
  const parser = new FrameParser();
  const frames = [];
  for (let tries = 0; frames.length < 2 && tries < 50; tries++) frames.push(...parser.push(await t.read(1, 2_000)));
  expect(frames.map((f) => [f.op, f.tag, f.payload[0], f.payload[1]])).toEqual([
    [0xff, 200, ERRORS.BAD_CRC, OPCODES.ECHO],
    [0xff, 201, ERRORS.UNKNOWN_OPCODE, 0x77],
  ]);
  const st = await c.linkStatus();
  expect(st.dropped).toBe(3);
  expect(st.rejected).toBe(2);
  expect(st.accepted).toBe(1 + 1 + 300 + 1);
}

describe('transport: mock (front-end reference + fake chip)', () => {
  it('carries the front-end round trips', async () => {
    await frontEndRoundTrips(new MockTransport());
  });

  it('runs every controller command against the fake chip, with checked arguments', async () => {
    const t = new MockTransport();
    await controllerCommands(t, t.chip as FakeChip);
  });
});

/** Every controller command through the client, against a FakeChip behind the front end. */
async function controllerCommands(t: Transport, chip: FakeChip): Promise<void> {
  {
    const c = new Client(t, { timeoutMs: 10_000 });
    await c.setParams({ hiddenShift: 3, hiddenMul: 1, outShift: 7, outMul: 2, seed: 0xdeadbeef });
    expect(chip.params).toEqual({ hiddenShift: 3, hiddenMul: 1, outShift: 7, outMul: 2, seed: 0xdeadbeef });
    const words = Array.from({ length: 5000 }, (_, i) => ((i * 7919) % 65536) - 32768);
    await c.loadWeights(100_000, words);
    expect(await c.readWeights(100_000, 5000)).toEqual(words);
    const err = await c.setParams({ hiddenShift: 41, hiddenMul: 1, outShift: 0, outMul: 1, seed: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChipError);
    expect((err as ChipError).info).toMatchObject({ code: ERRORS.OUT_OF_RANGE, detail: 0 });
    await expect(c.readWeights(DEFAULT_SPEC.weightWords - 1, 2)).rejects.toThrow(/READ_WEIGHTS: OUT_OF_RANGE/);
    const pixels = (k: number) => Uint8Array.from({ length: DEFAULT_SPEC.pixels }, (_, i) => (i * k) & 0xff);
    await c.newEpoch();
    await c.train(Array.from({ length: 23 }, (_, k) => ({ pixels: pixels(k), label: k % 10 })));
    await expect(c.train([{ pixels: pixels(1), label: 10 }])).rejects.toThrow(/TRAIN: OUT_OF_RANGE/);
    const preds = await c.infer([pixels(1), pixels(2), pixels(3)]);
    expect(preds).toEqual([1, 2, 3].map((k) => pixels(k).reduce((s, v) => s + v, 0) % 10));
    expect((await c.readCounters()).steps).toBe(23n);
    await c.reset();
    expect((await c.readCounters()).steps).toBe(0n);
  }
}

describe('transport: sim (verilated front end over pipes)', () => {
  let t: SimTransport;
  beforeAll(async () => {
    t = await SimTransport.start(frontend(DEFAULT_CHIP), { pValid: 0.8, pReady: 0.6, seed: 3 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('carries the front-end round trips', async () => {
    await frontEndRoundTrips(t);
  });

  it('a command for the missing controller is forwarded but unanswered: the client times out instead of hanging', async () => {
    const c = new Client(t, { timeoutMs: 5 });
    await expect(c.newEpoch()).rejects.toBeInstanceOf(ProtocolError);
    const cmd = await t.model.drain('cmd');
    expect(cmd.map((w) => w.data)).toEqual([OPCODES.NEW_EPOCH, 0, 0]);
    expect(cmd.map((w) => w.last)).toEqual([false, false, true]);
  });
});

describe('transport: sim with a software controller on the command streams (the RTL front end + a fake chip)', () => {
  it('runs every controller command through the verilated front end, under random back-pressure', async () => {
    const chip = new FakeChip(DEFAULT_SPEC);
    const t = await SimTransport.start(frontend(DEFAULT_CHIP), { pValid: 0.7, pReady: 0.7, seed: 9, controller: (op, p) => chip.command(op, p), onChipReset: () => chip.reset() });
    try {
      await controllerCommands(t, chip);
    } finally {
      await t.close();
    }
  });
});

describe('transport: uart through a pseudo-terminal (socat) to the verilated front end', () => {
  let bridge: PtyBridge;
  const link = join(tmpdir(), `ibhebb-tty-${process.pid}`);
  beforeAll(async () => {
    const model = await buildFromIr(frontend(DEFAULT_CHIP));
    await model.reset(4);
    bridge = await PtyBridge.start(model, { link });
  });
  afterAll(async () => {
    await bridge?.close();
    await bridge?.model.close();
  });

  it('opens the pty like a serial port and carries the front-end round trips, twice', async () => {
    for (let round = 0; round < 2; round++) {
      await bridge.ready(); // the second round: socat offers the link again once the first client closed it
      expect(existsSync(link)).toBe(true);
      const t = await UartTransport.open({ path: link, baudRate: 115200 });
      try {
        if (round === 0) await frontEndRoundTrips(t);
        else expect((await new Client(t).identify()).configHash).toBe(configHash(DEFAULT_CHIP));
      } finally {
        await t.close();
      }
    }
  });
});
