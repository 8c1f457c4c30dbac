/**
 * `ibhebb build --board icebreaker|arty-a7-100t [--engine ucore|chip] [--config FILE] --out DIR --json FILE`: fit
 * check, board top, and the board's flow (host/boards/build.ts). A config that does not fit stops before any tool
 * runs. The engine: ucore (the UP5K engine: one core running the step program, host/boards/ucore.ts; the default
 * on iCE40 boards, with the board's chip.json as the default config) or chip (the parallel chip; the default on
 * the others, with the default configuration). Exit codes: 2 refused (usage, fit check), 3 timing not met, 5 the design does not fit the part after synthesis or in placement, or no
 * nextpnr seed placed and routed it (a seed nextpnr fails on, an abort or a crash, is skipped: the next is tried); no
 * bitstream, the report says why. `--core frontend` (chip engine) builds the board top around the stream front end alone (it answers IDENTIFY, ECHO,
 * LINK_STATUS and RESET itself): the link's own resources and Fmax. `--no-vector` (ucore engine) builds the core
 * without its vector unit, its program with vdot, vdist and vupd as scalar loops: the engine that fits the UP5K.
 */
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { loadChip } from '../chip/config.js';
import { DEFAULT_CHIP } from '../../generator/config.js';
import { join } from 'node:path';
import { boardNames, defaultEngine, defaultVector, engineConfigFile, loadBoard, type Board } from '../boards/board.js';
import { buildBoard, type BuildReport, type Engine } from '../boards/build.js';
import { positiveOption, UsageError } from './options.js';
import { UART_WINDOW_BYTES } from '../../generator/boards/uart.js';
import { FRAME_OVERHEAD, MAX_PAYLOAD } from '../../generator/protocol.js';
import { frontend } from '../../generator/units/frontend.js';

export function buildCommand(): Command {
  return new Command('build')
    .description('fit-check a configuration against a board, generate the board top and run the FPGA flow')
    .requiredOption('--board <name>', `board (${boardNames().join(', ')})`)
    .option('--engine <name>', 'ucore (the UP5K engine: one core running the step program) or chip (the parallel chip); default: ucore on iCE40 boards, chip on the others')
    .option('--config <file>', "chip configuration (JSON); default: the board's chip.json for the ucore engine, the default configuration for the chip")
    .option('--out <dir>', 'output folder', 'build/board')
    .option('--json <file>', 'write the report (utilization, Fmax, projected samples/s) as JSON')
    .option('--baud <n>', 'UART baud rate (default: the board’s defaultBaud)')
    .option('--mhz <f>', 'core clock target in MHz (default: 48 on iCE40, 100 on Xilinx)')
    .option('--fit-only', 'stop after the fit check and the generated Verilog')
    .option('--ignore-fit', 'run synthesis and placement even when the fit check refuses the design (to see what they make of it)')
    .option('--core <name>', 'chip engine: the core behind the UART: chip (the chip top) or frontend (the stream front end alone)', 'chip')
    .option('--vector', 'ucore engine: the core with its vector unit (the default except on iCE40 boards, where it does not fit)')
    .option('--no-vector', 'ucore engine: the core without its vector unit (vdot, vdist and vupd as loops of scalar instructions: slower, and it fits the UP5K; the default on iCE40 boards)')
    .option('--seeds <n>', 'iCE40: nextpnr seeds to try until the core clock is met', '8')
    .option('--seed-minutes <n>', 'iCE40: minutes a nextpnr seed may take before it is stopped and counted as failed', '20')
    .action(async (o: { board: string; engine?: string; config?: string; out: string; json?: string; baud?: string; mhz?: string; fitOnly?: boolean; ignoreFit?: boolean; core: string; seeds: string; seedMinutes: string; vector?: boolean }) => {
      const board = loadBoard(o.board);
      const engine = (o.engine ?? defaultEngine(board)) as Engine;
      if (engine !== 'ucore' && engine !== 'chip') throw new UsageError(`--engine must be ucore or chip, got '${o.engine}'`);
      if (o.core !== 'chip' && o.core !== 'frontend') throw new UsageError(`--core must be chip or frontend, got '${o.core}'`);
      if (engine === 'ucore' && o.core !== 'chip') throw new UsageError('--core frontend is a core of the chip engine (--engine chip)');
      if (engine !== 'ucore' && o.vector !== undefined) throw new UsageError('--vector and --no-vector are options of the ucore engine (--engine ucore)');
      const configFile = engineConfigFile(board, engine, o.config);
      const cfg = configFile ? loadChip(configFile) : DEFAULT_CHIP;
      const seeds = Number(o.seeds);
      if (!Number.isInteger(seeds) || seeds < 1) throw new UsageError(`--seeds must be an integer ≥ 1, got '${o.seeds}'`);
      const t0 = Date.now();
      const r = await buildBoard({
        board,
        cfg,
        configFile: configFile ?? null,
        engine,
        out: o.out,
        baud: positiveOption(o.baud, 'baud'),
        coreMHz: positiveOption(o.mhz, 'mhz'),
        noTools: o.fitOnly === true,
        ignoreFit: o.ignoreFit === true,
        core: o.core === 'frontend' ? frontend(cfg) : undefined,
        seeds,
        seedMinutes: positiveOption(o.seedMinutes, 'seed-minutes'),
        vector: o.vector ?? defaultVector(board),
        log: (l) => process.stderr.write(`ibhebb build: ${l}\n`),
      });
      const said = buildSummary(board, r, o.out, (Date.now() - t0) / 1000);
      process.stdout.write(said.stdout);
      for (const l of said.stderr) process.stderr.write(`${l}\n`);
      if (said.exitCode !== 0) process.exitCode = said.exitCode;
      if (o.json) writeFileSync(o.json, `${JSON.stringify(r, null, 2)}\n`);
    });
}

