/**
 * § WM and § EPOCH BOUNDARY as ucore programs (sim/golden/fixed/wm.ts, kernel.ts labelRow): the slot write, the
 * stored z of a slot, the K_Y row from the labels, the K_X/K_Y ring rows with their row sums (exact: R_q +=
 * new − old, R_c = 1.0 + Σ new, 64-bit integers stored in WIDE words), and the epoch clear.
 *
 * MEMORY (WmAt; gram words take wg = wordsOf(gram format) words, unsigned):
 *   count, head, c   one word each: occupied slots, the slot the next sample goes to, the current slot
 *                    (written by emitWmWriteSlot, read by the others)
 *   labels           B words, signed (−1: empty slot)
 *   inputs           B × dim words: the vector the Gram unit reads, slot q at inputs + q·dim
 *   zw               per hidden layer l: the base of its B × n_l stored z (windowZ words)
 *   Kx, Ky           B × B gram words, row-major, the diagonal not used
 *   Rx, Ry           B row sums, WIDE words each, signed
 *   in, label        the incoming sample: dim words and one label word (read by emitWmWriteSlot)
 *   kx, ky           B gram words each: the new row of slot c (kx from § KERNEL; ky written by emitLabelRow)
 */
import type { Asm } from '../asm.js';
import { imm } from '../asm.js';
import type { Reg } from '../isa.js';
import type { ChipParams } from '../../../sim/golden/fixed/params.js';
import { WIDE, wordsOf } from './common.js';

export interface WmAt {
  count: number;
  head: number;
  c: number;
  labels: number;
  inputs: number;
  zw: readonly number[];
  Kx: number;
  Ky: number;
  Rx: number;
  Ry: number;
  in: number;
  label: number;
  kx: number;
  ky: number;
}

/** Copies n (a constant) words from [src] to [dst] (registers, advanced past the copy), four at a time. */
function copyWords(a: Asm, src: Reg, dst: Reg, n: number): void {
  const quads = Math.floor(n / 4);
  a.with(4, (t0, t1, t2, t3) => {
    const t = [t0, t1, t2, t3];
    if (quads > 0)
      a.loop(quads, () => {
        for (let k = 0; k < 4; k++) a.ld(t[k], src, k, 1, false);
        for (let k = 0; k < 4; k++) a.st(t[k], dst, k, 1);
        a.add(src, src, imm(4));
        a.add(dst, dst, imm(4));
      });
    for (let k = 0; k < n % 4; k++) {
      a.ld(t0, src, k, 1, false);
      a.st(t0, dst, k, 1);
    }
  });
}

/** Writes the low 16 bits of `v` to n (a constant) words from address `base`, four stores a loop. */
function fillWords(a: Asm, base: number, n: number, v: Reg): void {
  if (n <= 0) return;
  const quads = Math.floor(n / 4);
  a.with(1, (p) => {
    a.li(p, base);
    if (quads > 0)
      a.loop(quads, () => {
        for (let k = 0; k < 4; k++) a.st(v, p, k, 1);
        a.add(p, p, imm(4));
      });
    for (let k = 0; k < n % 4; k++) a.st(v, p, k, 1);
  });
}

/**
 * A new sample into slot c = head: its vector and label; c stored; head ← (c + 1) mod B; count ← min(count + 1, B).
 * `copy` false leaves the vector to the caller (the input-words pass stores the pixels as it reads them).
 */
export function emitWmWriteSlot(a: Asm, P: ChipParams, at: WmAt, copy = true): void {
  const B = P.B;
  const dim = P.sizes[0];
  a.with(3, (c, src, dst) => {
    a.ld(c, 0, at.head, 1, false);
    a.st(c, 0, at.c, 1);
    if (copy) {
      a.li(src, at.in);
      a.mul(dst, c, imm(dim));
      a.add(dst, dst, imm(at.inputs));
      copyWords(a, src, dst, dim);
    }
    a.ld(src, 0, at.label, 1, false);
    a.st(src, c, at.labels, 1);
    // head ← c + 1, or 0 at B
    const wrap = a.label('wm.wrap');
    a.add(c, c, imm(1));
    a.blt(c, imm(B), wrap);
    a.li(c, 0);
    a.bind(wrap);
    a.st(c, 0, at.head, 1);
    a.ld(c, 0, at.count, 1, false);
    a.add(c, c, imm(1));
    a.min(c, c, imm(B));
    a.st(c, 0, at.count, 1);
  });
}

/** The stored z of hidden layer l (n windowZ words at `z`) into slot c of at.zw[l]. */
export function emitWmWriteZ(a: Asm, P: ChipParams, l: number, at: Pick<WmAt, 'c' | 'zw'> & { z: number }): void {
  const n = P.sizes[l + 1];
  if (l < 0 || l >= P.L - 1) throw new RangeError(`ucore wm: hidden layer ${l} does not exist (0 … ${P.L - 2})`);
  if (wordsOf(P.numeric.windowZ.format) !== 1) throw new RangeError('ucore wm: the windowZ format must be one word');
  a.with(2, (src, dst) => {
    a.ld(dst, 0, at.c, 1, false);
    a.mul(dst, dst, imm(n));
    a.add(dst, dst, imm(at.zw[l]));
    a.li(src, at.z);
    copyWords(a, src, dst, n);
  });
}

