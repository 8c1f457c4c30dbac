/**
 * UART for the board tops: 8 data bits, no parity, 1 stop bit (8N1), LSB first, line idle high.
 * The baud rate is a whole number D of clock cycles per bit (`uartDivisor`: round(clkHz / baud); the
 * receiver tolerates the ±2 % an 8N1 link allows, so the rounding error must stay below 2 %).
 *
 * uartRx(D)   module uart_rx_d<D>
 *   rx (asynchronous pin) → two-flop synchroniser → valid (1-cycle pulse), data[8], frame_err (1-cycle pulse)
 *   Hunts a falling edge, checks the start bit at its middle (⌊D/2⌋ cycles after the edge is seen; a high
 *   line there is a glitch: back to hunting), samples data bit k at ⌊D/2⌋ + (k+1)·D and the stop bit at
 *   ⌊D/2⌋ + 9·D. A high stop bit delivers the byte (valid at the edge after that sample); a low one
 *   drops the byte, pulses frame_err and waits for the line to go high (a break) before hunting again.
 *   Latency: valid rises 2 (synchroniser) + ⌊D/2⌋ + 9·D + 1 cycles after the start bit's falling edge.
 *
 * uartTx(D)   module uart_tx_d<D>
 *   s_axis_in (8-bit bytes) → tx. A byte taken at edge t drives the start bit from t for D cycles, data
 *   bits LSB first, the stop bit; tready is high in the stop bit's last cycle, so a waiting byte is taken
 *   at t + 10·D: bytes go back to back at 10·D cycles each (the line's full rate). tx is a register (no glitches on the pin),
 *   and so is tready (set a cycle ahead): the byte's taking and every register's enable are one gate of flip-flops.
 *
 * uart({clocksPerBit, fifoDepth})   module uart_d<D>_f<depth>
 *   rx, tx pins; m_axis_rx (received bytes, through a fifoDepth-byte receive FIFO), s_axis_tx (bytes to
 *   send); frame_errors[16], overruns[16] (counts, wrap, cleared by rst); rx_byte (a 1-cycle pulse per byte
 *   received, kept or lost).
 *   Back-pressure: the line cannot be paused, so the receive FIFO absorbs what the core does not take; a
 *   byte that arrives with the FIFO full is lost and counted in `overruns`. The window the host must
 *   respect: at most fifoDepth bytes sent and not yet answered (the Client's `window`; the uart engine
 *   uses UART_WINDOW_BYTES), except a single frame sent when nothing is outstanding (the core then
 *   takes bytes at line rate). Unconsumed bytes are always in flight, so the FIFO never overflows.
 */
import { ModuleBuilder, cat, constant, mux, uint, type Module } from '../ir/index.js';
import { fifo } from '../lib/stream/fifo.js';
import { feedStream, instanceOutStream, streamIn, streamOut, streamPortName } from '../lib/stream/bundle.js';
import { bitsOf } from '../lib/arith/common.js';

/**
 * Bytes the host keeps in flight (sent, not yet answered) on a UART link by default: the smallest receive
 * FIFO of the board tops (boards/<name>/board.json uart.rxFifoBytes). Every byte not yet consumed by the
 * chip is in flight, so the FIFO never overflows; a frame larger than this is sent alone, when nothing is
 * outstanding and the chip takes bytes at line rate.
 */
export const UART_WINDOW_BYTES = 1024;

/** The rounding error of the divisor that makes `baud` from `clkHz` (the rate's relative error): 8N1 needs < 2 %. */
function baudError(clkHz: number, D: number, baud: number): number {
  return Math.abs(clkHz / D - baud) / baud;
}

/** Whether a clock makes a baud rate: at least 4 cycles a bit and a rounding error under 2 % (uartDivisor accepts it). */
export function uartMakesBaud(clkHz: number, baud: number): boolean {
  const D = Math.round(clkHz / baud);
  return D >= 4 && baudError(clkHz, D, baud) < 0.02;
}

/** Clock cycles per bit for a clock and a baud rate; refuses a rounding error of 2 % or more. */
export function uartDivisor(clkHz: number, baud: number): number {
  const D = Math.round(clkHz / baud);
  if (!(D >= 4)) throw new RangeError(`uart: ${clkHz} Hz / ${baud} baud = ${(clkHz / baud).toFixed(2)} cycles per bit; needs ≥ 4`);
  const err = baudError(clkHz, D, baud);
  if (err >= 0.02) throw new RangeError(`uart: ${clkHz} Hz / ${D} = ${(clkHz / D).toFixed(0)} baud is ${(err * 100).toFixed(1)} % off ${baud}; an 8N1 link needs < 2 %`);
  return D;
}

