/**
 * Runs a sweep's points on this machine: at most `jobs` train processes at a time, each point's output in its
 * log, a progress line (done, running, failed, ETA). Points that already have a complete result are skipped,
 * so rerunning the same sweep resumes it. A failed point is recorded (failed.json beside its log) and the
 * sweep goes on. On SIGINT/SIGTERM no new point starts, the running ones are stopped (they are rerun on
 * resume) and the results so far are merged.
 */
import { execa, type ResultPromise } from 'execa';
import { rmSync, writeFileSync } from 'node:fs';
import { writeFileAtomic } from '../checkpoint.js';
import { collect, statusSummary } from './collect.js';
import { failedFile, logFile, pointArgv, readResult, shellLine, type SweepManifest, type SweepPoint } from './spec.js';

export interface RunOptions {
  jobs: number;
  /** Permanent lines: one per finished or failed point. */
  log: (line: string) => void;
  /** A terminal to keep the live progress line on (none: only the permanent lines). */
  tty?: NodeJS.WriteStream;
}

export interface RunSummary {
  total: number;
  skipped: number;
  done: number;
  failed: string[];
  interrupted: boolean;
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = Math.round(s % 60);
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  return m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}

export async function runLocal(m: SweepManifest, o: RunOptions): Promise<RunSummary> {
  const todo = m.points.filter((p) => !readResult(m, p));
  const skipped = m.points.length - todo.length;
  const summary: RunSummary = { total: m.points.length, skipped, done: 0, failed: [], interrupted: false };
  if (skipped > 0) o.log(`${skipped} of ${m.points.length} points already have a result (skipped)`);
  const running = new Map<string, { proc: ResultPromise; started: number }>();
  const durations: number[] = [];
  let next = 0;
  let stopping = false;

  const eta = (): number => {
    if (durations.length === 0) return NaN;
    const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
    const now = performance.now();
    let work = (todo.length - next) * mean;
    for (const r of running.values()) work += Math.max(0, mean - (now - r.started) / 1000);
    return work / Math.min(o.jobs, Math.max(1, todo.length - next + running.size));
  };
  const counts = () =>
    `${skipped + summary.done}/${m.points.length} done, ${running.size} running, ${summary.failed.length} failed, ETA ${formatSeconds(eta())}`;
  let shown = false;
  const clearLine = () => {
    if (shown) o.tty?.write('\r\x1b[K');
    shown = false;
  };
  const showLine = () => {
    if (!o.tty || stopping) return;
    o.tty.write(`\rsweep: ${counts()}\x1b[K`);
    shown = true;
  };
  const say = (line: string) => {
    clearLine();
    o.log(line);
    showLine();
  };

  const runPoint = async (p: SweepPoint): Promise<void> => {
    const argv = pointArgv(m, p);
    rmSync(failedFile(m, p), { force: true });
    const log = { file: logFile(m, p), append: true } as const;
    writeFileSync(log.file, '');
    const started = performance.now();
    const proc = execa(argv[0], argv.slice(1), { cwd: m.cwd, stdin: 'ignore', stdout: log, stderr: log, reject: false });
    running.set(p.id, { proc, started });
    showLine();
    const r = await proc;
    running.delete(p.id);
    const seconds = (performance.now() - started) / 1000;
    const result = readResult(m, p);
    if (r.exitCode === 0 && result) {
      summary.done++;
      durations.push(seconds);
      const acc = result.epochs.at(-1)!.testAccuracy;
      say(`point ${p.id}: test accuracy ${(100 * acc).toFixed(2)}% in ${formatSeconds(seconds)} — ${counts()}`);
      collect(m);
    } else if (stopping) {
      // stopped by us: neither done nor failed; rerun on resume
    } else {
      summary.failed.push(p.id);
      const why = r.signal ? `killed by ${r.signal}` : r.exitCode === 0 ? 'exited 0 without a complete report' : `exit code ${r.exitCode}`;
      writeFileAtomic(
        failedFile(m, p),
        `${JSON.stringify({ id: p.id, command: shellLine(argv), cwd: m.cwd, exitCode: r.exitCode ?? null, signal: r.signal ?? null, seconds, log: logFile(m, p) }, null, 2)}\n`,
      );
      say(`point ${p.id} FAILED (${why}) after ${formatSeconds(seconds)}; log: ${logFile(m, p)} — ${counts()}`);
    }
  };

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      stopping = true;
      clearLine();
      o.log(`${sig}: stopping ${running.size} running point(s); finished points are kept — run the same command again to resume`);
      for (const r of running.values()) r.proc.kill('SIGINT');
    } else {
      for (const r of running.values()) r.proc.kill('SIGKILL');
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const ticker = o.tty ? setInterval(showLine, 1000) : undefined;
  try {
    const workers = Array.from({ length: Math.max(1, Math.min(o.jobs, todo.length)) }, async () => {
      while (!stopping && next < todo.length) await runPoint(todo[next++]);
    });
    await Promise.all(workers);
  } finally {
    if (ticker) clearInterval(ticker);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    clearLine();
  }
  summary.interrupted = stopping;
  o.log(statusSummary(collect(m)));
  return summary;
}
