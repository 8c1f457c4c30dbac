/**
 * The block RAMs of the ucore core with the iCEBreaker's step program after synth_ice40 (generator/tools
 * synthYosys, as test/generator/tool-checks.ts expectBlockRams runs it): each memory takes the SB_RAM40_4K its
 * shape needs in the mode Yosys picks, and nothing else becomes block RAM. The data memory (more than 2,048
 * 16-bit words) takes its words in 512 × 8 blocks, two side by side: one block more than 256 × 16 blocks would
 * need, for a smaller read multiplexer (6 banks instead of 11). The core is built without SPRAM (its style
 * `huge` maps to SB_SPRAM256KA, not to block RAM); its other memories are those of the core `ibhebb build`
 * places (the LFSR bank in block RAM, as CoreConfig.lfsrStorage can choose).
 */
import { describe, expect, it } from 'vitest';
import { emitDesign } from '../../../generator/emit/index.js';
import { EBR_BASE, encode } from '../../../generator/ucore/encode.js';
import { NUM_REGS } from '../../../generator/ucore/isa.js';
import { machineFor } from '../../../generator/ucore/program/common.js';
import { stepProgram } from '../../../generator/ucore/program/step.js';
import { romImage, ucoreCore } from '../../../generator/ucore/rtl/core.js';
import { synthYosys } from '../../../generator/tools/index.js';
import { ICE } from '../mod-helpers.js';

/** SB_RAM40_4K (4 kbit) of a depth × width memory in the mode of `width` bits a block (16, 8, 4 or 2). */
const blocks = (depth: number, width: number, mode: 16 | 8 | 4 | 2): number => Math.ceil(width / mode) * Math.ceil(depth / (4096 / mode));

describe('ucore core: block RAMs after synth_ice40', () => {
  it('the iCEBreaker core: its ROM, both register-file copies, its data memory and the LFSR bank in block RAM, each in the blocks its shape needs', async () => {
    const P = ICE().P;
    const sp = stepProgram(P, true);
    const machine = machineFor(P, 0);
    const image = encode(sp.program);
    const data: number[] = new Array<number>(sp.layout.ebrWords).fill(0);
    for (const img of sp.images) img.words.forEach((w, i) => (data[img.at - EBR_BASE + i] = w));
    const core = ucoreCore({ image, ebrWords: sp.layout.ebrWords, data, spramWords: 0, satBase: sp.layout.at('sat'), machine, lfsrStorage: 'block' });
    const rom = romImage(image).length;
    // the ROM (32 bits: 1024 × 4 blocks), the register file twice (64 × 32: 256 × 16), the data memory (512 × 8),
    // the LFSR bank's states (lanes × width, 256 × 16)
    const want = blocks(rom, 32, 4) + 2 * blocks(2 * NUM_REGS, 32, 16) + blocks(sp.layout.ebrWords, 16, 8) + blocks(machine.lanes, machine.lfsr.width, 16);
    const s = await synthYosys(emitDesign(core).files, core.name, 'ice40');
    expect(s.errors).toEqual([]);
    expect(s.cells.SB_RAM40_4K ?? 0, `block RAMs of ${core.name} (ROM ${rom} × 32, data ${sp.layout.ebrWords} × 16)`).toBe(want);
  }, 600_000);
});
