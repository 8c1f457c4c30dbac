import { describe, expect, it } from 'vitest';
import { width } from '../../generator/fixed/index.js';
import { DEFAULT_NUMERIC, type NumericConfig } from '../../generator/numeric.js';
import { Asm } from '../../generator/ucore/asm.js';
import { countersOf, machineFor, wordsOf } from '../../generator/ucore/program/common.js';
import { emitForwardMac, emitInputWords } from '../../generator/ucore/program/forward.js';
import { pixelToInput } from '../../sim/data.js';
import { SatCounter } from '../../generator/fixed/index.js';
import { chipParams, CHIP_TRAIN, forwardMac, satSlots } from '../../sim/golden/fixed/index.js';
import { Machine } from '../../sim/ucore/iss.js';
import { Rng } from '../../sim/rng.js';

const rng = new Rng(11);
const randInt = (lo: number, hi: number) => lo + rng.int(hi - lo + 1);

const configs: { name: string; layers: number[]; window: number; numeric: NumericConfig }[] = [
  { name: 'iCEBreaker 784-32-10', layers: [784, 32, 10], window: 4, numeric: { ...DEFAULT_NUMERIC, lfsr: { ...DEFAULT_NUMERIC.lfsr, lanes: 2 } } },
  { name: '24-16-8-5, preact truncated', layers: [24, 16, 8, 5], window: 6, numeric: { ...DEFAULT_NUMERIC, preact: { ...DEFAULT_NUMERIC.preact, rounding: 'truncate' }, lfsr: { ...DEFAULT_NUMERIC.lfsr, lanes: 5 } } },
];

describe('ucore § FORWARD MAC against the golden model', () => {
  for (const cfg of configs) {
    it(`${cfg.name}: every preactivation and the preact counters equal forwardMac`, () => {
      const P = chipParams({ ...CHIP_TRAIN, layers: cfg.layers, window: cfg.window }, cfg.numeric);
      const N = P.numeric;
      for (let l = 0; l < P.L - 1; l++) {
        const p = P.forward[l];
        const hF = l === 0 ? N.input.format : N.act.format;
        const at = { W: 0, h: p.n * (p.nIn + 1), a: p.n * (p.nIn + 1) + p.nIn };
        const asm = new Asm();
        emitForwardMac(asm, P, l, at);
        asm.halt();
        const prog = asm.finish();
        for (let trial = 0; trial < 4; trial++) {
          // large weights in some trials drive the preactivations into saturation
          const wMax = trial < 2 ? 2 ** 15 - 1 : 600;
          const W = Int32Array.from({ length: p.n * p.nIn }, () => (trial === 0 ? randInt(wMax >> 1, wMax) : randInt(-wMax - 1, wMax)));
          const b = Int32Array.from({ length: p.n }, () => randInt(-(2 ** 15), 2 ** 15 - 1));
          const hw = width(hF) - 1;
          const h = Int32Array.from({ length: p.nIn }, () => randInt(trial === 0 ? 2 ** (hw - 1) : -(2 ** hw), 2 ** hw - 1));
          const m = new Machine(machineFor(P, at.a + p.n * 4));
          for (let j = 0; j < p.n; j++) {
            for (let i = 0; i < p.nIn; i++) m.mem[j * (p.nIn + 1) + i] = W[j * p.nIn + i] & 0xffff;
            m.mem[j * (p.nIn + 1) + p.nIn] = b[j] & 0xffff;
          }
          for (let i = 0; i < p.nIn; i++) m.mem[at.h + i] = h[i] & 0xffff;
          m.run(prog);
          const ref = new Int32Array(p.n);
          const ctr = new SatCounter();
          forwardMac(p, W, b, h, ref, satSlots(ctr));
          const aw = wordsOf(N.preact.format);
          const got = Array.from({ length: p.n }, (_, j) => Number(m.load(at.a + j * aw, aw, true)));
          expect(got).toEqual(Array.from(ref));
          expect(countersOf(m.sat).preact).toEqual(ctr.snapshot().preact ?? { high: 0, low: 0 });
          if (trial === 0) expect(ctr.count('preact')).toBeGreaterThan(0);
        }
      }
    });
  }

  it('input words from u8 pixels: (2p − 255)·2^(f_in − 8) for every pixel value (Q1.8, Q4.12; widths with and without a remainder of 4)', () => {
    for (const [format, dim] of [['Q1.8', 256], ['Q1.8', 259], ['Q4.12', 258], ['Q3.10', 257]] as const) {
      const numeric = { ...DEFAULT_NUMERIC, input: { ...DEFAULT_NUMERIC.input, format } };
      const P = chipParams({ ...CHIP_TRAIN, layers: [dim, 4, 2], window: 2 }, numeric);
      const asm = new Asm();
      emitInputWords(asm, P, { u: 0, h: 300 });
      asm.halt();
      const m = new Machine(machineFor(P, 600));
      for (let i = 0; i < dim; i++) m.mem[i] = i % 256;
      m.mem[300 + dim] = 0xbeef; // the word after the last must stay
      m.run(asm.finish());
      // with the slot: the pixels also into slot 2 of a window at 1000 (slot index at 999)
      const withSlot = new Asm();
      emitInputWords(withSlot, P, { u: 0, h: 300, slot: { c: 999, base: 1000 } });
      withSlot.halt();
      const m2 = new Machine(machineFor(P, 1000 + 3 * dim));
      m2.mem.set(m.mem.subarray(0, dim));
      m2.mem[999] = 2;
      m2.run(withSlot.finish());
      expect(Array.from(m2.mem.subarray(1000 + 2 * dim, 1000 + 3 * dim)), `${format} ${dim}: the slot`).toEqual(Array.from(m.mem.subarray(0, dim)));
      expect(Array.from(m2.mem.subarray(300, 300 + dim)), `${format} ${dim}: the words with the slot`).toEqual(Array.from(m.mem.subarray(300, 300 + dim)));
      expect(m2.mem.subarray(1000, 1000 + 2 * dim).every((w) => w === 0), `${format} ${dim}: other slots untouched`).toBe(true);
      const f = P.numeric.input.format.fracBits;
      for (let i = 0; i < dim; i++) expect(Number(m.load(300 + i, 1, true)), `${format} ${dim} word ${i}`).toBe(pixelToInput(i % 256) * 2 ** f);
      expect(m.mem[300 + dim]).toBe(0xbeef);
    }
  });
});
