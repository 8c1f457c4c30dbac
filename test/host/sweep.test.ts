/**
 * `ibhebb sweep` end to end, as users run it: real processes, real files. The points are tiny xor runs (about
 * a second each, most of it process start-up).
 */
import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { buildManifest, parseParam, pointArgv, type TrainReport } from '../../host/sweep/spec.js';
import type { ResultRow } from '../../host/sweep/collect.js';
import { sweepPlotData } from '../../host/plot/sweep.js';
import { fitReport } from '../../host/boards/fit.js';
import { boardNames, loadBoard } from '../../host/boards/board.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/ibhebb.js');
const run = (args: string[]) => execa('node', [BIN, ...args], { reject: false, all: true, cwd: ROOT });
const tmp = () => mkdtempSync(join(tmpdir(), 'ibhebb-sweep-'));

/** A tiny sweep: 4 xor points (window × seed). */
const XOR = ['--dataset', 'xor', '--epochs', '1', '--train-limit', '300'];
const GRID = ['--param', 'window=2,4', '--param', 'seed=0,1'];

interface Row {
  id: string;
  options: Record<string, string>;
  command: string;
  train: { config: { train: { window: number; seed: number } }; epochs: { testAccuracy: number }[] };
  workingMemoryBits: { total: number; inputs: number; storedZ: number; formats: string } | null;
}

