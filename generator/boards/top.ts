/**
 * Board tops. Two layers:
 *
 * boardCore(cfg, {clocksPerBit, fifoDepth})   module `board_core` (IR, co-simulated)
 *   clk, rst (synchronous, active high: the shell's synchronised reset), uart_rx (pin) → uart_tx (pin),
 *   led[2] (0: heartbeat, bit 23 of a free counter; 1: a framing error or an overrun was seen, sticky),
 *   frame_errors[16], overruns[16]. Inside: uart (receiver, receive FIFO, transmitter; uart.ts) ↔ the
 *   core's byte streams s_axis_in / m_axis_out (coreTop: the chip). The core's tlast input is tied low
 *   (frames are delimited by their length); any other core input is tied low and its other outputs
 *   are left open, so a core with a controller port (the stream front end alone) still answers what
 *   it answers itself.
 *
 * boardShell(board, …)   module `board_<name>` (Verilog text, per board; synthesis only)
 *   the board's pins (board.json ports): clock pin → PLL (SB_PLL40_PAD on iCE40, MMCME2_BASE on Xilinx;
 *   under `ifdef SIMULATION` the clock passes straight through and `locked` is 1) → clk; the reset button
 *   (active low) or a PLL that has not locked asserts the reset asynchronously and a 3-flop synchroniser
 *   releases it synchronously to clk; board_core; LEDs (active-low pins inverted).
 *
 * boardLink(cfg, …)   module `board_link` (simulation only): a host-side UART (transmitter, receiver,
 *   a 256-byte FIFO) wired pin to pin to board_core, with byte streams s_axis_in / m_axis_out, so the
 *   pseudo-terminal bridge (host/transport/pty.ts) drives the board top through real 8N1 bit timing.
 */
import { ModuleBuilder, cat, constant, uint, type Expr, type Module } from '../ir/index.js';
import { feedStream, instanceOutStream, streamIn, streamOut, streamPortName } from '../lib/stream/bundle.js';
import { fifo } from '../lib/stream/fifo.js';
import { configHash, type ChipConfig } from '../config.js';
import { GENERATOR_VERSION } from '../version.js';
import { coreTop } from './core.js';
import { uart, uartRx, uartTx } from './uart.js';

export interface BoardLinkOptions {
  clocksPerBit: number;
  fifoDepth: number;
}

const IN_VALID = streamPortName('in', 'in', 'tvalid');
const IN_DATA = streamPortName('in', 'in', 'tdata');
const IN_READY = streamPortName('in', 'in', 'tready');
const OUT_VALID = streamPortName('out', 'out', 'tvalid');
const OUT_DATA = streamPortName('out', 'out', 'tdata');
const OUT_READY = streamPortName('out', 'out', 'tready');

export function boardCore(cfg: ChipConfig, o: BoardLinkOptions, core: Module = coreTop(cfg)): Module {
  const m = new ModuleBuilder('board_core', { clocksPerBit: o.clocksPerBit, fifoDepth: o.fifoDepth, core: core.name, config: configHash(cfg) });
  m.clock();
  const rx = m.input('uart_rx', uint(1));
  const rxReady = m.wire('uart_rx_ready', uint(1));
  const coreValid = m.wire('core_out_valid', uint(1));
  const coreData = m.wire('core_out_data', uint(8));
  const u = m.instance('u_uart', uart(o), { rx, ...feedStream('tx', { valid: coreValid, data: coreData }), [streamPortName('out', 'rx', 'tready')]: rxReady });
  const ur = instanceOutStream(u, 'rx');
  const conn: Record<string, Expr> = {};
  for (const p of core.ports) if (p.kind === 'input' && !p.role) conn[p.name] = constant(0, p.type);
  conn[IN_VALID] = ur.valid;
  conn[IN_DATA] = ur.data;
  conn[OUT_READY] = u.out(streamPortName('in', 'tx', 'tready'));
  const c = m.instance('u_core', core, conn);
  m.assign(coreValid, c.out(OUT_VALID));
  m.assign(coreData, c.out(OUT_DATA));
  m.assign(rxReady, c.out(IN_READY));
  for (const p of core.ports) if (p.kind === 'output' && ![OUT_VALID, OUT_DATA, IN_READY].includes(p.name)) m.unused(c.out(p.name));
  m.output('uart_tx', u.out('tx'));
  const beat = m.reg('heartbeat_q', uint(24), { reset: 0 });
  const err = m.reg('link_error_q', uint(1), { reset: 0 });
  const fe = u.out('frame_errors');
  const ov = u.out('overruns');
  m.seq('leds', ($) => {
    $.set(beat, beat.addWrap(constant(1, uint(24))));
    $.if(fe.ne(0).or(ov.ne(0)), () => $.set(err, 1));
  });
  m.output('led', cat(err, beat.bit(23)));
  m.output('frame_errors', fe);
  m.output('overruns', ov);
  return m.build();
}

/** Host UART + board_core pin to pin, byte streams s_axis_in / m_axis_out (simulation only). */
export function boardLink(cfg: ChipConfig, o: BoardLinkOptions, core?: Module): Module {
  const bc = boardCore(cfg, o, core);
  const m = new ModuleBuilder('board_link', { clocksPerBit: o.clocksPerBit, fifoDepth: o.fifoDepth, core: bc.params.core, config: configHash(cfg) });
  m.clock();
  const s = streamIn(m, 'in', uint(8));
  const out = streamOut(m, 'out', uint(8));
  const toBoard = m.wire('pin_host_to_board', uint(1));
  const ht = m.instance('u_host_tx', uartTx(o.clocksPerBit), feedStream('in', { valid: s.valid, data: s.data }));
  m.assign(s.ready, ht.out(IN_READY));
  m.assign(toBoard, ht.out('tx'));
  const b = m.instance('u_board', bc, { uart_rx: toBoard });
  const hr = m.instance('u_host_rx', uartRx(o.clocksPerBit), { rx: b.out('uart_tx') });
  const q = m.instance('u_host_fifo', fifo(8, 256, { storage: 'bram' }), { ...feedStream('in', { valid: hr.out('valid'), data: hr.out('data') }), [OUT_READY]: out.ready });
  m.assign(out.valid, q.out(OUT_VALID));
  m.assign(out.data, q.out(OUT_DATA));
  m.unused(q.out('count'), q.out(IN_READY), hr.out('frame_err'), b.out('led'));
  m.output('frame_errors', b.out('frame_errors'));
  m.output('overruns', b.out('overruns'));
  return m.build();
}
