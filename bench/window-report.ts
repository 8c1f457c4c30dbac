/**
 * Tables and plots of the window sweep (bench/sweeps/window.json) for bench/RESULTS.md:
 *   node bin/run-ts.js bench/window-report.ts DIR [--plots bench/plots]
 * DIR is the sweep's --out folder. Prints markdown tables (accuracy mean ± sd over seeds per setting and B,
 * working-memory bits per B, stored against recomputed working memory) and writes the SVG plots.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { collect, statusSummary, workingMemoryBits, type ResultRow } from '../host/sweep/collect.js';
import { readManifest, type TrainReport } from '../host/sweep/spec.js';
import { writeSweepPlot } from '../host/plot/sweep.js';
import { writeTrainPlot } from '../host/plot/train.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: bench/window-report.ts DIR [--plots FOLDER]');
const plots = process.argv.find((a) => a.startsWith('--plots='))?.split('=')[1] ?? 'bench/plots';
const m = readManifest(dir);
const c = collect(m);
const rows = c.rows;
console.log(`${statusSummary(c)}\n`);

const SETTINGS = ['float-paper', 'float-chip', 'fixed-chip', 'float-paper-stored'];
const windows = [...new Set(rows.map((r) => r.train.config.train.window))].sort((a, b) => a - b);

function stats(xs: number[]): string {
  if (xs.length === 0) return '';
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : NaN;
  return `${(100 * mean).toFixed(2)}${xs.length > 1 ? ` ± ${(100 * sd).toFixed(2)}` : ''} (${xs.length})`;
}

const pick = (label: string, B: number) => rows.filter((r) => r.label === label && r.train.config.train.window === B);
const accAt = (rs: ResultRow[], epoch: number) => rs.map((r) => r.train.epochs.find((e) => e.epoch === epoch)?.testAccuracy).filter((x): x is number => x !== undefined);

console.log('Test accuracy after epoch 1, % (mean ± sd over seeds, number of seeds):\n');
console.log(`| setting | ${windows.map((B) => `B = ${B}`).join(' | ')} |`);
console.log(`|---|${windows.map(() => '---').join('|')}|`);
for (const s of SETTINGS) console.log(`| ${s} | ${windows.map((B) => stats(accAt(pick(s, B), 1))).join(' | ')} |`);

console.log('\nWorking memory of the window on the chip, bits (default chip formats, row sums widened for B):\n');
console.log('| B | stored window (chip: x, y, z, K_X/K_Y, row sums) | of which pixels | of which z | recomputed z (no z stored) | weights + biases |');
console.log('|---|---|---|---|---|---|');
const layers = rows[0]?.train.config.train.layers ?? [784, 128, 64, 10];
const wmOf = (B: number, memory: 'stored' | 'recompute') =>
  workingMemoryBits({ config: { dataset: 'mnist', train: { layers, window: B, memory } }, epochs: [] } as unknown as TrainReport);
for (const B of [2, 4, 8, 16, 32]) {
  const s = wmOf(B, 'stored');
  const r = wmOf(B, 'recompute');
  if (!s || !r) continue;
  const f = (n: number) => n.toLocaleString('en');
  console.log(`| ${B} | ${f(s.total)} | ${f(s.inputs)} | ${f(s.storedZ)} | ${f(r.total)} | ${f(s.weights)} |`);
}

console.log('\nStored against recomputed working memory, float paper setting, B = 8, % (mean ± sd, seeds):\n');
console.log('| memory | epoch 1 | epoch 2 | epoch 3 |');
console.log('|---|---|---|---|');
for (const [name, label] of [['recompute (paper)', 'float-paper'], ['stored', 'float-paper-stored']] as const) {
  const rs = pick(label, 8).filter((r) => r.train.epochs.length >= 3);
  console.log(`| ${name} | ${[1, 2, 3].map((e) => stats(accAt(rs, e))).join(' | ')} |`);
}

console.log('\nSamples per second (training, epoch 1; the machine was shared):\n');
console.log(`| setting | ${windows.map((B) => `B = ${B}`).join(' | ')} |`);
console.log(`|---|${windows.map(() => '---').join('|')}|`);
for (const s of SETTINGS) {
  console.log(`| ${s} | ${windows.map((B) => pick(s, B).map((r) => Math.round(r.train.epochs[0].samplesPerSecond)).join(', ')).join(' | ')} |`);
}

mkdirSync(plots, { recursive: true });
const out: string[] = [];
const plot = async (file: string, o: { x?: string; epoch?: number }, subset: ResultRow[]) => {
  if (subset.length === 0) return;
  out.push(`${join(plots, file)}: ${await writeSweepPlot(join(plots, file), m, subset, o)}`);
};
await plot('window-epoch1.svg', { x: 'window', epoch: 1 }, rows.filter((r) => r.label !== 'float-paper-stored'));
const b8 = rows.filter((r) => r.train.config.train.window === 8 && r.label?.startsWith('float-paper') && r.train.epochs.length >= 3);
if (b8.some((r) => r.label === 'float-paper-stored')) await plot('memory-b8-epochs.svg', { x: 'epoch' }, b8);
const paperB8 = pick('float-paper', 8).find((r) => r.train.epochs.length >= 3);
if (paperB8) {
  await writeTrainPlot(join(plots, 'paper-b8-epochs.svg'), paperB8.train);
  out.push(`${join(plots, 'paper-b8-epochs.svg')}: ${paperB8.id}, per epoch, with the paper's curves`);
}
console.log(`\nplots:\n${out.map((l) => `  ${l}`).join('\n')}`);
