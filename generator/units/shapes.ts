/**
 * The shapes the working memory, the Gram array and the kernel unit agree on, derived from one ChipConfig:
 * the window vectors ("kinds") whose squared distances the chip computes — kind 0 the u8 pixels of the input,
 * kind l (1 ≤ l < L) the stored z of hidden layer l (windowZ words) — the exact width of a squared distance,
 * and the slot / label index widths.
 */
import { width } from '../fixed/index.js';
import type { ChipConfig } from '../config.js';
import { resolveNumeric, type ResolvedNumeric } from '../numeric.js';
import { bitsOf } from '../lib/arith/common.js';

export interface VectorKind {
  /** 'x' (pixels) or 'z<l>' */
  name: string;
  /** words per slot */
  len: number;
  /** bits per word */
  width: number;
  signed: boolean;
  /** largest |u − v| of two words */
  maxDiff: number;
}

export interface UnitShapes {
  N: ResolvedNumeric;
  /** window slots B */
  B: number;
  /** bits of a slot index (at least 1) */
  slotBits: number;
  /** classes C and the bits of a stored label ⌈log2 C⌉ (at least 1, as memoryBits counts them) */
  classes: number;
  labelBits: number;
  kinds: VectorKind[];
  /** bits of the kind index (at least 1) */
  kindBits: number;
  /** bits of an exact squared distance of any kind: bitsOf(max_k len_k · maxDiff_k²) */
  distBits: number;
  /** bits of a signed word that holds every kind's words (pixels zero-extended) */
  wordBits: number;
}

export function unitShapes(cfg: ChipConfig): UnitShapes {
  const N = resolveNumeric(cfg.numeric);
  const L = cfg.layers.length - 1;
  const wz = width(N.windowZ.format);
  const kinds: VectorKind[] = [{ name: 'x', len: cfg.layers[0], width: 8, signed: false, maxDiff: 255 }];
  for (let l = 1; l < L; l++) kinds.push({ name: `z${l}`, len: cfg.layers[l], width: wz, signed: true, maxDiff: 2 ** wz - 1 });
  const classes = cfg.layers[L];
  let maxD = 0n;
  for (const k of kinds) {
    const d = BigInt(k.len) * BigInt(k.maxDiff) ** 2n;
    if (d > maxD) maxD = d;
  }
  return {
    N,
    B: cfg.window,
    slotBits: bitsOf(cfg.window - 1),
    classes,
    labelBits: Math.max(1, Math.ceil(Math.log2(classes))),
    kinds,
    kindBits: bitsOf(kinds.length - 1),
    distBits: maxD.toString(2).length,
    wordBits: Math.max(9, wz),
  };
}
