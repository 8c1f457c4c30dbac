import { describe, expect, it } from 'vitest';
import { emitDesign } from '../../../generator/emit/index.js';
import { arithBlocks } from '../../../generator/lib/arith/index.js';
import { lintVerilator, parseIcarus, synthYosys } from '../../../generator/tools/index.js';
import { lfsrTop, mulAllTop, tableTop } from './tops.js';

const modules = [...arithBlocks(), mulAllTop(), lfsrTop(), tableTop()];

describe('every arithmetic block passes the HDL tools', () => {
  it('arithBlocks() has one lfsr, one fixedMul and the table functions, under distinct names', () => {
    const names = arithBlocks().map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => n.startsWith('lfsr_'))).toHaveLength(1);
    expect(names.filter((n) => n.startsWith('fmul_'))).toEqual(['fmul_s16im4_s16i6_s16i4_st16_sat']);
    expect(names.some((n) => n.startsWith('tbl_expneg_'))).toBe(true);
  });
  for (const mod of modules) {
    it(`${mod.name}: verilator -Wall clean, yosys without error or latch, iverilog -g2005`, async () => {
      const d = emitDesign(mod);
      const [lint, synth, parse] = await Promise.all([
        lintVerilator(d.files, mod.name),
        synthYosys(d.files, mod.name),
        parseIcarus(d.files, mod.name),
      ]);
      expect(lint.warnings).toEqual([]);
      expect(lint.errors).toEqual([]);
      expect(lint.ok).toBe(true);
      expect(synth.errors).toEqual([]);
      expect(synth.checkProblems).toBe(0);
      expect(synth.latches).toEqual([]);
      expect(synth.totalCells).toBeGreaterThan(0);
      expect(synth.ok).toBe(true);
      expect(parse.errors).toEqual([]);
      expect(parse.warnings).toEqual([]);
      expect(parse.ok).toBe(true);
    });
  }
});
