/**
 * `ibhebb serve --pty PATH`: a simulated design behind a pseudo-terminal, for the `uart` transport or any serial
 * terminal, until Ctrl-C. Which design:
 *
 *   --engine chip    the parallel chip's side: the stream front end (it answers IDENTIFY, ECHO, LINK_STATUS, RESET
 *                    and malformed frames, docs/protocol.md), or with `--uart D` the board top's core (the front
 *                    end behind the board UART at D clock cycles a bit, a host-side UART pin to pin)
 *   --engine ucore   the UP5K engine's board core as `ibhebb build --board B` makes it (host/boards/ucore.ts: UART,
 *                    receive FIFO, idle timer, the core running the serving program) with a host-side UART pin to
 *                    pin: the whole protocol, so `ibhebb train --engine uart --port PATH` trains on it
 *
 * The engine defaults as `build`'s does: ucore when `--board` names an iCE40 board (its chip.json the default
 * config), chip otherwise (the default configuration). The ucore engine's line is the build's (host/boards/build.ts
 * ucoreLine): at the core clock `--mhz` (default the board's, 48 MHz on iCE40), the fastest standard baud the
 * receive loop keeps pace with and the clock makes, unless `--baud` says otherwise.
 */
import { Command } from 'commander';
import { loadChip } from '../chip/config.js';
import { DEFAULT_CHIP, configHash, type ChipConfig } from '../../generator/config.js';
import type { Module } from '../../generator/ir/index.js';
import { frontend } from '../../generator/units/frontend.js';
import { DEFAULT_TIMEOUT_CYCLES } from '../../generator/protocol.js';
import { ucoreBoardLink } from '../../generator/ucore/rtl/board.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import { PtyBridge } from '../transport/pty.js';
import { boardLink } from '../../generator/boards/top.js';
import { defaultCoreMHz, defaultEngine, defaultVector, engineConfigFile, loadBoard, type Board } from '../boards/board.js';
import { ucoreLine } from '../boards/build.js';
import { ucoreDesign, ucoreProgram } from '../boards/ucore.js';
import { positiveOption, UsageError } from './options.js';

interface ServeOpts {
  pty: string;
  board?: string;
  engine?: string;
  config?: string;
  uart?: string;
  baud?: string;
  mhz?: string;
  vector?: boolean;
}

/** What is served: the verilated top, how the bridge pumps it, and what to tell the user. */
interface Served {
  top: Module;
  build: Parameters<typeof buildFromIr>[1];
  idleCycles?: number;
  note: string;
}

/**
 * The UP5K engine's board link for `cfg` on `board`: the design and line of `ibhebb build --engine ucore` at the
 * core clock target `mhz` (default the board's, defaultCoreMHz; the line from ucoreLine, as build takes it); built
 * lean (no memory public, no stream watched: the cache key of test/boards/ucore-link.test.ts).
 */
