/**
 * `ibhebb build --board NAME`: fit check, then the board top's Verilog (board_core from the generator plus
 * the board shell with PLL and reset synchroniser), then the board's flow:
 *   ice40  Yosys synth_ice40 -dsp → nextpnr-ice40 (--up5k, the board's pcf, --freq at the core clock, router1) → icepack:
 *          a .bin for iceprog; utilization and Fmax from nextpnr's report. Placement depends on nextpnr's
 *          seed (a few MHz either way on a full UP5K): seeds 1, 2, … are tried until one meets the core
 *          clock, at most `seeds` of them (default 8); the best placement is packed. A seed nextpnr fails on
 *          (an assertion's abort, a crash: its router can, on a nearly full part) or that runs past
 *          `seedMinutes` is skipped, its log kept;
 *          when no seed routes, the report says so (unplaced) and there is no .bin.
 *   xc7    Yosys synth_xilinx: utilization (LUT, FF, DSP48E1, RAMB36E1/RAMB18E1); and a Vivado project
 *          (vivado/build.tcl + the XDC + rtl/) that `vivado -mode batch -source vivado/build.tcl` turns into
 *          a bitstream. fmaxMHz is null (no place and route here).
 * Both: projected samples/s = min(Fmax / cycles per sample, UART bytes/s / bytes per sample).
 */
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { execa } from 'execa';
import type { ChipConfig } from '../../generator/config.js';
import type { Module } from '../../generator/ir/index.js';
import { configHash } from '../../generator/config.js';
import { emitDesign } from '../../generator/emit/index.js';
import { boardCore, boardShell, shellClockMHz } from '../../generator/boards/top.js';
import { chipCore, coreTop } from '../../generator/boards/core.js';
import { uartDivisor } from '../../generator/boards/uart.js';
import { DEFAULT_TIMEOUT_CYCLES, FRAME_OVERHEAD, MAX_PAYLOAD } from '../../generator/protocol.js';
import { gramPad } from '../../generator/units/gram.js';
import { hebbianLayout } from '../../generator/units/hebbian.js';
import { outputLayout } from '../../generator/units/output.js';
import { defaultCoreMHz, type Board } from './board.js';
import { fitReport, refuseShort, type FitReport } from './fit.js';
import { baudForLoop, fifoGrowth, ucoreCyclesPerSample, ucoreDesign, ucoreFinished, ucoreFitReport, ucoreProgram, ucoreReceiveCycles } from './ucore.js';
import { encode } from '../../generator/ucore/encode.js';
import { XILINX_PREPARE } from '../../generator/tools/index.js';

export interface BuildOptions {
  board: Board;
  cfg: ChipConfig;
  /** the config file's path, or null for the default */
  configFile: string | null;
  out: string;
  /** core clock target (MHz); default: 48 on iCE40, 100 on Xilinx */
  coreMHz?: number;
  baud?: number;
  /** receive FIFO bytes (default: the board's uart.rxFifoBytes) */
  fifoDepth?: number;
  /** run only the generation and the fit check */
  noTools?: boolean;
  /** run the tools even when the fit check refuses the design (fits: false in the report): what synthesis and placement make of it */
  ignoreFit?: boolean;
  /** iCE40: nextpnr seeds to try until timing is met (default 8; 1 = seed 1 only) */
  seeds?: number;
  /**
   * iCE40: minutes a seed may take before it is stopped and counted as failed (default 20; a routed seed of the
   * no-vector board takes 3 to 5, and one that does not route can circle for hours)
   */
  seedMinutes?: number;
  /** the core behind the UART (default coreTop(cfg)); any module with the byte ports s_axis_in / m_axis_out */
  core?: Module;
  /**
   * chip: the parallel chip (default); ucore: the UP5K engine, its core running the config's step program
   * (host/boards/ucore.ts)
   */
  engine?: Engine;
  /** ucore: cycles without a received byte before a waiting recv gets 256 (default DEFAULT_TIMEOUT_CYCLES) */
  idleCycles?: number;
  /**
   * ucore: false builds the core without its vector unit (CoreConfig.vector), its program with vdot, vdist and
   * vupd as scalar loops: slower, and it fits the UP5K (default true)
   */
  vector?: boolean;
  /** ucore: MNIST samples the cycles per step are measured on (default 8) */
  cycleSamples?: number;
  log?: (line: string) => void;
  /** how the tools (yosys, nextpnr-ice40, icepack) are run (default: installedTools, from PATH) */
  tools?: ToolRunner;
}

export type Engine = 'chip' | 'ucore';