const readRows = (dir: string): Row[] =>
  readFileSync(join(dir, 'results.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);

/** Words of shell command lines as bash splits them (quotes, escapes); redirections are kept as words. */
async function bashWords(lines: string[]): Promise<string[][]> {
  const script = lines.map((l) => `set -- ${l.replace(/ > .*$/, '')}; printf '%s\\0' "$@"; printf '\\n\\0'`).join('\n');
  const r = await execa('bash', ['-c', script]);
  const words = r.stdout.split('\0');
  const out: string[][] = [[]];
  for (const w of words.slice(0, -1)) {
    if (w === '\n') out.push([]);
    else out.at(-1)!.push(w);
  }
  return out.slice(0, -1);
}

describe('sweep points', () => {
  it('builds the grid product with readable ids and the exact train command of each point', () => {
    const m = buildManifest({ fixed: ['--dataset', 'xor'], params: [parseParam('window=2,4,8'), parseParam('seed=0,1')], dir: '/tmp/s' });
    expect(m.points.map((p) => p.id)).toEqual([
      'window=2_seed=0', 'window=2_seed=1', 'window=4_seed=0', 'window=4_seed=1', 'window=8_seed=0', 'window=8_seed=1',
    ]);
    expect(pointArgv(m, m.points[3]).slice(2)).toEqual([
      'train', '--dataset', 'xor', '--threads', '1', '--window', '4', '--seed', '1', '--json', '/tmp/s/points/window=4_seed=1/train.json', '--no-progress',
    ]);
    // values holding commas are separated by ';'
    expect(parseParam('sigma=0.5,0.1,1;1,0.2,2').values).toEqual(['0.5,0.1,1', '1,0.2,2']);
    expect(parseParam('--train-limit=100,200')).toEqual({ key: 'train-limit', values: ['100', '200'] });
    expect(parseParam('trainLimit=100').key).toBe('train-limit');
  });

  it('reads a grid file (labels, lists, repeatable options) and combines it with --param', () => {
    const dir = tmp();
    const grid = join(dir, 'grid.json');
    writeFileSync(grid, JSON.stringify([{ label: 'wide', layers: [2, 32, 2] }, { numeric: 'fixed', format: ['weight=Q2.10', 'xi=Q-4.16'] }]));
    const m = buildManifest({ fixed: ['--dataset', 'xor'], params: [parseParam('seed=1,2')], grid, dir });
    expect(m.points).toHaveLength(4);
    expect(m.points[0]).toMatchObject({ label: 'wide', options: { layers: '2,32,2', seed: '1' } });
    const argv = pointArgv(m, m.points[3]);
    expect(argv.join(' ')).toContain('--numeric fixed --format weight=Q2.10 --format xi=Q-4.16 --seed 2');
    expect(m.points[3].id).toMatch(/^numeric=fixed_format=weight=Q2\.10\+xi=Q-4\.16_seed=2$/);
    // too long for a folder name: label, a hash, and the last options
    const long = { label: 'chip setting', memory: 'stored', variant: 'E', optimizer: 'sgd', lr: 0.5, 'lr-out': 0.0078125, 'ln-eps': 0.01, 'numeric-config': '/some/long/path/formats.json' };
    writeFileSync(grid, JSON.stringify([long, { ...long, lr: 0.25 }]));
    const ids = buildManifest({ fixed: ['--dataset', 'xor'], params: [parseParam('window=2,4')], grid, dir }).points.map((p) => p.id);
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) {
      expect(id).toMatch(/^chip-setting-[0-9a-f]{8}_.*_window=[24]$/);
      expect(id.length).toBeLessThanOrEqual(100);
    }
  });

  it('refuses bad sweeps with a message naming the problem', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => parseParam('window'), /--param: 'window' must be option=value1,value2/],
      [() => parseParam('windw=2,4'), /'windw' is not an option of ibhebb train/],
      [() => parseParam('json=a.json'), /--json is set by the sweep/],
      [() => parseParam('resume=1'), /--resume is set by the sweep/],
      [() => parseParam('window=2,,4'), /empty value/],
      [() => parseParam('window=2,2'), /repeated value/],
      [() => buildManifest({ fixed: [], params: [parseParam('window=1,4')], dir: '/tmp/x' }), /sweep point window=1: --window: 1 is out of range/],
      [() => buildManifest({ fixed: ['--window', '8'], params: [parseParam('window=2')], dir: '/tmp/x' }), /--window is both fixed and swept/],
      [() => buildManifest({ fixed: ['--bogus', '3'], params: [parseParam('window=2')], dir: '/tmp/x' }), /train options: '--bogus' is not an option/],
      [() => buildManifest({ fixed: ['--engine', 'nope'], params: [parseParam('window=2')], dir: '/tmp/x' }), /argument 'nope' is invalid/],
      [() => buildManifest({ fixed: [], params: [], dir: '/tmp/x' }), /give at least one --param/],
      [() => buildManifest({ fixed: [], params: [parseParam('seed=1'), parseParam('seed=2')], dir: '/tmp/x' }), /--param seed is given twice/],
      [() => buildManifest({ fixed: [], params: [], grid: '/nonexistent/grid.json', dir: '/tmp/x' }), /--grid \/nonexistent\/grid.json: cannot read/],
    ];
    for (const [f, message] of cases) expect(f).toThrow(message);
  });
});

