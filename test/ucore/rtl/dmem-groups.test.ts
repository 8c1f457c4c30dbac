import { describe, expect, it } from 'vitest';
import { dmemGroupsOf } from '../../../generator/ucore/rtl/core.js';

describe('dmemGroupsOf: the block RAM data words in groups of blocks one block deep', () => {
  it('covers every word and every bit once, each slice one SB_RAM40_4K shape, in ⌈words / 256⌉ blocks (up to 2048 words)', () => {
    const shapes = new Map([[16, 256], [8, 512], [4, 1024], [2, 2048]]);
    for (let words = 2; words <= 2048; words++) {
      const groups = dmemGroupsOf(words);
      let next = 0;
      let blocks = 0;
      for (const g of groups) {
        expect(g.base, `${words} words: groups in order`).toBe(next);
        const size = 2 ** Math.ceil(Math.log2(g.depth));
        expect(g.base % size, `${words} words: group at ${g.base} aligned to its ${size} words`).toBe(0);
        let bit = 0;
        for (const sl of g.slices) {
          expect(sl.lo, `${words} words: slices in order`).toBe(bit);
          const width = sl.hi - sl.lo + 1;
          const deep = shapes.get(width);
          expect(deep, `${words} words: a ${width}-bit slice`).toBeDefined();
          expect(g.depth, `${words} words: ${sl.name} one block deep`).toBeLessThanOrEqual(deep!);
          bit = sl.hi + 1;
          blocks++;
        }
        expect(bit, `${words} words: group at ${g.base} holds all 16 bits`).toBe(16);
        next = g.base + g.depth;
      }
      expect(next, `${words} words: every word`).toBe(words);
      expect(blocks, `${words} words: blocks`).toBe(Math.ceil(words / 256));
      expect(new Set(groups.flatMap((g) => g.slices.map((s) => s.name))).size, `${words} words: names`).toBe(blocks);
    }
  });

  it('keeps a memory of more than 2048 words whole (dmem)', () => {
    expect(dmemGroupsOf(2049)).toEqual([{ base: 0, depth: 2049, slices: [{ name: 'dmem', lo: 0, hi: 15 }] }]);
  });
});