/** K_Y row of slot c: ky[q] = 1.0 when labels[q] = labels[c], else the off-class word, for q < count. */
export function emitLabelRow(a: Asm, P: ChipParams, at: WmAt): void {
  const wg = wordsOf(P.numeric.gram.format);
  const done = a.label('wm.ky.done');
  a.with(5, (cnt, yc, pl, pk, t) => {
    a.ld(cnt, 0, at.count, 1, false);
    a.beq(cnt, imm(0), done);
    a.ld(yc, 0, at.c, 1, false);
    a.ld(yc, yc, at.labels, 1, true);
    a.li(pl, at.labels);
    a.li(pk, at.ky);
    const top = a.label('wm.ky');
    a.bind(top);
    const same = a.label('wm.ky.same');
    const store = a.label('wm.ky.st');
    a.ld(t, pl, 0, 1, true);
    a.beq(t, yc, same);
    a.li(t, P.kyOff);
    a.b(store);
    a.bind(same);
    a.li(t, P.one);
    a.bind(store);
    a.st(t, pk, 0, wg);
    a.add(pl, pl, imm(1));
    a.add(pk, pk, imm(wg));
    a.dbnz(cnt, top);
    a.bind(done);
  });
}

/**
 * Row c of K_X and K_Y rewritten with kx[q], ky[q] for the occupied q ≠ c, both halves; R_q += new − old for
 * those q; R_c = 1.0 + Σ_q new.
 */
export function emitWmUpdateRows(a: Asm, P: ChipParams, at: WmAt): void {
  const B = P.B;
  const wg = wordsOf(P.numeric.gram.format);
  const done = a.label('wm.rows.done');
  a.with(7, (cnt, c, q, pcq, pqc, pr, rx) => {
    a.with(5, (ry, x, y, old, t) => {
      a.li(rx, P.one);
      a.li(ry, P.one);
      a.ld(cnt, 0, at.count, 1, false);
      a.ld(c, 0, at.c, 1, false);
      a.beq(cnt, imm(0), done);
      a.li(q, 0);
      a.mul(pcq, c, imm(B * wg)); // (c·B + q)·wg
      a.mul(pqc, c, imm(wg)); // (q·B + c)·wg
      a.li(pr, 0); // q·WIDE
      const top = a.label('wm.rows');
      const skip = a.label('wm.rows.skip');
      a.bind(top);
      a.beq(q, c, skip);
      for (const [K, R, k, v, acc] of [
        [at.Kx, at.Rx, at.kx, x, rx],
        [at.Ky, at.Ry, at.ky, y, ry],
      ] as const) {
        // v = new word; R_q += v − old; K[c][q] = K[q][c] = v; R_c accumulates v
        a.mul(t, q, imm(wg));
        a.ld(v, t, k, wg, false);
        a.ld(old, pcq, K, wg, false);
        a.ld(t, pr, R, WIDE, true);
        a.add(t, t, v);
        a.sub(t, t, old);
        a.st(t, pr, R, WIDE);
        a.st(v, pcq, K, wg);
        a.st(v, pqc, K, wg);
        a.add(acc, acc, v);
      }
      a.bind(skip);
      a.add(q, q, imm(1));
      a.add(pcq, pcq, imm(wg));
      a.add(pqc, pqc, imm(B * wg));
      a.add(pr, pr, imm(WIDE));
      a.dbnz(cnt, top);
      a.mul(t, c, imm(WIDE));
      a.st(rx, t, at.Rx, WIDE);
      a.st(ry, t, at.Ry, WIDE);
      a.bind(done);
    });
  });
}

/** Epoch boundary: count = head = 0, labels −1, the slots' vectors, stored z, K_X, K_Y, R_X, R_Y all 0. */
export function emitWmClear(a: Asm, P: ChipParams, at: WmAt): void {
  const B = P.B;
  const wg = wordsOf(P.numeric.gram.format);
  a.with(1, (v) => {
    a.li(v, 0);
    a.st(v, 0, at.count, 1);
    a.st(v, 0, at.head, 1);
    fillWords(a, at.inputs, B * P.sizes[0], v);
    P.sizes.slice(1, P.L).forEach((n, l) => fillWords(a, at.zw[l], B * n, v));
    fillWords(a, at.Kx, B * B * wg, v);
    fillWords(a, at.Ky, B * B * wg, v);
    fillWords(a, at.Rx, B * WIDE, v);
    fillWords(a, at.Ry, B * WIDE, v);
    a.li(v, -1);
    fillWords(a, at.labels, B, v);
  });
}
