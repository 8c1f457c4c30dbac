/**
 * Opens a chip engine of a kind: `mock` (the controller's reference model behind the front end's
 * reference, in process), `sim` (the generated chip top verilated, over the sim transport; the build is
 * cached), `uart` (a board or the simulated chip behind a pseudo-terminal), `ucore-link` (the UP5K engine's
 * serving program on its instruction-set simulator, in process: host/transport/ucore.ts).
 */
import type { ChipConfig } from '../../generator/config.js';
import { MockTransport } from '../transport/mock.js';
import type { Transport } from '../transport/transport.js';
import { ChipEngine, type ChipEngineOptions } from './engine.js';
import { UART_WINDOW_BYTES } from '../../generator/boards/uart.js';
import { ChipModel } from './model.js';
import { protocolSpec } from '../../generator/protocol.js';
import { commandSpec } from '../protocol/spec.js';
import type { Split } from '../../sim/data.js';
import { chipProfileWorkload } from './profile.js';

export const CHIP_ENGINES = ['mock', 'sim', 'uart', 'ucore-link'] as const;
export type ChipEngineKind = (typeof CHIP_ENGINES)[number];

export interface OpenOptions extends ChipEngineOptions {
  /** uart: the serial port (a board's, or the PTY of `ibhebb serve --pty`) and its baud rate */
  port?: string;
  baud?: number;
  /**
   * sim: check the watched internal streams and the valid/ready independence every cycle (default false: a
   * training run skips their per-cycle cost; the tests of the chip keep them on)
   */
  simChecks?: boolean;
  /**
   * sim without checks: the run's training data, from which the model is built profile-guided (a cold build
   * compiles twice and simulates a few hundred samples in between; host/chip/profile.ts)
   */
  profileData?: Split;
  /** sim: told each step of the chip's build when it is not cached */
  onStage?: (stage: string) => void;
}

/** OpenOptions.onStage for a terminal: each step of a cold build of the simulated chip, on stderr. */
export function reportBuildStage(stage: string): void {
  process.stderr.write(`building the simulated chip (once; cached in build/verilator): ${stage}\n`);
}

export async function openTransport(kind: ChipEngineKind, cfg: ChipConfig, o: OpenOptions): Promise<Transport> {
  switch (kind) {
    case 'mock': {
      const model = new ChipModel(cfg);
      return new MockTransport({ config: cfg, controller: (op, p) => model.command(op, p) });
    }
    case 'sim': {
      const [{ SimTransport }, { chip }] = await Promise.all([import('../transport/sim.js'), import('../../generator/units/chip.js')]);
      const lean = o.simChecks !== true;
      return SimTransport.start(chip(cfg), {
        checks: !lean,
        ...(lean && o.profileData ? { profile: chipProfileWorkload(cfg, o.profileData) } : {}),
        ...(o.onStage ? { onStage: o.onStage } : {}),
      });
    }
    case 'ucore-link': {
      const { UcoreTransport } = await import('../transport/ucore.js');
      return new UcoreTransport(cfg);
    }
    case 'uart': {
      if (!o.port) throw new RangeError('--engine uart needs --port PATH (the board\'s serial port, or the PTY of `ibhebb serve --pty`)');
      const { UartTransport } = await import('../transport/uart.js');
      return UartTransport.open({ path: o.port, ...(o.baud ? { baudRate: o.baud } : {}) });
    }
  }
}

export async function openChip(kind: ChipEngineKind, cfg: ChipConfig, seed: number, o: OpenOptions = {}): Promise<ChipEngine> {
  const t = await openTransport(kind, cfg, o);
  // a board's receive FIFO bounds the bytes in flight (generator/boards/uart.ts), so a frame is about all that is
  // in flight: frames of as many records as fit then save round trips (the link, not the datapath, is the limit)
  const opts =
    kind === 'uart'
      ? { ...o, window: o.window ?? UART_WINDOW_BYTES, recordsPerFrame: o.recordsPerFrame ?? commandSpec(protocolSpec(cfg), 'TRAIN').maxRecords }
      : o;
  try {
    return await ChipEngine.open(cfg, t, seed, opts);
  } catch (e) {
    await t.close();
    throw e;
  }
}
