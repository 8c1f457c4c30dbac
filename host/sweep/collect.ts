/**
 * Merges the finished points of a sweep folder into results.jsonl (one JSON line per point) and results.csv,
 * whoever ran them: the local runner, GNU parallel or a Slurm array. A point is finished when its train
 * report holds every epoch.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../checkpoint.js';
import { FIXED_PRESETS } from '../presets.js';
import { createFixedEngine, CHIP_TRAIN } from '../../sim/golden/fixed/index.js';
import type { MemoryReport } from '../../sim/golden/fixed/engine.js';
import type { DatasetName } from '../data/index.js';
import { resolveNumeric, withNumeric, type NumericConfig } from '../../generator/numeric.js';
import { sumFormat } from '../../generator/fixed/format.js';
import { boardFits, boardFitText, type BoardFit } from '../boards/fit.js';
import { boardNames, loadBoard } from '../boards/board.js';
import { configHash, type ChipConfig } from '../../generator/config.js';
import { failedFile, logFile, pointArgv, readResult, shellLine, type SweepManifest, type SweepPoint, type TrainReport } from './spec.js';

/** Working memory of the window in bits (sim/golden/fixed MemoryReport) and which formats it was counted in. */
export interface WorkingMemoryBits extends MemoryReport {
  /** `run`: the fixed-point run's own formats; `chip`: a float run counted in the chip's default formats. */
  formats: 'run' | 'chip';
}

/**
 * Figures of a run on a chip engine (the simulated chip, a board, the controller's reference model), for
 * points whose train report has a `chip` object: cycles per sample (null when the engine counts none) and
 * the bound ⌈weights / lanes⌉ from that object, and the fit check of the run's ChipConfig against every
 * board under boards/ (block RAM, DSP tiles, single-port RAM: needed / available).
 */
export interface ChipFigures {
  cyclesPerSample: number | null;
  boundCyclesPerSample?: number;
  boardFit?: BoardFit[];
}

export interface ResultRow {
  id: string;
  label?: string;
  options: SweepPoint['options'];
  /** The shell command that ran the point (rerun it by hand from the sweep's cwd). */
  command: string;
  cwd: string;
  train: TrainReport;
  workingMemoryBits: WorkingMemoryBits | null;
  chip?: ChipFigures;
}

export type PointStatus = 'done' | 'failed' | 'started' | 'pending';

export interface Collected {
  rows: ResultRow[];
  status: Map<string, PointStatus>;
}

const memoCache = new Map<string, MemoryReport | null>();

/** The chip's default formats for a dataset, with row sums just wide enough for B exact gram words. */
function chipFormats(dataset: DatasetName, B: number): NumericConfig | undefined {
  const n = FIXED_PRESETS[dataset]?.numeric;
  if (!n) return undefined;
  const r = resolveNumeric(n);
  const need = sumFormat(r.gram.format, B);
  return need.intBits > r.rowSum.format.intBits ? withNumeric(n, { rowSum: { ...n.rowSum, format: need } }) : n;
}

/**
 * Working-memory bits of a run. A fixed-point run reports its own (stored window). A float run is counted
 * as the chip would hold its window, in the chip's default formats for the dataset (row sums widened for
 * B as the chip needs); with `recompute` memory the past z are recomputed rather than stored, so they take
 * no bits.
 */
export function workingMemoryBits(r: TrainReport): WorkingMemoryBits | null {
  const own = r.fixed?.memoryBits as MemoryReport | undefined;
  if (own) return { ...own, formats: 'run' };
  const t = r.config.train;
  const key = JSON.stringify([r.config.dataset, t.layers, t.window]);
  if (!memoCache.has(key)) {
    const formats = chipFormats(r.config.dataset as DatasetName, t.window);
    let mem: MemoryReport | null = null;
    try {
      if (formats) mem = createFixedEngine({ ...CHIP_TRAIN, layers: t.layers, window: t.window }, formats).memoryBits();
    } catch {
      mem = null; // a network the chip's formats cannot hold: no figure rather than a wrong one
    }
    memoCache.set(key, mem);
  }
  const mem = memoCache.get(key);
  if (!mem) return null;
  return t.memory === 'recompute' ? { ...mem, storedZ: 0, total: mem.total - mem.storedZ, formats: 'chip' } : { ...mem, formats: 'chip' };
}

const fitCache = new Map<string, BoardFit[]>();

/** The fit check of a config against every board, once per config hash (building the chip top takes ~1 s). */
function boardFitOf(cfg: ChipConfig): BoardFit[] {
  const key = configHash(cfg);
  let f = fitCache.get(key);
  if (!f) fitCache.set(key, (f = boardFits(cfg, boardNames().map(loadBoard))));
  return f;
}

