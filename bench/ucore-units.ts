/**
 * The cost of the UP5K engine's arithmetic units (generator/ucore/rtl) on the iCE40 UP5K: each unit, the three
 * side by side, and the shift and saturation units of a 32-bit datapath for comparison, through Yosys synth_ice40 -dsp (its cells: LUT4, carry, flip-flops, SB_MAC16), then inside
 * the timing shell of bench/ice40-synth.ts through nextpnr-ice40 --up5k at the target clock (Fmax, logic cells
 * with the shell's registers: one per input and output bit, and one); the multiply unit's cycles on factors of
 * typical sizes and the latencies of the other two, beside isa.ts's planned CYCLES.
 *
 *   node bin/run-ts.js bench/ucore-units.ts [MHz] [seeds]
 */
import { rmSync } from 'node:fs';
import { ModuleBuilder, type Module } from '../generator/ir/index.js';
import { CYCLES } from '../generator/ucore/isa.js';
import { mulCycles, mulUnit } from '../generator/ucore/rtl/mul.js';
import { SAT_LATENCY, satUnit } from '../generator/ucore/rtl/sat.js';
import { SHIFT_LATENCY, shiftUnit } from '../generator/ucore/rtl/shift.js';
import { placeRoute, synthIce40, timingShell } from './ice40-synth.js';

const [mhzArg = '48', seedsArg = '1'] = process.argv.slice(2);
const mhz = Number(mhzArg);

/** The units side by side, every port brought out (prefixed by the unit). */
function together(units: Module[]): Module {
  const m = new ModuleBuilder('ucore_units');
  m.clock();
  for (const u of units) {
    const tag = u.name.replace(/^ucore_/, '').replace(/_.*/, '');
    const conns: Record<string, ReturnType<typeof m.input>> = {};
    for (const p of u.ports) if (p.kind === 'input' && p.role === null) conns[p.name] = m.input(`${tag}_${p.name}`, p.type);
    const inst = m.instance(`u_${tag}`, u, conns);
    for (const p of u.ports) if (p.kind === 'output') m.output(`${tag}_${p.name}`, inst.out(p.name));
  }
  return m.build();
}

const units = [mulUnit(), shiftUnit(16), satUnit()];
// the shift and saturation units of a 32-bit datapath, for the comparison
const narrow = [shiftUnit(16, 32), satUnit(32)];
console.log(`UP5K: 5,280 logic cells, 8 SB_MAC16; target ${mhz} MHz`);
console.log('unit              LUT4  carry  FF    MAC16 | placed LC with the shell (its registers)  Fmax MHz (seeds)');
for (const u of [...units, together(units), ...narrow]) {
  const alone = await synthIce40(u, 'ucore-unit');
  const c = alone.cells;
  const ff = Object.entries(c)
    .filter(([k]) => k.startsWith('SB_DFF'))
    .reduce((s, [, n]) => s + n, 0);
  rmSync(alone.dir, { recursive: true, force: true });
  const shelled = await synthIce40(timingShell(u), 'ucore-unit-timing');
  const fmax: string[] = [];
  let lcs = '';
  for (let seed = 1; seed <= Number(seedsArg); seed++) {
    const r = await placeRoute(shelled.dir, mhz, seed);
    if (r.error !== null) {
      fmax.push(`(${r.error})`);
      break;
    }
    fmax.push(String(r.fmaxMHz));
    lcs = `${r.lcs}`;
    if (seed === 1) console.error(`${u.name} critical path:\n${r.criticalPath.join('\n')}`);
  }
  rmSync(shelled.dir, { recursive: true, force: true });
  const pad = (v: unknown, n: number): string => String(v).padEnd(n);
  const shellRegs = u.ports.filter((p) => p.role === null).reduce((n, p) => n + p.type.width, 0) + 1;
  console.log(`${pad(u.name, 17)} ${pad(c.SB_LUT4 ?? 0, 5)} ${pad(c.SB_CARRY ?? 0, 6)} ${pad(ff, 5)} ${pad(c.SB_MAC16 ?? 0, 5)} | ${pad(`${lcs} (${shellRegs})`, 40)} ${fmax.join(' / ')}`);
}

// the multiply unit's cycles (start cycle to done cycle) on factors of typical sizes
const cases: [string, bigint, bigint, number][] = [
  ['mul 16 × 16 bit', 30000n, -20000n, 0],
  ['mul 32 × 16 bit', 2n ** 31n - 5n, 12345n, 0],
  ['mul 48 × 48 bit', 2n ** 47n - 1n, -(2n ** 46n), 0],
  ['mul 53 × 53 bit', 2n ** 52n + 7n, 2n ** 52n - 9n, 0],
  ['mul 64 × 64 bit', -(2n ** 63n), 2n ** 63n - 1n, 0],
  ['mulr 16 × 16, k = 12', 30000n, -20000n, 12],
  ['mulr 16 × 16, k = 16', 30000n, -20000n, 16],
  ['mulr 32 × 16, k = 20', 2n ** 31n - 5n, 12345n, 20],
  ['mulr 32 × 32, k = 30', 2n ** 31n - 5n, 2n ** 30n + 3n, 30],
  ['mulr 53 × 53, k = 52', 2n ** 52n + 7n, 2n ** 52n - 9n, 52],
];
console.log(`\nmultiply unit cycles, start to done (isa.ts plans mul ${CYCLES.mul.fixed}, mulr ${CYCLES.mulr.fixed}):`);
for (const [what, a, b, k] of cases) console.log(`  ${what.padEnd(24)} ${mulCycles(a, b, k)}`);
console.log(`shift unit latency ${SHIFT_LATENCY} (isa.ts plans shr ${CYCLES.shr.fixed}, shl ${CYCLES.shl.fixed}, srnd ${CYCLES.srnd.fixed}); saturation unit latency ${SAT_LATENCY} (sat, satr ${CYCLES.sat.fixed}, lone ${CYCLES.lone.fixed}); both take an operation every cycle`);
