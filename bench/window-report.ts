/**
 * Tables and plots of the window sweep for bench/RESULTS.md:
 *   node bin/run-ts.js bench/window-report.ts DIR [--merge=OLD.csv] [--plots=bench/plots]
 * DIR is the sweep's --out folder (bench/sweeps/window-3epochs.json). --merge adds the points of an earlier
 * sweep's results.csv that DIR does not hold (same setting, B and seed): the first window sweep's folder is
 * lost and only its merged table remains. Where both hold a point, DIR's run is used and its epoch-1 accuracy
 * is compared with the table's (training does not depend on the number of epochs, so they must be equal).
 * Prints markdown tables (accuracy mean ± sd over seeds per setting, B and epoch, working-memory bits per B,
 * stored against recomputed working memory, speed), writes the merged table to PLOTS/window-results.csv and
 * the SVG plots to PLOTS.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect, resultsCsv, statusSummary, workingMemoryBits, type ResultRow } from '../host/sweep/collect.js';
import { readManifest, type TrainReport } from '../host/sweep/spec.js';
import { writeSweepPlot } from '../host/plot/sweep.js';
import { writeTrainPlot } from '../host/plot/train.js';

const dir = process.argv[2];
if (!dir || dir.startsWith('--')) throw new Error('usage: bench/window-report.ts DIR [--merge=OLD.csv] [--plots=FOLDER]');
const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const plots = flag('plots') ?? 'bench/plots';
const mergeFile = flag('merge');
const m = readManifest(dir);
const c = collect(m);

/** RFC 4180 cells: quoted cells may hold commas, doubled quotes and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(cell), (cell = '');
    else if (ch === '\n') row.push(cell), rows.push(row), (row = []), (cell = '');
    else cell += ch;
  }
  if (cell !== '' || row.length > 0) row.push(cell), rows.push(row);
  return rows;
}

/**
 * The rows of a results.csv (host/sweep/collect.ts resultsCsv) as result rows: accuracy per epoch, the run's
 * settings and working memory as the table holds them. The table keeps only the last epoch's speed and the
 * total time, so the other epochs' speed is NaN and their time 0.
 */
function rowsFromCsv(file: string): ResultRow[] {
  const [header, ...lines] = parseCsv(readFileSync(file, 'utf8'));
  const need = ['id', 'label', 'engine', 'numeric', 'dataset', 'rule', 'layers', 'window', 'memory', 'variant', 'optimizer', 'seed', 'epochs', 'command'];
  const missing = need.filter((h) => !header.includes(h));
  if (missing.length > 0) throw new Error(`${file}: not a sweep results.csv (no column ${missing.join(', ')})`);
  return lines.map((cells, i) => {
    if (cells.length !== header.length) throw new Error(`${file}: line ${i + 2} has ${cells.length} cells, the header ${header.length}`);
    const v = Object.fromEntries(header.map((h, k) => [h, cells[k]]));
    const num = (h: string) => (v[h] === '' || v[h] === undefined ? NaN : Number(v[h]));
    const n = num('epochs');
    const epochs = Array.from({ length: n }, (_, k) => ({
      epoch: k + 1,
      testAccuracy: num(`test_accuracy_epoch${k + 1}`),
      trainSamples: NaN,
      // the table keeps the run's total time only: on the last epoch, so that a merged table keeps it
      seconds: k === n - 1 ? num('train_seconds') : 0,
      samplesPerSecond: k === n - 1 ? num('samples_per_second') : NaN,
    }));
    if (epochs.some((e) => !Number.isFinite(e.testAccuracy))) throw new Error(`${file}: line ${i + 2} (${v.id}) lacks an epoch's accuracy`);
    const options = Object.fromEntries(
      header.filter((h) => h.startsWith('param_') && v[h] !== '').map((h) => [h.slice(6), h === 'param_format' ? [v[h]] : v[h]]),
    );
    const train = {
      layers: v.layers.split('-').map(Number), window: num('window'), memory: v.memory, variant: v.variant, optimizer: v.optimizer, seed: num('seed'), rule: v.rule,
    };
    const config = { engine: v.engine, numeric: v.numeric, dataset: v.dataset, train, epochs: n } as unknown as TrainReport['config'];
    const wm = Number.isFinite(num('wm_bits'))
      ? {
          total: num('wm_bits'), inputs: num('wm_bits_inputs'), labels: num('wm_bits_labels'), storedZ: num('wm_bits_stored_z'), gram: num('wm_bits_gram'),
          rowSums: num('wm_bits_row_sums'), weights: num('weight_bits'), formats: v.wm_formats as 'run' | 'chip',
        }
      : null;
    return { id: v.id, label: v.label || undefined, options, command: v.command, cwd: '', train: { config, epochs }, workingMemoryBits: wm };
  });
}

const B = (r: ResultRow) => r.train.config.train.window;
const key = (r: ResultRow) => `${r.label}|${B(r)}|${r.train.config.train.seed}`;
const accAt = (r: ResultRow, epoch: number) => r.train.epochs.find((e) => e.epoch === epoch)?.testAccuracy;
const pct = (x: number) => (100 * x).toFixed(2);

