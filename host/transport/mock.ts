/**
 * `mock` transport: the front end's reference (host/protocol/frontend-model.ts) in process, with a fake
 * chip behind it as the controller, so host code runs without Verilator or a board. Bytes written are
 * parsed at once; replies are ready for the next read.
 */
import { FrontEndModel, type Controller } from '../protocol/frontend-model.js';
import { DEFAULT_SPEC, type ProtocolSpec } from '../protocol/spec.js';
import { identifyBlock, protocolSpec } from '../../generator/protocol.js';
import { DEFAULT_CHIP, type ChipConfig } from '../../generator/config.js';
import { FakeChip } from './fake-chip.js';
import { ByteQueue, type Transport } from './transport.js';

export interface MockOptions {
  /** The configuration the mock claims to be (IDENTIFY, and its protocol unless `spec`); default the default chip. */
  config?: ChipConfig;
  spec?: ProtocolSpec;
  /** The controller behind the front end; default a FakeChip. */
  controller?: Controller;
}

export class MockTransport implements Transport {
  readonly name = 'mock';
  readonly frontEnd: FrontEndModel;
  readonly chip: FakeChip | null;
  private readonly rx = new ByteQueue();
  private closed = false;

  constructor(o: MockOptions = {}) {
    // the protocol of the configuration it claims to be (its memories' limits, record sizes)
    const spec = o.spec ?? (o.config ? protocolSpec(o.config) : DEFAULT_SPEC);
    this.chip = o.controller ? null : new FakeChip(spec);
    const controller = o.controller ?? ((op, p) => (this.chip as FakeChip).command(op, p));
    this.frontEnd = new FrontEndModel(spec, identifyBlock(o.config ?? DEFAULT_CHIP, 1 << 24), controller);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('mock transport: closed');
    const fe = this.frontEnd;
    const before = fe.out.length;
    fe.feedAll(bytes);
    this.rx.push(Uint8Array.from(fe.out.slice(before)));
    fe.out.length = 0;
    fe.cmd.length = 0;
    fe.cmdLast.length = 0;
    if (fe.resets > 0) {
      fe.resets = 0;
      this.chip?.reset();
    }
  }

  async read(_min: number, _timeoutMs: number): Promise<Uint8Array> {
    return this.rx.take();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
