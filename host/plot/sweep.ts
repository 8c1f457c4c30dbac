/**
 * `sweep --plot FILE.svg`: test accuracy against one swept option — every seed as a faint dot, the mean over
 * seeds as a line and ± one standard deviation as error bars, one colour per setting (the grid's label, or
 * the other swept options). When the window B is on the x axis, the working-memory bits of each setting are
 * drawn on a second axis (dashed).
 */
import type { TopLevelSpec } from 'vega-lite';
import { UsageError } from '../cli/options.js';
import type { ResultRow } from '../sweep/collect.js';
import type { SweepManifest } from '../sweep/spec.js';
import { PLOT_CONFIG, writeSvg } from './render.js';

export interface SweepPlotOptions {
  /** Swept option on the x axis (default: the first swept option other than seed). */
  x?: string;
  /** Accuracy after this epoch (default: each point's last). */
  epoch?: number;
}

interface Datum {
  x: number | string;
  setting: string;
  seed: string;
  accuracy: number;
  wmKbit: number | null;
}

/** Options that vary between points, in the order they first appear. */
function sweptKeys(rows: ResultRow[]): string[] {
  const keys: string[] = [];
  for (const r of rows) for (const k of Object.keys(r.options)) if (!keys.includes(k)) keys.push(k);
  return keys.filter((k) => new Set(rows.map((r) => JSON.stringify(r.options[k] ?? null))).size > 1);
}

const optionText = (v: string | string[] | undefined) => [v ?? '—'].flat().join(' ');

/**
 * The value of option `key` in a point: as the point sets it, else as the run had it (its report's
 * configuration, e.g. the default `memory recompute` of a point that does not set --memory).
 */
function valueOf(r: ResultRow, key: string): string | undefined {
  if (key in r.options) return optionText(r.options[key]);
  const name = key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const c = r.train.config as unknown as Record<string, unknown>;
  const v = (c.train as Record<string, unknown>)[name] ?? c[name];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : Array.isArray(v) ? v.join(',') : undefined;
}

export function sweepPlotData(rows: ResultRow[], o: SweepPlotOptions): { x: string; data: Datum[]; numericX: boolean; epochs: string } {
  const swept = sweptKeys(rows);
  const x = o.x ?? swept.find((k) => k !== 'seed') ?? swept[0];
  if (!x) throw new UsageError('--plot: the results vary no option to put on the x axis');
  const perEpoch = x === 'epoch'; // x: the epochs of every point (learning curves)
  if (!perEpoch && !rows.some((r) => x in r.options)) {
    throw new UsageError(`--plot-x ${x}: no point of this sweep sets --${x} (swept: ${swept.join(', ') || 'none'}; or epoch)`);
  }
  const others = swept.filter((k) => k !== x && k !== 'seed' && !(perEpoch && k === 'epochs'));
  const numericX = perEpoch || rows.every((r) => valueOf(r, x) === undefined || Number.isFinite(Number(valueOf(r, x))));
  const data: Datum[] = [];
  const used = new Set<number>();
  for (const r of rows) {
    const v = valueOf(r, x);
    if (!perEpoch && v === undefined) continue;
    const chosen = perEpoch ? r.train.epochs : [o.epoch === undefined ? r.train.epochs.at(-1) : r.train.epochs.find((p) => p.epoch === o.epoch)];
    for (const e of chosen) {
      if (!e) continue;
      used.add(e.epoch);
      data.push({
        x: perEpoch ? e.epoch : numericX ? Number(v) : v!,
        setting: r.label ?? (others.map((k) => `${k} ${valueOf(r, k) ?? '—'}`).join(', ') || 'all points'),
        seed: String(r.train.config.train.seed),
        accuracy: 100 * e.testAccuracy,
        wmKbit: r.workingMemoryBits ? r.workingMemoryBits.total / 1000 : null,
      });
    }
  }
  if (data.length === 0) throw new UsageError(`--plot: no finished point has ${o.epoch === undefined ? 'an epoch' : `epoch ${o.epoch}`} to plot`);
  return { x, data, numericX, epochs: [...used].sort((a, b) => a - b).join(', ') };
}

