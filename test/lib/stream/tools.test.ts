import { describe, expect, it } from 'vitest';
import { emitDesign } from '../../../generator/emit/index.js';
import type { Module } from '../../../generator/ir/index.js';
import { bramDualPort, bramSinglePort, fifo, skidBuffer, streamBlocks } from '../../../generator/lib/stream/index.js';
import { synthYosys } from '../../../generator/tools/index.js';
import { expectToolsClean } from '../../generator/tool-checks.js';

/** The default blocks plus the variants the defaults do not cover (no tlast, smallest depth, odd sizes). */
const BLOCKS: Module[] = [...streamBlocks(), skidBuffer(5), fifo(3, 2), fifo(12, 64, { last: true }), fifo(5, 4, { storage: 'bram' }), bramDualPort(8, 24), bramSinglePort(9, 100)];

describe('stream library blocks', () => {
  it('streamBlocks() has one of each block, named by its parameters', () => {
    expect(streamBlocks().map((b) => b.name)).toEqual(['skid_w8_l', 'fifo_w8_d16_l', 'fifo_w16_d256_bram', 'bram_sp_w16_d256', 'bram_sdp_w16_d256']);
    expect(skidBuffer(5).name).toBe('skid_w5');
    expect(fifo(3, 2).name).toBe('fifo_w3_d2');
    expect(fifo(3, 2, { last: true, storage: 'bram' }).name).toBe('fifo_w3_d2_l_bram');
    expect(() => fifo(8, 12)).toThrow(/power of two/);
    expect(() => fifo(8, 1)).toThrow(/power of two/);
    expect(() => bramDualPort(8, 1)).toThrow(/depth/);
  });

  for (const mod of BLOCKS) {
    it(`${mod.name}: verilator -Wall clean, yosys without error or latch, iverilog -g2005`, async () => {
      await expectToolsClean(mod);
    });
  }

  for (const mod of [bramSinglePort(16, 256), bramDualPort(16, 256), fifo(16, 256, { storage: 'bram' })]) {
    it(`${mod.name} maps to one SB_RAM40_4K on ice40`, async () => {
      const d = emitDesign(mod);
      const synth = await synthYosys(d.files, mod.name, 'ice40');
      expect(synth.errors).toEqual([]);
      expect(synth.ok).toBe(true);
      expect(synth.latches).toEqual([]);
      expect(synth.cells.SB_RAM40_4K).toBe(1);
    });
  }
});
