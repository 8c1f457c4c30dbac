/**
 * The UP5K engine's data memory map for one ChipParams: every region the step's section programs read and
 * write, by name. Addresses 0 … SPRAM_WORDS − 1 are the four SB_SPRAM256KA (16 K words each: the layers'
 * parameters and the window's inputs, the large arrays); the rest is block RAM (the current sample, the window's
 * small arrays, scratch and the table ROMs). `chipLayout` refuses a network whose arrays do not fit the part.
 */
import type { ChipParams } from '../../../sim/golden/fixed/params.js';
import { WIDE, wordsOf } from './common.js';
import { modulatorScratchWords } from './modulator.js';
import { tableImage } from './tables.js';

/** The UP5K's SPRAM: 4 × 256 kbit as 16-bit words. */
export const SPRAM_WORDS = 4 * 16384;
/** Its block RAM for data: 30 EBR of 4 kbit, less what the program ROM and the FIFOs take (the RTL's plan). */
export const EBR_DATA_WORDS = 20 * 256;

export interface Region {
  name: string;
  at: number;
  words: number;
  /** SPRAM or block RAM */
  spram: boolean;
}

export class Layout {
  readonly regions = new Map<string, Region>();
  private spramTop = 0;
  private ebrTop = SPRAM_WORDS;

  /** A new region of `words` words; `spram` for the large arrays. */
  alloc(name: string, words: number, spram = false): number {
    if (this.regions.has(name)) throw new Error(`ucore layout: region ${name} allocated twice`);
    if (!Number.isInteger(words) || words < 0) throw new RangeError(`ucore layout: region ${name} of ${words} words`);
    const at = spram ? this.spramTop : this.ebrTop;
    if (spram) this.spramTop += words;
    else this.ebrTop += words;
    this.regions.set(name, { name, at, words, spram });
    return at;
  }

  /** A second name for region `of` (the same words). */
  alias(name: string, of: string): void {
    if (this.regions.has(name)) throw new Error(`ucore layout: region ${name} allocated twice`);
    const r = this.regions.get(of);
    if (!r) throw new Error(`ucore layout: no region ${of}`);
    this.regions.set(name, { ...r, name });
  }

  at(name: string): number {
    const r = this.regions.get(name);
    if (!r) throw new Error(`ucore layout: no region ${name}`);
    return r.at;
  }

  get spramWords(): number {
    return this.spramTop;
  }

  get ebrWords(): number {
    return this.ebrTop - SPRAM_WORDS;
  }

  /** Memory words the ISS needs (SPRAM and block RAM in one address space). */
  get memWords(): number {
    return this.ebrTop;
  }

  /** Throws naming the memory, what the network needs and what the part has. */
  checkFits(): void {
    if (this.spramTop > SPRAM_WORDS) throw new RangeError(`ucore layout: SPRAM needs ${this.spramTop} words (parameters and window inputs), the UP5K has ${SPRAM_WORDS}; use fewer hidden units or a shorter window`);
    if (this.ebrWords > EBR_DATA_WORDS) throw new RangeError(`ucore layout: block RAM needs ${this.ebrWords} data words, the UP5K has ${EBR_DATA_WORDS} for data; use narrower layers or a shorter window`);
  }
}

