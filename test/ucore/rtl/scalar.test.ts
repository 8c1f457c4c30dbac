/**
 * The ucore core without its vector unit (CoreConfig.vector false) against the ISS: a program of vdot, vdist and
 * vupd emitted as scalar loops (AsmOptions.vector false: stochastic, nearest and floor updates with clamps, two
 * lanes) runs as on the ISS — every register, block-RAM word, counter, LFSR lane and cycle; a vector instruction
 * stops the core with fault before the next one runs.
 */
import { describe, expect, it } from 'vitest';
import { Asm, imm, type Program } from '../../../generator/ucore/asm.js';
import { encode, EBR_BASE } from '../../../generator/ucore/encode.js';
import { NUM_REGS } from '../../../generator/ucore/isa.js';
import { CoreTiming, romImage, ucoreCore } from '../../../generator/ucore/rtl/core.js';
import { Machine } from '../../../sim/ucore/iss.js';
import { buildFromIr } from '../../../sim/verilator/from-ir.js';
import { Rand } from '../mod-helpers.js';
import { coreLanes, peekDmem, pokeRom } from './ref.js';

const MACHINE = { lanes: 4, lfsr: { width: 24, rbits: 16, leap: 5 } };
const WORDS = 512;
const ROM = 512;
const POOL_BASE = 256;
const DESC_BASE = 448;
/** the core's counters (128 words) at the start of block RAM, the ISS's (one quantity: 4 words) there too; data after */
const SAT = 128;
const halves = (regs: readonly bigint[]): bigint[] => regs.flatMap((v) => [BigInt.asUintN(32, v), BigInt.asUintN(32, v >> 32n)]);

/** vdot, vdist and three vupd (rounding, k, lanes) over block RAM, the scalar loops. */
function program(R: Rand): Program {
  const a = new Asm({ vector: false });
  const [lane, st, rd, A, B, S1, S2, N, X, L0, d] = a.regs(11);
  for (let q = 0; q < MACHINE.lanes; q++) {
    a.li(lane, q);
    a.li(st, R.int(1, 2 ** 24 - 1));
    a.lfsrset(lane, st);
  }
  a.li(A, EBR_BASE + SAT);
  a.li(B, EBR_BASE + SAT + 96);
  a.li(S1, 1);
  a.li(S2, 2);
  a.li(N, 20);
  a.li(rd, -12345);
  a.vdot(rd, A, S1, B, S2, N, 'signed', 'unsigned');
  a.vdist(d, A, B, N, 'signed');
  a.li(L0, 1);
  for (const [rounding, k, g] of [['stochastic', 9, 2], ['nearest', 7, 1], ['floor', 0, 1]] as const) {
    a.li(X, R.int(-3000, 3000));
    a.vupd(A, B, N, X, L0, g, { k, rounding, w: 12, q: 0 });
    a.add(A, A, imm(24));
  }
  a.halt();
  return a.finish();
}

describe('ucore RTL core without its vector unit (CoreConfig.vector false)', () => {
  it('runs vdot, vdist and vupd as scalar loops as the ISS does (registers, block RAM, counters, LFSR lanes, cycles); a vector instruction faults', async () => {
    const R = new Rand(31);
    const prog = program(R);
    // the program with a vdot before its halt, then r30 ← 99
    const faulty: Program = {
      code: [...prog.code.slice(0, -1), { op: 'vdot', rd: 20, a: 21, sa: 22, bv: 23, sb: 24, n: 25, fa: 'signed', fb: 'signed' }, { op: 'li', rd: 30, imm: 99n }, { op: 'halt' }],
      labels: prog.labels,
    };
    expect(prog.code.some((i) => i.op === 'vdot' || i.op === 'vdist' || i.op === 'vupd')).toBe(false);
    const mem = Array.from({ length: WORDS - SAT }, () => R.int(0, 65535));
    const timing = new CoreTiming();
    const iss = new Machine({ ...MACHINE, memWords: EBR_BASE + WORDS, quantities: 1, satBase: EBR_BASE, timing: timing.timing });
    iss.mem.set(mem, EBR_BASE + SAT);
    timing.attach(iss);
    iss.run(prog);
    expect(iss.sat[0] + iss.sat[1], 'clamps counted').toBeGreaterThan(0);
    const m = await buildFromIr(ucoreCore({ image: encode(prog), ebrWords: WORDS, data: [...new Array<number>(SAT).fill(0), ...mem], spramWords: 16, satBase: EBR_BASE, machine: MACHINE, vector: false, romWords: ROM, poolBase: POOL_BASE, descBase: DESC_BASE }));
    try {
      const run = async (): Promise<number> => {
        await m.poke('entry', 0);
        await m.poke('start', 1);
        await m.step();
        await m.poke('start', 0);
        await m.run({ untilPort: { port: 'busy', equals: 0 }, maxCycles: 200_000 });
        return m.peek('fault');
      };
      await m.reset(2);
      // the registers as the ISS starts them: 0
      for (const rf of ['rfa', 'rfb']) await m.pokeMem(`ucore_core.${rf}`, 0, halves(iss.regs.map(() => 0n)));
      expect(await run()).toBe(0);
      expect(await m.peek('cycles')).toBe(iss.cycles);
      expect(await m.peekMemBig('ucore_core.rfa', 2, 2 * NUM_REGS - 2)).toEqual(halves(iss.regs).slice(2));
      expect(await peekDmem(m, WORDS, SAT, WORDS - SAT)).toEqual(Array.from(iss.mem.subarray(EBR_BASE + SAT, EBR_BASE + WORDS)));
      const c = iss.sat;
      expect(await peekDmem(m, WORDS, 0, 4)).toEqual([c[0] % 65536, Math.floor(c[0] / 65536), c[1] % 65536, Math.floor(c[1] / 65536)]);
      expect(await coreLanes(m, MACHINE.lanes), 'LFSR lanes').toEqual(Array.from(iss.lfsr));
      // the same loops, then a vdot: fault, and the li after it never runs
      await pokeRom(m, romImage(encode(faulty), POOL_BASE, DESC_BASE), ROM, true);
      for (const rf of ['rfa', 'rfb']) await m.pokeMem(`ucore_core.${rf}`, 60, [0n, 0n]);
      expect(await run()).toBe(1);
      expect(await m.peekMemBig('ucore_core.rfa', 60, 1)).toEqual([0n]);
    } finally {
      await m.close();
    }
  }, 600_000);
});