export interface BuildReport {
  board: string;
  engine: Engine;
  /**
   * ucore: the receive loop against the line: its cycles a payload byte, the line's (10 × clocks per bit), the
   * bytes a lone frame of the protocol's largest size leaves in the receive FIFO beyond the host's window, the
   * FIFO's size; `keepsPace` when nothing grows (the default baud is the fastest standard one that keeps pace)
   */
  link: { receiveCyclesPerByte: number; lineCyclesPerByte: number; largestFrameBacklog: number; fifoBytes: number; keepsPace: boolean } | null;
  /** ucore: the serving program's size and the instruction the board starts the core at (its entry serve) */
  program: { instructions: number; pool: number; serveAt: number } | null;
  /** ucore: whether the core has its vector unit (false: vdot, vdist and vupd as scalar loops); null for the chip */
  vector: boolean | null;
  config: string;
  configHash: string;
  core: string;
  fits: boolean;
  fit: { resource: string; needed: number; available: number }[];
  /** the finished design: the built core plus the datapath units the chip top does not wire yet (not refused on) */
  fitFinished: { fits: boolean; lines: { resource: string; needed: number; available: number }[] };
  coreMHz: number;
  baud: number;
  fmaxMHz: number | null;
  /** Fmax ≥ the core clock (null: no place and route) */
  timingMet: boolean | null;
  /**
   * why there is no bitstream: the part's resources synthesis or placement found short (utilization has them), or
   * no nextpnr seed placed and routed the design (placement.failed says how each ended)
   */
  unplaced: string | null;
  /**
   * iCE40: the nextpnr seed of the packed placement (null: none routed), the Fmax of every seed tried (null for a
   * seed nextpnr failed on: an abort, a crash, an error of its own) and how those failed, with nextpnr's last lines
   */
  placement: { seed: number | null; fmaxBySeed: (number | null)[]; failed: FailedSeed[] } | null;
  cyclesPerSample: number;
  cyclesPerSampleSource: string;
  bytesPerSample: number;
  projectedSamplesPerSecond: { compute: number; link: number; projected: number; boundBy: 'compute' | 'link' };
  utilization: Record<string, { used: number; available: number | null }>;
  files: string[];
}

/**
 * Cycles per training sample, from the schedule's recurrence (docs/design.md): the layer-1 pass of step c + 1
 * updates with δ_1(c), which needs z_1(c). Per step: the layer-1 fused pass (nOut·⌈nIn/L⌉ + 4 cycles from its
 * first δ word, generator/units/hebbian.ts), its LayerNorm tail (n_1 + 13), then the longer of
 *   - the δ_1 chain after the tail: the K_Z row's passes beyond the first (⌈B/R⌉ − 1 of n_1 elements; the first
 *     runs beside the LayerNorm), its B words through the kernel, the coefficients following them, ξ rows and
 *     the first δ word stored (n_1 + B + 27, generator/units/modulator.ts with zwSlots 'all');
 *   - the Hebbian unit's other passes (1 + ⌈nOut/G⌉·⌈nIn/g⌉ + 4 each) and their LayerNorm tails but the last one's
 *     (it runs beside the next step's first pass), + 6 for the boundaries.
 * The record's bytes, the pixel copy, the K_X row and the modulator calls overlap these. The output step of a
 * step starts after the last hidden layer's LayerNorm tail and the next step's last-layer pass waits for it, so
 * the period is also at least that pass, its tail and the output step (2·B·C_h·S·C + 2C + 18 cycles,
 * generator/units/output.ts: logits, softmax tail, update) + 6: the bound with one hidden layer, where it is
 * the layer-1 pass itself.
 * A record's way in is a bound of its own: the front end takes a one-record TRAIN frame's d + 1 payload bytes and
 * 10 of framing one a cycle (generator/units/frontend.ts; it receives the next frame while it forwards one) and
 * the sequencer's intake the record's d + 1 bytes, its pixel copy into the window running behind the writes. It
 * stays below the K_X chain (d + 1 + 10 < d + Σ modCall + 27); before 2026-12-01 the front end's one payload
 * buffer and the copy after the intake each made it 2·(d + 1) + 26, the bound of small hidden layers then.
 * The K_X row of step c (⌈B/R⌉ Gram passes of d elements, the pixel copy following its last pass) starts once
 * step c − 1's modulator chain is done (generator/units/sequencer.ts: kx_req_go waits for the modulator FSM), and
 * that chain starts once the row is done (kx_ready_q), layer after layer: each call its K_Z row's passes over n_l
 * z, the modulator's ξ rows and δ words (2·n_l) and ⌊3B/2⌋ + 9 of kernel words, coefficients and hand-offs per
 * layer, + 27 for the row's drain and the take (the constants fitted to bench/chip.ts on 784-8…-10 shapes,
 * B = 9…16 on 8 rows, 8 to 32 wide: within 2 cycles). A K_Z pass of n_l < 2C elements (C Gram columns) costs
 * 2C + 1 cycles, not n_l: the array idles gramPad = 2C − n_l cycles before every item and one to load the pad counter
 * (generator/units/gram.ts), though a ROW command uses column 0 only. It bounds the period when B > R and the
 * layers are small.
 * bench/chip.ts (2026-11-30) measures 1,844 at the default configuration (this: 1,844; 1,972 at 64 lanes), 3,624
 * at the Arty config (3,636), 2,593 at 784-128-10, B = 6, 50 lanes (2,597; 2,354 without the output step's
 * bound), 2,001 at 784-100-10, B = 6, 50 lanes (2,001), 1,076 at 784-8-64-10, B = 2 (1,051; 1,596 with the
 * front end's one buffer), 929 at 784-8-8-10, B = 8 (901), 859 at 784-8-10, B = 2 (847), 1,725 at 784-8-8-10,
 * B = 16 (1,725; 1,596 without the K_X chain), 1,790 at 784-8-8-8-10, B = 16
 * (1,790), 1,915 at 784-32-32-10, B = 16 (1,917). bench/chip.ts --samples 1500 (2026-12-01) on 784-8-8-10:
 * 1,746 on a 4 × 8 Gram array, B = 8 (1,737; 1,701 without the pads), 1,710 on 4 × 1, 4 × 2 and 4 × 4 (1,701),
 * 1,741 on 2 × 8, B = 4 (1,725), 1,751 on 6 × 8, B = 12 (1,749), 3,368 on 4 × 8, B = 16 (3,397), 1,756 on 8 × 8,
 * B = 16 (1,761; 8 × 1: 1,720, 1,725).
 * With a long first pass and B > R, the output step of step c (it starts after the step's last LayerNorm tail)
 * holds step c + 1's K_X row (kx_req_go waits for out_busy), whose ⌈B/R⌉ passes step c + 2's take waits for; that
 * step's first pass then waits for its δ_1 words (its modulator call waited for the row): over two steps the
 * step, the δ_1 chain, the last tail, the output step, the row's passes over the pixels + 19 (fitted to a trace).
 * 784-96-48-32-10, 40 lanes, 8 output lanes, Gram 4 × 1: 2,537 (2,488; 2,362 without this bound; the trace shows
 * steps of 2,609 and 2,470 alternating); on 8 × 1: 2,292 (2,278); 784-64-32-10, B = 16, 32 lanes: 2,041 (2,045),
 * with 22 output lanes 2,145 (2,167; 2,045 without) — configs as `--config F` reads them (LFSR lanes = lanes, row
 * groups chosen). It is an estimate: within 2 % on all these.
 */
