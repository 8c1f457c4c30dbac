/**
 * § GRAM as a ucore program (sim/golden/fixed/gram.ts gramRow): the exact squared distances of slot c's vector
 * to every occupied slot, one `vdist` per slot. d_c = vdist(c, c) = 0 comes out of the same loop, so there is
 * no branch; slots q ≥ count are not written.
 *
 * MEMORY (at): c, count — one word each: the current slot and the occupied slots (0 … B; 0 writes nothing);
 *              vecs     — the window's vectors, slot q at vecs + q·dim, one word each (u8 pixels: unsigned;
 *                         input words or stored z (windowZ): signed);
 *              d        — B distances, WIDE words each (signed), written for q < count.
 */
import type { Asm } from '../asm.js';
import { imm } from '../asm.js';
import type { Signedness } from '../isa.js';
import { WIDE } from './common.js';

export interface GramRowParams {
  /** words per vector: d_in (K_X) or the layer width n (K_Z) */
  dim: number;
  /** 'unsigned' for u8 pixels, 'signed' for input words and stored z */
  f: Signedness;
}

export interface GramRowAt {
  c: number;
  count: number;
  vecs: number;
  d: number;
}

export function emitGramRow(a: Asm, p: GramRowParams, at: GramRowAt): void {
  const { dim, f } = p;
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`ucore gram: dim ${dim} must be a positive integer`);
  const done = a.label('gram.done');
  a.with(5, (vc, vq, pd, n, cnt) => {
    a.ld(cnt, 0, at.count, 1, false);
    a.beq(cnt, imm(0), done);
    a.ld(vc, 0, at.c, 1, false);
    a.mul(vc, vc, imm(dim));
    a.add(vc, vc, imm(at.vecs));
    a.li(vq, at.vecs);
    a.li(pd, at.d);
    a.li(n, dim);
    // (a counted loop by hand: Asm.loop takes a register number as a constant count)
    a.with(1, (d) => {
      const top = a.label('gram.q');
      a.bind(top);
      a.vdist(d, vc, vq, n, f);
      a.st(d, pd, 0, WIDE);
      a.add(vq, vq, imm(dim));
      a.add(pd, pd, imm(WIDE));
      a.dbnz(cnt, top);
    });
    a.bind(done);
  });
}

/** The Gram-row parameters of K_X (pixels: u8 words, else the input words) and of hidden layer l's K_Z. */
export function gramOfInputs(dIn: number, pixels: boolean): GramRowParams {
  return { dim: dIn, f: pixels ? 'unsigned' : 'signed' };
}
export function gramOfZ(n: number): GramRowParams {
  return { dim: n, f: 'signed' };
}
