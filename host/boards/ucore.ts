/**
 * The UP5K engine on a board (`ibhebb build --engine ucore`): the serving program of a ChipConfig (the host
 * protocol around the training step), the core that runs it behind the UART (generator/ucore/rtl/board.ts), its
 * fit check and its cycles per sample.
 *
 *   program   protocolProgram (generator/ucore/program/protocol.ts) on chipLayout: a network whose memory map
 *             does not fit the part is refused there (FitError naming the memory); the board starts the core at
 *             its entry `serve`
 *   fit       counted from the board core as built (host/boards/fit.ts inventory): block RAM (the program ROM,
 *             the register file, the block-RAM data words, the receive FIFO), SB_MAC16, SPRAM, flip-flops; and
 *             the finished design: with the vector unit when the core does not instantiate it yet
 *   cycles    a training sample as the board serves it: one TRAIN frame of one record (its bytes received, the
 *             CRCs, the step with the window full, the response), on the instruction-set simulator with the
 *             RTL core's timing (core.ts CoreTiming: coreCycles, the vector instructions' by where their operands
 *             lie) through the ucore-link transport: the mean over MNIST samples after the window filled
 */
import type { ChipConfig } from '../../generator/config.js';
import type { Module } from '../../generator/ir/index.js';
import { protocolProgram, type ProtocolProgram } from '../../generator/ucore/program/protocol.js';
import { machineFor } from '../../generator/ucore/program/common.js';
import { EBR_BASE, encode } from '../../generator/ucore/encode.js';
import { CoreTiming, ucoreCore } from '../../generator/ucore/rtl/core.js';
import { vectorUnit } from '../../generator/ucore/rtl/vector.js';
import type { LfsrStorage } from '../../generator/ucore/rtl/lfsr.js';
import { ucoreBoardCore } from '../../generator/ucore/rtl/board.js';
import { uartMakesBaud } from '../../generator/boards/uart.js';
import { chipParams, type ChipParams } from '../../sim/golden/fixed/index.js';
import { chipTrainConfig } from '../chip/config.js';
import { ChipEngine } from '../chip/engine.js';
import { UcoreTransport } from '../transport/ucore.js';
import { encodeFrame } from '../protocol/frame.js';
import { OPCODES } from '../../generator/protocol.js';
import { loadMnist } from '../data/mnist.js';
import type { Board } from './board.js';
import { FitError, inventory, type FitLine, type FitReport } from './fit.js';

export interface UcoreDesign {
  /** the board core: UART, FIFO, idle timer, the core with its program */
  module: Module;
  program: ProtocolProgram;
}

const paramsOf = (cfg: ChipConfig): ChipParams => chipParams(chipTrainConfig(cfg, 0), cfg.numeric);

/**
 * The serving program of `cfg` (`vector` false: for the core without its vector unit, vdot, vdist and vupd as
 * scalar loops); a network whose memory map does not fit the UP5K is a FitError.
 */
export function ucoreProgram(cfg: ChipConfig, board: Board, vector = true): ProtocolProgram {
  try {
    return protocolProgram(cfg, paramsOf(cfg), { vector });
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const empty: FitReport = { board: board.name, fits: false, lines: [], memories: [], multipliers: [], weightBits: 0, wmBits: 0, lanes: cfg.lanes };
    throw new FitError(`config does not fit ${board.title} with the ucore engine: ${e.message}`, empty);
  }
}

/**
 * Where the board core keeps its LFSR states (CoreConfig.lfsrStorage): in block RAM for the core without its
 * vector unit (its sample in SPRAM leaves the EBR for them, and the logic cells are what it lacks); in registers
 * with the vector unit, whose block RAM is full.
 */
export const ucoreLfsrStorage = (vector: boolean): LfsrStorage => (vector ? 'registers' : 'block');

/**
 * The board core of the UP5K engine for `cfg`: the core with its serving program `pp` (ucoreProgram; its ROM
 * images the block RAM's initial contents, all of SPRAM), started at `serve`; with the vector unit when the
 * program uses it (ProtocolProgram.vector), its LFSR states where ucoreLfsrStorage puts them.
 */
export function ucoreDesign(cfg: ChipConfig, pp: ProtocolProgram, o: { clocksPerBit: number; fifoDepth: number; idleCycles: number }): UcoreDesign {
  return { module: ucoreBoardCore(ucoreServingCore(cfg, pp), { ...o, entry: pp.entry.serve }), program: pp };
}

/** The core that runs the serving program `pp` (without the board's UART): its image, its block RAM data, all of SPRAM. */
export function ucoreServingCore(cfg: ChipConfig, pp: ProtocolProgram): Module {
  const data = new Array<number>(pp.layout.ebrWords).fill(0);
  for (const img of pp.images) img.words.forEach((w, i) => (data[img.at - EBR_BASE + i] = w));
  return ucoreCore({ image: encode(pp.program), ebrWords: pp.layout.ebrWords, data, spramWords: EBR_BASE, satBase: pp.satBase, machine: machineFor(paramsOf(cfg), 0), vector: pp.vector, lfsrStorage: ucoreLfsrStorage(pp.vector) });
}

function hasModule(m: Module, name: string): boolean {
  return m.name === name || m.items.some((it) => it.kind === 'instance' && hasModule(it.instance.module, name));
}

/**
 * The modules of the finished engine: the board core, plus the vector unit while the core does not instantiate
 * it (`vector` false: the engine without it, the board core alone).
 */
export function ucoreFinished(cfg: ChipConfig, top: Module, vector = true): Module[] {
  const vec = vectorUnit(paramsOf(cfg).numeric.lfsr.rbits);
  return !vector || hasModule(top, vec.name) ? [top] : [top, vec];
}