export async function ucoreServed(cfg: ChipConfig, board: Board, o: { baud?: number; mhz?: number; vector?: boolean; configFile?: string } = {}): Promise<Served & { baud: number; clocksPerBit: number }> {
  const vector = o.vector ?? true;
  const line = await ucoreLine(board, cfg, vector, o.mhz ?? defaultCoreMHz(board), o.baud);
  const { baud, clocksPerBit } = line;
  const design = ucoreDesign(cfg, ucoreProgram(cfg, board, vector), { clocksPerBit, fifoDepth: board.uart.rxFifoBytes, idleCycles: DEFAULT_TIMEOUT_CYCLES });
  const cfgArg = o.configFile ? ` --config ${o.configFile}` : '';
  return {
    top: ucoreBoardLink(design.module),
    build: { memories: false, watchStreams: false },
    // the clock stops after 2^23 quiet cycles: several times the longest stretch without a byte out (a lone
    // 5-record TRAIN frame received, then its five steps)
    idleCycles: 1 << 23,
    baud,
    clocksPerBit,
    note: `the UP5K engine${vector ? '' : ' without its vector unit'} on ${board.title} at ${baud} baud (${clocksPerBit} cycles a bit at ${line.coreMHz} MHz); train on it with: ibhebb train --engine uart --port PATH --baud ${baud}${cfgArg} --dataset mnist`,
  };
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('put the simulated design behind a pseudo-terminal that the uart transport opens like a serial port')
    .requiredOption('--pty <path>', 'where to create the pty link, e.g. /tmp/ibhebb-tty')
    .option('--board <name>', 'the board whose design is served (as `ibhebb build --board` makes it); default: none (the chip engine)')
    .option('--engine <name>', 'ucore (the UP5K engine: its board core, UART and all) or chip (the parallel chip); default: ucore on iCE40 boards, chip otherwise')
    .option('--config <file>', "chip configuration (JSON); default: the board's chip.json for the ucore engine, the default configuration for the chip")
    .option('--uart <clocksPerBit>', 'chip engine: serve the board top instead: the chip behind the board UART (8N1 at this many clock cycles per bit) and a host-side UART, pin to pin')
    .option('--baud <n>', 'ucore engine: the line (default: the fastest standard baud the receive loop keeps pace with, as build picks it)')
    .option('--mhz <f>', "ucore engine: the core clock the line is reckoned at, as `build --mhz` (default: the board's, 48 MHz on iCE40)")
    .option('--vector', 'ucore engine: the core with its vector unit (the default except on iCE40 boards, as build)')
    .option('--no-vector', 'ucore engine: the core without its vector unit (vdot, vdist and vupd as scalar loops; the default on iCE40 boards, as build)')
    .action(async (o: ServeOpts) => {
      const board = o.board === undefined ? null : loadBoard(o.board);
      const engine = o.engine ?? (board ? defaultEngine(board) : 'chip');
      if (engine !== 'ucore' && engine !== 'chip') throw new UsageError(`--engine must be ucore or chip, got '${o.engine}'`);
      if (engine === 'ucore' && o.uart !== undefined) throw new UsageError('--uart is an option of the chip engine (--engine chip); the ucore engine takes --baud');
      if (engine === 'chip' && (o.baud !== undefined || o.mhz !== undefined || o.vector !== undefined)) throw new UsageError('--baud, --mhz, --vector and --no-vector are options of the ucore engine (--engine ucore)');
      const ucoreBoard = engine === 'ucore' ? (board ?? loadBoard('icebreaker')) : null;
      const configFile = ucoreBoard ? engineConfigFile(ucoreBoard, 'ucore', o.config) : o.config;
      const cfg = configFile ? loadChip(configFile) : DEFAULT_CHIP;
      let served: Served;
      if (ucoreBoard) {
        const baud = o.baud === undefined ? undefined : Number(o.baud);
        if (baud !== undefined && !(Number.isInteger(baud) && baud > 0 && baud <= ucoreBoard.uart.maxBaud)) throw new UsageError(`--baud ${o.baud} must be an integer from 1 to ${ucoreBoard.uart.maxBaud} (${ucoreBoard.title})`);
        const mhz = positiveOption(o.mhz, 'mhz');
        served = await ucoreServed(cfg, ucoreBoard, { ...(baud === undefined ? {} : { baud }), ...(mhz === undefined ? {} : { mhz }), vector: o.vector ?? defaultVector(ucoreBoard), ...(configFile ? { configFile } : {}) });
      } else if (o.uart !== undefined) {
        const D = Number(o.uart);
        if (!Number.isInteger(D) || D < 4) throw new UsageError(`--uart ${o.uart} must be an integer ≥ 4 (clock cycles per bit)`);
        served = { top: boardLink(cfg, { clocksPerBit: D, fifoDepth: 512 }), build: {}, note: `the chip's board top at ${D} cycles a bit` };
      } else served = { top: frontend(cfg), build: {}, note: "the chip's stream front end" };
      const model = await buildFromIr(served.top, served.build);
      await model.reset(4);
      const bridge = await PtyBridge.start(model, { link: o.pty, ...(served.idleCycles ? { idleCycles: served.idleCycles } : {}) });
      process.stderr.write(`ibhebb serve: ${model.build.top} (config hash ${configHash(cfg)}) on ${o.pty}: ${served.note.replace('PATH', o.pty)}; Ctrl-C ends\n`);
      await new Promise<void>((res) => process.once('SIGINT', () => res()));
      await bridge.close();
      await model.close();
      process.stderr.write(`ibhebb serve: ${bridge.cycles} cycles simulated\n`);
    });
}