export function sweepPlotSpec(m: SweepManifest, rows: ResultRow[], o: SweepPlotOptions): TopLevelSpec {
  const { x, data, numericX, epochs } = sweepPlotData(rows, o);
  const isWindow = x === 'window';
  const xTitle = isWindow ? 'window B (working-memory capacity, samples)' : x === 'epoch' ? 'epoch' : `--${x}`;
  const powersOfTwo = numericX && x !== 'epoch' && data.every((d) => Number(d.x) > 0 && Number.isInteger(Math.log2(Number(d.x))));
  const xEnc = {
    field: 'x',
    type: numericX ? ('quantitative' as const) : ('ordinal' as const),
    title: xTitle,
    ...(numericX ? { scale: powersOfTwo ? { type: 'log' as const, base: 2, nice: false, padding: 24 } : { zero: false, padding: 24 } } : {}),
    axis: numericX ? { values: [...new Set(data.map((d) => d.x))] } : { labelAngle: 0 },
  };
  const settings = [...new Set(data.map((d) => d.setting))];
  const color = { field: 'setting', type: 'nominal' as const, title: null, scale: { domain: settings }, legend: { orient: 'bottom' as const, direction: 'vertical' as const, labelLimit: 0 } };
  const seeds = [...new Set(data.map((d) => d.seed))];
  const accuracy = {
    layer: [
      {
        mark: { type: 'line' as const, point: { size: 50 } },
        encoding: {
          x: xEnc,
          y: { aggregate: 'mean' as const, field: 'accuracy', type: 'quantitative' as const, title: 'test accuracy (%)' },
          color,
          tooltip: [{ field: 'setting' }, { aggregate: 'mean' as const, field: 'accuracy', format: '.2f', title: 'mean accuracy' }],
        },
      },
      { mark: { type: 'point' as const, filled: true, opacity: 0.35, size: 30 }, encoding: { x: xEnc, y: { field: 'accuracy', type: 'quantitative' as const }, color } },
      {
        mark: { type: 'errorbar' as const, extent: 'stdev' as const, ticks: true },
        encoding: { x: xEnc, y: { field: 'accuracy', type: 'quantitative' as const, title: 'test accuracy (%)', scale: { zero: false } }, color },
      },
    ],
  };
  const wm = isWindow && data.some((d) => d.wmKbit !== null);
  const memory = {
    transform: [{ filter: 'datum.wmKbit != null' }],
    mark: { type: 'line' as const, strokeDash: [5, 4], strokeWidth: 1.5, point: { shape: 'square', size: 25 } },
    encoding: {
      x: xEnc,
      y: { aggregate: 'mean' as const, field: 'wmKbit', type: 'quantitative' as const, title: 'working memory (kbit, dashed)', axis: { orient: 'right' as const } },
      color,
    },
  };
  // the fixed options that change results (threads do not)
  const fixed = m.fixed.filter((a, i) => a !== '--threads' && m.fixed[i - 1] !== '--threads');
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: x === 'epoch' ? 'Test accuracy per epoch' : `Test accuracy after epoch ${epochs} against ${isWindow ? 'the window B' : `--${x}`}`,
      subtitle: [
        `mean ± sd over seeds ${seeds.join(', ')} (dots: single seeds)${wm ? '; dashed: working-memory bits of the window on the chip' : ''}`,
        `fixed train options: ${fixed.join(' ') || 'none'}`,
      ],
    },
    width: 560,
    height: 340,
    config: PLOT_CONFIG,
    data: { values: data },
    ...(wm ? { layer: [accuracy, memory], resolve: { scale: { y: 'independent' as const } } } : accuracy),
  } as TopLevelSpec;
}

export async function writeSweepPlot(file: string, m: SweepManifest, rows: ResultRow[], o: SweepPlotOptions): Promise<string> {
  const spec = sweepPlotSpec(m, rows, o);
  await writeSvg(file, spec);
  const { x, data, epochs } = sweepPlotData(rows, o);
  return `${data.length} points, accuracy after epoch ${epochs} against --${x}`;
}