/** What the UP5K engine needs of `board`, line by line (block RAM, multipliers, SPRAM, flip-flops). */
export function ucoreFitReport(cfg: ChipConfig, board: Board, top: Module[]): FitReport {
  const { memories, multipliers, registerBits } = inventory(top, board);
  const R = board.resources;
  const sum = (f: (m: (typeof memories)[number]) => number) => memories.reduce((a, m) => a + f(m), 0);
  const blocks = sum((m) => m.blocks);
  const sprams = sum((m) => m.sprams);
  const tiles = multipliers.reduce((a, m) => a + m.tiles, 0);
  const logicBits = board.family === 'ice40' ? sum((m) => (m.kind === 'logic' ? m.width * m.depth : 0)) : 0;
  const list = (kind: 'block' | 'spram') =>
    memories
      .filter((m) => m.kind === kind)
      .map((m) => `${m.path} ${m.depth}×${m.width}: ${kind === 'block' ? m.blocks : m.sprams}`)
      .join(', ');
  const line = (resource: string, needed: number, available: number, advice: string): FitLine => ({ resource, needed, available, ok: needed <= available, advice });
  const lines = [
    line(`block RAM (${R.bram.name})`, blocks, R.bram.count, `${list('block')}. A shorter program (fewer ROM words), fewer block-RAM data words (narrower layers, a shorter window), or a smaller receive FIFO.`),
    line(`DSP (${R.dsp.name} ${R.dsp.width})`, tiles, R.dsp.count, `${multipliers.map((m) => `${m.path} ${m.a}×${m.b}: ${m.tiles}`).join(', ')}.`),
    line('flip-flops', registerBits + logicBits, R.ff, `${registerBits} register bits and ${logicBits} bits of memories in logic.`),
  ];
  if (R.spram) lines.push(line(`single-port RAM (${R.spram.name})`, sprams, R.spram.count, `${list('spram')}. Fewer parameters or a shorter window.`));
  return { board: board.name, fits: lines.every((l) => l.ok), lines, memories, multipliers, weightBits: 0, wmBits: 0, lanes: cfg.lanes };
}

/**
 * Cycles of a training sample served over the link (header): the mean over MNIST samples `window` … `samples` − 1,
 * each a TRAIN frame of one record, after the first window − 1 filled the window.
 */
export async function ucoreCyclesPerSample(cfg: ChipConfig, samples = 8, vector = true): Promise<number> {
  if (samples < cfg.window) throw new RangeError(`ucore cycles: ${samples} samples do not fill the window of ${cfg.window}`);
  const timing = new CoreTiming();
  const link = new UcoreTransport(cfg, { timing: timing.timing, vector });
  // the registers each instruction finds, from here on (the vector instructions' cycles depend on them)
  timing.attach(link.machine);
  const engine = await ChipEngine.open(cfg, link, 0);
  const mnist = loadMnist();
  if (mnist.dim !== cfg.layers[0]) throw new RangeError(`ucore cycles: the network takes ${cfg.layers[0]} inputs, MNIST images have ${mnist.dim} pixels`);
  const train = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i++) engine.trainSample(mnist.train, i);
    await engine.flush();
  };
  await train(0, cfg.window - 1);
  const c0 = link.cycles;
  await train(cfg.window - 1, samples);
  const cycles = link.cycles - c0;
  await engine.close();
  return Math.round(cycles / (samples - cfg.window + 1));
}

/**
 * Cycles the serving program spends on each byte of a frame's payload it receives (recv, the buffer, the CRC-16),
 * with the core's timing: two ECHO frames with a wrong CRC-16 (received in full, answered with the same error
 * frame), of 16 and 272 payload bytes; their difference over 256.
 */
export async function ucoreReceiveCycles(cfg: ChipConfig, vector = true): Promise<number> {
  const timing = new CoreTiming();
  const link = new UcoreTransport(cfg, { timing: timing.timing, vector });
  timing.attach(link.machine);
  const frameCycles = async (len: number): Promise<number> => {
    const f = encodeFrame(OPCODES.ECHO, len & 0xff, Array.from({ length: len }, (_, i) => (i * 37) & 0xff));
    f[f.length - 1] ^= 0xff;
    const c0 = link.cycles;
    await link.write(f);
    await link.read(1, 0);
    return link.cycles - c0;
  };
  const cycles = ((await frameCycles(272)) - (await frameCycles(16))) / 256;
  await link.close();
  return cycles;
}

/** Standard baud rates an FTDI bridge carries, fastest first. */
const BAUDS = [3_000_000, 2_000_000, 1_500_000, 1_000_000, 921_600, 460_800, 230_400, 115_200];

/**
 * The fastest of `BAUDS`, at most `maxBaud`, that the clock makes (uartMakesBaud: the divisor within 2 %) and whose
 * bytes come no faster than the receive loop takes them (10 clocks-per-bit ≥ the loop's cycles a byte): the receive
 * FIFO then never grows while a frame arrives. null when none.
 */
export function baudForLoop(clockHz: number, receiveCycles: number, maxBaud: number): number | null {
  return BAUDS.find((b) => b <= maxBaud && uartMakesBaud(clockHz, b) && (10 * clockHz) / b >= receiveCycles) ?? null;
}

/** Receive FIFO bytes a lone frame of `frameBytes` leaves queued when the loop takes `receiveCycles` a byte and the line brings one each `lineCycles`. */
export function fifoGrowth(frameBytes: number, receiveCycles: number, lineCycles: number): number {
  return Math.max(0, Math.ceil(frameBytes * (1 - lineCycles / receiveCycles)));
}
