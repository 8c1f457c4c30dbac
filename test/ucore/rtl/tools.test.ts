import { describe, expect, it } from 'vitest';
import { Asm } from '../../../generator/ucore/asm.js';
import { EBR_BASE, encode } from '../../../generator/ucore/encode.js';
import { romImage, ucoreCore, ucoreCoreOf } from '../../../generator/ucore/rtl/core.js';
import { machineFor } from '../../../generator/ucore/program/common.js';
import { stepProgram } from '../../../generator/ucore/program/step.js';
import { ICE } from '../mod-helpers.js';
import { mulUnit } from '../../../generator/ucore/rtl/mul.js';
import { satUnit } from '../../../generator/ucore/rtl/sat.js';
import { shiftUnit } from '../../../generator/ucore/rtl/shift.js';
import { expectToolsClean } from '../../generator/tool-checks.js';

describe('the ucore core and its arithmetic units pass the HDL tools', () => {
  it('ucore_core (small memories: generic synthesis keeps memories in logic): verilator -Wall clean, yosys without error or latch, iverilog -g2005 clean', async () => {
    const a = new Asm();
    a.li(1, 2n ** 40n);
    a.mulr(2, 1, 3, 7);
    a.halt();
    const machine = { lanes: 4, lfsr: { width: 32, rbits: 16, leap: 16 } };
    await expectToolsClean(ucoreCore({ image: encode(a.finish()), ebrWords: 256, spramWords: 256, satBase: EBR_BASE + 128, machine }));
  }, 600_000);

  it('ucore_core builds for every small image: 1–9 instruction words with 0–5 pool entries (the pool at its aligned base)', () => {
    const machine = { lanes: 4, lfsr: { width: 32, rbits: 16, leap: 16 } };
    for (let words = 1; words <= 9; words++)
      for (let entries = 0; entries <= 5; entries++) {
        const image = { words: new Uint32Array(words), pool: BigInt64Array.from({ length: entries }, (_, i) => BigInt(i) << 40n), descriptors: new Uint32Array(0) };
        const rom = romImage(image);
        expect(rom.length % 2, `${words} words, ${entries} entries`).toBe(0);
        expect(ucoreCore({ image, ebrWords: 256, spramWords: 256, satBase: EBR_BASE + 128, machine }).name).toBe('ucore_core');
      }
  });

  it('ucore_core with the iCEBreaker step program (all of SPRAM): verilator -Wall clean, iverilog -g2005 clean', async () => {
    const P = ICE().P;
    await expectToolsClean(ucoreCoreOf(stepProgram(P, true), machineFor(P, 0)), { synth: false });
  }, 600_000);

  for (const mod of [mulUnit(), shiftUnit(16), shiftUnit(5), shiftUnit(16, 32), satUnit(), satUnit(32)]) {
    it(`${mod.name}: verilator -Wall clean, yosys without error or latch, iverilog -g2005 clean`, async () => {
      await expectToolsClean(mod);
    });
  }
});
