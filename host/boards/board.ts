/**
 * Board definitions as data: boards/<name>/board.json (part, package, resources, clock and PLL, UART pins
 * and the fastest baud its USB bridge carries, LEDs, the constraints file). This module reads and checks them.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BOARDS_DIR = fileURLToPath(new URL('../../boards/', import.meta.url));

export interface BlockResource {
  name: string;
  count: number;
  bits: number;
  /** the primitive's depth × width modes */
  shapes: [number, number][];
  /** memories of at most this many bits go to logic */
  logicMaxBits?: number;
  /** memories of at most this many words go to distributed (LUT) RAM */
  logicMaxDepth?: number;
  /**
   * Yosys' memory_libmap cost rule (iCE40): a memory without a ram_style goes to logic when its bits cost no
   * more than its primitives (each `logicBitsPerBlock` bits, the primitive's cost over the cost of a logic bit).
   * Replaces logicMaxBits / logicMaxDepth when given.
   */
  logicBitsPerBlock?: number;
  note?: string;
}

export interface Board {
  name: string;
  title: string;
  family: 'ice40' | 'xc7';
  part: string;
  package: string;
  resources: {
    logic: { name: string; count: number; note?: string };
    ff: number;
    dsp: { name: string; count: number; width: string; minProductBits: number; note?: string };
    bram: BlockResource;
    spram: BlockResource | null;
  };
  clock: { port: string; pin: string; mhz: number };
  pll: { primitive: string; count: number; vcoMHz: [number, number]; outMHz: [number, number]; note?: string };
  reset: { port: string; pin: string; activeLow: boolean; note?: string };
  uart: {
    rx: { port: string; pin: string; note?: string };
    tx: { port: string; pin: string; note?: string };
    bridge: string;
    maxBaud: number;
    defaultBaud: number;
    /** receive FIFO bytes of the board top: the host's window of bytes in flight must not exceed it */
    rxFifoBytes: number;
    note?: string;
  };
  leds: { port: string; pin: string; activeLow: boolean; color: string }[];
  constraints: string;
  programmer: string;
  /** the configuration flash, for a flash image beside the bitstream (Vivado write_cfgmem): size, interface */
  flash?: { sizeMB: number; interface: string; note?: string };
  /** folder holding board.json */
  dir: string;
}

export class BoardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BoardError';
  }
}

export function boardNames(): string[] {
  return readdirSync(BOARDS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(BOARDS_DIR, d.name, 'board.json')))
    .map((d) => d.name)
    .sort();
}

/** Reads boards/<name>/board.json; an unknown name is an error listing the boards there are. */
export function loadBoard(name: string): Board {
  const dir = join(BOARDS_DIR, name);
  const file = join(dir, 'board.json');
  if (!/^[a-z0-9-]+$/.test(name) || !existsSync(file)) {
    throw new BoardError(`unknown board '${name}' (boards: ${boardNames().join(', ')})`);
  }
  const b = JSON.parse(readFileSync(file, 'utf8')) as Omit<Board, 'dir'>;
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new BoardError(`${file}: ${what}`);
  };
  need(b.name === name, `name '${b.name}' must equal the folder name '${name}'`);
  need(b.family === 'ice40' || b.family === 'xc7', `family '${b.family}' must be ice40 or xc7`);
  need(Number.isInteger(b.resources?.bram?.count) && b.resources.bram.shapes.length > 0, 'resources.bram needs count and shapes');
  need(Number.isInteger(b.resources?.dsp?.count), 'resources.dsp.count must be an integer');
  need(b.clock?.mhz > 0, 'clock.mhz must be > 0');
  need(b.uart?.maxBaud > 0 && b.uart.defaultBaud > 0 && b.uart.defaultBaud <= b.uart.maxBaud, 'uart needs 0 < defaultBaud ≤ maxBaud');
  need(Number.isInteger(Math.log2(b.uart?.rxFifoBytes)) && b.uart.rxFifoBytes >= 16, 'uart.rxFifoBytes must be a power of two ≥ 16');
  need(existsSync(join(dir, b.constraints)), `constraints file ${b.constraints} is missing`);
  return { ...b, dir };
}

/** The core clock `build` aims at and `serve` reckons the line at unless `--mhz` says otherwise (MHz): 48 on iCE40 boards, 100 on Xilinx. */
export function defaultCoreMHz(board: Pick<Board, 'family'>): number {
  return board.family === 'ice40' ? 48 : 100;
}

/** The engine `build` and `serve` take for a board by default: the UP5K engine on iCE40 parts, the parallel chip otherwise. */
export function defaultEngine(board: Board): 'ucore' | 'chip' {
  return board.family === 'ice40' ? 'ucore' : 'chip';
}

/**
 * Whether `build` and `serve` give the UP5K engine's core its vector unit unless `--vector` or `--no-vector` says:
 * not on iCE40 parts (with it the core needs about 8,000 logic cells, more than the UP5K's 5,280; without it, vdot,
 * vdist and vupd as scalar loops, it fits and routes at 48–52 MHz by nextpnr seed), elsewhere yes.
 */
export function defaultVector(board: Pick<Board, 'family'>): boolean {
  return board.family !== 'ice40';
}

/** The config file `build` and `serve` use: the one given, else for the ucore engine the board's chip.json when it has one. */
export function engineConfigFile(board: Board, engine: 'ucore' | 'chip', given: string | undefined): string | undefined {
  const boardConfig = join(board.dir, 'chip.json');
  return given ?? (engine === 'ucore' && existsSync(boardConfig) ? boardConfig : undefined);
}