/**
 * The regions of the step of P (program/step.ts), by name (after `lowSpram`'s, which come first in SPRAM):
 *   SPRAM      params.l (hidden layer l: n rows of nIn + 1 words, the bias last), out.W (C × nIn weight words),
 *              out.b (C bias values), win.u (B × nIn0 pixels or input words)
 *   the window win.label (B), win.zw.l (B × n of hidden layer l, windowZ), win.kx / win.ky (B × B gram words),
 *              win.rx / win.ry (B WIDE row sums), win.count, win.head, win.c (the slot of the current sample)
 *   the sample cur.u (its pixels or input words, as the host writes them), cur.label, cur.h0 (the input words;
 *              the same region as cur.u for non-image sets), cur.a.l / cur.z.l (n each), cur.sinv.l, cur.zw.l
 *              (the last resize to windowZ), cur.kx / cur.ky (the new K_X / K_Y row, B gram words each)
 *   scratch    dist (B WIDE), kz (B gram words), delta (n_max δ values), mod (the modulator's coefficients and
 *              ξ), out.logits (B × C), out.errs (B × C err words), out.e (C WIDE), out.class (inference)
 *   tables     rom.expNeg, rom.exp, rom.rsqrt, rom.recip (the table functions' ROM images, tables.ts)
 *   counters   sat: the saturation counters (the RTL core's: counter index q at sat + 4q, its high then its low
 *              count, 32 bits each)
 * `o.sampleInSpram`: cur.u and cur.h0 (the sample's pixels and input words, most of the block-RAM data) in SPRAM
 * after win.u instead, for the core without its vector unit (its scalar loops read any memory at the same cost;
 * a vdot whose operands share an SPRAM would take 2 cycles an element).
 */
export function chipLayout(P: ChipParams, pixels = true, lowSpram: readonly { name: string; words: number }[] = [], o: { sampleInSpram?: boolean } = {}): Layout {
  const N = P.numeric;
  const { sizes, L, B } = P;
  const C = sizes[L];
  const lay = new Layout();
  // regions a program wants at the lowest SPRAM addresses (short immediates: the protocol program's buffers)
  for (const r of lowSpram) lay.alloc(r.name, r.words, true);
  for (let l = 0; l < L - 1; l++) lay.alloc(`params.${l}`, sizes[l + 1] * (sizes[l] + 1), true);
  lay.alloc('out.W', C * sizes[L - 1], true);
  lay.alloc('out.b', C * wordsOf(N.bias.format), true);
  lay.alloc('win.u', B * sizes[0], true);
  lay.alloc('win.label', B);
  const gw = wordsOf(N.gram.format);
  for (let l = 0; l < L - 1; l++) lay.alloc(`win.zw.${l}`, B * sizes[l + 1] * wordsOf(N.windowZ.format));
  lay.alloc('win.kx', B * B * gw);
  lay.alloc('win.ky', B * B * gw);
  lay.alloc('win.rx', B * WIDE);
  lay.alloc('win.ry', B * WIDE);
  for (const name of ['win.count', 'win.head', 'win.c']) lay.alloc(name, 1);
  const inSpram = o.sampleInSpram ?? false;
  lay.alloc('cur.u', sizes[0], inSpram);
  lay.alloc('cur.label', 1);
  if (pixels) lay.alloc('cur.h0', sizes[0] * wordsOf(N.input.format), inSpram);
  else lay.alias('cur.h0', 'cur.u');
  for (let l = 0; l < L - 1; l++) {
    lay.alloc(`cur.a.${l}`, sizes[l + 1] * wordsOf(N.preact.format));
    lay.alloc(`cur.z.${l}`, sizes[l + 1] * wordsOf(N.act.format));
    lay.alloc(`cur.sinv.${l}`, wordsOf(N.lnInvStd.format));
  }
  const nMax = Math.max(...sizes.slice(1, L));
  for (let l = 0; l < L - 1; l++) lay.alloc(`cur.zw.${l}`, sizes[l + 1] * wordsOf(N.windowZ.format));
  lay.alloc('cur.kx', B * gw);
  lay.alloc('cur.ky', B * gw);
  lay.alloc('dist', B * WIDE);
  lay.alloc('kz', B * gw);
  lay.alloc('delta', nMax * wordsOf(N.delta.format));
  lay.alloc('mod', Math.max(...P.modulator.map((p) => modulatorScratchWords(p, N))));
  lay.alloc('out.logits', B * C * wordsOf(N.logit.format));
  lay.alloc('out.errs', B * C);
  lay.alloc('out.e', C * WIDE);
  lay.alloc('out.class', 1);
  for (const [name, tf] of Object.entries(P.tables)) lay.alloc(`rom.${name}`, tableImage(tf).words.length);
  // the saturation counters as the RTL core keeps them: per counter index q < 32, high then low, 2 words each
  lay.alloc('sat', 4 * 32);
  return lay;
}
