/**
 * `uart` transport: a serial port through the `serialport` package (prebuilt native bindings) — a board's
 * USB-UART, or the simulated design behind a pseudo-terminal (host/transport/pty.ts), which it cannot
 * tell apart. 8N1, no flow control: keep the client's window within the board's receive FIFO.
 */
import { SerialPort } from 'serialport';
import { ByteQueue, TransportError, type Transport } from './transport.js';

export interface UartOptions {
  path: string;
  /** Default 115200. */
  baudRate?: number;
}

export class UartTransport implements Transport {
  readonly name: string;
  private readonly rx = new ByteQueue();
  private waiter: (() => void) | null = null;
  private error: Error | null = null;

  private constructor(private readonly port: SerialPort) {
    this.name = `uart (${port.path} @ ${port.baudRate})`;
    port.on('data', (b: Buffer) => {
      this.rx.push(new Uint8Array(b));
      this.waiter?.();
    });
    port.on('error', (e: Error) => {
      this.error = e;
      this.waiter?.();
    });
    port.on('close', () => {
      this.error ??= new Error(`${this.name}: port closed`);
      this.waiter?.();
    });
  }

  static async open(o: UartOptions): Promise<UartTransport> {
    const port = new SerialPort({ path: o.path, baudRate: o.baudRate ?? 115200, autoOpen: false });
    await new Promise<void>((res, rej) =>
      port.open((e) => (e ? rej(new TransportError(`cannot open serial port ${o.path}: ${e.message}`)) : res())),
    );
    return new UartTransport(port);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.error) throw this.error;
    await new Promise<void>((res, rej) => {
      this.port.write(Buffer.from(bytes), (e) => (e ? rej(e) : undefined));
      this.port.drain((e) => (e ? rej(e) : res()));
    });
  }

  async read(min: number, timeoutMs: number): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (this.rx.length < min && !this.error) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiter = () => {
          clearTimeout(t);
          res();
        };
      });
      this.waiter = null;
    }
    if (this.rx.length === 0 && this.error) throw this.error;
    return this.rx.take();
  }

  async close(): Promise<void> {
    if (!this.port.isOpen) return;
    await new Promise<void>((res) => this.port.close(() => res()));
  }
}
