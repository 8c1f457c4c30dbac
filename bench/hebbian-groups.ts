/**
 * Row groups for the Hebbian-update unit, a design study (bench/RESULTS.md, "A simpler way: row groups"): the
 * cycles of a fused pass when the L lanes run as G groups of g = L/G lanes on G consecutive rows,
 * ⌈nOut/G⌉ · max(⌈nIn/g⌉, G) + 5, against today's G = 1 and the ideal ⌈nOut·(nIn + 1)/L⌉, for every divisor G of
 * each lane count. A formula, not a simulation: the unit is not built with groups yet.
 *
 *   node bin/run-ts.js bench/hebbian-groups.ts [--layers 784,128,64,10] [--lanes 32,40,48,50,60,64,66]
 */
import { Command } from 'commander';

const opts = new Command()
  .option('--layers <list>', 'network sizes', '784,128,64,10')
  .option('--lanes <list>', 'lane counts', '32,40,48,50,60,64,66')
  .parse()
  .opts<{ layers: string; lanes: string }>();
const list = (s: string): number[] => s.split(',').map(Number);
const sizes = list(opts.layers);
const hidden = sizes.slice(0, -1).map((nIn, l) => ({ nIn, nOut: sizes[l + 1] })).slice(0, sizes.length - 2);
const fmt = (x: number): string => x.toLocaleString('en-US');

/** Cycles per fused pass of each hidden layer with G groups of L/G lanes. */
function passes(L: number, G: number): number[] {
  const g = L / G;
  return hidden.map(({ nIn, nOut }) => Math.ceil(nOut / G) * Math.max(Math.ceil(nIn / g), G) + 5);
}

console.log(`layers ${sizes.join('-')}; ratio = pass cycles (start and drain included) / ⌈words / L⌉, worst hidden layer\n`);
console.log('| L | G = 1: passes | worst ratio | fewest cycles: G (g) | passes | worst ratio | smallest G ≤ 1.1 × | passes | worst ratio |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const L of list(opts.lanes)) {
  const ideal = hidden.map(({ nIn, nOut }) => Math.ceil((nOut * (nIn + 1)) / L));
  const rows = Array.from({ length: L }, (_, i) => i + 1)
    .filter((G) => L % G === 0)
    .map((G) => {
      const c = passes(L, G);
      return { G, c, sum: c.reduce((a, b) => a + b, 0), ratio: Math.max(...c.map((x, i) => x / ideal[i])) };
    });
  const show = (r: (typeof rows)[number] | undefined): string =>
    r ? `${r.G} (${L / r.G}) | ${r.c.map(fmt).join(', ')} | ${r.ratio.toFixed(3)}` : '– | – | –';
  const one = rows[0];
  const best = [...rows].sort((a, b) => a.sum - b.sum || a.G - b.G)[0];
  const small = rows.find((r) => r.ratio <= 1.1);
  console.log(`| ${L} | ${one.c.map(fmt).join(', ')} | ${one.ratio.toFixed(3)} | ${show(best)} | ${show(small)} |`);
}