export function cyclesPerSample(cfg: ChipConfig): number {
  const layers = hebbianLayout(cfg).layers;
  const [first, ...rest] = layers;
  const tail = (n: number) => n + 13;
  const pass = (l: { rounds: number; chunks: number }) => 1 + l.rounds * l.chunks + 4;
  // Gram passes of a K row (window slots over the array's rows)
  const passes = Math.ceil(cfg.window / cfg.gram.rows);
  const deltaChain = passes * first.nOut + cfg.window + 27;
  const others = rest.reduce((a, l, i) => a + pass(l) + (i < rest.length - 1 ? tail(l.nOut) : 0), 0) + 6;
  const o = outputLayout(cfg);
  const outputStep = 2 * o.B * o.chunks * o.subChunks * o.C + 2 * o.C + 18;
  const last = layers[layers.length - 1];
  const lastPass = (rest.length === 0 ? first.rounds * first.chunks + 4 : pass(last)) + tail(last.nOut) + outputStep + 6;
  // a one-record frame through the front end (d + 1 payload bytes and 10 of framing, one a cycle)
  const frontEnd = cfg.layers[0] + 1 + 10;
  // the K_X row of a step (its Gram passes over the pixels) after the previous step's modulator chain, layer by layer
  // each K_Z pass is an item of n elements; one shorter than 2C idles gramPad(C, n) cycles first, plus the cycle
  // that loads the pad counter (generator/units/gram.ts feeder: pad_first, then feed_pad_q counting down)
  const kzPass = (n: number) => n + (gramPad(cfg.gram.cols, n) > 0 ? gramPad(cfg.gram.cols, n) + 1 : 0);
  const modCall = (n: number) => passes * kzPass(n) + 2 * n + Math.floor((3 * cfg.window) / 2) + 9;
  const kxChain = passes * cfg.layers[0] + layers.reduce((a, l) => a + modCall(l.nOut), 0) + 27;
  const step = first.rounds * first.chunks + 4 + tail(first.nOut) + Math.max(deltaChain, others);
  // the output step of step c starts after its last LayerNorm tail and step c + 1's K_X row waits for its end
  // (kx_req_go: out_busy); step c + 2 is taken once that row is done, and as its modulator call waited for the
  // row, its first pass waits for its δ_1 chain. Over two steps: the step, that chain, the tail, the output step
  // and the row's passes over the pixels, + 19 (the row's drain and KROW write, the take: fitted to a trace of
  // bench/sequencer.ts at 784-96-48-32-10 on 4 × 1)
  const outLoop = Math.ceil((step + deltaChain + tail(last.nOut) + outputStep + passes * cfg.layers[0] + 19) / 2);
  return Math.max(step, lastPass, frontEnd, kxChain, outLoop);
}

/**
 * Host → board bytes per training sample on a board's link: TRAIN frames of ⌊MAX_PAYLOAD / (pixels + 1)⌋
 * records (what the host sends over a UART, host/chip/open.ts).
 */
