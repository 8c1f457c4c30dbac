/**
 * The UP5K engine's data memory map for one ChipParams: every region the step's section programs read and
 * write, by name. Addresses 0 … SPRAM_WORDS − 1 are the four SB_SPRAM256KA (16 K words each: the layers'
 * parameters and the window's inputs, the large arrays); the rest is block RAM (the current sample, the window's
 * small arrays, scratch and the table ROMs). `chipLayout` refuses a network whose arrays do not fit the part.
 */
import type { ChipParams } from '../../../sim/golden/fixed/params.js';
import { WIDE, wordsOf } from './common.js';

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
 * The regions of the step of P: params.l (layer l's rows of nIn + 1 words, the bias last), win.u (B × nIn0
 * pixels or input words), win.label (B), win.zw.l (B × n of hidden layer l, windowZ), win.kx / win.ky (B × B
 * gram words), win.rx / win.ry (B wide row sums), win.state (head, count), cur.h0 (the input words), cur.a.l /
 * cur.z.l (n each), cur.sinv.l, and the scratch the sections share: dist (B wide), kz (B), delta, xi, coef, w.
 * Table ROMs and the output layer's scratch are added by their sections (`alloc`).
 */
export function chipLayout(P: ChipParams): Layout {
  const N = P.numeric;
  const { sizes, L, B } = P;
  const lay = new Layout();
  for (let l = 0; l < L; l++) lay.alloc(`params.${l}`, sizes[l + 1] * (sizes[l] + 1), true);
  lay.alloc('win.u', B * sizes[0], true);
  lay.alloc('win.label', B);
  const gw = wordsOf(N.gram.format);
  for (let l = 0; l < L - 1; l++) lay.alloc(`win.zw.${l}`, B * sizes[l + 1] * wordsOf(N.windowZ.format));
  lay.alloc('win.kx', B * B * gw);
  lay.alloc('win.ky', B * B * gw);
  lay.alloc('win.rx', B * WIDE);
  lay.alloc('win.ry', B * WIDE);
  lay.alloc('win.state', 2);
  lay.alloc('cur.h0', sizes[0] * wordsOf(N.input.format));
  for (let l = 0; l < L - 1; l++) {
    lay.alloc(`cur.a.${l}`, sizes[l + 1] * wordsOf(N.preact.format));
    lay.alloc(`cur.z.${l}`, sizes[l + 1] * wordsOf(N.act.format));
    lay.alloc(`cur.sinv.${l}`, wordsOf(N.lnInvStd.format));
  }
  const nMax = Math.max(...sizes.slice(1, L));
  lay.alloc('dist', B * WIDE);
  lay.alloc('kz', B * gw);
  lay.alloc('delta', nMax * wordsOf(N.delta.format));
  lay.alloc('xi', nMax * wordsOf(N.xi.format));
  lay.alloc('coef', B * wordsOf(N.coef.format));
  lay.alloc('w', B * WIDE);
  return lay;
}
