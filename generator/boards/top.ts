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
 *   pinLink(bc, …) does the same for any board core of these pins (the UP5K engine's: ucoreBoardLink).
 */
import { ModuleBuilder, cat, constant, uint, type Expr, type Module, type Params } from '../ir/index.js';
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
  const u = boardUart(m, o);
  const conn: Record<string, Expr> = {};
  for (const p of core.ports) if (p.kind === 'input' && !p.role) conn[p.name] = constant(0, p.type);
  conn[IN_VALID] = u.rx.valid;
  conn[IN_DATA] = u.rx.data;
  conn[OUT_READY] = u.txReady;
  const c = m.instance('u_core', core, conn);
  m.assign(u.txValid, c.out(OUT_VALID));
  m.assign(u.txData, c.out(OUT_DATA));
  m.assign(u.rxReady, c.out(IN_READY));
  for (const p of core.ports) if (p.kind === 'output' && ![OUT_VALID, OUT_DATA, IN_READY].includes(p.name)) m.unused(c.out(p.name));
  m.unused(u.rxByte);
  u.leds(constant(0, uint(1)));
  return m.build();
}

/**
 * The pins' side of a board core in `m`: the UART (uart.ts) on uart_rx / uart_tx, its received bytes (rx, taken
 * when the wire rxReady is high), the bytes to send (the wires txValid, txData; txReady), rx_byte, and `leds`,
 * which adds the outputs led (0: heartbeat, bit 23 of a free counter; 1: a framing error, an overrun or `error`
 * seen, sticky), frame_errors and overruns.
 */
export function boardUart(m: ModuleBuilder, o: BoardLinkOptions) {
  const rx = m.input('uart_rx', uint(1));
  const rxReady = m.wire('core_rx_ready', uint(1));
  const txValid = m.wire('core_tx_valid', uint(1));
  const txData = m.wire('core_tx_data', uint(8));
  const u = m.instance('u_uart', uart(o), { rx, ...feedStream('tx', { valid: txValid, data: txData }), [streamPortName('out', 'rx', 'tready')]: rxReady });
  m.output('uart_tx', u.out('tx'));
  const leds = (error: Expr): void => {
    const beat = m.reg('heartbeat_q', uint(24), { reset: 0 });
    const err = m.reg('link_error_q', uint(1), { reset: 0 });
    const fe = u.out('frame_errors');
    const ov = u.out('overruns');
    // the counts' "not zero" registered first: the sticky flag's enable is one gate of flip-flops (a cycle later)
    const seen = m.pipe('link_counts_nz_q', fe.ne(0).or(ov.ne(0)), { reset: 0 });
    m.seq('leds', ($) => {
      $.set(beat, beat.addWrap(constant(1, uint(24))));
      $.if(seen.or(error), () => $.set(err, 1));
    });
    m.output('led', cat(err, beat.bit(23)));
    m.output('frame_errors', fe);
    m.output('overruns', ov);
  };
  return { rx: instanceOutStream(u, 'rx'), txReady: u.out(streamPortName('in', 'tx', 'tready')), rxByte: u.out('rx_byte'), rxReady, txValid, txData, leds };
}

/** Host UART + board_core pin to pin, byte streams s_axis_in / m_axis_out (simulation only). */
export function boardLink(cfg: ChipConfig, o: BoardLinkOptions, core?: Module): Module {
  const bc = boardCore(cfg, o, core);
  return pinLink(bc, 'board_link', { clocksPerBit: o.clocksPerBit, fifoDepth: o.fifoDepth, core: bc.params.core, config: configHash(cfg) });
}

/**
 * Host UART + a board core `bc` (ports clk, rst, uart_rx → uart_tx, led, frame_errors, overruns: board_core or the
 * UP5K engine's ucore_board_core) pin to pin, byte streams s_axis_in / m_axis_out (simulation only): module `name`,
 * its params `params` (clocksPerBit: the host UART's bit time, the board core's).
 */