export function bytesPerSample(cfg: ChipConfig): number {
  const rec = cfg.layers[0] + 1;
  const k = Math.floor(MAX_PAYLOAD / rec);
  return rec + FRAME_OVERHEAD / k;
}

/** Cells of the last `stat` in a Yosys log. */
export function parseYosysStat(log: string): Record<string, number> {
  const at = log.lastIndexOf('Number of cells:');
  if (at < 0) throw new Error('yosys: no `stat` output in the log');
  const cells: Record<string, number> = {};
  for (const line of log.slice(at).split('\n').slice(1)) {
    const m = /^\s+(\S+)\s+(\d+)\s*$/.exec(line);
    if (!m) {
      if (Object.keys(cells).length > 0) break;
      continue;
    }
    cells[m[1]] = Number(m[2]);
  }
  return cells;
}

/** The design needs more of the part than it has, after synthesis or in placement: what, as a utilization. */
export class PlaceError extends Error {
  constructor(
    message: string,
    readonly utilization: Record<string, { used: number; available: number }>,
  ) {
    super(message);
    this.name = 'PlaceError';
  }
}

/**
 * The logic Yosys made against the board's logic cells (one LUT4 and one flip-flop each; a carry rides in the
 * LUT's cell): more LUTs or more flip-flops than cells cannot be placed, so the build stops here, before
 * nextpnr, naming the counts (the fit check counts DSPs and RAMs, not logic).
 */
export function checkIce40Logic(cells: Record<string, number>, board: Board, log: string): void {
  const luts = cells.SB_LUT4 ?? 0;
  const ffs = Object.entries(cells).reduce((a, [k, v]) => a + (/^SB_DFF/.test(k) ? v : 0), 0);
  const lc = board.resources.logic.count;
  if (luts <= lc && ffs <= lc) return;
  throw new PlaceError(
    `build: the design needs ${luts} SB_LUT4 and ${ffs} flip-flops after synth_ice40 (log: ${log}); ${board.name} has ${lc} logic cells ` +
      `(one LUT4 + one flip-flop each), so it cannot be placed. Fewer or narrower units, fewer lanes, or a larger part.`,
    { SB_LUT4: { used: luts, available: lc }, 'flip-flops': { used: ffs, available: lc } },
  );
}

/** nextpnr-ice40's device utilization and the lowest Max frequency it reports. */
export function parseNextpnr(log: string): { utilization: Record<string, { used: number; available: number }>; fmaxMHz: number | null } {
  const utilization: Record<string, { used: number; available: number }> = {};
  const util = log.lastIndexOf('Device utilisation:');
  if (util >= 0) {
    for (const line of log.slice(util).split('\n').slice(1)) {
      const m = /^Info:\s+(\w+):\s+(\d+)\/\s*(\d+)/.exec(line);
      if (!m) break;
      utilization[m[1]] = { used: Number(m[2]), available: Number(m[3]) };
    }
  }
  const freqs = [...log.matchAll(/Max frequency for clock\s+'[^']+':\s+([\d.]+) MHz/g)].map((m) => Number(m[1]));
  // nextpnr prints the figure after placement and after routing; the last block is the routed one
  const fmaxMHz = freqs.length ? freqs[freqs.length - 1] : null;
  return { utilization, fmaxMHz };
}

/**
 * How one tool call ended: its output (stdout and stderr interleaved), its exit code (null when a signal ended
 * it), the signal, whether the command was not found, and whether the time limit given stopped it.
 */
export interface ToolResult {
  output: string;
  exitCode: number | null;
  signal: string | null;
  missing: boolean;
  timedOut?: boolean;
}

/**
 * Runs a tool in a folder to its end, or until `timeoutMs` (then stops it); build's flows call their tools
 * through one (BuildOptions.tools).
 */
export type ToolRunner = (cmd: string, args: string[], cwd: string, timeoutMs?: number) => Promise<ToolResult>;

/** The tools as installed (on PATH). */
export const installedTools: ToolRunner = async (cmd, args, cwd, timeoutMs) => {
  const r = await execa(cmd, args, { cwd, all: true, reject: false, stdin: 'ignore', ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }) });
  return { output: r.all ?? '', exitCode: r.exitCode ?? null, signal: r.signal ?? null, missing: (r as { code?: string }).code === 'ENOENT', timedOut: r.timedOut === true };
};

/** A tool that ended other than with exit code 0: how (the signal or the code) and its last lines. */
export class ToolError extends Error {
  constructor(
    readonly cmd: string,
    readonly result: ToolResult,
    readonly logFile: string,
  ) {
    super(`build: ${cmd} failed (${toolEnd(result)}; log: ${logFile}): ${lastLines(result.output).join('\n')}`);
    this.name = 'ToolError';
  }
}

