/**
 * Hands a sweep to a scheduler the lab already runs instead of running it here: a Slurm job-array script
 * (one array task per point) or a GNU parallel job list (one command per line). Both run exactly the
 * commands of the local runner (`pointShellCommand`), write into the same sweep folder, and cover only the
 * points without a result, so emitting again after a partial run resumes it. `sweep collect DIR` merges.
 */
import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { pointShellCommand, readResult, shellWord, type SweepManifest, type SweepPoint } from './spec.js';

export const EMITTERS = ['slurm', 'parallel'] as const;
export type EmitKind = (typeof EMITTERS)[number];

export interface EmitOptions {
  /** Slurm: at most this many array tasks at once (`%N`); parallel: its --jobs. */
  jobs?: number;
  /** Extra #SBATCH directives, e.g. `--partition=cpu` or `--time=02:00:00`. */
  sbatch?: string[];
}

export interface Emitted {
  file: string;
  points: SweepPoint[];
  /** How to start it. */
  howto: string;
}

export function emitSlurm(m: SweepManifest, points: SweepPoint[], o: EmitOptions): string {
  const t = m.fixed.indexOf('--threads');
  const cpus = t >= 0 ? m.fixed[t + 1] : '1'; // a point's threads (the sweep fixes --threads 1 unless given)
  const directives = [
    '--job-name=ibhebb-sweep',
    `--array=0-${points.length - 1}${o.jobs ? `%${o.jobs}` : ''}`,
    '--ntasks=1',
    `--cpus-per-task=${cpus}`,
    `--chdir=${m.cwd}`,
    `--output=${join(m.dir, 'points', 'slurm-%A_%a.out')}`,
    ...(o.sbatch ?? []),
  ];
  const arms = points.map((p, i) => `  ${i}) # ${p.id}\n    ${pointShellCommand(m, p)} ;;`);
  return [
    '#!/bin/bash',
    ...directives.map((d) => `#SBATCH ${d}`),
    '#',
    `# ibhebb sweep: ${points.length} points, one array task each, results in ${m.dir}.`,
    '# Submit with `sbatch` on this file; merge what has finished with `npx ibhebb sweep collect <dir>`.',
    '# Add module loads or environment set-up for node below if the cluster needs them.',
    'set -euo pipefail',
    `cd ${shellWord(m.cwd)}`,
    'case "${SLURM_ARRAY_TASK_ID:?run as a Slurm array task (sbatch this file)}" in',
    ...arms,
    '  *) echo "no sweep point for array task $SLURM_ARRAY_TASK_ID" >&2; exit 2 ;;',
    'esac',
    '',
  ].join('\n');
}

export function emitParallel(m: SweepManifest, points: SweepPoint[]): string {
  return points.map((p) => `${pointShellCommand(m, p)}\n`).join('');
}

/** Writes the script or job list for the points that have no result yet. */
export function emit(kind: EmitKind, m: SweepManifest, o: EmitOptions): Emitted {
  const points = m.points.filter((p) => !readResult(m, p));
  if (kind === 'slurm') {
    const file = join(m.dir, 'sweep.slurm');
    writeFileSync(file, emitSlurm(m, points, o));
    chmodSync(file, 0o755);
    return { file, points, howto: `sbatch ${shellWord(file)}` };
  }
  const file = join(m.dir, 'jobs.txt');
  writeFileSync(file, emitParallel(m, points));
  return {
    file,
    points,
    howto: `cd ${shellWord(m.cwd)} && parallel --jobs ${o.jobs ?? '100%'} --joblog ${shellWord(join(m.dir, 'parallel.joblog'))} < ${shellWord(file)}`,
  };
}
