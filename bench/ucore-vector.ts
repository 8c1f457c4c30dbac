/**
 * Cost of the UP5K engine's vector unit (generator/ucore/rtl/vector.ts) on the iCE40 UP5K: synth_ice40 -dsp
 * cells, then nextpnr-ice40 --up5k for its Fmax. The unit sits between registers: every input is a bit field of
 * one wide register that shifts in a pin each cycle, every output is registered and the registers' parity
 * leaves by one pin (nothing starts or ends at an IO, nothing is optimized away).
 *
 *   node bin/run-ts.js bench/ucore-vector.ts [rbits] [MHz] [seeds]
 */
import { rmSync } from 'node:fs';
import { execa } from 'execa';
import { ModuleBuilder, cat, uint, type Expr, type Module } from '../generator/ir/index.js';
import { vectorUnit } from '../generator/ucore/rtl/vector.js';
import { parseNextpnr } from '../host/boards/build.js';
import { synthIce40 } from './ice40-synth.js';

const [rbitsArg = '16', mhz = '48', seeds = '2'] = process.argv.slice(2);

function harness(unit: Module): Module {
  const m = new ModuleBuilder(`bench_${unit.name}`);
  m.clock();
  const pin = m.input('pin', uint(1));
  const inputs = unit.ports.filter((p) => p.kind === 'input' && !p.role);
  // field i of the feed register: the bits after the fields before it
  const ends = inputs.map((_, i) => inputs.slice(0, i + 1).reduce((w, p) => w + p.width, 0));
  const feed = m.reg('feed_q', uint(ends[ends.length - 1]), { reset: null });
  m.seq('feed', ($) => $.set(feed, cat(feed.slice(feed.width - 2, 0), pin)));
  const bind = Object.fromEntries(
    inputs.map((p, i): [string, Expr] => {
      const field = feed.slice(ends[i] - 1, ends[i] - p.width);
      return [p.name, p.signed ? field.asSigned() : field];
    }),
  );
  const u = m.instance('dut', unit, bind);
  const parity = unit.ports
    .filter((p) => p.kind === 'output')
    .map((p) => m.pipe(`o_${p.name}_q`, u.out(p.name).asUnsigned(), { reset: null }).xorReduce());
  m.output('pout', m.pipe('pout_q', parity.reduce((a, b) => a.xor(b)), { reset: null }));
  return m.build();
}

// the unit alone (its cells), then in the harness (place and route)
const bare = await synthIce40(vectorUnit(Number(rbitsArg)), 'vector_bare');
rmSync(bare.dir, { recursive: true, force: true });
const ffs = (c: Record<string, number>): number => Object.entries(c).filter(([k]) => /^SB_DFF/.test(k)).reduce((a, [, v]) => a + v, 0);
console.log(`ucore_vector alone (rbits ${rbitsArg}): SB_LUT4 ${bare.cells.SB_LUT4 ?? 0}, SB_CARRY ${bare.cells.SB_CARRY ?? 0}, SB_MAC16 ${bare.cells.SB_MAC16 ?? 0}, flip-flops ${ffs(bare.cells)}`);
const { dir, cells, seconds } = await synthIce40(harness(vectorUnit(Number(rbitsArg))), 'vector');
console.log(`ucore_vector in the harness: yosys ${seconds.toFixed(0)} s; SB_LUT4 ${cells.SB_LUT4 ?? 0}, SB_CARRY ${cells.SB_CARRY ?? 0}, SB_MAC16 ${cells.SB_MAC16 ?? 0}, SB_RAM40_4K ${cells.SB_RAM40_4K ?? 0}, flip-flops ${ffs(cells)} (with the harness's feed and output registers)`);
for (let seed = 1; seed <= Number(seeds); seed++) {
  const run = await execa('nice', ['-n', '10', 'nextpnr-ice40', '--up5k', '--package', 'sg48', '--json', 'top.json', '--freq', mhz, '--seed', String(seed), '--timing-allow-fail'], { cwd: dir, all: true, reject: false });
  const text = run.all ?? '';
  if (run.exitCode !== 0) {
    console.log(`seed ${seed}: nextpnr failed: ${text.split('\n').filter((l) => l.startsWith('ERROR')).join(' ') || text.split('\n').slice(-2).join(' ')}`);
    break;
  }
  const r = parseNextpnr(text);
  console.log(`seed ${seed}: Fmax ${r.fmaxMHz} MHz at a ${mhz} MHz target, ICESTORM_LC ${r.utilization.ICESTORM_LC?.used}/${r.utilization.ICESTORM_LC?.available}, ICESTORM_DSP ${r.utilization.ICESTORM_DSP?.used}`);
  // the slowest path after routing: its first and last net
  const report = text.slice(text.lastIndexOf('Critical path report for clock'));
  const nets = report.split('\n').filter((l) => /Net /.test(l)).map((l) => l.replace(/^Info:\s+/, ''));
  if (nets.length > 0) console.log(`  critical path (${nets.length} nets):\n  ${nets.join("\n  ")}`);
}
rmSync(dir, { recursive: true, force: true });
