/**
 * § KERNEL (sim/golden/fixed/kernel.ts kernelRow / kernelWord) as ucore code: kernel words from exact squared
 * distances, k_q = expNeg(min(κ.apply(d_q, e), t_max)), k_c = 1.0.
 *
 *   at.d   d[q] at at.d + 4q: WIDE (4-word, signed) exact distances, q = 0 … count − 1 (d[c] is not read)
 *   at.k   k[q] at at.k + wordsOf(gram)·q, gram words (unsigned); entries q ≥ count are not written
 *   c, count  registers (slot of the current sample, occupied slots), preserved; count = 0 writes nothing
 *
 * The expNeg subroutine (tables.ts, emitted with counter `gram`) computes the table; the clamp of t is
 * counted in kernelArg. Besides the table registers, the section takes three registers while it runs.
 */
import type { ResolvedNumeric } from '../../numeric.js';
import type { KernelParams } from '../../../sim/golden/fixed/kernel.js';
import { Asm, imm } from '../asm.js';
import type { Reg } from '../isa.js';
import { counterOf, WIDE, wordsOf } from './common.js';
import type { TableSub } from './tables.js';

export interface KernelAt {
  d: number;
  k: number;
}

/** rd ← rnd(ra·m, k) for a ConstScale-style constant (a shift when m = 1). */
export function emitConstMul(a: Asm, rd: Reg, ra: Reg, m: number, k: number): void {
  if (m === 1) a.rnd(rd, ra, k);
  else a.mulr(rd, ra, imm(m), k);
}

/** expNeg.regs.y ← kernelWord(p, d) for the exact distance in register d (d is preserved unless it is expNeg.regs.x). */
export function emitKernelWord(a: Asm, p: KernelParams, d: Reg, expNeg: TableSub): void {
  if (expNeg.fn !== p.expNeg) throw new Error('ucore kernel: the table subroutine is not the kernel\'s expNeg');
  const x = expNeg.regs.x;
  emitConstMul(a, x, d, p.kappa.m, p.kappa.s + p.shift);
  a.satr(x, x, -(2n ** 62n), BigInt(p.tMax), counterOf('kernelArg')); // t ≥ 0: only the high side can clamp
  a.call(expNeg.entry);
}

/** The kernel row (layout in the file header). */
export function emitKernelRow(a: Asm, p: KernelParams, N: ResolvedNumeric, at: KernelAt, c: Reg, count: Reg, expNeg: TableSub): void {
  const kw = wordsOf(N.gram.format);
  const done = a.label('krow_done');
  a.beq(count, imm(0), done);
  a.with(3, (q, pd, pk) => {
    a.li(q, 0);
    a.li(pd, at.d);
    a.li(pk, at.k);
    a.loopReg(count, () => {
      const diag = a.label('krow_diag');
      const next = a.label('krow_next');
      a.beq(q, c, diag);
      a.ld(expNeg.regs.x, pd, 0, WIDE, true);
      emitKernelWord(a, p, expNeg.regs.x, expNeg);
      a.st(expNeg.regs.y, pk, 0, kw);
      a.b(next);
      a.bind(diag);
      a.li(expNeg.regs.y, p.one);
      a.st(expNeg.regs.y, pk, 0, kw);
      a.bind(next);
      a.add(q, q, imm(1));
      a.add(pd, pd, imm(WIDE));
      a.add(pk, pk, imm(kw));
    });
  });
  a.bind(done);
}