export function pinLink(bc: Module, name: string, params: { clocksPerBit: number } & Params): Module {
  const m = new ModuleBuilder(name, params);
  const o = params;
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

/** iCE40 SB_PLL40 settings for fin → fout (simple feedback), the closest the dividers reach (icepll's search). */
export function ice40Pll(finMHz: number, foutMHz: number): { DIVR: number; DIVF: number; DIVQ: number; FILTER_RANGE: number; MHz: number } {
  let best = { DIVR: 0, DIVF: 0, DIVQ: 0, FILTER_RANGE: 1, MHz: 0 };
  for (let r = 0; r < 16; r++) {
    const pfd = finMHz / (r + 1);
    if (pfd < 10 || pfd > 133) continue;
    for (let f = 0; f < 128; f++) {
      const vco = pfd * (f + 1);
      if (vco < 533 || vco > 1066) continue;
      for (let q = 1; q < 7; q++) {
        const out = vco / 2 ** q;
        if (Math.abs(out - foutMHz) < Math.abs(best.MHz - foutMHz)) {
          best = { DIVR: r, DIVF: f, DIVQ: q, FILTER_RANGE: pfd < 17 ? 1 : pfd < 26 ? 2 : pfd < 44 ? 3 : pfd < 66 ? 4 : pfd < 101 ? 5 : 6, MHz: out };
        }
      }
    }
  }
  if (best.MHz === 0) throw new RangeError(`ice40 PLL: no divider setting reaches ${foutMHz} MHz from ${finMHz} MHz`);
  return best;
}

export interface ShellBoard {
  name: string;
  family: 'ice40' | 'xc7';
  clock: { port: string; mhz: number };
  reset: { port: string; activeLow: boolean };
  uart: { rx: { port: string }; tx: { port: string } };
  leds: { port: string; activeLow: boolean }[];
}

/** The Xilinx MMCM's settings for a core clock target: CLKFBOUT_MULT_F (a VCO near 1 GHz), CLKOUT0_DIVIDE_F, the clock made. */
function xilinxMmcm(finMHz: number, foutMHz: number): { mult: number; div: number; MHz: number } {
  const mult = Math.round(1000 / finMHz);
  const div = Math.round((finMHz * mult) / foutMHz);
  return { mult, div, MHz: (finMHz * mult) / div };
}

/** The core clock (MHz) the board shell's PLL (iCE40) or MMCM (Xilinx) makes of the target `coreMHz`. */
export function shellClockMHz(board: Pick<ShellBoard, 'family' | 'clock'>, coreMHz: number): number {
  return board.family === 'ice40' ? ice40Pll(board.clock.mhz, coreMHz).MHz : xilinxMmcm(board.clock.mhz, coreMHz).MHz;
}

/**
 * The board's top module `board_<name>` as Verilog text: pins, PLL (bypassed under `ifdef SIMULATION`),
 * reset synchroniser, and `inner`: board_core, or any module of its ports (the UP5K engine's ucore_board_core).
 * Returns the text and the core clock it runs at.
 */
export function boardShell(board: ShellBoard, coreMHz: number, cfg: ChipConfig, inner = 'board_core'): { name: string; verilog: string; coreMHz: number } {
  const name = `board_${board.name.replace(/-/g, '_')}`;
  let pll: string;
  let mhz: number;
  if (board.family === 'ice40') {
    const p = ice40Pll(board.clock.mhz, coreMHz);
    mhz = p.MHz;
    pll = `  SB_PLL40_PAD #(
    .FEEDBACK_PATH("SIMPLE"),
    .DIVR(4'd${p.DIVR}),
    .DIVF(7'd${p.DIVF}),
    .DIVQ(3'd${p.DIVQ}),
    .FILTER_RANGE(3'd${p.FILTER_RANGE})
  ) u_pll (
    .PACKAGEPIN(${board.clock.port}),
    .PLLOUTGLOBAL(clk),
    .LOCK(locked),
    .RESETB(1'b1),
    .BYPASS(1'b0)
  );`;
  } else {
    const { mult, div, MHz } = xilinxMmcm(board.clock.mhz, coreMHz);
    mhz = MHz;
    pll = `  wire clk_fb;
  wire clk_mmcm;
  MMCME2_BASE #(
    .CLKIN1_PERIOD(${(1000 / board.clock.mhz).toFixed(3)}),
    .CLKFBOUT_MULT_F(${mult.toFixed(3)}),
    .DIVCLK_DIVIDE(1),
    .CLKOUT0_DIVIDE_F(${div.toFixed(3)})
  ) u_mmcm (
    .CLKIN1(${board.clock.port}),
    .CLKFBIN(clk_fb),
    .CLKFBOUT(clk_fb),
    .CLKOUT0(clk_mmcm),
    .LOCKED(locked),
    .PWRDWN(1'b0),
    .RST(1'b0)
  );
  BUFG u_bufg (.I(clk_mmcm), .O(clk));`;
  }
  const rstIn = board.reset.activeLow ? `~${board.reset.port}` : board.reset.port;
  const ledPorts = board.leds.map((l) => l.port.replace(/\[\d+\]$/, ''));
  const uniqueLeds = [...new Set(ledPorts)];
  const ledDecl = uniqueLeds.map((p) => {
    const n = ledPorts.filter((x) => x === p).length;
    const vec = board.leds.find((l) => l.port.startsWith(`${p}[`));
    return `  output wire ${vec ? `[${n - 1}:0] ` : ''}${p}`;
  });
  const ledAssign = board.leds.slice(0, 2).map((l, i) => `  assign ${l.port} = ${l.activeLow ? '~' : ''}core_led[${i}];`);
  const rest = board.leds.slice(2).map((l) => `  assign ${l.port} = ${l.activeLow ? "1'b1" : "1'b0"};`);
  const verilog = `// ${name}: generated by ibhebb ${GENERATOR_VERSION}, config hash ${configHash(cfg)}
// Board top: pins, PLL (${board.clock.mhz} MHz → ${mhz.toFixed(3)} MHz; bypassed when SIMULATION is defined),
// reset synchroniser (asynchronous assert from the button or an unlocked PLL, synchronous release), ${inner}.
\`default_nettype none
module ${name} (
  input  wire ${board.clock.port},
  input  wire ${board.reset.port},
  input  wire ${board.uart.rx.port},
  output wire ${board.uart.tx.port},
${ledDecl.join(',\n')}
);
  wire clk;
  wire locked;
\`ifdef SIMULATION
  assign clk = ${board.clock.port};
  assign locked = 1'b1;
\`else
${pll}
\`endif
  wire rst_async = ${rstIn} | ~locked;
  reg [2:0] rst_sync_q = 3'b111;
  always @(posedge clk or posedge rst_async) begin
    if (rst_async) rst_sync_q <= 3'b111;
    else rst_sync_q <= {rst_sync_q[1:0], 1'b0};
  end
  wire rst = rst_sync_q[2];
  wire [1:0] core_led;
  /* verilator lint_off UNUSEDSIGNAL */
  wire [15:0] frame_errors;
  wire [15:0] overruns;
  /* verilator lint_on UNUSEDSIGNAL */
  ${inner} u_core (
    .clk(clk),
    .rst(rst),
    .uart_rx(${board.uart.rx.port}),
    .uart_tx(${board.uart.tx.port}),
    .led(core_led),
    .frame_errors(frame_errors),
    .overruns(overruns)
  );
${[...ledAssign, ...rest].join('\n')}
endmodule
\`default_nettype wire
`;
  return { name, verilog, coreMHz: mhz };
}