// One run per setting, B and seed: this sweep's longest, else the merged table's.
const best = new Map<string, ResultRow>();
for (const r of c.rows) if ((best.get(key(r))?.train.epochs.length ?? 0) < r.train.epochs.length) best.set(key(r), r);
const fromSweep = new Set(best.values());
const merged: ResultRow[] = [];
const checks: string[] = [];
if (mergeFile) {
  for (const old of rowsFromCsv(mergeFile)) {
    const mine = best.get(key(old));
    if (!mine) {
      best.set(key(old), old);
      merged.push(old);
      continue;
    }
    const [a, b] = [accAt(old, 1), accAt(mine, 1)];
    checks.push(`${old.id}: ${pct(a!)} → ${b === undefined ? '—' : pct(b)}${a === b ? '' : ' DIFFERS'}`);
  }
}
const rows = [...best.values()].sort((x, y) => (x.label ?? '').localeCompare(y.label ?? '') || B(x) - B(y) || x.train.config.train.seed - y.train.config.train.seed);

console.log(`${statusSummary(c)} (${dir})`);
if (mergeFile) {
  const differ = checks.filter((l) => l.endsWith('DIFFERS')).length;
  const names = merged.map((r) => `${r.label} B ${B(r)} seed ${r.train.config.train.seed} (${r.train.epochs.length} ep.)`);
  console.log(`merged from ${mergeFile}: ${merged.length} points this sweep does not hold${names.length ? `: ${names.join(', ')}` : ''}`);
  console.log(`rerun here: ${checks.length} of its points; epoch-1 accuracy equal in ${checks.length - differ}, different in ${differ}${differ ? `:\n  ${checks.filter((l) => l.endsWith('DIFFERS')).join('\n  ')}` : ''}`);
}
console.log('');

const SETTINGS = ['float-paper', 'float-chip', 'fixed-chip', 'float-paper-stored'];
const windows = [...new Set(rows.map(B))].sort((a, b) => a - b);
const pick = (label: string, w: number) => rows.filter((r) => r.label === label && B(r) === w);

function stats(xs: number[]): string {
  if (xs.length === 0) return '';
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : NaN;
  return `${pct(mean)}${xs.length > 1 ? ` ± ${pct(sd)}` : ''} (${xs.length})`;
}
const statsAt = (rs: ResultRow[], epoch: number) => stats(rs.map((r) => accAt(r, epoch)).filter((x): x is number => x !== undefined));
const head = (first: string) => `| ${first} | ${windows.map((w) => `B = ${w}`).join(' | ')} |\n|---|${first.includes('|') ? '---|' : ''}${windows.map(() => '---').join('|')}|`;

console.log('Test accuracy after epoch 1, % (mean ± sd over seeds, number of seeds):\n');
console.log(head('setting'));
for (const s of SETTINGS) console.log(`| ${s} | ${windows.map((w) => statsAt(pick(s, w), 1)).join(' | ')} |`);

console.log('\nTest accuracy per epoch of the 3-epoch runs, % (mean ± sd over seeds, number of seeds):\n');
console.log(head('setting | epoch'));
for (const s of SETTINGS) {
  for (const e of [1, 2, 3]) {
    const cells = windows.map((w) => statsAt(pick(s, w).filter((r) => r.train.epochs.length >= 3), e));
    if (cells.some((x) => x !== '')) console.log(`| ${s} | ${e} | ${cells.join(' | ')} |`);
  }
}

console.log('\nGain from epoch 1 to epoch 3 and the best B after epoch 3 (3-epoch runs, mean over seeds, points):\n');
console.log('| setting | ' + windows.map((w) => `B = ${w}`).join(' | ') + ' | best B after epoch 3 |');
console.log(`|---|${windows.map(() => '---').join('|')}|---|`);
for (const s of SETTINGS) {
  const mean = (rs: ResultRow[], e: number) => rs.reduce((a, r) => a + accAt(r, e)!, 0) / rs.length;
  const three = windows.map((w) => pick(s, w).filter((r) => r.train.epochs.length >= 3));
  if (three.every((rs) => rs.length === 0)) continue;
  const gains = three.map((rs) => (rs.length ? `${(100 * (mean(rs, 3) - mean(rs, 1))).toFixed(2)}` : ''));
  const top = three.map((rs, i) => ({ w: windows[i], a: rs.length ? mean(rs, 3) : -1 })).sort((x, y) => y.a - x.a)[0];
  console.log(`| ${s} | ${gains.join(' | ')} | ${top.w} (${pct(top.a)}) |`);
}

