/**
 * The UP5K engine's board core (module `ucore_board_core`): the UART and the core that serves the host protocol
 * as a program. It has the ports of the chip's `board_core` (generator/boards/top.ts), so the same board shell
 * (pins, PLL, reset synchroniser, LEDs) wraps it:
 *   clk, rst (synchronous, active high), uart_rx (pin) → uart_tx (pin), led[2], frame_errors[16], overruns[16].
 *
 * Inside:
 *   uart      receiver, receive FIFO of fifoDepth bytes, transmitter (generator/boards/uart.ts)
 *   core      the ucore (core.ts): recv pops the FIFO (rx_valid, rx_data, rx_ready), send feeds the
 *             transmitter (tx_valid, tx_data, tx_ready)
 *   idle      a timer of the cycles since the receiver last delivered a byte (saturating at idleCycles):
 *             rx_idle is high once it reached idleCycles, so a recv waiting on an empty FIFO then gets 256
 *             (a frame cut short); a byte in the FIFO always comes first (the core prefers it)
 *   start     the core is started at `entry` (the program's serve entry) whenever it is stopped without a fault:
 *             after reset, and again should the program halt; a fault stops it for good (until reset)
 *   leds      led[0] the heartbeat (bit 23 of a free counter), led[1] a framing error, an overrun or a fault seen
 *             (sticky)
 *
 * The FIFO's depth: the host keeps at most its window of bytes sent and not yet answered (UART_WINDOW_BYTES), so
 * while the program computes (a training step: several ms) nothing beyond the window arrives; a frame longer than
 * the window is sent alone, when nothing is outstanding, and while the program reads it the FIFO grows by what the
 * line brings faster than the program's receive loop takes it: L·(1 − 10·D/c) bytes of an L-byte frame for a loop
 * of c cycles a byte against 10·D on the line. So fifoDepth ≥ the window, and more when the receive loop is slower
 * than the line and frames are long (`ibhebb build` paces the line to the loop by default: host/boards/ucore.ts).
 */
import { constant, ModuleBuilder, uint, type Module } from '../../ir/index.js';
import { boardUart, pinLink } from '../../boards/top.js';

export interface UcoreBoardOptions {
  /** clock cycles per UART bit (generator/boards/uart.ts uartDivisor) */
  clocksPerBit: number;
  /** receive FIFO bytes (a power of two ≥ 2) */
  fifoDepth: number;
  /** cycles without a received byte after which rx_idle is high (≥ 2) */
  idleCycles: number;
  /** the instruction the core starts at after reset (the program's serve entry) */
  entry: number;
}

/** The core's I/O and control ports the board core drives and reads (core.ts). */
const CORE_PORTS = ['start', 'entry', 'rx_valid', 'rx_data', 'rx_idle', 'tx_ready', 'rx_ready', 'tx_valid', 'tx_data', 'busy', 'fault'];

export function ucoreBoardCore(core: Module, o: UcoreBoardOptions): Module {
  for (const p of CORE_PORTS) if (!core.ports.some((q) => q.name === p)) throw new RangeError(`ucore board: the core ${core.name} has no port ${p}`);
  if (!Number.isInteger(o.idleCycles) || o.idleCycles < 2) throw new RangeError(`ucore board: idleCycles ${o.idleCycles} must be an integer ≥ 2`);
  const entryW = core.ports.find((p) => p.name === 'entry')!.type.width;
  if (!Number.isInteger(o.entry) || o.entry < 0 || o.entry >= 2 ** entryW) throw new RangeError(`ucore board: entry ${o.entry} is not an instruction address`);
  const m = new ModuleBuilder('ucore_board_core', { clocksPerBit: o.clocksPerBit, fifoDepth: o.fifoDepth, idleCycles: o.idleCycles, entry: o.entry, core: core.name });
  m.clock();
  const u = boardUart(m, o);

  // the idle timer: cycles since the receiver last delivered a byte (a byte lost to a full FIFO counts too)
  const IW = Math.ceil(Math.log2(o.idleCycles + 1));
  const idle = m.reg('idle_timer_q', uint(IW), { reset: 0 });
  const rxIdle = m.reg('rx_idle_q', uint(1), { reset: 0 });
  const delivered = u.rxByte;
  m.seq('idle', ($) => {
    $.if(delivered, () => {
      $.set(idle, 0);
      $.set(rxIdle, 0);
    }).elseIf(rxIdle.not(), () => {
      $.set(idle, idle.addWrap(1));
      // high from the cycle the timer reaches idleCycles
      $.set(rxIdle, idle.eq(o.idleCycles - 1));
    });
  });

  // the core: started at the serve entry whenever it is stopped without a fault
  const busy = m.wire('core_busy', uint(1));
  const fault = m.wire('core_fault', uint(1));
  const c = m.instance('u_core', core, {
    start: busy.not().and(fault.not()),
    entry: constant(o.entry, uint(entryW)),
    rx_valid: u.rx.valid,
    rx_data: u.rx.data,
    rx_idle: rxIdle,
    tx_ready: u.txReady,
    ...Object.fromEntries(core.ports.filter((p) => p.kind === 'input' && !p.role && !CORE_PORTS.includes(p.name)).map((p) => [p.name, constant(0, p.type)])),
  });
  m.assign(busy, c.out('busy'));
  m.assign(fault, c.out('fault'));
  m.assign(u.rxReady, c.out('rx_ready'));
  m.assign(u.txValid, c.out('tx_valid'));
  m.assign(u.txData, c.out('tx_data'));
  for (const p of core.ports) if (p.kind === 'output' && !CORE_PORTS.includes(p.name)) m.unused(c.out(p.name));
  u.leds(fault);
  return m.build();
}

/**
 * The board core `bc` (ucoreBoardCore) behind a host-side UART of its bit time, pin to pin, with byte streams
 * s_axis_in / m_axis_out (module `ucore_board_link`, simulation only): what the pseudo-terminal bridge
 * (host/transport/pty.ts) drives, so that the `uart` transport reaches the board through real 8N1 bit timing.
 */
export function ucoreBoardLink(bc: Module): Module {
  if (bc.name !== 'ucore_board_core') throw new RangeError(`ucore board link: ${bc.name} is not the ucore board core`);
  return pinLink(bc, 'ucore_board_link', { clocksPerBit: Number(bc.params.clocksPerBit), fifoDepth: Number(bc.params.fifoDepth), idleCycles: Number(bc.params.idleCycles), core: String(bc.params.core) });
}
