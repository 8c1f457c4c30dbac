/**
 * One interface for every way the host reaches a chip's two byte streams: `sim` (the verilated design
 * in a child process), `uart` (a serial port: a board, or the simulated design behind a pseudo-terminal)
 * and `mock` (an in-process model of the front end and a fake chip). The protocol client
 * (host/protocol/client.ts) only sees this.
 */
export interface Transport {
  /** 'sim', 'uart' or 'mock', with what it is connected to. */
  readonly name: string;
  /** Queues bytes for the chip's input stream (resolves once they are handed on, not answered). */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Waits until at least `min` bytes from the chip's output stream are available (or the transport's
   * time limit `timeoutMs` passes) and returns every byte received so far — fewer than `min` only on timeout.
   */
  read(min: number, timeoutMs: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Bytes received and not yet read, as one growing buffer. */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private count = 0;

  push(b: Uint8Array): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.count += b.length;
  }

  get length(): number {
    return this.count;
  }

  take(): Uint8Array {
    const out = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = [];
    this.count = 0;
    return out;
  }
}

/** A transport could not be set up or broke (a missing serial port, socat not installed, …). */
export class TransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransportError';
  }
}