/** A tool that is not on PATH. */
export class ToolMissingError extends Error {
  constructor(readonly cmd: string) {
    super(`build: '${cmd}' is not installed (run scripts/setup.sh: Debian packages yosys, nextpnr-ice40, fpga-icestorm)`);
    this.name = 'ToolMissingError';
  }
}

/** How a tool ended: `stopped at the time limit`, `signal SIGABRT` or `exit code 1`. */
const toolEnd = (r: ToolResult): string => (r.timedOut ? 'stopped at the time limit' : r.signal ? `signal ${r.signal}` : `exit code ${r.exitCode}`);

/** The last non-empty lines of a tool's output. */
export function lastLines(output: string, n = 8): string[] {
  return output
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '')
    .slice(-n);
}

async function run(tools: ToolRunner, cmd: string, args: string[], cwd: string, logFile: string, timeoutMs?: number): Promise<string> {
  const r = await tools(cmd, args, cwd, timeoutMs);
  if (r.missing) throw new ToolMissingError(cmd);
  writeFileSync(logFile, r.output);
  if (r.exitCode !== 0 || r.timedOut) throw new ToolError(cmd, r, logFile);
  return r.output;
}

const CHIP_CYCLES_SOURCE =
  "an estimate from the schedule's recurrence (host/boards/build.ts cyclesPerSample): the layer-1 fused pass (nOut·⌈nIn/lanes⌉ + 4 cycles), its LayerNorm tail (n + 13), then the longer of the δ_1 chain (K_Z row passes beyond the first, modulator: ⌈B/R⌉·n + B + 27) and the other layers' passes and tails; at least the last hidden layer's pass, tail and the output step, a record's way through the front end, the K_X chain (the K_X row's Gram passes, then the modulator calls, K_Z passes shorter than 2 × Gram columns padded) and, over two steps, the output step and the next K_X row; exact at the default configuration, within ~10 % on the others measured (bench/chip.ts --config F measures it)";

/**
 * nextpnr-ice40's arguments for one seed: the part, package and pins, the netlist in and the placed design out,
 * the core clock as the timing target (a placement that misses it is still written: its Fmax is reported), and
 * router1, nextpnr's default router: on the no-vector board at 83 and 91 % of the UP5K it routes within minutes at
 * about the placement's estimate (35.96 and 33.96 MHz), where nextpnr 0.4's router2 stops at one overused wire and
 * aborts on an assertion or circles without end, or routes at 26–27 MHz (bench/RESULTS.md, "nextpnr on the routed
 * board"). router2 leaves fewer wires overused on a 99 %-full part, which neither routes ("nextpnr on the full UP5K").
 */
export function nextpnrIce40Args(board: Board, files: { json: string; pcf: string; asc: string }, mhz: number, seed: number): string[] {
  return [`--${board.part}`, '--package', board.package, '--pcf', files.pcf, '--json', files.json, '--asc', files.asc, '--freq', String(mhz), '--seed', String(seed), '--timing-allow-fail', '--router', 'router1'];
}

/** A nextpnr seed that placed and routed nothing: how nextpnr ended, its last lines, its log (relative to the build folder). */
export interface FailedSeed {
  seed: number;
  end: string;
  lastLines: string[];
  log: string;
}

/**
 * nextpnr-ice40 for one seed: its log, or how it failed when it ended otherwise (an assertion's abort, a crash, an
 * error of its own): another seed's placement may route. A design it cannot place for want of resources (more
 * of a cell type than the part has, from its utilisation report, or its "Unable to place" error) is a PlaceError:
 * no seed changes that.
 */
async function placeIce40(tools: ToolRunner, board: Board, args: string[], out: string, logFile: string, timeoutMs: number): Promise<{ log: string } | { end: string; lastLines: string[] }> {
  try {
    return { log: await run(tools, 'nextpnr-ice40', args, out, logFile, timeoutMs) };
  } catch (e) {
    if (!(e instanceof ToolError)) throw e;
    const { utilization } = parseNextpnr(e.result.output);
    const short = Object.entries(utilization).filter(([, u]) => u.used > u.available);
    if (short.length > 0) {
      throw new PlaceError(`build: nextpnr cannot place the design on ${board.name}: it needs ${short.map(([k, u]) => `${u.used} ${k} (${board.name} has ${u.available})`).join(', ')} (log: ${logFile})`, utilization);
    }
    const unable = /^.*unable to place.*$/im.exec(e.result.output);
    if (unable) throw new PlaceError(`build: nextpnr cannot place the design on ${board.name}: ${unable[0].replace(/^ERROR:\s*/, '').trim()} (log: ${logFile})`, utilization);
    return { end: toolEnd(e.result), lastLines: lastLines(e.result.output) };
  }
}

/**
 * The UP5K engine's line on `board` for a core clock target of `mhz`: the clock the board's PLL makes of it, the
 * serving program's receive loop (cycles a payload byte), the baud — `baud` when given, else the fastest standard
 * one the loop keeps pace with and the clock makes (baudForLoop), else the board's default — and the UART's clocks
 * a bit. `build` and `serve` take their line from here.
 */
