/**
 * A sweep: a list of points, each one ordinary `ibhebb train ... --json` run. This module turns the sweep's
 * options (`--param key=v1,v2` grids, a `--grid` JSON file, the fixed train options) into points and their
 * exact command lines, checks every option against the train command itself (so a sweep accepts whatever
 * `train` accepts, with train's own error messages), and keeps the manifest `DIR/sweep.json`.
 *
 * Layout of a sweep folder:
 *   sweep.json                  the manifest: fixed options, parameters, every point with its command
 *   points/<id>/train.json      the point's train report (`--json`); complete when it holds every epoch
 *   points/<id>/log.txt         the point's stdout and stderr
 *   points/<id>/failed.json     written by the local runner when the point's process failed
 *   results.jsonl, results.csv  merged results (`sweep collect`)
 */
import { Command, CommanderError, type Option } from 'commander';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../checkpoint.js';
import { trainCommand, type RunSpec } from '../cli/train.js';
import type { EpochRecord } from '../train.js';
import { UsageError } from '../cli/options.js';

/** Option values of one point: long option name (without `--`) → value; repeatable options hold a list. */
export type PointOptions = Record<string, string | string[]>;

export interface SweepPoint {
  /** Folder name under points/: readable, derived from the point's label and options only. */
  id: string;
  /** Optional name of the setting (from a grid file's `label`); not passed to train. */
  label?: string;
  options: PointOptions;
}

export interface SweepParam {
  key: string;
  values: string[];
}

export interface SweepManifest {
  version: 1;
  /** Folder the commands run in (relative paths in the train options refer to it). */
  cwd: string;
  /** Absolute sweep folder. */
  dir: string;
  /** Program that runs `train`: the `node` on the PATH and this checkout's bin/ibhebb.js. */
  launcher: string[];
  /** Train options shared by every point, as given (plus `--threads 1` unless given). */
  fixed: string[];
  params: SweepParam[];
  grid?: string;
  points: SweepPoint[];
}

/** Options the sweep sets itself for every point, so they cannot be fixed or swept. */
const SWEEP_OWNED = new Set(['json', 'progress', 'no-progress', 'checkpoint', 'resume', 'weights-out', 'plot']);
/** Options that may be given more than once (a list value becomes one flag per element). */
const REPEATABLE = new Set(['format']);

const BIN = fileURLToPath(new URL('../../bin/ibhebb.js', import.meta.url));

function trainOptions(): Map<string, Option> {
  const map = new Map<string, Option>();
  for (const o of trainCommand().options) {
    if (o.long) map.set(o.long.replace(/^--/, ''), o);
  }
  return map;
}

/** The long name (without `--`) of a train option given as `window`, `--window`, `train-limit` or `trainLimit`. */
export function canonicalKey(raw: string, where: string): string {
  const name = raw.replace(/^--/, '');
  const opts = trainOptions();
  let key = opts.has(name) ? name : undefined;
  if (!key) for (const [k, o] of opts) if (o.attributeName() === name && !o.negate) key = k;
  if (!key) throw new UsageError(`${where}: '${raw}' is not an option of ibhebb train (see ibhebb train --help)`);
  if (SWEEP_OWNED.has(key)) throw new UsageError(`${where}: --${key} is set by the sweep for every point and cannot be given`);
  if (!opts.get(key)!.required) throw new UsageError(`${where}: --${key} is a flag without a value and cannot be swept`);
  return key;
}

/**
 * Checks train options with the train command's own parser: unknown options, bad values and missing values
 * get train's message, prefixed with `where`.
 */
export function checkTrainArgs(args: string[], where: string): void {
  const cmd: Command = trainCommand().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {}, outputError: () => {} });
  let parsed: { operands: string[]; unknown: string[] };
  try {
    parsed = cmd.parseOptions(args);
  } catch (e) {
    if (e instanceof CommanderError) throw new UsageError(`${where}: ${e.message.replace(/^error: /, '')}`);
    if (e instanceof UsageError) throw new UsageError(`${where}: ${e.message}`);
    throw e;
  }
  const stray = [...parsed.unknown, ...parsed.operands][0];
  if (stray !== undefined) throw new UsageError(`${where}: '${stray}' is not an option of ibhebb train (see ibhebb train --help)`);
}

