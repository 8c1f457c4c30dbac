/**
 * Prints the error of the table functions' default configurations (and a few variants) against float64:
 *   node bin/run-ts.js generator/fixed/report.ts
 */
import { exp, expNeg, maxError, recip, rsqrt, type TableFunction } from './tables.js';

const fns: [string, TableFunction][] = [
  ['expNeg (default)', expNeg()],
  ['expNeg, no interpolation', expNeg({ interpolate: false })],
  ['expNeg, 64 segments', expNeg({ tableBits: 6 })],
  ['exp (default)', exp()],
  ['recip (default)', recip()],
  ['recip, no interpolation', recip({ interpolate: false })],
  ['rsqrt (default)', rsqrt()],
  ['rsqrt, no interpolation', rsqrt({ interpolate: false })],
];

const e = (x: number) => (x === 0 ? '0' : x.toExponential(2));
for (const [label, fn] of fns) {
  const d = fn.describe();
  const r = maxError(fn);
  const roms = d.tables.map((t) => `${t.name}[${t.length}]×${t.width}b`).join(' + ');
  console.log(`${label}: ${d.inFormat} → ${d.outFormat}; ${roms}`);
  console.log(
    `  ${r.exhaustive ? 'all' : 'sampled'} ${r.points} inputs: max abs ${e(r.maxAbs)} (${r.maxAbsUlps.toFixed(2)} ulp) at ${r.maxAbsAt}, ` +
      `max rel ${e(r.maxRel)} at ${r.maxRelAt}; stated bound abs ${e(d.bound.abs)} + rel ${e(d.bound.rel)} ` +
      `→ worst ratio ${r.boundRatio.toFixed(3)}${r.saturated ? `; ${r.saturated} above the output range` : ''}`,
  );
}
