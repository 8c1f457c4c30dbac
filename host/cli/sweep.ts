/**
 * `ibhebb sweep`: many independent `ibhebb train --json` runs over a grid of train options, run here with
 * bounded parallelism (resumable) or handed to Slurm / GNU parallel; `ibhebb sweep collect DIR` merges the
 * finished points into DIR/results.jsonl and DIR/results.csv. `--plot` draws accuracy against a swept option.
 */
import { Command, Option } from 'commander';
import { availableParallelism } from 'node:os';
import { collect, statusSummary } from '../sweep/collect.js';
import { emit, EMITTERS, type EmitKind } from '../sweep/emit.js';
import { runLocal } from '../sweep/run.js';
import { buildManifest, parseParam, readManifest, saveManifest, type SweepManifest, type SweepParam } from '../sweep/spec.js';
import { parseNumber, UsageError } from './options.js';

interface PlotOpts {
  plot?: string;
  plotX?: string;
  plotEpoch?: number;
}

interface SweepOpts extends PlotOpts {
  param?: SweepParam[];
  grid?: string;
  out?: string;
  jobs?: number;
  emit?: EmitKind;
  sbatch?: string[];
}

const positiveInt = (o: string) => parseNumber(o, { min: 1, integer: true });

function addPlotOptions(cmd: Command): Command {
  return cmd
    .option('--plot <file.svg>', 'draw test accuracy against a swept option (mean and spread over seeds) as SVG')
    .option('--plot-x <option>', 'the swept option on the x axis (default: the first swept option other than seed); epoch: accuracy per epoch')
    .option('--plot-epoch <n>', 'plot the accuracy after epoch N (default: the last)', positiveInt('--plot-epoch'));
}

async function plotIfAsked(m: SweepManifest, rows: ReturnType<typeof collect>['rows'], o: PlotOpts, log: (s: string) => void): Promise<void> {
  if (!o.plot) return;
  const { writeSweepPlot } = await import('../plot/sweep.js');
  const what = await writeSweepPlot(o.plot, m, rows, { ...(o.plotX ? { x: o.plotX } : {}), ...(o.plotEpoch ? { epoch: o.plotEpoch } : {}) });
  log(`plot written to ${o.plot} (${what})`);
}

export function sweepCommand(): Command {
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const collectCmd = addPlotOptions(
    new Command('collect')
      .description('merge the finished points of a sweep folder into results.jsonl and results.csv')
      .argument('<dir>', 'the sweep folder (--out of the sweep)'),
  ).action(async (dir: string, _o: PlotOpts, cmd: Command) => {
    const o = cmd.optsWithGlobals<PlotOpts>(); // `sweep` parses the plot options before `collect` sees them
    const m = readManifest(dir);
    const c = collect(m);
    log(`${statusSummary(c)}; written ${m.dir}/results.jsonl and results.csv`);
    await plotIfAsked(m, c.rows, o, log);
  });

  const cmd = new Command('sweep')
    .description(
      'run `ibhebb train` over a grid of its options (any train option not swept is fixed for every point), here or on a cluster',
    )
    .usage('--param <option=v1,v2,...> [--param ...] [--grid FILE] --out DIR [train options] [sweep options]')
    .option('--param <option=values>', 'sweep a train option over comma-separated values (use ; when values hold commas); several --param make a grid', (v: string, prev: SweepParam[] = []) => [...prev, parseParam(v)])
    .option('--grid <file>', 'JSON list of points, each an object of train options (and an optional "label"); combined with --param')
    .option('--out <dir>', '(required) sweep folder: manifest, one folder per point, results.jsonl and results.csv')
    .option('--jobs <n>', `points run at once (default: one per core, ${availableParallelism()} here); with --emit: the scheduler's limit`, positiveInt('--jobs'))
    .addOption(new Option('--emit <kind>', 'write a Slurm job-array script or a GNU parallel job list instead of running').choices(EMITTERS))
    .option('--sbatch <directive>', 'with --emit slurm: an extra #SBATCH directive, e.g. --sbatch=--time=02:00:00 (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText('after', '\nEvery other option is a train option (see ibhebb train --help), fixed for every point.\n')
    .addCommand(collectCmd);
  return addPlotOptions(cmd).action(async (o: SweepOpts, c: Command) => {
    // --out is checked here: a required option of `sweep` would also be required by `sweep collect`
    if (!o.out) throw new UsageError('sweep: --out DIR is required (the sweep folder)');
    const m = buildManifest({ fixed: c.args, params: o.param ?? [], ...(o.grid ? { grid: o.grid } : {}), dir: o.out });
    saveManifest(m);
    if (o.emit) {
      const e = emit(o.emit, m, { ...(o.jobs ? { jobs: o.jobs } : {}), ...(o.sbatch ? { sbatch: o.sbatch } : {}) });
      if (e.points.length === 0) {
        log(`all ${m.points.length} points of ${m.dir} have a result: nothing to run (merge with: npx ibhebb sweep collect ${o.out})`);
        return;
      }
      log(`${o.emit === 'slurm' ? 'Slurm job-array script' : 'GNU parallel job list'} for ${e.points.length} of ${m.points.length} points written to ${e.file}`);
      log(`run:   ${e.howto}`);
      log(`merge: npx ibhebb sweep collect ${o.out}${o.plot ? ` --plot ${o.plot}` : ''}`);
      return;
    }
    const jobs = o.jobs ?? availableParallelism();
    log(`ibhebb sweep: ${m.points.length} points, ${jobs} at a time, in ${m.dir}`);
    const s = await runLocal(m, { jobs, log, ...(process.stderr.isTTY ? { tty: process.stderr } : {}) });
    const rows = collect(m).rows;
    if (rows.length > 0) await plotIfAsked(m, rows, o, log);
    if (s.interrupted) process.exitCode = 130;
    else if (s.failed.length > 0) {
      log(`${s.failed.length} point(s) failed: ${s.failed.join(', ')} (logs in ${m.dir}/points/<id>/log.txt; rerun the sweep to retry them)`);
      process.exitCode = 1;
    }
  });
}
