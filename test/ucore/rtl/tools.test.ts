import { describe, it } from 'vitest';
import { mulUnit } from '../../../generator/ucore/rtl/mul.js';
import { satUnit } from '../../../generator/ucore/rtl/sat.js';
import { shiftUnit } from '../../../generator/ucore/rtl/shift.js';
import { expectToolsClean } from '../../generator/tool-checks.js';

describe('the ucore arithmetic units pass the HDL tools', () => {
  for (const mod of [mulUnit(), shiftUnit(16), shiftUnit(5), shiftUnit(16, 32), satUnit(), satUnit(32)]) {
    it(`${mod.name}: verilator -Wall clean, yosys without error or latch, iverilog -g2005 clean`, async () => {
      await expectToolsClean(mod);
    });
  }
});