export async function ucoreLine(board: Board, cfg: ChipConfig, vector: boolean, mhz: number, baud?: number): Promise<{ coreMHz: number; receiveCycles: number; baud: number; clocksPerBit: number }> {
  const coreMHz = shellClockMHz(board, mhz);
  const receiveCycles = await ucoreReceiveCycles(cfg, vector);
  const b = baud ?? baudForLoop(coreMHz * 1e6, receiveCycles, board.uart.maxBaud) ?? board.uart.defaultBaud;
  return { coreMHz, receiveCycles, baud: b, clocksPerBit: uartDivisor(coreMHz * 1e6, b) };
}

export async function buildBoard(o: BuildOptions): Promise<BuildReport> {
  const { board, cfg } = o;
  const log = o.log ?? (() => {});
  const tools = o.tools ?? installedTools;
  const out = resolve(o.out);
  const rtl = join(out, 'rtl');
  mkdirSync(rtl, { recursive: true });
  const coreMHz = o.coreMHz ?? defaultCoreMHz(board);
  const engine = o.engine ?? 'chip';
  if (o.baud !== undefined && o.baud > board.uart.maxBaud) throw new Error(`build: ${o.baud} baud is more than ${board.name}'s ${board.uart.bridge} carries (${board.uart.maxBaud})`);
  // the fit check walks exactly what is built: the board core (UART, FIFO and the core)
  const shellProbe = boardShell(board, coreMHz, cfg, engine === 'ucore' ? 'ucore_board_core' : 'board_core');
  // ucore: the serving program (refused here when its memory map does not fit) and its line (ucoreLine)
  const vector = o.vector ?? true;
  const served = engine === 'ucore' ? ucoreProgram(cfg, board, vector) : null;
  const line = served ? await ucoreLine(board, cfg, vector, coreMHz, o.baud) : null;
  const receiveCycles = line?.receiveCycles ?? null;
  const baud = line?.baud ?? o.baud ?? board.uart.defaultBaud;
  const D = line?.clocksPerBit ?? uartDivisor(shellProbe.coreMHz * 1e6, baud);
  const uartOpts = { clocksPerBit: D, fifoDepth: o.fifoDepth ?? board.uart.rxFifoBytes };
  let bc: Module;
  let fit: FitReport;
  let finished: FitReport;
  let cps: number;
  let cpsSource: string;
  let program: BuildReport['program'] = null;
  let coreName: string;
  if (served) {
    const d = ucoreDesign(cfg, served, { ...uartOpts, idleCycles: o.idleCycles ?? DEFAULT_TIMEOUT_CYCLES });
    bc = d.module;
    coreName = 'ucore_core';
    fit = ucoreFitReport(cfg, board, [bc]);
    if (!o.ignoreFit) refuseShort(fit, board);
    finished = ucoreFitReport(cfg, board, ucoreFinished(cfg, bc, vector));
    program = { instructions: d.program.program.code.length, pool: encode(d.program.program).pool.length, serveAt: d.program.entry.serve };
    cps = await ucoreCyclesPerSample(cfg, o.cycleSamples, vector);
    cpsSource = `a training sample as the board serves it (a TRAIN frame of one record: its bytes received, the CRCs, the step with the window full, the response) on the instruction-set simulator with the RTL core's timing (core.ts CoreTiming) through the ucore-link transport: the mean over MNIST samples ${cfg.window} … ${o.cycleSamples ?? 8}${vector ? '' : '; the core without its vector unit, vdot, vdist and vupd as scalar loops'}`;
  } else {
    const core = o.core ?? coreTop(cfg);
    coreName = core.name;
    bc = boardCore(cfg, uartOpts, core);
    fit = fitReport(cfg, board, [bc]);
    if (!o.ignoreFit) refuseShort(fit, board);
    finished = fitReport(cfg, board, [bc, ...chipCore(cfg).slice(1)]);
    cps = cyclesPerSample(cfg);
    cpsSource = CHIP_CYCLES_SOURCE;
  }
  log(`fit${served ? (vector ? ' (the core with its vector unit)' : ' (the core without its vector unit)') : ''}: ${fit.lines.map((l) => `${l.resource} ${l.needed}/${l.available}`).join(', ')}`);
  const files: string[] = [];
  const write = (path: string, text: string) => {
    writeFileSync(path, text);
    files.push(relative(out, path));
  };
  const design = emitDesign(bc);
  // the Verilog and the memories' initial contents ($readmemh files, read from the folder synthesis runs in)
  for (const f of design.files) if (f.name.endsWith('.v') || f.name.endsWith('.hex')) write(join(rtl, f.name), f.content);
  write(join(rtl, `${shellProbe.name}.v`), shellProbe.verilog);
  const vFiles = files.filter((f) => f.endsWith('.v')).map((f) => join(out, f));
  const constraints = join(out, board.constraints);
  copyFileSync(join(board.dir, board.constraints), constraints);
  files.push(board.constraints);
  const utilization: BuildReport['utilization'] = {};
  let fmaxMHz: number | null = null;
  let placement: BuildReport['placement'] = null;
  let unplaced: string | null = null;
  if (!o.noTools) {
    if (board.family === 'ice40') {
      try {
        const json = join(out, `${shellProbe.name}.json`);
        log('yosys synth_ice40 …');
        await run(tools, 'yosys', ['-q', '-l', join(out, 'yosys.log'), '-p', `read_verilog ${vFiles.join(' ')}; synth_ice40 -dsp -top ${shellProbe.name} -json ${json}; stat`], rtl, join(out, 'yosys.stdout'));
        files.push('yosys.log');
        checkIce40Logic(parseYosysStat(readFileSync(join(out, 'yosys.log'), 'utf8')), board, join(out, 'yosys.log'));
        log(`nextpnr-ice40 --${board.part} --package ${board.package} --freq ${coreMHz} …`);
        const asc = join(out, `${shellProbe.name}.asc`);
        const seeds = o.seeds ?? 8;
        if (!Number.isInteger(seeds) || seeds < 1) throw new RangeError(`build: seeds must be an integer ≥ 1, got ${seeds}`);
        const seedMs = (o.seedMinutes ?? 20) * 60_000;
        if (!(seedMs > 0)) throw new RangeError(`build: seedMinutes must be > 0, got ${o.seedMinutes}`);
        const fmaxBySeed: (number | null)[] = [];
        const failed: FailedSeed[] = [];
        let best = { seed: 0, fmax: -1 };
        for (let seed = 1; seed <= seeds; seed++) {
          const tryAsc = join(out, `${shellProbe.name}.seed${seed}.asc`);
          const seedLog = join(out, `nextpnr.seed${seed}.log`);
          const placed = await placeIce40(tools, board, nextpnrIce40Args(board, { json, pcf: constraints, asc: tryAsc }, shellProbe.coreMHz, seed), out, seedLog, seedMs);
          if (!('log' in placed)) {
            // a crashed seed: its log stays beside the build, the next seed is tried
            fmaxBySeed.push(null);
            failed.push({ seed, ...placed, log: relative(out, seedLog) });
            files.push(relative(out, seedLog));
            rmSync(tryAsc, { force: true });
            log(`nextpnr seed ${seed}: failed (${placed.end}): ${placed.lastLines.at(-1) ?? 'no output'}`);
            continue;
          }
          const p = parseNextpnr(placed.log);
          const f = p.fmaxMHz ?? 0;
          fmaxBySeed.push(f);
          log(`nextpnr seed ${seed}: Fmax ${f} MHz`);
          if (f > best.fmax) {
            best = { seed, fmax: f };
            Object.assign(utilization, p.utilization);
            fmaxMHz = p.fmaxMHz;
            renameSync(tryAsc, asc);
            copyFileSync(seedLog, join(out, 'nextpnr.log'));
          } else rmSync(tryAsc, { force: true });
          rmSync(seedLog, { force: true });
          if (f >= shellProbe.coreMHz) break;
        }
        placement = { seed: best.seed === 0 ? null : best.seed, fmaxBySeed, failed };
        if (best.seed === 0) {
          const why = failed.map((s) => `seed ${s.seed}: ${s.end}, ${(s.lastLines.at(-1) ?? 'no output').trim()}`).join('; ');
          throw new PlaceError(
            `build: nextpnr-ice40 placed and routed none of the ${seeds} seed${seeds > 1 ? 's' : ''} tried (${why}; logs: ${failed.map((s) => s.log).join(', ')})`,
            parseNextpnr(readFileSync(join(out, failed[failed.length - 1].log), 'utf8')).utilization,
          );
        }
        files.push('nextpnr.log');
        const bin = join(out, `${shellProbe.name}.bin`);
        await run(tools, 'icepack', [asc, bin], out, join(out, 'icepack.log'));
        files.push(relative(out, bin));
      } catch (e) {
        // the design does not fit the part after synthesis or placement: the report says why, no bitstream
        if (!(e instanceof PlaceError)) throw e;
        unplaced = e.message;
        Object.assign(utilization, e.utilization);
      }
    } else {
      log('yosys synth_xilinx …');
      const ylogFile = join(out, 'yosys.log');
      await run(tools, 'yosys', ['-q', '-l', ylogFile, '-p', `read_verilog ${vFiles.join(' ')}; ${XILINX_PREPARE.join('; ')}; synth_xilinx -flatten -top ${shellProbe.name}; stat`], out, join(out, 'yosys.stdout'));
      files.push('yosys.log');
      const cells = parseYosysStat(readFileSync(ylogFile, 'utf8'));
      const sum = (re: RegExp) => Object.entries(cells).filter(([k]) => re.test(k)).reduce((a, [, v]) => a + v, 0);
      const R = board.resources;
      utilization.LUT = { used: sum(/^LUT[1-6]$/) + 2 * sum(/^RAM(32|64)M$/) + sum(/^RAM(32|64|128|256)X1[SD]$/), available: R.logic.count };
      utilization.FF = { used: sum(/^FD[CPRS]E$/), available: R.ff };
      utilization.DSP48E1 = { used: sum(/^DSP48E1$/), available: R.dsp.count };
      utilization.RAMB36E1 = { used: sum(/^RAMB36E1$/), available: R.bram.count / 2 };
      utilization.RAMB18E1 = { used: sum(/^RAMB18E1$/), available: R.bram.count };
      utilization.CARRY4 = { used: sum(/^CARRY4$/), available: R.logic.count / 4 };
    }
  }
  if (board.family === 'xc7') {
    const tcl = join(out, 'vivado', 'build.tcl');
    mkdirSync(join(out, 'vivado'), { recursive: true });
    write(
      tcl,
      `# Vivado project for ${board.title}: run with
#   vivado -mode batch -source vivado/build.tcl
# (paths are taken from this script's place, so any working folder does). Utilization, timing, clock and DRC
# reports land beside it; the bitstream vivado/${shellProbe.name}.bit${board.flash ? ` and its image for the ${board.flash.sizeMB} MB ${board.flash.interface} flash, .bin,` : ''}
# only when every run succeeded and timing is met (the script exits 1 otherwise, naming the step or the slack).
set here [file dirname [file normalize [info script]]]
set root [file dirname $here]
create_project -force ibhebb_${board.name.replace(/-/g, '_')} $here/project -part ${board.part}
add_files [glob $root/rtl/*.v]
add_files -fileset constrs_1 $root/${board.constraints}
set_property top ${shellProbe.name} [current_fileset]
update_compile_order -fileset sources_1
proc check_run {run} {
  if {[get_property PROGRESS [get_runs $run]] ne "100%" || [string match "*ERROR*" [get_property STATUS [get_runs $run]]]} {
    puts "ibhebb: $run failed: [get_property STATUS [get_runs $run]]"
    exit 1
  }
}
launch_runs synth_1 -jobs 4
wait_on_run synth_1
check_run synth_1
launch_runs impl_1 -to_step write_bitstream -jobs 4
wait_on_run impl_1
check_run impl_1
open_run impl_1
report_utilization -hierarchical -hierarchical_depth 4 -file $here/utilization_hier.rpt
report_utilization -file $here/utilization.rpt
report_timing_summary -max_paths 20 -report_unconstrained -file $here/timing.rpt
report_clock_interaction -file $here/clocks.rpt
report_drc -file $here/drc.rpt
set wns [get_property SLACK [get_timing_paths -max_paths 1 -nworst 1 -setup]]
set whs [get_property SLACK [get_timing_paths -max_paths 1 -nworst 1 -hold]]
puts "ibhebb: worst setup slack $wns ns, worst hold slack $whs ns"
if {$wns < 0 || $whs < 0} {
  puts "ibhebb: timing not met (timing.rpt); no bitstream copied"
  exit 1
}
set bit $here/${shellProbe.name}.bit
file copy -force [get_property DIRECTORY [get_runs impl_1]]/${shellProbe.name}.bit $bit
${board.flash ? `write_cfgmem -force -format bin -size ${board.flash.sizeMB} -interface ${board.flash.interface} -loadbit "up 0x00000000 $bit" -file $here/${shellProbe.name}.bin
` : ''}`,
    );
  }
  const bps = bytesPerSample(cfg);
  const clock = fmaxMHz !== null ? Math.min(fmaxMHz, shellProbe.coreMHz) : shellProbe.coreMHz;
  const compute = Math.floor((clock * 1e6) / cps);
  const link = Math.floor(baud / 10 / bps);
  return {
    board: board.name,
    engine,
    link:
      receiveCycles === null
        ? null
        : {
            receiveCyclesPerByte: Number(receiveCycles.toFixed(1)),
            lineCyclesPerByte: 10 * D,
            largestFrameBacklog: fifoGrowth(FRAME_OVERHEAD + MAX_PAYLOAD, receiveCycles, 10 * D),
            fifoBytes: uartOpts.fifoDepth,
            keepsPace: receiveCycles <= 10 * D,
          },
    program,
    vector: served ? vector : null,
    config: o.configFile ?? 'default',
    configHash: configHash(cfg),
    core: coreName,
    fits: fit.fits,
    fit: fit.lines.map(({ resource, needed, available }) => ({ resource, needed, available })),
    fitFinished: { fits: finished.fits, lines: finished.lines.map(({ resource, needed, available }) => ({ resource, needed, available })) },
    coreMHz: shellProbe.coreMHz,
    baud,
    fmaxMHz,
    timingMet: fmaxMHz === null ? null : fmaxMHz >= shellProbe.coreMHz,
    unplaced,
    placement,
    cyclesPerSample: cps,
    cyclesPerSampleSource: cpsSource,
    bytesPerSample: Number(bps.toFixed(3)),
    projectedSamplesPerSecond: { compute, link, projected: Math.min(compute, link), boundBy: compute <= link ? 'compute' : 'link' },
    utilization,
    files,
  };
}