/**
 * What `build` says of a report: its summary (stdout), notes, warnings and why there is no bitstream (stderr, a
 * line each), and its exit code (0; 2 the fit check refused it; 5 not placed and routed; 3 timing not met; a tool
 * that fails or is missing stops the build before a report: exit 4, host/cli/main.ts).
 */
export function buildSummary(board: Board, r: BuildReport, out: string, seconds: number): { stdout: string; stderr: string[]; exitCode: number } {
  const stderr: string[] = [];
  let exitCode = 0;
  const u = Object.entries(r.utilization).map(([k, v]) => `${k} ${v.used}/${v.available ?? '?'}`);
  const s = r.projectedSamplesPerSecond;
  const stdout =
    `${board.title}: ${r.engine} engine${r.vector === false ? ' without its vector unit' : ''}, core ${r.core} at ${r.coreMHz.toFixed(2)} MHz, Fmax ${r.fmaxMHz ?? (r.unplaced ? 'n/a (not placed)' : 'n/a (no place and route)')}${r.fmaxMHz ? ' MHz' : ''}${r.placement ? ` (${r.placement.seed === null ? 'no nextpnr seed routed' : `nextpnr seed ${r.placement.seed}`}; seeds tried: ${r.placement.fmaxBySeed.map((f) => (f === null ? 'failed' : `${f} MHz`)).join(', ')})` : ''}\n` +
      (r.program ? `program: ${r.program.instructions} instructions, ${r.program.pool} pool entries; the core starts at serve (${r.program.serveAt})\n` : '') +
      (u.length ? `utilization: ${u.join(', ')}\n` : '') +
      `samples/s: compute ${s.compute} (${r.cyclesPerSample} cycles per sample), link ${s.link} (${r.baud} baud, ${r.bytesPerSample} bytes per sample) → ${s.projected}, bound by the ${s.boundBy}\n` +
      `files in ${out}: ${r.files.join(', ')} (${seconds.toFixed(1)} s)\n`;
  if (!r.fitFinished.fits && JSON.stringify(r.fitFinished.lines) !== JSON.stringify(r.fit)) {
    const short = r.fitFinished.lines.filter((l) => l.needed > l.available).map((l) => `${l.resource} ${l.needed}/${l.available}`);
    stderr.push(`ibhebb build: note: with the units the ${r.engine === 'ucore' ? 'core' : 'chip top'} does not wire yet, the finished design would need ${short.join(', ')}`);
  }
  // the FIFO holds at most the host's window of bytes in flight, or what a lone longer frame leaves queued
  if (r.link && Math.max(r.link.largestFrameBacklog, UART_WINDOW_BYTES) > r.link.fifoBytes) {
    stderr.push(`ibhebb build: warning: at ${r.baud} baud a byte lasts ${r.link.lineCyclesPerByte} cycles and the program's receive loop takes ${r.link.receiveCyclesPerByte}: a lone ${FRAME_OVERHEAD + MAX_PAYLOAD}-byte frame leaves ${r.link.largestFrameBacklog} bytes queued, more than the ${r.link.fifoBytes}-byte receive FIFO holds (bytes lost); use a slower --baud (the default keeps pace) or shorter frames`);
  }
  if (!r.fits) {
    const short = r.fit.filter((l) => l.needed > l.available).map((l) => `${l.resource} ${l.needed}/${l.available}`);
    stderr.push(`ibhebb build: the fit check refuses the design (${short.join(', ')}); built anyway (--ignore-fit)`);
    exitCode = 2;
  }
  if (r.unplaced) {
    stderr.push(`ibhebb ${r.unplaced.replace(/\.$/, '')}; no bitstream`);
    exitCode = 5;
  }
  if (r.timingMet === false) {
    stderr.push(`ibhebb build: timing NOT met: Fmax ${r.fmaxMHz} MHz < the ${r.coreMHz.toFixed(2)} MHz core clock; the bitstream would misbehave: rebuild with --mhz ${Math.floor(r.fmaxMHz ?? 0)} or less`);
    exitCode = 3;
  }
  return { stdout, stderr, exitCode };
}