console.log('\nDifference to B = 8 of the same seed (same initial weights and sample order), points: mean (seed by seed):\n');
console.log(`| setting | epoch | ${windows.filter((w) => w !== 8).map((w) => `B = ${w}`).join(' | ')} |`);
console.log(`|---|---|${windows.filter((w) => w !== 8).map(() => '---').join('|')}|`);
for (const s of SETTINGS) {
  const upTo = (w: number, e: number) => new Map(pick(s, w).filter((r) => r.train.epochs.length >= e).map((r) => [r.train.config.train.seed, r]));
  // epoch 1 of every run, then epochs 1 and 3 of the 3-epoch runs only (the same seeds: does the gap close?)
  let previous = '';
  for (const [e, runs, name] of [[1, 1, '1 (all runs)'], [1, 3, '1'], [3, 3, '3']] as const) {
    const cells = windows.filter((w) => w !== 8).map((w) => {
      const ref = upTo(8, runs);
      const d = [...upTo(w, runs)].filter(([seed]) => ref.has(seed)).map(([seed, r]) => accAt(r, e)! - accAt(ref.get(seed)!, e)!);
      const f = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(2)}`;
      return d.length ? `${f(d.reduce((a, b) => a + b, 0) / d.length)} (${d.map(f).join(', ')})` : '';
    });
    const line = cells.join(' | ');
    if (cells.some((x) => x !== '') && line !== previous) console.log(`| ${s} | ${name} | ${line} |`);
    previous = line;
  }
}

console.log('\nWorking memory of the window on the chip, bits (default chip formats, row sums widened for B):\n');
console.log('| B | stored window (chip: x, y, z, K_X/K_Y, row sums) | of which pixels | of which z | recomputed z (no z stored) | weights + biases |');
console.log('|---|---|---|---|---|---|');
const layers = rows[0]?.train.config.train.layers ?? [784, 128, 64, 10];
const wmOf = (w: number, memory: 'stored' | 'recompute') =>
  workingMemoryBits({ config: { dataset: 'mnist', train: { layers, window: w, memory } }, epochs: [] } as unknown as TrainReport);
for (const w of [2, 4, 8, 16, 32]) {
  const s = wmOf(w, 'stored');
  const r = wmOf(w, 'recompute');
  if (!s || !r) continue;
  const f = (n: number) => n.toLocaleString('en');
  console.log(`| ${w} | ${f(s.total)} | ${f(s.inputs)} | ${f(s.storedZ)} | ${f(r.total)} | ${f(s.weights)} |`);
}

console.log('\nStored against recomputed working memory, float paper setting, B = 8, % (mean ± sd, seeds):\n');
console.log('| memory | epoch 1 | epoch 2 | epoch 3 |');
console.log('|---|---|---|---|');
for (const [name, label] of [['recompute (paper)', 'float-paper'], ['stored', 'float-paper-stored']] as const) {
  const rs = pick(label, 8).filter((r) => r.train.epochs.length >= 3);
  console.log(`| ${name} | ${[1, 2, 3].map((e) => statsAt(rs, e)).join(' | ')} |`);
}

console.log(`\nTraining samples per second of this sweep's runs (epoch 1, seeds in order; ${dir}):\n`);
console.log(head('setting'));
for (const s of SETTINGS) {
  const cell = (w: number) => pick(s, w).filter((r) => fromSweep.has(r)).map((r) => Math.round(r.train.epochs[0].samplesPerSecond)).join(', ');
  console.log(`| ${s} | ${windows.map(cell).join(' | ')} |`);
}

mkdirSync(plots, { recursive: true });
writeFileSync(join(plots, 'window-results.csv'), resultsCsv(rows));
const out: string[] = [`${join(plots, 'window-results.csv')}: ${rows.length} points (${merged.length} from ${mergeFile ?? 'no merge'})`];
const plot = async (file: string, o: { x?: string; epoch?: number }, subset: ResultRow[]) => {
  if (subset.length === 0) return;
  out.push(`${join(plots, file)}: ${await writeSweepPlot(join(plots, file), m, subset, o)}`);
};
// float64 in the chip setting diverges at B = 2 (tables above): off the plots' scale, which would hide the rest
const windowRows = rows.filter((r) => r.label !== 'float-paper-stored' && !(r.label === 'float-chip' && B(r) === 2));
await plot('window-epoch1.svg', { x: 'window', epoch: 1 }, windowRows);
await plot('window-epoch3.svg', { x: 'window', epoch: 3 }, windowRows.filter((r) => r.train.epochs.length >= 3));
const b8 = rows.filter((r) => B(r) === 8 && r.label?.startsWith('float-paper') && r.train.epochs.length >= 3);
if (b8.some((r) => r.label === 'float-paper-stored')) await plot('memory-b8-epochs.svg', { x: 'epoch' }, b8);
const paperB8 = pick('float-paper', 8).find((r) => r.train.epochs.length >= 3 && fromSweep.has(r));
if (paperB8) {
  await writeTrainPlot(join(plots, 'paper-b8-epochs.svg'), paperB8.train);
  out.push(`${join(plots, 'paper-b8-epochs.svg')}: ${paperB8.id}, per epoch, with the paper's curves`);
}
console.log(`\nplots:\n${out.map((l) => `  ${l}`).join('\n')}`);
