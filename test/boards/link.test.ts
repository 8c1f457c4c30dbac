/**
 * The UART path end to end without a board: the board top's core (chip top behind the board UART and its
 * receive FIFO) wired pin to pin to a host-side UART, verilated behind a pseudo-terminal, opened by the
 * `uart` transport through the serialport package exactly as a board's port. Every byte crosses the
 * simulated line as 8N1 bits; the replies are compared whole.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHIP, configHash, validateChip } from '../../generator/config.js';
import { withNumeric } from '../../generator/numeric.js';
import { protocolSpec } from '../../generator/protocol.js';
import { boardLink } from '../../generator/boards/top.js';
import { Client } from '../../host/protocol/client.js';
import { OPCODES } from '../../host/protocol/spec.js';
import { PtyBridge } from '../../host/transport/pty.js';
import { UartTransport } from '../../host/transport/uart.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import { ChipEngine } from '../../host/chip/engine.js';
import { pixelToInput } from '../../sim/data.js';
import { Rng } from '../../sim/rng.js';

const lanes = 2;
const cfg = validateChip({
  ...DEFAULT_CHIP,
  layers: [16, 4, 3],
  window: 2,
  lanes,
  gram: { rows: 1, cols: 1 },
  numeric: withNumeric(DEFAULT_CHIP.numeric, { lfsr: { ...DEFAULT_CHIP.numeric.lfsr, lanes } }),
});

describe('board link: chip top behind the board UART, through a pseudo-terminal', () => {
  let bridge: PtyBridge;
  let t: UartTransport;
  const link = join(tmpdir(), `ibhebb-board-tty-${process.pid}`);
  beforeAll(async () => {
    const model = await buildFromIr(boardLink(cfg, { clocksPerBit: 4, fifoDepth: 64 }));
    await model.reset(4);
    bridge = await PtyBridge.start(model, { link });
    expect(existsSync(link)).toBe(true);
    t = await UartTransport.open({ path: link, baudRate: 115200 });
  }, 900_000);
  afterAll(async () => {
    await t?.close();
    await bridge?.close();
    await bridge?.model.close();
  });

  it('identifies, echoes, answers a pipelined batch and round-trips every weight word through the simulated 8N1 line, no byte lost', async () => {
    {
      const c = new Client(t, { timeoutMs: 60_000, window: 64 }); // the FIFO's 64 bytes bound the bytes in flight
      const id = await c.identify();
      expect(id.configHash).toBe(configHash(cfg));
      expect(id.layers).toEqual(cfg.layers);
      const big = Uint8Array.from({ length: 600 }, (_, i) => (i * 13 + 7) & 0xff);
      expect([...(await c.echo(big))]).toEqual([...big]);
      const reqs = Array.from({ length: 40 }, (_, i) => ({ op: OPCODES.ECHO, payload: Uint8Array.from({ length: (i * 7) % 60 }, (_, j) => (i * 31 + j) & 0xff) }));
      const answers = await c.batch(reqs);
      answers.forEach((a, i) => {
        expect(a.ok).toBe(true);
        if (a.ok) expect([...a.frame.payload]).toEqual([...reqs[i].payload]);
      });
      // every weight word written through the line and read back (the chip's weight map, all layers)
      const spec = protocolSpec(cfg);
      const wc = new Client(t, { timeoutMs: 60_000, spec, window: 64 });
      const words = Array.from({ length: spec.weightWords }, (_, i) => ((i * 2654435761) % 65536) - 32768);
      await wc.loadWeights(0, words);
      expect(await wc.readWeights(0, spec.weightWords)).toEqual(words);
      expect(await bridge.model.peek('overruns')).toBe(0);
      expect(await bridge.model.peek('frame_errors')).toBe(0);
    }
  }, 600_000);

  it('trains through the uart transport bit-exactly: weights and predictions equal the fixed golden model', async () => {
    {
      // u8 images of the configuration's 16 pixels, labels of its 3 classes
      const rng = new Rng(9);
      const n = 300;
      const dim = cfg.layers[0];
      const pixels = Uint8Array.from({ length: n * dim }, () => rng.int(256));
      const y = Uint8Array.from({ length: n }, () => rng.int(cfg.layers[cfg.layers.length - 1]));
      const split = { n, dim, x: Float64Array.from(pixels, pixelToInput), y, pixels };
      const e = await ChipEngine.open(cfg, t, 4, { check: 100, window: 64, timeoutMs: 60_000 });
      e.beginEpoch();
      for (let i = 0; i < n; i++) {
        e.trainSample(split, i);
        if (i % 10 === 9) await e.flush(); // compares every weight with the golden model every 100 steps
      }
      await e.flush();
      await e.compare();
      const got = await e.inferAll(split, 40);
      expect(got).toEqual(Array.from({ length: 40 }, (_, i) => e.golden.predict(split, i)));
      expect(await bridge.model.peek('overruns')).toBe(0);
      expect(await bridge.model.peek('frame_errors')).toBe(0);
    }
  }, 600_000);
});
