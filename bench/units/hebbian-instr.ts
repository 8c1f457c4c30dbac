/**
 * Load-independent cost of simulating the default Hebbian unit (784-128-64 at the default chip's lanes) with Verilator:
 *
 *   node bin/run-ts.js bench/units/hebbian-instr.ts [--rev <git revision>] [--cycles 5000] [--timed 2000000] [--runs 3]
 *
 * Verilates the unit (the generator's, or rtl/default of a git revision with --rev, to compare against an
 * earlier one) as the co-simulation runner does (its VERILATOR_OPT, --x-assign/--x-initial unique, make OPT_FAST=-O2)
 * with the C++ driver bench/units/hebbian-drive.cpp (back-to-back fused layer-1 passes, ready streams) and
 * prints Verilator's own estimate (`--stats`: "Instruction count, TOTAL" of the final fast code, a static
 * count over the eval functions) and the instructions executed per clock cycle measured with
 * valgrind --tool=callgrind as the difference of a run of 2·cycles and one of cycles (start-up excluded).
 * Then the speed itself: the same model run natively for `--timed` cycles, `--runs` times, each run timing its
 * own loop in CPU seconds (the driver prints it; construction and reset excluded): Verilator cycles per CPU
 * second, best and median of the runs. That figure moves with the machine's load (other processes share the
 * caches and the cores' clock), the instruction count does not. bench/units/hebbian.ts measures the unit
 * through the co-simulation runner, whose harness adds its own work per cycle.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { DEFAULT_CHIP } from '../../generator/config.js';
import { emitDesign } from '../../generator/emit/index.js';
import { hebbian } from '../../generator/units/hebbian.js';
import { arg, fmt } from './common.js';
import { VERILATOR_OPT } from '../../sim/verilator/build.js';

const revAt = process.argv.indexOf('--rev');
const rev = revAt >= 0 ? process.argv[revAt + 1] : null;
if (revAt >= 0 && !rev) throw new Error('--rev needs a git revision');
const cycles = arg('cycles', 5000);
if (cycles < 1000) throw new RangeError(`--cycles must be at least 1000 (got ${cycles})`);
const timed = arg('timed', 2_000_000);
const runs = arg('runs', 3);
if (timed < 10_000) throw new RangeError(`--timed must be at least 10000 cycles (got ${timed})`);
if (runs < 1) throw new RangeError(`--runs must be at least 1 (got ${runs})`);
const driver = fileURLToPath(new URL('./hebbian-drive.cpp', import.meta.url));

/** The Verilog files of module `top` and every module it instantiates, from rtl/default at `r`. */
async function filesAtRev(r: string, top: string): Promise<{ name: string; text: string }[]> {
  const out = new Map<string, string>();
  const visit = async (mod: string): Promise<void> => {
    if (out.has(mod)) return;
    const text = (await execa('git', ['show', `${r}:rtl/default/${mod}.v`])).stdout;
    out.set(mod, text);
    for (const m of text.matchAll(/^ {2}([a-z][a-z0-9_]*) [a-z][a-z0-9_]* \(/gm)) await visit(m[1]);
  };
  await visit(top);
  return [...out].map(([mod, text]) => ({ name: `${mod}.v`, text }));
}

const files = rev
  ? await filesAtRev(rev, 'hebbian')
  : emitDesign(hebbian(DEFAULT_CHIP)).files.filter((f) => f.name.endsWith('.v')).map((f) => ({ name: f.name, text: f.content }));
const dir = await mkdtemp(join(tmpdir(), 'ibhebb-instr-'));
try {
  for (const f of files) await writeFile(join(dir, f.name), f.text);
  const obj = join(dir, 'obj');
  const vflags = ['--cc', '--exe', ...VERILATOR_OPT, '--x-assign', 'unique', '--x-initial', 'unique', '--stats', '--top-module', 'hebbian', '--prefix', 'Vhebbian', '-Mdir', obj];
  await execa('verilator', [...vflags, ...files.map((f) => join(dir, f.name)), driver]);
  await execa('make', ['-j', '2', '-C', obj, '-f', 'Vhebbian.mk', 'OPT_FAST=-O2']);
  const stats = await readFile(join(obj, 'Vhebbian__stats.txt'), 'utf8');
  const line = stats.split('\n').find((l) => l.trim().startsWith('Instruction count, TOTAL'));
  if (!line) throw new Error('verilator --stats printed no "Instruction count, TOTAL"');
  const staticCount = Number(line.trim().split(/\s+/).at(-1));
  const run = async (n: number): Promise<number> => {
    const r = await execa('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', join(obj, 'Vhebbian'), String(n)], { all: true });
    const m = /Collected : (\d+)/.exec(r.all ?? '');
    if (!m) throw new Error(`callgrind printed no instruction count:\n${r.all}`);
    return Number(m[1]);
  };
  const a = await run(cycles);
  const b = await run(2 * cycles);
  const perCycle = (b - a) / cycles;
  console.log('| RTL | Verilator --stats: instruction count (final fast code) | instructions per clock cycle (callgrind) | per lane |');
  console.log('|---|---|---|---|');
  console.log(`| ${rev ? `rtl/default at ${rev}` : 'generator (working tree)'} | ${fmt(staticCount)} | ${fmt(perCycle)} | ${fmt(perCycle / DEFAULT_CHIP.lanes)} |`);
  const speeds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = (await execa(join(obj, 'Vhebbian'), [String(timed)])).stdout;
    const m = /cycles_per_cpu_second (\d+)/.exec(out);
    if (!m) throw new Error(`the driver printed no cycles_per_cpu_second:\n${out}`);
    speeds.push(Number(m[1]));
  }
  speeds.sort((a, b) => a - b);
  const M = (x: number): string => `${(x / 1e6).toFixed(2)} M`;
  console.log('');
  console.log(`Verilator speed of the unit (${DEFAULT_CHIP.lanes} lanes, back-to-back fused layer-1 passes, ${fmt(timed)} cycles a run, ${runs} runs): best ${M(speeds[runs - 1])}, median ${M(speeds[Math.floor(runs / 2)])}, worst ${M(speeds[0])} cycles per CPU second`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