function checkD(D: number): void {
  if (!Number.isInteger(D) || D < 4 || D > 1 << 20) throw new RangeError(`uart: clocks per bit = ${D} must be an integer in 4..2^20`);
}

const ST = { idle: 0, start: 1, data: 2, stop: 3, wait: 4 } as const;

export function uartRx(D: number): Module {
  checkD(D);
  const m = new ModuleBuilder(`uart_rx_d${D}`, { clocksPerBit: D });
  m.clock();
  const rx = m.input('rx', uint(1));
  const CW = bitsOf(D - 1);
  const meta = m.reg('rx_meta_q', uint(1), { reset: 1 });
  const sync = m.reg('rx_sync_q', uint(1), { reset: 1 });
  const state = m.reg('state_q', uint(3), { reset: ST.idle });
  const cnt = m.reg('cnt_q', uint(CW), { reset: 0 });
  const bit = m.reg('bit_q', uint(3), { reset: 0 });
  const shift = m.reg('shift_q', uint(8), { reset: 0 });
  const valid = m.reg('valid_q', uint(1), { reset: 0 });
  const data = m.reg('data_q', uint(8), { reset: 0 });
  const ferr = m.reg('frame_err_q', uint(1), { reset: 0 });
  m.output('valid', valid);
  m.output('data', data);
  m.output('frame_err', ferr);
  // cnt = 0 kept as a flag beside the counter (set a cycle ahead), and the counter's reloads decided flat from
  // flags and the state: the start bit's half when a falling edge is seen, a whole bit at the start bit's middle
  // and at each data bit; otherwise it counts down to 0 and stays there
  const tick = m.reg('tick_q', uint(1), { reset: 1 });
  const full = constant(D - 1, uint(CW));
  const half = constant(Math.floor(D / 2) - 1, uint(CW)); // ≥ 1 (D ≥ 4)
  const reloadHalf = state.eq(ST.idle).and(sync.not());
  const reloadFull = tick.and(state.eq(ST.start).and(sync.not()).or(state.eq(ST.data)));
  m.seq('rx_timer', ($) => {
    $.set(cnt, mux(reloadHalf, half, mux(reloadFull, full, mux(tick, cnt, cnt.subWrap(constant(1, uint(CW)))))));
    $.set(tick, reloadHalf.or(reloadFull).not().and(tick.or(cnt.eq(constant(1, uint(CW))))));
  });
  m.seq('rx', ($) => {
    $.set(meta, rx);
    $.set(sync, meta);
    $.set(valid, 0);
    $.set(ferr, 0);
    $.switch(state)
      .case(ST.idle, () => {
        $.if(sync.not(), () => $.set(state, ST.start));
      })
      .case(ST.start, () => {
        $.if(tick, () => {
          $.if(sync.not(), () => {
            $.set(state, ST.data);
            $.set(bit, 0);
          }).else(() => $.set(state, ST.idle));
        });
      })
      .case(ST.data, () => {
        $.if(tick, () => {
          $.set(shift, cat(sync, shift.slice(7, 1)));
          $.set(bit, bit.addWrap(constant(1, uint(3))));
          $.if(bit.eq(7), () => $.set(state, ST.stop));
        });
      })
      .case(ST.stop, () => {
        $.if(tick, () => {
          $.if(sync, () => {
            $.set(valid, 1);
            $.set(data, shift);
            $.set(state, ST.idle);
          }).else(() => {
            $.set(ferr, 1);
            $.set(state, ST.wait);
          });
        });
      })
      .default(() => {
        $.if(sync, () => $.set(state, ST.idle));
      });
  });
  return m.build();
}

