/**
 * `ucore-link` transport: the UP5K engine's serving program (generator/ucore/program/protocol.ts) on the
 * instruction-set simulator, in process, its UART the transport's two byte streams: the bytes written are what
 * its `recv` gets, what it `send`s is what read returns. The program runs whenever bytes arrive, until its recv
 * waits for more; `idle()` is the line staying idle past the board's timeout (recv's 256 once). So the host
 * client (host/protocol/client.ts) talks to the very program the iCEBreaker runs, frame for frame.
 */
import type { ChipConfig } from '../../generator/config.js';
import { protocolProgram, type ProtocolOptions, type ProtocolProgram } from '../../generator/ucore/program/protocol.js';
import { machineFor } from '../../generator/ucore/program/common.js';
import { chipParams } from '../../sim/golden/fixed/index.js';
import { IssError, Machine, type MachineConfig } from '../../sim/ucore/iss.js';
import { chipTrainConfig } from '../chip/config.js';
import { ByteQueue, type Transport } from './transport.js';

export interface UcoreLinkOptions extends ProtocolOptions {
  /** the core's cycles per instruction (MachineConfig.timing; default the plan of isa.ts CYCLES) */
  timing?: MachineConfig['timing'];
  /** count cycles per instruction address (Machine.pcCycles) */
  profile?: boolean;
}

export class UcoreTransport implements Transport {
  readonly name: string;
  readonly machine: Machine;
  readonly serving: ProtocolProgram;
  private rx: Uint8Array[] = [];
  private rxAt = 0;
  private readonly tx = new ByteQueue();
  private out: number[] = [];
  private idleNext = false;
  private closed = false;

  constructor(cfg: ChipConfig, o: UcoreLinkOptions = {}) {
    const P = chipParams(chipTrainConfig(cfg, 0), cfg.numeric);
    this.serving = protocolProgram(cfg, P, { ...(o.crc ? { crc: o.crc } : {}), ...(o.vector === false ? { vector: false } : {}) });
    const lay = this.serving.layout;
    this.name = `ucore-link (${cfg.layers.join('-')} on the ISS)`;
    this.machine = new Machine({
      ...machineFor(P, lay.memWords),
      satBase: this.serving.satBase,
      ...(o.timing ? { timing: o.timing } : {}),
      ...(o.profile ? { profile: this.serving.program.code.length } : {}),
      io: { recv: () => this.next(), send: (b) => this.out.push(b) },
    });
    for (const img of this.serving.images) this.machine.mem.set(img.words, img.at);
    this.settle(this.machine.run(this.serving.program, this.serving.entry.serve));
  }

  /** The core's cycles so far (ISS): the chip engine's figures take them as the simulated clock. */
  get cycles(): number {
    return this.machine.cycles;
  }

  private next(): number | 'wait' {
    while (this.rx.length > 0) {
      const head = this.rx[0];
      if (this.rxAt < head.length) return head[this.rxAt++];
      this.rx.shift();
      this.rxAt = 0;
    }
    if (this.idleNext) {
      this.idleNext = false;
      return 256;
    }
    return 'wait';
  }

  private settle(status: 'halt' | 'wait'): void {
    if (status === 'halt') throw new IssError('ucore-link: the serving program halted');
    if (this.out.length) {
      this.tx.push(Uint8Array.from(this.out));
      this.out = [];
    }
  }

  private pump(): void {
    if (this.closed) throw new Error('ucore-link transport: closed');
    this.settle(this.machine.resume(this.serving.program));
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.rx.push(Uint8Array.from(bytes));
    this.pump();
  }

  /** The line stays idle past the board's timeout: a frame under way is cut (TRUNCATED). */
  idle(): void {
    this.idleNext = true;
    this.pump();
  }

  async read(_min: number, _timeoutMs: number): Promise<Uint8Array> {
    return this.tx.take();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