describe('ibhebb sweep (local)', () => {
  it('runs every point as a train run, merges results.jsonl and results.csv, and a recorded command reruns its point by hand', async () => {
    const dir = join(tmp(), 'out');
    const r = await run(['sweep', ...GRID, ...XOR, '--out', dir, '--jobs', '2']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/4\/4 points done, 0 failed/);
    const rows = readRows(dir);
    expect(rows.map((x) => x.id)).toEqual(['window=2_seed=0', 'window=2_seed=1', 'window=4_seed=0', 'window=4_seed=1']);
    for (const row of rows) {
      expect(row.train.config.train.window).toBe(Number(row.options.window));
      expect(row.train.config.train.seed).toBe(Number(row.options.seed));
      expect(row.train.epochs).toHaveLength(1);
      // float run: its window counted in the chip's formats; recompute memory stores no z
      expect(row.workingMemoryBits).toMatchObject({ formats: 'chip', storedZ: 0 });
      expect(row.workingMemoryBits!.total).toBeGreaterThan(row.workingMemoryBits!.inputs);
    }
    expect(rows[2].workingMemoryBits!.total).toBeGreaterThan(rows[0].workingMemoryBits!.total); // B = 4 holds more than B = 2
    const csv = readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(5);
    const head = csv[0].split(',');
    const cell = (line: string, col: string) => line.split(',')[head.indexOf(col)];
    expect(Number(cell(csv[3], 'test_accuracy'))).toBe(rows[2].train.epochs[0].testAccuracy);
    expect(cell(csv[3], 'wm_bits')).toBe(String(rows[2].workingMemoryBits!.total));
    // rerun point 1 by hand with its recorded command: the same accuracy
    const before = readFileSync(join(dir, 'points', rows[1].id, 'train.json'), 'utf8');
    const again = await execa('bash', ['-c', rows[1].command], { cwd: ROOT, reject: false, all: true });
    expect(again.exitCode, again.all).toBe(0);
    const after = JSON.parse(readFileSync(join(dir, 'points', rows[1].id, 'train.json'), 'utf8')) as Row['train'];
    expect(after.epochs[0].testAccuracy).toBe((JSON.parse(before) as Row['train']).epochs[0].testAccuracy);
  });

  it('sweeps the lanes of the fixed-point arithmetic', async () => {
    const dir = join(tmp(), 'out');
    const r = await run(['sweep', '--param', 'lanes=1,16', '--numeric', 'fixed', ...XOR, '--out', dir]);
    expect(r.exitCode, r.all).toBe(0);
    const rows = readRows(dir) as (Row & { train: { config: { formats: { lfsr: { lanes: number } } } } })[];
    expect(rows.map((x) => x.train.config.formats.lfsr.lanes)).toEqual([1, 16]);
    expect(rows.every((x) => x.workingMemoryBits?.formats === 'run' && x.workingMemoryBits.storedZ > 0)).toBe(true);
  });

  it('chip points: results.jsonl and results.csv hold cycles per sample, the bound and the fit check against every board', async () => {
    const dir = join(tmp(), 'out');
    const mnist = ['--engine', 'mock', '--layers', '784,16,8,10', '--window', '4', '--train-limit', '40', '--test-limit', '10', '--epochs', '1'];
    const r = await run(['sweep', '--param', 'lanes=4,8', ...mnist, '--out', dir, '--jobs', '1']);
    expect(r.exitCode, r.all).toBe(0);
    const rows = readRows(dir) as unknown as ResultRow[];
    expect(rows).toHaveLength(2);
    const words = 16 * 785 + 8 * 17 + 10 * 9;
    const boards = boardNames();
    expect(boards.length).toBeGreaterThan(1);
    for (const [i, lanes] of [4, 8].entries()) {
      const row = rows[i];
      const cfg = row.train.config.chip!;
      expect(cfg.lanes).toBe(lanes);
      // the controller's reference model counts no cycles: null, not left out
      expect(row.chip).toMatchObject({ cyclesPerSample: null, boundCyclesPerSample: Math.ceil(words / lanes) });
      expect(row.chip!.boardFit!.map((f) => f.board)).toEqual(boards);
      for (const f of row.chip!.boardFit!) {
        const want = fitReport(cfg, loadBoard(f.board));
        expect(f.fits).toBe(want.fits);
        expect(f.resources).toEqual(want.lines.map((l) => ({ resource: l.resource, needed: l.needed, available: l.available })));
      }
    }
    const dsp = (row: ResultRow) => row.chip!.boardFit!.find((f) => f.board === 'arty-a7-100t')!.resources.find((x) => x.resource.startsWith('DSP'))!.needed;
    expect(dsp(rows[1])).toBeGreaterThan(dsp(rows[0])); // two multipliers per Hebbian lane
    const csv = readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toContain('cycles_per_sample,bound_cycles_per_sample,board_fit,');
    expect(csv[2]).toContain(`,${Math.ceil(words / 8)},"arty-a7-100t ${rows[1].chip!.boardFit![0].fits ? 'fits' : 'refused'} (block RAM`);
  });

  it('records a failed point with its log and goes on', async () => {
    const dir = join(tmp(), 'out');
    const r = await run(['sweep', '--param', 'window=4,500', ...XOR, '--out', dir, '--jobs', '1']);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toMatch(/point window=500 FAILED \(exit code 2\)/);
    expect(r.all).toMatch(/1\/2 points done, 1 failed/);
    const failed = JSON.parse(readFileSync(join(dir, 'points/window=500/failed.json'), 'utf8')) as { exitCode: number; command: string };
    expect(failed.exitCode).toBe(2);
    expect(failed.command).toContain('--window 500');
    expect(readFileSync(join(dir, 'points/window=500/log.txt'), 'utf8')).toMatch(/--window 500 is larger than the 300 training samples/);
    expect(readRows(dir).map((x) => x.id)).toEqual(['window=4']);
    // a sweep folder keeps its fixed options
    const other = await run(['sweep', '--param', 'window=4', '--dataset', 'xor', '--epochs', '2', '--out', dir]);
    expect(other.exitCode).toBe(2);
    expect(other.all).toMatch(/holds a sweep with other fixed train options/);
  });

  it('stopped with SIGINT, resumes without redoing or touching the finished points', async () => {
    const dir = join(tmp(), 'out');
    const args = ['sweep', '--param', 'window=2,3,4,5,6,7', ...XOR, '--out', dir, '--jobs', '1'];
    const child = execa('node', [BIN, ...args], { reject: false, all: true, cwd: ROOT });
    const log = (w: string) => join(dir, 'points', `window=${w}`, 'log.txt');
    const finished = () => ['2', '3', '4', '5', '6', '7'].filter((w) => existsSync(log(w)) && readFileSync(log(w), 'utf8').includes('epoch 1/1'));
    for (let i = 0; i < 600 && finished().length < 2; i++) await new Promise((res) => setTimeout(res, 100));
    child.kill('SIGINT');
    const first = await child;
    expect(first.exitCode, first.all).toBe(130);
    expect(first.all).toMatch(/SIGINT: stopping/);
    const done = ['2', '3', '4', '5', '6', '7'].filter((w) => existsSync(join(dir, 'points', `window=${w}`, 'train.json')) && readRows(dir).some((x) => x.id === `window=${w}`));
    expect(done.length).toBeGreaterThanOrEqual(2);
    expect(done.length).toBeLessThan(6);
    const stamp = (w: string) =>
      ['train.json', 'log.txt'].map((f) => {
        const file = join(dir, 'points', `window=${w}`, f);
        return `${statSync(file).mtimeMs} ${readFileSync(file, 'utf8')}`;
      });
    const before = done.map(stamp);
    const second = await run(args);
    expect(second.exitCode, second.all).toBe(0);
    expect(second.all).toContain(`${done.length} of 6 points already have a result (skipped)`);
    for (const w of done) expect(second.all).not.toContain(`point window=${w}:`);
    expect(done.map(stamp)).toEqual(before);
    expect(readRows(dir)).toHaveLength(6);
  });
});