function chipFigures(r: TrainReport): ChipFigures | undefined {
  const c = r.chip;
  if (!c || typeof c !== 'object') return undefined;
  const out: ChipFigures = { cyclesPerSample: typeof c.cyclesPerSample === 'number' ? c.cyclesPerSample : null };
  if (typeof c.boundCyclesPerSample === 'number') out.boundCyclesPerSample = c.boundCyclesPerSample;
  if (r.config.chip) out.boardFit = boardFitOf(r.config.chip);
  return out;
}

export function pointStatus(m: SweepManifest, p: SweepPoint, result: TrainReport | undefined): PointStatus {
  if (result) return 'done';
  if (existsSync(failedFile(m, p))) return 'failed';
  return existsSync(logFile(m, p)) ? 'started' : 'pending';
}

export function resultRow(m: SweepManifest, p: SweepPoint, train: TrainReport): ResultRow {
  const chip = chipFigures(train);
  return {
    id: p.id,
    ...(p.label ? { label: p.label } : {}),
    options: p.options,
    command: shellLine(pointArgv(m, p)),
    cwd: m.cwd,
    train,
    workingMemoryBits: workingMemoryBits(train),
    ...(chip ? { chip } : {}),
  };
}

const csvCell = (v: unknown): string => {
  const s = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One row per point: its options, the run's main settings, accuracy per epoch, timing, memory and chip figures. */
export function resultsCsv(rows: ResultRow[]): string {
  const optKeys = [...new Set(rows.flatMap((r) => Object.keys(r.options)))];
  const maxEpochs = Math.max(0, ...rows.map((r) => r.train.epochs.length));
  const header = [
    'id', 'label', ...optKeys.map((k) => `param_${k}`), 'engine', 'numeric', 'dataset', 'rule', 'layers', 'window', 'memory', 'variant', 'optimizer', 'seed',
    'epochs', 'test_accuracy', ...Array.from({ length: maxEpochs }, (_, i) => `test_accuracy_epoch${i + 1}`), 'train_seconds', 'samples_per_second',
    'wm_bits', 'wm_bits_inputs', 'wm_bits_labels', 'wm_bits_stored_z', 'wm_bits_gram', 'wm_bits_row_sums', 'wm_formats', 'weight_bits',
    'cycles_per_sample', 'bound_cycles_per_sample', 'board_fit', 'command',
  ];
  const lines = rows.map((r) => {
    const c = r.train.config;
    const t = c.train;
    const e = r.train.epochs;
    const w = r.workingMemoryBits;
    return [
      r.id, r.label, ...optKeys.map((k) => [r.options[k] ?? ''].flat().join(' ')), c.engine, c.numeric, c.dataset, t.rule, t.layers.join('-'), t.window, t.memory, t.variant,
      t.optimizer, t.seed, e.length, e.at(-1)?.testAccuracy, ...Array.from({ length: maxEpochs }, (_, i) => e[i]?.testAccuracy),
      e.reduce((s, x) => s + x.seconds, 0).toFixed(2), e.at(-1)?.samplesPerSecond.toFixed(1),
      w?.total, w?.inputs, w?.labels, w?.storedZ, w?.gram, w?.rowSums, w?.formats, w?.weights,
      r.chip?.cyclesPerSample, r.chip?.boundCyclesPerSample, r.chip?.boardFit ? boardFitText(r.chip.boardFit) : undefined, r.command,
    ].map(csvCell).join(',');
  });
  return `${[header.join(','), ...lines].join('\n')}\n`;
}

/** Reads every point of the manifest and writes results.jsonl and results.csv (finished points, manifest order). */
export function collect(m: SweepManifest): Collected {
  const rows: ResultRow[] = [];
  const status = new Map<string, PointStatus>();
  for (const p of m.points) {
    const r = readResult(m, p);
    status.set(p.id, pointStatus(m, p, r));
    if (r) rows.push(resultRow(m, p, r));
  }
  writeFileAtomic(join(m.dir, 'results.jsonl'), rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
  writeFileAtomic(join(m.dir, 'results.csv'), resultsCsv(rows));
  return { rows, status };
}

export function statusSummary(c: Collected): string {
  const n = { done: 0, failed: 0, started: 0, pending: 0 };
  for (const s of c.status.values()) n[s]++;
  return `${n.done}/${c.status.size} points done, ${n.failed} failed, ${n.started} started (running or stopped), ${n.pending} not started`;
}
