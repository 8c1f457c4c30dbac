/**
 * `train --plot FILE.svg`: test accuracy after every epoch of a run, with the published curves of the same
 * network (host/plot/paper.ts) drawn beside it when the run is the paper's MNIST network.
 */
import type { TopLevelSpec } from 'vega-lite';
import { PLOT_CONFIG, writeSvg } from './render.js';
import { referenceCurves } from './paper.js';
import type { TrainReport } from '../sweep/spec.js';

export type TrainPlotInput = Pick<TrainReport, 'config' | 'epochs'>;

/** One line naming the run's setting, for titles. */
export function runName(r: TrainPlotInput): string {
  const c = r.config;
  const t = c.train;
  return `${c.engine}/${c.numeric}, ${c.dataset} ${t.layers.join('-')}, rule ${t.rule}, B = ${t.window}, variant ${t.variant}, ${t.memory}, ${t.optimizer} lr ${t.lr}, seed ${t.seed}`;
}

const LEGEND = { orient: 'bottom', direction: 'vertical', labelLimit: 0, symbolStrokeWidth: 2 } as const;

export function trainPlotSpec(r: TrainPlotInput): TopLevelSpec {
  const t = r.config.train;
  const run = `this run (${r.config.engine}/${r.config.numeric})`;
  const refs = referenceCurves(r.config.dataset, t.layers, t.rule);
  const last = Math.max(1, r.config.epochs, ...r.epochs.map((e) => e.epoch));
  const values = [
    ...r.epochs.map((e) => ({ epoch: e.epoch, accuracy: 100 * e.testAccuracy, curve: run })),
    // Reference points up to the first one past the run's last epoch: the line reaches the plot's edge, clipped.
    ...refs.flatMap((c) => {
      const cut = c.points.findIndex((p) => p.epoch >= last);
      return c.points.slice(0, cut < 0 ? undefined : cut + 1).map((p) => ({ ...p, curve: c.name }));
    }),
  ];
  const names = [run, ...refs.map((c) => c.name)];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `Test accuracy per epoch — ${r.config.dataset}`, subtitle: runName(r) },
    width: 560,
    height: 320,
    config: PLOT_CONFIG,
    data: { values },
    mark: { type: 'line', point: { size: 50 }, clip: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', scale: { domain: [refs.length > 0 ? 0 : 1, last], nice: false }, axis: { tickMinStep: 1 } },
      y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } },
      color: { field: 'curve', type: 'nominal', title: null, scale: { domain: names }, legend: LEGEND },
      strokeDash: { field: 'curve', type: 'nominal', title: null, scale: { domain: names, range: [[1, 0], [6, 4], [2, 2]] }, legend: LEGEND },
      tooltip: [{ field: 'curve' }, { field: 'epoch' }, { field: 'accuracy', format: '.2f' }],
    },
  };
}

export async function writeTrainPlot(file: string, r: TrainPlotInput): Promise<void> {
  await writeSvg(file, trainPlotSpec(r));
}