describe('ibhebb sweep --emit', () => {
  it('the GNU parallel list and the Slurm array script run the commands of the local sweep, and their results merge the same', async () => {
    const base = tmp();
    const local = join(base, 'local');
    expect((await run(['sweep', ...GRID, ...XOR, '--out', local])).exitCode).toBe(0);
    const localRows = readRows(local);
    const norm = (argv: string[], dir: string) => argv.map((w) => w.replace(dir, 'DIR'));
    const localArgv = (await bashWords(localRows.map((x) => x.command))).map((a) => norm(a, local));

    const par = join(base, 'par');
    const e1 = await run(['sweep', ...GRID, ...XOR, '--out', par, '--emit', 'parallel', '--jobs', '2']);
    expect(e1.exitCode, e1.all).toBe(0);
    expect(e1.all).toMatch(/GNU parallel job list for 4 of 4 points/);
    const jobs = readFileSync(join(par, 'jobs.txt'), 'utf8').trim().split('\n');
    expect((await bashWords(jobs)).map((a) => norm(a, par))).toEqual(localArgv);
    expect(jobs.every((l, i) => l.endsWith(` > ${join(par, 'points', localRows[i].id, 'log.txt')} 2>&1`))).toBe(true);

    const slurmDir = join(base, 'slurm');
    const e2 = await run(['sweep', ...GRID, ...XOR, '--out', slurmDir, '--emit', 'slurm', '--sbatch', '--time=00:10:00']);
    expect(e2.exitCode, e2.all).toBe(0);
    const script = join(slurmDir, 'sweep.slurm');
    await execa('bash', ['-n', script]);
    const text = readFileSync(script, 'utf8');
    const directives = text.split('\n').filter((l) => l.startsWith('#SBATCH'));
    for (const d of directives) expect(d).toMatch(/^#SBATCH --[a-z-]+=\S+$/);
    const sbatch = Object.fromEntries(directives.map((d) => d.slice('#SBATCH --'.length).split(/=(.*)/s).slice(0, 2)));
    expect(sbatch).toMatchObject({ array: '0-3', 'cpus-per-task': '1', chdir: ROOT.replace(/\/$/, ''), time: '00:10:00' });
    const arms = [...text.matchAll(/^ {2}(\d+)\) # .*\n {4}(.*) ;;$/gm)];
    expect(arms.map((a) => Number(a[1]))).toEqual([0, 1, 2, 3]);
    expect((await bashWords(arms.map((a) => a[2]))).map((a) => norm(a, slurmDir))).toEqual(localArgv);

    // GNU parallel runs the list; one array task of the Slurm script runs as Slurm would run it
    const p = await execa('bash', ['-c', e1.stdout.match(/^run: +(.*)$/m)![1]], { reject: false, all: true });
    expect(p.exitCode, p.all).toBe(0);
    const c1 = await run(['sweep', 'collect', par]);
    expect(c1.all).toMatch(/4\/4 points done/);
    const t = await execa('bash', [script], { env: { SLURM_ARRAY_TASK_ID: '2' }, reject: false, all: true });
    expect(t.exitCode, t.all).toBe(0);
    const c2 = await run(['sweep', 'collect', slurmDir]);
    expect(c2.all).toMatch(/1\/4 points done, 0 failed, 0 started \(running or stopped\), 3 not started/);
    const acc = (rows: Row[]) => rows.map((x) => [x.id, x.train.epochs[0].testAccuracy]);
    expect(acc(readRows(par))).toEqual(acc(localRows));
    expect(acc(readRows(slurmDir))).toEqual(acc(localRows).slice(2, 3));
    // emitting again covers only the points without a result
    const e3 = await run(['sweep', ...GRID, ...XOR, '--out', slurmDir, '--emit', 'slurm']);
    expect(e3.all).toMatch(/for 3 of 4 points/);
    expect(readFileSync(script, 'utf8')).toMatch(/--array=0-2\n/);
  });
});

/** Renders an SVG the way a viewer would, and counts the pixels that are not background. */
function inkedPixels(svg: string): { width: number; height: number; inked: number } {
  const img = new Resvg(svg, { background: 'white', font: { loadSystemFonts: true } }).render();
  const px = img.pixels;
  let inked = 0;
  for (let i = 0; i < px.length; i += 4) if (px[i] < 200 || px[i + 1] < 200 || px[i + 2] < 200) inked++;
  return { width: img.width, height: img.height, inked };
}

describe('plots', () => {
  it('plot data: mean over seeds per setting, x from the run when a point does not set it, the epoch asked for', () => {
    const row = (label: string, options: Record<string, string>, memory: string, seed: number, accs: number[]): ResultRow => ({
      id: `${label}-${seed}`,
      label,
      options,
      command: '',
      cwd: '',
      train: {
        config: { dataset: 'mnist', train: { window: 8, memory, seed, layers: [784, 128, 64, 10] } },
        epochs: accs.map((a, i) => ({ epoch: i + 1, testAccuracy: a })),
      } as unknown as TrainReport,
      workingMemoryBits: null,
    });
    const rows = [
      row('recompute', { seed: '0' }, 'recompute', 0, [0.8, 0.9]),
      row('recompute', { seed: '1' }, 'recompute', 1, [0.7, 0.85]),
      row('stored', { memory: 'stored', seed: '0' }, 'stored', 0, [0.75, 0.95]),
    ];
    const d = sweepPlotData(rows, { x: 'memory', epoch: 2 });
    expect(d.numericX).toBe(false);
    expect(d.epochs).toBe('2');
    expect(d.data.map((p) => [p.x, p.setting, p.seed, p.accuracy])).toEqual([
      ['recompute', 'recompute', '0', 90],
      ['recompute', 'recompute', '1', 85],
      ['stored', 'stored', '0', 95],
    ]);
    expect(sweepPlotData(rows, { x: 'memory', epoch: 1 }).data.map((p) => p.accuracy)).toEqual([80, 70, 75]);
    expect(() => sweepPlotData(rows, { x: 'memory', epoch: 3 })).toThrow(/no finished point has epoch 3/);
    expect(() => sweepPlotData(rows, { x: 'window' })).toThrow(/--plot-x window: no point of this sweep sets --window/);
    // x = epoch: every epoch of every point (learning curves per setting)
    const curves = sweepPlotData(rows, { x: 'epoch' });
    expect(curves.data.map((p) => [p.x, p.setting, p.accuracy])).toEqual([
      [1, 'recompute', 80], [2, 'recompute', 90], [1, 'recompute', 70], [2, 'recompute', 85], [1, 'stored', 75], [2, 'stored', 95],
    ]);
  });

  it('train --plot draws the run and, for the paper network, the published curves; sweep --plot draws accuracy and working memory against B', async () => {
    const dir = tmp();
    const svg = join(dir, 'train.svg');
    const r = await run(['train', '--epochs', '2', '--train-limit', '300', '--test-limit', '100', '--layers', '784,128,64,10', '--plot', svg, '--no-progress']);
    expect(r.exitCode, r.all).toBe(0);
    const text = readFileSync(svg, 'utf8');
    expect(text).toMatch(/^<svg/);
    for (const label of ['this run (golden/float)', 'paper figure, IB rule B = 8', "authors' released code", 'test accuracy (%)', 'epoch']) expect(text).toContain(label);
    const png = inkedPixels(text);
    expect(png.width).toBeGreaterThan(500);
    expect(png.inked).toBeGreaterThan(2000);
    // an xor run has no published curve to compare with
    const x = await run(['train', '--dataset', 'xor', '--epochs', '1', '--plot', join(dir, 'xor.svg')]);
    expect(x.exitCode, x.all).toBe(0);
    expect(readFileSync(join(dir, 'xor.svg'), 'utf8')).not.toContain('paper figure');

    const out = join(dir, 'sweep');
    const s = await run(['sweep', '--param', 'window=2,4', '--param', 'seed=0,1', '--param', 'memory=stored,recompute', ...XOR, '--out', out, '--plot', join(dir, 'sweep.svg')]);
    expect(s.exitCode, s.all).toBe(0);
    expect(s.all).toMatch(/plot written to .*sweep\.svg \(8 points, accuracy after epoch 1 against --window\)/);
    const st = readFileSync(join(dir, 'sweep.svg'), 'utf8');
    for (const label of ['window B', 'working memory (kbit, dashed)', 'memory stored', 'memory recompute', 'mean ± sd over seeds 0, 1']) expect(st).toContain(label);
    expect(inkedPixels(st).inked).toBeGreaterThan(2000);
    const c = await run(['sweep', 'collect', out, '--plot', join(dir, 'by-memory.svg'), '--plot-x', 'memory']);
    expect(c.exitCode, c.all).toBe(0);
    expect(readFileSync(join(dir, 'by-memory.svg'), 'utf8')).not.toContain('working memory (kbit');
    const bad = await run(['sweep', 'collect', out, '--plot', join(dir, 'x.svg'), '--plot-x', 'gamma']);
    expect(bad.exitCode).toBe(2);
    expect(bad.all).toMatch(/--plot-x gamma: no point of this sweep sets --gamma \(swept: window, seed, memory; or epoch\)/);
  });
});
