/**
 * `ibhebb identify`: asks a chip who it is (IDENTIFY) and how its link is doing (LINK_STATUS), over any
 * transport — a board's serial port, the simulated design behind a pseudo-terminal (`ibhebb serve --pty`),
 * the verilated front end directly, or the in-process mock — and checks the answer against the bindings
 * of a configuration.
 */
import { Command, Option } from 'commander';
import { loadChip } from '../chip/config.js';
import { DEFAULT_CHIP, configHash } from '../../generator/config.js';
import { frontend } from '../../generator/units/frontend.js';
import { Client } from '../protocol/client.js';
import { MockTransport } from '../transport/mock.js';
import { SimTransport } from '../transport/sim.js';
import { UartTransport } from '../transport/uart.js';
import type { Transport } from '../transport/transport.js';
import { UsageError } from './options.js';

interface Opts {
  transport: 'sim' | 'uart' | 'mock';
  port?: string;
  baud: string;
  config?: string;
  timeout: string;
}

export function identifyCommand(): Command {
  return new Command('identify')
    .description('ask a chip (board, pty or simulation) for its identity and link counters; checks the config hash')
    .addOption(new Option('--transport <kind>', 'how to reach the chip').choices(['sim', 'uart', 'mock']).default('uart'))
    .option('--port <path>', 'serial port (uart): a board, or the link of `ibhebb serve --pty`')
    .option('--baud <rate>', 'baud rate (uart)', '115200')
    .option('--config <file>', 'the configuration the chip should have (JSON); default: the default configuration')
    .option('--timeout <ms>', 'how long to wait for each answer', '5000')
    .action(async (o: Opts) => {
      const cfg = o.config ? loadChip(o.config) : DEFAULT_CHIP;
      const baudRate = Number(o.baud);
      const timeoutMs = Number(o.timeout);
      if (!Number.isInteger(baudRate) || baudRate <= 0) throw new UsageError(`--baud ${o.baud} must be a positive integer`);
      if (!(timeoutMs > 0)) throw new UsageError(`--timeout ${o.timeout} must be a positive number of ms`);
      let t: Transport;
      if (o.transport === 'uart') {
        if (!o.port) throw new UsageError('--transport uart needs --port <path> (e.g. /dev/ttyUSB0, or the link of `ibhebb serve --pty`)');
        t = await UartTransport.open({ path: o.port, baudRate });
      } else if (o.transport === 'sim') t = await SimTransport.start(frontend(cfg));
      else t = new MockTransport({ config: cfg });
      try {
        const c = new Client(t, { timeoutMs });
        const identity = await c.identify();
        const link = await c.linkStatus();
        const want = configHash(cfg);
        process.stdout.write(`${JSON.stringify({ transport: t.name, identity, link, matchesConfig: identity.configHash === want }, null, 2)}\n`);
        if (identity.configHash !== want) {
          process.stderr.write(`ibhebb identify: the chip's config hash ${identity.configHash} differs from ${want} of the configuration given\n`);
          process.exitCode = 1;
        }
      } finally {
        await t.close();
      }
    });
}
