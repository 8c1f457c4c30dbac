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
  const link = join(tmpdir(), `ibhebb-board-tty-${process.pid}`);
  beforeAll(async () => {
    const model = await buildFromIr(boardLink(cfg, { clocksPerBit: 4, fifoDepth: 64 }));
    await model.reset(4);
    bridge = await PtyBridge.start(model, { link });
  }, 900_000);
  afterAll(async () => {
    await bridge?.close();
    await bridge?.model.close();
  });

  it('identifies, echoes, answers a pipelined batch and round-trips every weight word through the simulated 8N1 line, no byte lost', async () => {
    expect(existsSync(link)).toBe(true);
    const t = await UartTransport.open({ path: link, baudRate: 115200 });
    try {
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
    } finally {
      await t.close();
    }
  }, 600_000);
});