/** `key=v1,v2,...`; values holding commas themselves (layer lists, σ) are separated by `;` instead. */
export function parseParam(raw: string): SweepParam {
  const eq = raw.indexOf('=');
  if (eq <= 0 || eq === raw.length - 1) throw new UsageError(`--param: '${raw}' must be option=value1,value2,... (e.g. window=2,4,8)`);
  const key = canonicalKey(raw.slice(0, eq), '--param');
  const body = raw.slice(eq + 1);
  const values = body.split(body.includes(';') ? ';' : ',').map((s) => s.trim());
  if (values.some((v) => v === '')) throw new UsageError(`--param ${key}: empty value in '${body}'`);
  if (new Set(values).size !== values.length) throw new UsageError(`--param ${key}: repeated value in '${body}'`);
  return { key, values };
}

/** A `--grid` file: a JSON list of points, each an object of train options (and an optional `label`). */
export function readGrid(file: string): SweepPoint[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`--grid ${file}: ${err.code ? `cannot read (${err.code})` : `not valid JSON (${err.message})`}`);
  }
  if (!Array.isArray(data) || data.length === 0) throw new UsageError(`--grid ${file}: must hold a non-empty JSON list of points (objects)`);
  return data.map((p, i) => {
    const where = `--grid ${file}: point ${i}`;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) throw new UsageError(`${where} must be an object of train options`);
    const point: SweepPoint = { id: '', options: {} };
    for (const [k, v] of Object.entries(p as Record<string, unknown>)) {
      if (k === 'label') {
        if (typeof v !== 'string' || !v) throw new UsageError(`${where}: label must be a non-empty string`);
        point.label = v;
        continue;
      }
      const key = canonicalKey(k, where);
      const scalar = (x: unknown): string => {
        if (typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x))) return String(x);
        throw new UsageError(`${where}: ${k} = ${JSON.stringify(v)} must be a string, a number or a list of them`);
      };
      if (Array.isArray(v)) point.options[key] = REPEATABLE.has(key) ? v.map(scalar) : v.map(scalar).join(',');
      else point.options[key] = REPEATABLE.has(key) ? [scalar(v)] : scalar(v);
    }
    return point;
  });
}

/** Command-line tokens of a point's options, in their order. */
export function optionArgs(options: PointOptions): string[] {
  return Object.entries(options).flatMap(([k, v]) => [v].flat().flatMap((x) => [`--${k}`, x]));
}

/** The options a fixed argument list sets (long names), to refuse sweeping what is fixed. */
function fixedKeys(fixed: string[]): Set<string> {
  const keys = new Set<string>();
  for (const t of fixed) {
    const m = /^--([^=]+)/.exec(t);
    if (m) keys.add(canonicalKey(m[1], 'train options'));
  }
  return keys;
}

/**
 * A point's folder name: its label and options, readable. When that is too long or holds characters unsafe
 * in a file name, a hash of it keeps it unique and the last options (usually the swept ones) stay readable.
 */
function pointId(p: SweepPoint): string {
  const parts = Object.entries(p.options).map(([k, v]) => `${k}=${[v].flat().join('+')}`);
  const raw = [...(p.label ? [p.label] : []), ...parts].join('_') || 'default';
  const safe = (t: string) => t.replace(/[^A-Za-z0-9._=+,-]/g, '-');
  if (safe(raw) === raw && raw.length <= 100) return raw;
  const head = `${safe(p.label ?? 'point').slice(0, 40)}-${createHash('sha256').update(raw).digest('hex').slice(0, 8)}`;
  const tail: string[] = [];
  for (const part of parts.reverse()) {
    if (head.length + [part, ...tail].join('_').length > 100) break;
    tail.unshift(safe(part));
  }
  return [head, ...tail].join('_');
}

export interface SweepOptions {
  fixed: string[];
  params: SweepParam[];
  grid?: string;
  dir: string;
}

