/**
 * Place and route of one unit of a configuration on the iCE40 UP5K, for its Fmax and critical path: the unit
 * inside a timing shell (every input driven by a register of a shift chain fed from one pin, every output
 * registered and folded by XOR into one pin, so no path starts or ends at an IO and nothing is optimized
 * away), synth_ice40 -dsp, nextpnr-ice40 --up5k at the given clock for a few seeds. Minutes per seed.
 *
 *   node bin/run-ts.js bench/ice40-unit-timing.ts [unit] [config.json] [MHz] [seeds]
 *   unit: hebbian (default) | output | layernorm | gram | kernel | wm | ucore (the UP5K engine's core and its step program)
 *         | lfsr (the UP5K engine's LFSR bank for the config's machine) | lfsr-block (the same bank in block RAM)
 */
import { rmSync } from 'node:fs';
import { execa } from 'execa';
import { loadChipConfig, type ChipConfig } from '../generator/config.js';
import { ModuleBuilder, cat, uint, type Expr, type Module } from '../generator/ir/index.js';
import { hebbian } from '../generator/units/hebbian.js';
import { outputUnit } from '../generator/units/output.js';
import { layernorm } from '../generator/units/layernorm.js';
import { gramArray } from '../generator/units/gram.js';
import { kernelUnit } from '../generator/units/kernel.js';
import { workingMemory } from '../generator/units/wm.js';
import { parseNextpnr } from '../host/boards/build.js';
import { synthIce40 } from './ice40-synth.js';
import { ucoreCoreOf } from '../generator/ucore/rtl/core.js';
import { stepProgram } from '../generator/ucore/program/step.js';
import { chipParams } from '../sim/golden/fixed/index.js';
import { chipTrainConfig } from '../host/chip/config.js';
import { lfsrBankOf, ucoreLfsr, type LfsrStorage } from '../generator/ucore/rtl/lfsr.js';
import { machineFor } from '../generator/ucore/program/common.js';

const paramsOf = (c: ChipConfig) => chipParams(chipTrainConfig(c, 0), c.numeric);
/** The UP5K engine's core with the config's step program (generator/ucore/rtl/core.ts). */
const ucore = (c: ChipConfig): Module => ucoreCoreOf(stepProgram(paramsOf(c), true));
/** The UP5K engine's LFSR bank for the config's machine (generator/ucore/rtl/lfsr.ts). */
const lfsrBank =
  (storage?: LfsrStorage) =>
  (c: ChipConfig): Module =>
    ucoreLfsr(lfsrBankOf(machineFor(paramsOf(c), 0), storage));
const UNITS: Record<string, (c: ChipConfig) => Module> = { hebbian, output: outputUnit, layernorm, gram: gramArray, kernel: kernelUnit, wm: workingMemory, ucore, lfsr: lfsrBank(), 'lfsr-block': lfsrBank('block') };
const [unitName = 'hebbian', file = new URL('../boards/icebreaker/chip.json', import.meta.url).pathname, mhzArg = '48', seedsArg = '3'] = process.argv.slice(2);
const make = UNITS[unitName];
if (!make) throw new Error(`unknown unit '${unitName}' (units: ${Object.keys(UNITS).join(', ')})`);
const cfg = loadChipConfig(file);
const unit = make(cfg);

/** The timing shell: inputs from a shift chain, outputs registered and XOR-folded. */
function shell(u: Module): Module {
  const m = new ModuleBuilder(`timing_${u.name}`);
  m.clock(); // clk and rst go to the unit's clk and rst
  const si = m.input('si', uint(1));
  const ins = u.ports.filter((p) => p.kind === 'input' && p.name !== 'clk' && p.name !== 'rst');
  const outs = u.ports.filter((p) => p.kind === 'output');
  const total = ins.reduce((a, p) => a + p.width, 0);
  const chain = m.reg('chain_q', uint(total), { reset: null });
  m.seq('chain', ($) => $.set(chain, total > 1 ? cat(chain.trunc(total - 1), si) : si));
  const conns: Record<string, Expr> = {};
  let at = 0;
  for (const p of ins) {
    const bits = chain.slice(at + p.width - 1, at);
    conns[p.name] = p.signed ? bits.asSigned() : bits;
    at += p.width;
  }
  const inst = m.instance('u_unit', u, conns);
  const folded = outs.map((p, i) => {
    const r = m.reg(`out${i}_q`, uint(p.width), { reset: null });
    m.seq(`out${i}`, ($) => $.set(r, inst.out(p.name).asUnsigned()));
    return r.xorReduce();
  });
  const so = m.reg('so_q', uint(1), { reset: null });
  m.seq('so', ($) => $.set(so, folded.reduce((a, b) => a.xor(b))));
  m.output('so', so);
  return m.build();
}

const top = shell(unit);
const { dir, cells, seconds } = await synthIce40(top, 'timing');
console.log(`${unitName} of ${file}: yosys ${seconds.toFixed(0)} s; SB_LUT4 ${cells.SB_LUT4 ?? 0}, SB_MAC16 ${cells.SB_MAC16 ?? 0}, SB_RAM40_4K ${cells.SB_RAM40_4K ?? 0}, SB_SPRAM256KA ${cells.SB_SPRAM256KA ?? 0}`);
for (let seed = 1; seed <= Number(seedsArg); seed++) {
  const t1 = Date.now();
  const p = await execa('nice', ['-n', '10', 'nextpnr-ice40', '--up5k', '--package', 'sg48', '--json', 'top.json', '--freq', mhzArg, '--seed', String(seed), '--timing-allow-fail', '--report', `report${seed}.json`], { cwd: dir, all: true, reject: false });
  const log = p.all ?? '';
  if (p.exitCode !== 0) {
    console.log(`seed ${seed}: nextpnr cannot place it: ${log.split('\n').find((l) => /^ERROR/.test(l)) ?? log.split('\n').slice(-3).join(' ')}`);
    break;
  }
  const r = parseNextpnr(log);
  console.log(`seed ${seed}: Fmax ${r.fmaxMHz} MHz (target ${mhzArg}), ICESTORM_LC ${r.utilization.ICESTORM_LC?.used}/${r.utilization.ICESTORM_LC?.available}, ${((Date.now() - t1) / 1000).toFixed(0)} s`);
  // the critical path nextpnr printed last (after routing)
  const at = log.lastIndexOf('Critical path report for clock');
  if (at >= 0) {
    const lines = log.slice(at).split('\n');
    const end = lines.findIndex((l, i) => i > 0 && /^Info: (Critical path report|Max frequency)/.test(l));
    // the cells the path passes (one line each: arrival time and cell), then its setup
    const cellsOn = lines.slice(0, end > 0 ? end : lines.length).filter((l) => /\bSource\b|\bSetup\b/.test(l));
    console.log(cellsOn.map((l) => l.replace(/^Info:\s+/, '  ')).join('\n'));
  }
}
rmSync(dir, { recursive: true, force: true });
