/**
 * The UP5K engine on a board (`ibhebb build --engine ucore`): the step program of a ChipConfig, the core that
 * runs it behind the UART (generator/ucore/rtl/board.ts), its fit check and its cycles per sample.
 *
 *   program   stepProgram (generator/ucore/program/step.ts) on chipLayout: a network whose memory map does not
 *             fit the part is refused there (FitError naming the memory)
 *   fit       counted from the board core as built (host/boards/fit.ts inventory): block RAM (the program ROM,
 *             the register file, the block-RAM data words, the receive FIFO), SB_MAC16, SPRAM, flip-flops; and
 *             the finished design: with the vector unit when the core does not instantiate it yet
 *   cycles    a training step with the window full, on the instruction-set simulator with the RTL's timing
 *             (core.ts coreCycles; the vector instructions by vector.ts vectorCycles, every memory grant at once):
 *             the mean of the full-window steps of the first `samples` MNIST training samples, as
 *             bench/ucore-step.ts --timing core measures it
 */
import type { ChipConfig } from '../../generator/config.js';
import type { Module } from '../../generator/ir/index.js';
import { stepProgram, type StepProgram } from '../../generator/ucore/program/step.js';
import { machineFor } from '../../generator/ucore/program/common.js';
import { coreCycles, ucoreCoreOf } from '../../generator/ucore/rtl/core.js';
import { vectorCycles, vectorUnit } from '../../generator/ucore/rtl/vector.js';
import { ucoreBoardCore } from '../../generator/ucore/rtl/board.js';
import type { Instr } from '../../generator/ucore/isa.js';
import { chipParams, FixedPointEngine, type ChipParams } from '../../sim/golden/fixed/index.js';
import { loadState, ucoreMachine, writeSample } from '../../sim/ucore/state.js';
import { chipTrainConfig } from '../chip/config.js';
import { loadMnist } from '../data/mnist.js';
import type { Board } from './board.js';
import { FitError, inventory, type FitLine, type FitReport } from './fit.js';

export interface UcoreDesign {
  /** the board core: UART, FIFO, idle timer, the core with its program */
  module: Module;
  program: StepProgram;
  /** the instruction the board starts the core at, and which entry of the program it is */
  entry: { name: string; at: number };
}

/** The program's serve entry when it has one (the protocol loop), else null. */
export function serveEntry(sp: StepProgram): number | null {
  const e = (sp.entry as Record<string, number | undefined>).serve;
  return e ?? null;
}

const paramsOf = (cfg: ChipConfig): ChipParams => chipParams(chipTrainConfig(cfg, 0), cfg.numeric);

/** The step program of `cfg`; a network whose memory map does not fit the UP5K is a FitError. */
export function ucoreProgram(cfg: ChipConfig, board: Board): StepProgram {
  const P = paramsOf(cfg);
  try {
    const sp = stepProgram(P, true);
    sp.layout.checkFits();
    return sp;
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const empty: FitReport = { board: board.name, fits: false, lines: [], memories: [], multipliers: [], weightBits: 0, wmBits: 0, lanes: cfg.lanes };
    throw new FitError(`config does not fit ${board.title} with the ucore engine: ${e.message}`, empty);
  }
}

/** The board core of the UP5K engine for `cfg`: the core with its step program, started at its serve entry. */
export function ucoreDesign(cfg: ChipConfig, board: Board, o: { clocksPerBit: number; fifoDepth: number; idleCycles: number }): UcoreDesign {
  const sp = ucoreProgram(cfg, board);
  const core = ucoreCoreOf(sp, machineFor(paramsOf(cfg), 0));
  const serve = serveEntry(sp);
  // without a serve entry (the protocol program) the core runs the training step from its train entry
  const entry = serve === null ? { name: 'train', at: sp.entry.train } : { name: 'serve', at: serve };
  return { module: ucoreBoardCore(core, { ...o, entry: entry.at }), program: sp, entry };
}

function hasModule(m: Module, name: string): boolean {
  return m.name === name || m.items.some((it) => it.kind === 'instance' && hasModule(it.instance.module, name));
}

/** The modules of the finished engine: the board core, plus the vector unit while the core does not instantiate it. */
export function ucoreFinished(cfg: ChipConfig, top: Module): Module[] {
  const vec = vectorUnit(paramsOf(cfg).numeric.lfsr.rbits);
  return hasModule(top, vec.name) ? [top] : [top, vec];
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

/** The RTL's cycles of an instruction: the core's, the vector unit's with every memory grant at once. */
export function ucoreTiming(ins: Instr, elements: number, operands?: readonly [bigint, bigint]): number {
  return ins.op === 'vdot' || ins.op === 'vdist' || ins.op === 'vupd' ? vectorCycles(ins.op, elements) : coreCycles(ins, elements, operands);
}

/** Cycles of a full-window training step with the RTL's timing: the mean over the first `samples` MNIST samples' full-window steps. */
export function ucoreCyclesPerSample(cfg: ChipConfig, sp: StepProgram, samples = 8): number {
  const e = new FixedPointEngine(chipTrainConfig(cfg, 1), cfg.numeric);
  const P = e.params;
  if (samples < P.B) throw new RangeError(`ucore cycles: ${samples} samples do not fill the window of ${P.B}`);
  const m = ucoreMachine(P, sp, ucoreTiming);
  loadState(m, P, sp, e.state);
  const mnist = loadMnist();
  const d = P.sizes[0];
  const px = mnist.train.pixels;
  if (!px || mnist.dim !== d) throw new RangeError(`ucore cycles: the network takes ${d} inputs, MNIST images have ${mnist.dim} pixels`);
  let full = 0;
  for (let i = 0; i < samples; i++) {
    writeSample(m, sp, px.subarray(i * d, (i + 1) * d), mnist.train.y[i]);
    const c0 = m.cycles;
    m.run(sp.program, sp.entry.train);
    if (i >= P.B - 1) full += m.cycles - c0;
  }
  return Math.round(full / (samples - P.B + 1));
}