/** Every point: the grid file's points (or one empty point) × the product of the --param values. */
export function buildManifest(o: SweepOptions): SweepManifest {
  const fixed = [...o.fixed];
  checkTrainArgs(fixed, 'train options');
  const fixedSet = fixedKeys(fixed);
  if (!fixedSet.has('threads')) fixed.push('--threads', '1'); // one core per point: the sweep runs points side by side
  let points: SweepPoint[] = o.grid ? readGrid(o.grid) : [{ id: '', options: {} }];
  const seen = new Set<string>();
  for (const p of o.params) {
    if (seen.has(p.key)) throw new UsageError(`--param ${p.key} is given twice (list all its values in one --param)`);
    seen.add(p.key);
    points = points.flatMap((pt) => {
      if (p.key in pt.options) throw new UsageError(`--param ${p.key}: also set by a point of --grid ${o.grid}`);
      return p.values.map((v) => ({ ...pt, options: { ...pt.options, [p.key]: REPEATABLE.has(p.key) ? [v] : v } }));
    });
  }
  if (o.params.length === 0 && !o.grid) throw new UsageError('sweep: give at least one --param option=v1,v2,... or a --grid FILE');
  const ids = new Map<string, number>();
  points.forEach((pt, i) => {
    for (const k of Object.keys(pt.options)) {
      if (fixedSet.has(k)) throw new UsageError(`--${k} is both fixed and swept: give it either as a train option or as --param/--grid`);
    }
    pt.id = pointId(pt);
    const before = ids.get(pt.id);
    if (before !== undefined) throw new UsageError(`sweep: points ${before} and ${i} are the same run (${pt.id})`);
    ids.set(pt.id, i);
    checkTrainArgs([...fixed, ...optionArgs(pt.options)], `sweep point ${pt.id}`);
  });
  const dir = resolve(o.dir);
  return {
    version: 1,
    cwd: process.cwd(),
    dir,
    launcher: ['node', BIN],
    fixed,
    params: o.params,
    ...(o.grid ? { grid: o.grid } : {}),
    points,
  };
}

export const pointDir = (m: SweepManifest, p: SweepPoint) => join(m.dir, 'points', p.id);
export const resultFile = (m: SweepManifest, p: SweepPoint) => join(pointDir(m, p), 'train.json');
export const logFile = (m: SweepManifest, p: SweepPoint) => join(pointDir(m, p), 'log.txt');
export const failedFile = (m: SweepManifest, p: SweepPoint) => join(pointDir(m, p), 'failed.json');

/** The exact program and arguments a point runs: `node …/bin/ibhebb.js train <fixed> <point> --json … --no-progress`. */
export function pointArgv(m: SweepManifest, p: SweepPoint): string[] {
  return [...m.launcher, 'train', ...m.fixed, ...optionArgs(p.options), '--json', resultFile(m, p), '--no-progress'];
}

/** POSIX shell quoting of one word. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export const shellLine = (argv: string[]) => argv.map(shellWord).join(' ');

/** The point's command as a shell line, its output going to the point's log: what emitted scripts run. */
export function pointShellCommand(m: SweepManifest, p: SweepPoint): string {
  return `${shellLine(pointArgv(m, p))} > ${shellWord(logFile(m, p))} 2>&1`;
}

/** What `train --json` writes (chip engines add `chip`: the last epoch's cycles per sample and bound). */
export interface TrainReport {
  config: RunSpec;
  epochs: EpochRecord[];
  fixed?: { memoryBits?: Record<string, number> };
  chip?: Record<string, unknown>;
}

/** The point's train report when it is complete (every epoch recorded), else undefined. */
export function readResult(m: SweepManifest, p: SweepPoint): TrainReport | undefined {
  const file = resultFile(m, p);
  if (!existsSync(file)) return undefined;
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as TrainReport;
    return Array.isArray(r.epochs) && r.epochs.length > 0 && r.epochs.length === r.config?.epochs ? r : undefined;
  } catch {
    return undefined;
  }
}

export const manifestFile = (dir: string) => join(resolve(dir), 'sweep.json');

export function readManifest(dir: string): SweepManifest {
  const file = manifestFile(dir);
  let m: SweepManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as SweepManifest;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`${dir}: no sweep here (${file}: ${err.code ? `cannot read (${err.code})` : `not valid JSON (${err.message})`})`);
  }
  if (m.version !== 1 || !Array.isArray(m.points)) throw new UsageError(`${file}: not a sweep manifest of this version`);
  return m;
}

/**
 * Writes the manifest and the point folders. A folder that already holds a sweep is resumed only with the
 * same fixed options (its results would otherwise belong to other runs).
 */
export function saveManifest(m: SweepManifest): void {
  if (existsSync(manifestFile(m.dir))) {
    const old = readManifest(m.dir);
    if (JSON.stringify(old.fixed) !== JSON.stringify(m.fixed)) {
      throw new UsageError(
        `${m.dir} holds a sweep with other fixed train options (${shellLine(old.fixed)}; now ${shellLine(m.fixed)}): use another --out`,
      );
    }
  }
  for (const p of m.points) mkdirSync(pointDir(m, p), { recursive: true });
  writeFileAtomic(manifestFile(m.dir), `${JSON.stringify(m, null, 2)}\n`);
}
