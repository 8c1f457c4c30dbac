/**
 * Place and route of one unit of a configuration on the iCE40 UP5K, for its Fmax and critical path: the unit
 * inside a timing shell (every input driven by a register of a shift chain fed from one pin, every output
 * registered and folded by XOR into one pin, so no path starts or ends at an IO and nothing is optimized
 * away), synth_ice40 -dsp, nextpnr-ice40 --up5k at the given clock for a few seeds. Minutes per seed.
 *
 *   node bin/run-ts.js bench/ice40-unit-timing.ts [unit] [config.json] [MHz] [seeds] [keep]
 *   unit: hebbian (default) | output | layernorm | gram | kernel | wm | ucore (the UP5K engine's core and its step program)
 *         | ucore-scalar (the core without its vector unit with the serving program, as `build --no-vector` has it)
 *         | lfsr (the UP5K engine's LFSR bank for the config's machine) | lfsr-block (the same bank in block RAM)
 *         | lfsr-board (in block RAM without the forwarding register, as the core without its vector unit has it)
 *         | ucore-mul, ucore-shift, ucore-sat (the core's units alone) | uart-tx (the board's UART transmitter)
 *         | uart (the board's UART: receiver, block-RAM receive FIFO, transmitter)
 *   keep: the work folder (netlist, nextpnr's report<seed>.json with every path's slack) is kept and named
 */
import { rmSync } from 'node:fs';
import { loadChipConfig, type ChipConfig } from '../generator/config.js';
import type { Module } from '../generator/ir/index.js';
import { hebbian } from '../generator/units/hebbian.js';
import { outputUnit } from '../generator/units/output.js';
import { layernorm } from '../generator/units/layernorm.js';
import { gramArray } from '../generator/units/gram.js';
import { kernelUnit } from '../generator/units/kernel.js';
import { workingMemory } from '../generator/units/wm.js';
import { placeRoute, synthIce40, timingShell } from './ice40-synth.js';
import { ucoreCoreOf } from '../generator/ucore/rtl/core.js';
import { ucoreServingCore } from '../host/boards/ucore.js';
import { protocolProgram } from '../generator/ucore/program/protocol.js';
import { stepProgram } from '../generator/ucore/program/step.js';
import { chipParams } from '../sim/golden/fixed/index.js';
import { chipTrainConfig } from '../host/chip/config.js';
import { lfsrBankOf, ucoreLfsr, type LfsrStorage } from '../generator/ucore/rtl/lfsr.js';
import { machineFor } from '../generator/ucore/program/common.js';
import { mulUnit } from '../generator/ucore/rtl/mul.js';
import { shiftUnit } from '../generator/ucore/rtl/shift.js';
import { satUnit } from '../generator/ucore/rtl/sat.js';
import { uart, uartTx } from '../generator/boards/uart.js';

const paramsOf = (c: ChipConfig) => chipParams(chipTrainConfig(c, 0), c.numeric);
/** The UP5K engine's core with the config's step program (generator/ucore/rtl/core.ts). */
const ucore = (c: ChipConfig): Module => ucoreCoreOf(stepProgram(paramsOf(c), true), machineFor(paramsOf(c), 0));
/** The core as `build --board icebreaker --no-vector` builds it: no vector unit, the serving program (scalar loops). */
const ucoreScalar = (c: ChipConfig): Module => ucoreServingCore(c, protocolProgram(c, paramsOf(c), { vector: false }));
/** The UP5K engine's LFSR bank for the config's machine (generator/ucore/rtl/lfsr.ts). */
const lfsrBank =
  (storage?: LfsrStorage, forward?: boolean) =>
  (c: ChipConfig): Module =>
    ucoreLfsr(lfsrBankOf(machineFor(paramsOf(c), 0), storage, forward));
/** The iCEBreaker's UART at 3 Mbaud from the 48 MHz clock (16 cycles a bit), its 1024-byte receive FIFO. */
const UART = { clocksPerBit: 16, fifoDepth: 1024 };
const UNITS: Record<string, (c: ChipConfig) => Module> = {
  hebbian,
  output: outputUnit,
  layernorm,
  gram: gramArray,
  kernel: kernelUnit,
  wm: workingMemory,
  ucore,
  'ucore-scalar': ucoreScalar,
  lfsr: lfsrBank(),
  'lfsr-block': lfsrBank('block'),
  'lfsr-board': lfsrBank('block', false),
  'ucore-mul': () => mulUnit(),
  'ucore-shift': (c) => shiftUnit(machineFor(paramsOf(c), 0).lfsr.rbits, 64),
  'ucore-sat': () => satUnit(64),
  'uart-tx': () => uartTx(UART.clocksPerBit),
  uart: () => uart(UART),
};
const [unitName = 'hebbian', file = new URL('../boards/icebreaker/chip.json', import.meta.url).pathname, mhzArg = '48', seedsArg = '3', keepArg] = process.argv.slice(2);
const make = UNITS[unitName];
if (!make) throw new Error(`unknown unit '${unitName}' (units: ${Object.keys(UNITS).join(', ')})`);
const cfg = loadChipConfig(file);
const unit = make(cfg);

const top = timingShell(unit);
const { dir, cells, seconds } = await synthIce40(top, 'timing');
const flipFlops = Object.entries(cells).reduce((n, [k, v]) => n + (k.startsWith('SB_DFF') ? v : 0), 0);
console.log(`${unitName} of ${file}: yosys ${seconds.toFixed(0)} s; SB_LUT4 ${cells.SB_LUT4 ?? 0}, flip-flops ${flipFlops}, SB_MAC16 ${cells.SB_MAC16 ?? 0}, SB_RAM40_4K ${cells.SB_RAM40_4K ?? 0}, SB_SPRAM256KA ${cells.SB_SPRAM256KA ?? 0}`);
for (let seed = 1; seed <= Number(seedsArg); seed++) {
  const r = await placeRoute(dir, Number(mhzArg), seed);
  if (r.error !== null) {
    console.log(`seed ${seed}: nextpnr cannot place it${r.lcs !== null ? ` (ICESTORM_LC ${r.lcs}/${r.lcsAvailable})` : ''}: ${r.error}`);
    break;
  }
  console.log(`seed ${seed}: Fmax ${r.fmaxMHz} MHz (target ${mhzArg}), ICESTORM_LC ${r.lcs}/${r.lcsAvailable}, ${r.seconds.toFixed(0)} s`);
  console.log(r.criticalPath.join('\n'));
}
if (keepArg === 'keep') console.log(`kept: ${dir}`);
else rmSync(dir, { recursive: true, force: true });
