/**
 * The UP5K engine's whole step program on its instruction-set simulator: cycles of a full-window training step,
 * of a step while the window fills, of an inference and of the epoch clear, on MNIST samples, with the cycles by
 * instruction class and by part of the program (Machine.pcCycles); the program's length. Default: the iCEBreaker's
 * config. `--timing plan` counts isa.ts's CYCLES (the plan); `--timing core` the RTL's: generator/ucore/rtl/core.ts coreCycles (CoreTiming),
 * the vector instructions with the grants the core gives on the memories their operands lie in.
 * `--no-vector`: the program for the core without its vector unit (vdot, vdist and vupd as scalar loops).
 *   node bin/run-ts.js bench/ucore-step.ts [--config FILE] [--samples N] [--timing plan|core] [--no-vector]
 */
import { Command } from 'commander';
import { loadChipConfig } from '../generator/config.js';
import { chipTrainConfig } from '../host/chip/config.js';
import { loadMnist } from '../host/data/mnist.js';
import { stepProgram } from '../generator/ucore/program/step.js';
import { FixedPointEngine } from '../sim/golden/fixed/index.js';
import { loadState, ucoreMachine, writeSample } from '../sim/ucore/state.js';
import { CYCLES } from '../generator/ucore/isa.js';
import { CoreTiming } from '../generator/ucore/rtl/core.js';

const opts = new Command()
  .option('--config <file>', 'chip config', 'boards/icebreaker/chip.json')
  .option('--samples <n>', 'training samples', '64')
  .option('--timing <t>', 'plan (isa.ts CYCLES) or core (the RTL core and vector unit)', 'plan')
  .option('--no-vector', 'the program for the core without its vector unit (vdot, vdist, vupd as scalar loops)')
  .parse()
  .opts<{ config: string; samples: string; timing: string; vector: boolean }>();
if (opts.timing !== 'plan' && opts.timing !== 'core') throw new Error(`--timing: '${opts.timing}' is not plan or core`);
const cfg = loadChipConfig(opts.config);
const mnist = loadMnist();
const e = new FixedPointEngine(chipTrainConfig(cfg, 1), cfg.numeric);
const P = e.params;
const sp = stepProgram(P, true, { vector: opts.vector });
const coreTiming = new CoreTiming();
const m = ucoreMachine(P, sp, opts.timing === 'core' ? coreTiming.timing : undefined, true);
coreTiming.attach(m);
loadState(m, P, sp, e.state);
const dim = P.sizes[0];
const px = mnist.train.pixels!;
const n = Number(opts.samples);
const full: number[] = [];
/** cycles per instruction address over the full-window steps */
const fullPc = new Float64Array(sp.program.code.length);
const filling: number[] = [];
const vector = new Map<string, number>();
for (let i = 0; i < n; i++) {
  writeSample(m, sp, px.subarray(i * dim, i * dim + dim), mnist.train.y[i]);
  const c0 = m.cycles;
  const before = new Map(m.opCycles);
  const pcBefore = m.pcCycles.slice();
  m.run(sp.program, sp.entry.train);
  const c = m.cycles - c0;
  if (i >= P.B - 1) {
    full.push(c);
    for (let k = 0; k < fullPc.length; k++) fullPc[k] += m.pcCycles[k] - pcBefore[k];
    for (const [op, v] of m.opCycles) vector.set(op, (vector.get(op) ?? 0) + v - (before.get(op) ?? 0));
  } else filling.push(c);
}
const c1 = m.cycles;
m.run(sp.program, sp.entry.infer);
const infer = m.cycles - c1;
const c2 = m.cycles;
m.run(sp.program, sp.entry.clear);
const clear = m.cycles - c2;
const mean = (a: number[]) => Math.round(a.reduce((s, v) => s + v, 0) / a.length);
const fmt = (v: number) => v.toLocaleString('en-US');
console.log(`${cfg.layers.join('-')}, B = ${cfg.window}, lanes ${cfg.lanes}, timing ${opts.timing === 'core' ? 'of the RTL core' : 'planned (isa.ts)'}: program ${sp.program.code.length} instructions; memory ${sp.layout.spramWords} SPRAM + ${sp.layout.ebrWords} block RAM words`);
console.log(`training step, window full: ${fmt(mean(full))} cycles (min ${fmt(Math.min(...full))}, max ${fmt(Math.max(...full))}, ${full.length} steps)`);
console.log(`training sample, window filling: ${fmt(mean(filling))} cycles`);
console.log(`inference: ${fmt(infer)} cycles; epoch clear: ${fmt(clear)} cycles`);
const total = [...vector.values()].reduce((s, v) => s + v, 0);
const rows = [...vector.entries()].sort((a, b) => b[1] - a[1]);
console.log('cycles of the full-window steps by instruction:');
for (const [op, v] of rows) console.log(`  ${op.padEnd(8)} ${((100 * v) / total).toFixed(1).padStart(5)}%${CYCLES[op as keyof typeof CYCLES]?.perElement ? '  (vector)' : ''}`);
const perStep = (v: number): string => fmt(Math.round(v / full.length));
console.log("cycles of a full-window step by part of the program (a table subroutine's cycles count in its own part):");
for (const sec of sp.sections) {
  let c = 0;
  for (let k = sec.from; k < sec.to; k++) c += fullPc[k];
  if (c > 0) console.log(`  ${sec.name.padEnd(22)} ${perStep(c).padStart(8)}  ${((100 * c) / fullPc.reduce((x, y) => x + y, 0)).toFixed(1).padStart(5)}%`);
}
