/**
 * `ibhebb serve --pty PATH`: the simulated design behind a pseudo-terminal, for the `uart` transport or
 * any serial terminal, until Ctrl-C. The design is the stream front end until the chip top exists: it
 * answers IDENTIFY, ECHO, LINK_STATUS, RESET and malformed frames (docs/protocol.md).
 */
import { Command } from 'commander';
import { loadChip } from '../chip/config.js';
import { DEFAULT_CHIP, configHash } from '../../generator/config.js';
import { frontend } from '../../generator/units/frontend.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import { PtyBridge } from '../transport/pty.js';
import { boardLink } from '../../generator/boards/top.js';
import { UsageError } from './options.js';

export function serveCommand(): Command {
  return new Command('serve')
    .description('put the simulated design behind a pseudo-terminal that the uart transport opens like a serial port')
    .requiredOption('--pty <path>', 'where to create the pty link, e.g. /tmp/ibhebb-tty')
    .option('--config <file>', 'chip configuration (JSON); default: the default configuration')
    .option('--uart <clocksPerBit>', 'serve the board top instead: the chip behind the board UART (8N1 at this many clock cycles per bit) and a host-side UART, pin to pin')
    .action(async (o: { pty: string; config?: string; uart?: string }) => {
      const cfg = o.config ? loadChip(o.config) : DEFAULT_CHIP;
      let top = frontend(cfg);
      if (o.uart !== undefined) {
        const D = Number(o.uart);
        if (!Number.isInteger(D) || D < 4) throw new UsageError(`--uart ${o.uart} must be an integer ≥ 4 (clock cycles per bit)`);
        top = boardLink(cfg, { clocksPerBit: D, fifoDepth: 512 });
      }
      const model = await buildFromIr(top);
      await model.reset(4);
      const bridge = await PtyBridge.start(model, { link: o.pty });
      process.stderr.write(`ibhebb serve: ${model.build.top} (config hash ${configHash(cfg)}) on ${o.pty}; Ctrl-C ends\n`);
      await new Promise<void>((res) => process.once('SIGINT', () => res()));
      await bridge.close();
      await model.close();
      process.stderr.write(`ibhebb serve: ${bridge.cycles} cycles simulated\n`);
    });
}