export function uartTx(D: number): Module {
  checkD(D);
  const m = new ModuleBuilder(`uart_tx_d${D}`, { clocksPerBit: D });
  m.clock();
  const s = streamIn(m, 'in', uint(8));
  const CW = bitsOf(D - 1);
  const busy = m.reg('busy_q', uint(1), { reset: 0 });
  const tx = m.reg('tx_q', uint(1), { reset: 1 });
  const shift = m.reg('shift_q', uint(9), { reset: 0 });
  const bits = m.reg('bits_q', uint(4), { reset: 0 });
  const cnt = m.reg('cnt_q', uint(CW), { reset: 0 });
  m.output('tx', tx);
  // flags beside the counters, each set a cycle ahead: tick (cnt = 0: a bit's last cycle), near (cnt = 1), the
  // last bit (bits = 0: the stop bit), and tready itself, so that the transfer and every register's enable are one
  // gate of flip-flops (none passes through the byte's source, which may decide from tready)
  const tick = m.reg('tick_q', uint(1), { reset: 1 });
  const near = m.reg('near_q', uint(1), { reset: 0 });
  const lastBit = m.reg('bits_zero_q', uint(1), { reset: 1 });
  const ready = m.reg('ready_q', uint(1), { reset: 1 });
  m.assign(s.ready, ready);
  const load = m.wire('load', s.valid.and(ready));
  // a bit's end (tick), unless it is the stop bit's: the next bit goes out
  const step = m.wire('step', busy.and(tick).and(lastBit.not()));
  const full = constant(D - 1, uint(CW));
  const reload = load.or(tick);
  m.seq('tx', ($) => {
    // the bit timer runs whenever it is not reloaded (idle it means nothing: a byte taken reloads it)
    $.set(cnt, mux(reload, full, cnt.subWrap(constant(1, uint(CW)))));
    $.set(tick, reload.not().and(near));
    $.set(near, reload.not().and(cnt.eq(constant(2, uint(CW)))));
    // busy until the stop bit's end, unless a byte is taken then (frames back to back, 10·D each)
    $.set(busy, load.or(busy.and(tick.and(lastBit).not())));
    // tready: idle, or the stop bit's last cycle comes next (near with the stop bit out, not a bit's end now)
    $.set(ready, load.not().and(busy.not().or(tick.and(lastBit)).or(tick.not().and(near).and(lastBit))));
    $.if(load.or(step), () => {
      $.set(tx, mux(load, constant(0, uint(1)), shift.bit(0)));
      $.set(shift, mux(load, cat(constant(1, uint(1)), s.data), cat(constant(1, uint(1)), shift.slice(8, 1))));
      $.set(bits, mux(load, constant(9, uint(4)), bits.subWrap(constant(1, uint(4)))));
      $.set(lastBit, load.not().and(bits.eq(constant(1, uint(4)))));
    });
  });
  return m.build();
}

export interface UartOptions {
  /** clock cycles per bit (uartDivisor) */
  clocksPerBit: number;
  /** receive FIFO depth in bytes, a power of two ≥ 2 (block RAM from 64 up) */
  fifoDepth: number;
}

export function uart(o: UartOptions): Module {
  const D = o.clocksPerBit;
  checkD(D);
  const m = new ModuleBuilder(`uart_d${D}_f${o.fifoDepth}`, { clocksPerBit: D, fifoDepth: o.fifoDepth });
  m.clock();
  const rx = m.input('rx', uint(1));
  const out = streamOut(m, 'rx', uint(8));
  const inp = streamIn(m, 'tx', uint(8));
  const r = m.instance('u_rx', uartRx(D), { rx });
  // the line cannot wait: a byte is offered to the FIFO only in a cycle it can take it, else it is lost
  const room = m.wire('fifo_room', uint(1));
  const q = m.instance('u_fifo', fifo(8, o.fifoDepth, { storage: o.fifoDepth >= 64 ? 'bram' : 'lut' }), {
    ...feedStream('in', { valid: r.out('valid').and(room), data: r.out('data') }),
    [streamPortName('out', 'out', 'tready')]: out.ready,
  });
  m.assign(room, q.out(streamPortName('in', 'in', 'tready')));
  const qo = instanceOutStream(q, 'out');
  m.assign(out.valid, qo.valid);
  m.assign(out.data, qo.data);
  m.unused(q.out('count'));
  const t = m.instance('u_tx', uartTx(D), feedStream('in', { valid: inp.valid, data: inp.data }));
  m.assign(inp.ready, t.out(streamPortName('in', 'in', 'tready')));
  m.output('tx', t.out('tx'));
  const fe = m.reg('frame_errors_q', uint(16), { reset: 0 });
  const ov = m.reg('overruns_q', uint(16), { reset: 0 });
  const lost = m.wire('rx_lost', r.out('valid').and(room.not()));
  m.seq('counts', ($) => {
    $.if(r.out('frame_err'), () => $.set(fe, fe.addWrap(constant(1, uint(16)))));
    $.if(lost, () => $.set(ov, ov.addWrap(constant(1, uint(16)))));
  });
  m.output('frame_errors', fe);
  m.output('overruns', ov);
  // a byte arrived (kept or lost): the board's idle timer restarts on it
  m.output('rx_byte', r.out('valid'));
  return m.build();
}
