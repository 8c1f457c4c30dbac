/**
 * Renders a Vega-Lite specification to an SVG document headless in Node: Vega-Lite compiles it to Vega, and
 * Vega's SVG string renderer draws it without a canvas or a browser.
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../checkpoint.js';

/** Shared look of every ibhebb plot. */
export const PLOT_CONFIG = {
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  background: 'white',
  view: { stroke: '#ccc' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 420 },
  title: { fontSize: 14, subtitleFontSize: 11, anchor: 'start' as const, subtitleColor: '#555' },
};

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function writeSvg(file: string, spec: TopLevelSpec): Promise<void> {
  writeFileAtomic(file, await renderSvg(spec));
}
