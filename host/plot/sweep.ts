import type { SweepManifest } from '../sweep/spec.js';
import type { ResultRow } from '../sweep/collect.js';
export async function writeSweepPlot(_file: string, _m: SweepManifest, _rows: ResultRow[], _o: { x?: string; epoch?: number }): Promise<string> {
  throw new Error('not yet');
}
