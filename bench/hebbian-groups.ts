/**
 * Row groups for the Hebbian-update unit (bench/RESULTS.md, "A simpler way: row groups"): the cycles of a fused
 * pass when the L lanes run as G groups of g = L/G lanes on G consecutive rows — the unit's bound
 * ⌈nOut/G⌉·⌈nIn/g⌉ + 5 + 2·(G − 1) (generator/config.ts rowGroupPasses) — against G = 1 and the ideal
 * ⌈nOut·(nIn + 1)/L⌉, for every divisor G of each lane count, and the G a config that leaves rowGroups out gets
 * (autoRowGroups). A formula; bench/units/hebbian.ts --lanes L:G measures the unit.
 *
 *   node bin/run-ts.js bench/hebbian-groups.ts [--layers 784,128,64,10] [--lanes 32,40,48,50,60,64,66]
 */
import { Command } from 'commander';
import { autoRowGroups, rowGroupPasses } from '../generator/config.js';

const opts = new Command()
  .option('--layers <list>', 'network sizes', '784,128,64,10')
  .option('--lanes <list>', 'lane counts', '32,40,48,50,60,64,66')
  .parse()
  .opts<{ layers: string; lanes: string }>();
const list = (s: string): number[] => s.split(',').map(Number);
const sizes = list(opts.layers);
const fmt = (x: number): string => x.toLocaleString('en-US');

console.log(`layers ${sizes.join('-')}; ratio = pass cycles (start and drain included) / ⌈words / L⌉, worst hidden layer\n`);
console.log('| L | G = 1: passes | worst ratio | fewest cycles: G (g) | passes | worst ratio | smallest G ≤ 1.1 × | passes | worst ratio | chosen G |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const L of list(opts.lanes)) {
  const rows = Array.from({ length: L }, (_, i) => i + 1)
    .filter((G) => L % G === 0)
    .map((G) => {
      const p = rowGroupPasses(sizes, L, G);
      const c = p.map((x) => x.cycles);
      return { G, c, sum: c.reduce((a, b) => a + b, 0), ratio: Math.max(...p.map((x) => x.cycles / x.ideal)) };
    });
  const show = (r: (typeof rows)[number] | undefined): string =>
    r ? `${r.G} (${L / r.G}) | ${r.c.map(fmt).join(', ')} | ${r.ratio.toFixed(3)}` : '– | – | –';
  const one = rows[0];
  const best = [...rows].sort((a, b) => a.sum - b.sum || a.G - b.G)[0];
  const small = rows.find((r) => r.ratio <= 1.1);
  console.log(`| ${L} | ${one.c.map(fmt).join(', ')} | ${one.ratio.toFixed(3)} | ${show(best)} | ${show(small)} | ${autoRowGroups(sizes, L)} |`);
}
