import { describe, expect, it } from 'vitest';
import type { Module } from '../../../generator/ir/index.js';
import { arithBlocks } from '../../../generator/lib/arith/index.js';
import { DEFAULT_CHIP } from '../../../generator/config.js';
import { expectToolsClean } from '../../generator/tool-checks.js';
import { chipTop, lfsrTop, mulAllTop, tableTop } from './tops.js';

const blocks = arithBlocks();
/** The test tops instantiate every block of arithBlocks() and the other variants the co-simulations use. */
const tops = [mulAllTop(), lfsrTop(), tableTop()];
/** The blocks as the default chip configures them (`ibhebb gen`). */
const chip = chipTop(DEFAULT_CHIP);

function children(mod: Module): Module[] {
  return mod.items.flatMap((it) => (it.kind === 'instance' ? [it.instance.module, ...children(it.instance.module)] : []));
}

describe('every arithmetic block passes the HDL tools', () => {
  it('arithBlocks() has one lfsr, one fixedMul and the table functions, under distinct names, all inside the test tops', () => {
    const names = blocks.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => n.startsWith('lfsr_'))).toEqual(['lfsr_w16_t8805_s1_r16_l1']);
    expect(names.filter((n) => n.startsWith('fmul_'))).toEqual(['fmul_s16im4_s16i6_s16i4_st16_sat']);
    expect(names.filter((n) => n.startsWith('tbl_')).map((n) => n.split('_')[1])).toEqual(['expneg', 'exp', 'recip', 'rsqrt']);
    const inTops = new Set(tops.flatMap(children).map((m) => m.name));
    for (const n of names) expect(inTops.has(n), n).toBe(true);
  });
  for (const mod of blocks) {
    it(`${mod.name}: verilator --lint-only -Wall clean, iverilog -g2005 clean`, async () => {
      await expectToolsClean(mod, { synth: false });
    });
  }
  for (const mod of [...tops, chip]) {
    it(`${mod.name} (block variants inside): verilator -Wall clean, yosys without error or latch, iverilog -g2005`, async () => {
      await expectToolsClean(mod);
    });
  }
});
