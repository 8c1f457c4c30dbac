import { describe, expect, it } from 'vitest';
import { SatCounter, width } from '../../generator/fixed/index.js';
import { Asm } from '../../generator/ucore/asm.js';
import { counterOf, countersOf, machineFor, WIDE, wordsOf } from '../../generator/ucore/program/common.js';
import { emitOutputStep } from '../../generator/ucore/program/output.js';
import { tableImage, tableRegs, tableSub } from '../../generator/ucore/program/tables.js';
import { laneSeed, LfsrBank, outputScratch, outputStep, satSlots } from '../../sim/golden/fixed/index.js';
import { Rng } from '../../sim/rng.js';
import { Machine } from '../../sim/ucore/iss.js';
import { DEFAULT_NUMERIC } from '../../generator/numeric.js';
import { chipParams, CHIP_TRAIN } from '../../sim/golden/fixed/index.js';
import { configs, expectFree } from './helpers.js';

// deterministic update roundings (no draws: the LFSR states stay as seeded)
const deterministic = {
  name: 'deterministic update 24-16-8-5 B6',
  P: chipParams(
    { ...CHIP_TRAIN, layers: [24, 16, 8, 5], window: 6 },
    { ...DEFAULT_NUMERIC, weight: { format: 'Q4.12', rounding: 'nearest', overflow: 'saturate' }, bias: { format: 'Q4.12', rounding: 'truncate', overflow: 'saturate' }, lfsr: { ...DEFAULT_NUMERIC.lfsr, lanes: 3 } },
  ),
};

const rng = new Rng(21);

describe('ucore § OUTPUT: outputStep', () => {
  for (const { name, P } of [...configs(), deterministic]) {
    it(`${name}: W, b, errors, every counter and the LFSR states equal the golden outputStep`, () => {
      const N = P.numeric;
      const op = P.output;
      const { nIn, C, B } = op;
      const lanes = N.lfsr.lanes;
      const base = (P.L - 1) * lanes;
      const expImg = tableImage(P.tables.exp);
      const recImg = tableImage(P.tables.recip);
      const wl = wordsOf(N.logit.format);
      const wb = wordsOf(N.bias.format);
      let o = expImg.words.length + recImg.words.length;
      const take = (n: number) => ((o += n), o - n);
      const at = { W: take(C * nIn), b: take(C * wb), H: take(B * nIn), labels: take(B), logits: take(B * C * wl), errs: take(B * C), e: take(C * WIDE) };
      const memWords = o;
      const a = new Asm();
      const r = tableRegs(a);
      const exp = tableSub(a, P.tables.exp, 0, counterOf('prob'), r);
      const recip = tableSub(a, P.tables.recip, expImg.words.length, undefined, r);
      emitOutputStep(a, op, N, at, { exp, recip }, { base, lanes });
      expectFree(a, 31 - 6);
      a.halt();
      const prog = a.finish();
      const m = new Machine(machineFor(P, memWords));
      m.mem.set(expImg.words, 0);
      m.mem.set(recImg.words, expImg.words.length);
      const seeds = Array.from({ length: lanes }, (_, q) => laneSeed(N.lfsr.seed, 17, P.L - 1, q, N.lfsr.width));
      const bank = new LfsrBank(N.lfsr.width, N.lfsr.rbits, N.lfsr.leap, lanes, seeds);
      seeds.forEach((sd, q) => (m.lfsr[base + q] = sd));
      const s = satSlots(new SatCounter());
      const wHi = 2 ** (width(N.weight.format) - 1) - 1;
      const hHi = 2 ** (width(N.windowZ.format) - 1) - 1;
      const bHi = 2 ** (width(N.bias.format) - 1) - 1;
      // the state carries over between steps, as on the chip: W and b start random (some at the limits)
      const W = Int32Array.from({ length: C * nIn }, () => (rng.int(10) === 0 ? (rng.int(2) ? wHi : -wHi - 1) : rng.int(2 * wHi) - wHi));
      const b = Int32Array.from({ length: C }, () => (rng.int(3) === 0 ? (rng.int(2) ? bHi : -bHi - 1) : rng.int(2 * bHi) - bHi));
      let cycles = 0;
      const x = outputScratch(op);
      for (let step = 0; step < 12; step++) {
        // h: small, full-range or saturating; labels random
        const scale = [hHi >> 6, hHi, hHi >> 2][step % 3];
        const H = Int32Array.from({ length: B * nIn }, () => rng.int(2 * scale + 1) - scale);
        const labels = Int32Array.from({ length: B }, () => rng.int(C));
        if (step % 3 === 2) b.forEach((_, j) => (b[j] = j % 2 ? bHi : -bHi - 1)); // biases at the limits
        W.forEach((v, i) => m.store(at.W + i, 1, BigInt(v)));
        b.forEach((v, j) => m.store(at.b + wb * j, wb, BigInt(v)));
        H.forEach((v, i) => m.store(at.H + i, 1, BigInt(v)));
        labels.forEach((v, q) => (m.mem[at.labels + q] = v));
        const c0 = m.cycles;
        m.run(prog);
        cycles = m.cycles - c0;
        outputStep(op, W, b, H, labels, bank, x, s);
        for (let q = 0; q < B * C; q++) expect(Number(m.load(at.logits + wl * q, wl, true)), `step ${step} o[${q}]`).toBe(x.logits[q]);
        for (let q = 0; q < B * C; q++) expect(Number(m.load(at.errs + q, 1, true)), `step ${step} e[${q}]`).toBe(x.errs[q]);
        for (let i = 0; i < C * nIn; i++) if (Number(m.load(at.W + i, 1, true)) !== W[i]) expect(`step ${step} W[${i}] = ${m.load(at.W + i, 1, true)}`).toBe(`step ${step} W[${i}] = ${W[i]}`);
        for (let j = 0; j < C; j++) expect(Number(m.load(at.b + wb * j, wb, true)), `step ${step} b[${j}]`).toBe(b[j]);
        for (let q = 0; q < lanes; q++) expect(m.lfsr[base + q], `step ${step} lane ${q}`).toBe(bank.states[q] >>> 0);
      }
      const got = countersOf(m.sat);
      const want = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, { high: v.high, low: v.low }]));
      expect(got).toEqual(want);
      for (const k of ['logit', 'err', 'weight', 'bias'] as const) expect(want[k].high + want[k].low, `${k} saturates in the test`).toBeGreaterThan(0);
      console.log(`${name}: outputStep (${nIn}×${C}, B ${B}) ${cycles} cycles; counters ${JSON.stringify({ logit: want.logit, prob: want.prob, err: want.err, weight: want.weight, bias: want.bias })}`);
    });
  }
});
