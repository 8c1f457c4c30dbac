/**
 * The UP5K engine's LFSR bank (generator/ucore/rtl/lfsr.ts) synthesized alone for the iCE40 (synth_ice40 -dsp, as
 * `ibhebb build`): LUT4s, flip-flops and block RAMs of the bank with the config's lfsr (default the iCEBreaker's:
 * boards/icebreaker/chip.json) at its machine lanes and at 16 and 64 lanes, in registers and in block RAM. Fmax:
 * `node bin/run-ts.js bench/ice40-unit-timing.ts lfsr` (or lfsr-block).
 *
 *   node bin/run-ts.js bench/ucore-lfsr-cost.ts [config.json]
 */
import { rmSync } from 'node:fs';
import { synthIce40 } from './ice40-synth.js';
import { loadChipConfig } from '../generator/config.js';
import { lfsrBankOf, ucoreLfsr, type LfsrStorage } from '../generator/ucore/rtl/lfsr.js';
import { machineFor } from '../generator/ucore/program/common.js';
import { chipParams } from '../sim/golden/fixed/index.js';
import { chipTrainConfig } from '../host/chip/config.js';

const [file = new URL('../boards/icebreaker/chip.json', import.meta.url).pathname] = process.argv.slice(2);
const c = loadChipConfig(file);
const machine = machineFor(chipParams(chipTrainConfig(c, 0), c.numeric), 0);
console.log(`lfsr ${JSON.stringify(machine.lfsr)}, machine lanes ${machine.lanes}`);
for (const lanes of [machine.lanes, 16, 64])
  for (const storage of ['registers', 'block'] as LfsrStorage[]) {
    const { dir, cells } = await synthIce40(ucoreLfsr(lfsrBankOf({ ...machine, lanes }, storage)), 'lfsr');
    const ff = Object.entries(cells)
      .filter(([k]) => k.startsWith('SB_DFF'))
      .reduce((a, [, v]) => a + v, 0);
    console.log(`${lanes} lanes, ${storage}: SB_LUT4 ${cells.SB_LUT4 ?? 0}, flip-flops ${ff}, SB_RAM40_4K ${cells.SB_RAM40_4K ?? 0}`);
    rmSync(dir, { recursive: true, force: true });
  }
