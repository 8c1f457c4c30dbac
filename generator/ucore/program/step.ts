/**
 * The UP5K engine's program: the section programs composed on one memory map (layout.ts chipLayout) into the
 * step of the specification (sim/golden/fixed/step.ts § STEP), the epoch clear and inference. One program, three
 * entry points, each run to `halt`:
 *
 *   clear   § EPOCH BOUNDARY: count = head = 0, the window's vectors, labels, stored z, K_X, K_Y, R cleared.
 *   train   the sample in cur.u (u8 pixels, or input words for non-image sets) with its label in cur.label:
 *           slot write (§ WM; for images the pixels go into the slot in the input words' pass) → input words →
 *           per hidden layer § FORWARD (MAC, LayerNorm + relu, the
 *           resize to windowZ, stored) → K_X row (§ GRAM, § KERNEL) and K_Y row → ring rows and row sums; when
 *           the window is full (count = B), per hidden layer the K_Z row, § MODULATOR and § UPDATE, then
 *           § OUTPUT over the B slots.
 *   infer   the sample in cur.u: § FORWARD through the hidden layers, the last z resized to windowZ, the logits
 *           (counted in logit, as the golden model's predict), argmax (ties to the lowest class) → out.class.
 *
 * The table functions are subroutines sharing one register set (tables.ts), emitted once; their ROM images are
 * `images`, to be placed at their regions before the program runs (the RTL's initial block RAM contents).
 * Everything the program keeps between runs (parameters, LFSR states, the window) is in memory and the LFSRs:
 * sim/ucore/state.ts loads and reads it in the golden model's terms.
 */
import type { ChipParams } from '../../../sim/golden/fixed/params.js';
import { Asm, imm, type AsmOptions, type Label, type Program } from '../asm.js';
import { counterOf, wordsOf } from './common.js';
import { emitForwardMac, emitInputWords } from './forward.js';
import { emitGramRow, gramOfInputs, gramOfZ } from './gram.js';
import { emitKernelRow } from './kernel.js';
import { emitLayerNormRelu, emitWindowZ } from './layernorm.js';
import { chipLayout, type Layout } from './layout.js';
import { emitModulator } from './modulator.js';
import { emitLogits, emitOutputStep } from './output.js';
import { releaseTableRegs, tableImage, tableRegs, tableSub, type TableSub } from './tables.js';
import { emitUpdate } from './update.js';
import { emitLabelRow, emitWmClear, emitWmUpdateRows, emitWmWriteSlot, emitWmWriteZ, type WmAt } from './wm.js';

export interface StepProgram {
  program: Program;
  layout: Layout;
  /** entry addresses */
  entry: { clear: number; train: number; infer: number };
  /** the table ROM images: words at address `at` */
  images: { name: string; at: number; words: number[] }[];
  /** whether cur.u holds u8 pixels (else input words) */
  pixels: boolean;
  /** the program's parts in order: instruction addresses from … to − 1 (a table subroutine: its ROM words) */
  sections: { name: string; from: number; to: number; romWords: number }[];
}

/** The working-memory regions of the layout, as the wm sections take them. */
export function wmAtOf(P: ChipParams, lay: Layout): WmAt {
  return {
    count: lay.at('win.count'),
    head: lay.at('win.head'),
    c: lay.at('win.c'),
    labels: lay.at('win.label'),
    inputs: lay.at('win.u'),
    zw: P.sizes.slice(1, P.L).map((_, l) => lay.at(`win.zw.${l}`)),
    Kx: lay.at('win.kx'),
    Ky: lay.at('win.ky'),
    Rx: lay.at('win.rx'),
    Ry: lay.at('win.ry'),
    in: lay.at('cur.u'),
    label: lay.at('cur.label'),
    kx: lay.at('cur.kx'),
    ky: lay.at('cur.ky'),
  };
}

interface Tables {
  expNeg: TableSub;
  exp: TableSub;
  rsqrt: TableSub;
  recip: TableSub;
}

/**
 * § FORWARD of the sample (input words at cur.h0) through the hidden layers as a subroutine (training and
 * inference call it; it calls rsqrt: two return-stack entries): a, z, s⁻¹ of each layer and its z resized to
 * windowZ at cur.zw.l. Registers: those the callers hold none of (it is called from the top level). Returns its
 * entry; `part` records each piece.
 */
function emitForwardSub(a: Asm, P: ChipParams, lay: Layout, t: Tables, part: (name: string, emit: () => void) => void): Label {
  const N = P.numeric;
  const entry = a.label('forward_sub');
  const over = a.label('forward_over');
  a.b(over);
  a.bind(entry);
  for (let l = 0; l < P.L - 1; l++) {
    const h = l === 0 ? lay.at('cur.h0') : lay.at(`cur.z.${l - 1}`);
    const at = { a: lay.at(`cur.a.${l}`), z: lay.at(`cur.z.${l}`), sInv: lay.at(`cur.sinv.${l}`) };
    part(`forward MAC ${l + 1}`, () => emitForwardMac(a, P, l, { W: lay.at(`params.${l}`), h, a: at.a }));
    part(`LayerNorm ${l + 1}`, () => {
      emitLayerNormRelu(a, P.forward[l], N, at, t.rsqrt);
      emitWindowZ(a, P.forward[l], N, { z: at.z, out: lay.at(`cur.zw.${l}`) });
    });
  }
  a.ret();
  a.bind(over);
  return entry;
}

/**
 * The program of P for samples given as u8 pixels (`pixels`) or as input words; `o.vector` false: for a core
 * without its vector unit (AsmOptions), its sample in SPRAM (chipLayout sampleInSpram).
 */
export function stepProgram(P: ChipParams, pixels: boolean, o: AsmOptions = {}): StepProgram {
  const lay = chipLayout(P, pixels, [], { sampleInSpram: o.vector === false });
  lay.checkFits();
  const a = new Asm(o);
  const s = emitStep(a, P, lay, pixels, () => a.halt());
  const program = a.finish();
  return { program, layout: lay, entry: { clear: s.entry.clear.at, train: s.entry.train.at, infer: s.entry.infer.at }, images: s.images, pixels, sections: s.sections };
}

/** The step's parts as emitStep gives them: its entries (labels), table ROM images and sections. */
export interface StepParts {
  entry: { clear: Label; train: Label; infer: Label };
  images: StepProgram['images'];
  sections: StepProgram['sections'];
}

/**
 * The step of P on layout `lay` into `a`: the table subroutines, § FORWARD's subroutine and the entries clear,
 * train and infer, each finished by `end` (stepProgram: halt; the protocol program, program/protocol.ts: ret,
 * so that it calls them). Registers: every one but those held when it is called.
 */
export function emitStep(a: Asm, P: ChipParams, lay: Layout, pixels: boolean, end: () => void): StepParts {
  const N = P.numeric;
  const { L, B } = P;
  const wm = wmAtOf(P, lay);
  const lanes = N.lfsr.lanes;
  const sections: StepProgram['sections'] = [];
  /** emits a part of the program, recording its addresses */
  const part = <T>(name: string, emit: () => T, romWords = 0): T => {
    const from = a.here;
    const r = emit();
    sections.push({ name, from, to: a.here, romWords });
    return r;
  };
  const regs = tableRegs(a);
  const sub = (name: keyof Tables, q: number | undefined): TableSub => part(`table ${name}`, () => tableSub(a, P.tables[name], lay.at(`rom.${name}`), q, regs), tableImage(P.tables[name]).words.length);
  const t: Tables = { expNeg: sub('expNeg', counterOf('gram')), exp: sub('exp', counterOf('prob')), rsqrt: sub('rsqrt', counterOf('lnInvStd')), recip: sub('recip', undefined) };
  const forward = emitForwardSub(a, P, lay, t, part);
  const inputWords = (): void => {
    if (pixels) emitInputWords(a, P, { u: lay.at('cur.u'), h: lay.at('cur.h0') });
  };

  // ---- clear
  const clear = a.label('clear');
  a.bind(clear);
  part('epoch clear', () => {
    emitWmClear(a, P, wm);
    end();
  });

  // ---- train
  const train = a.label('train');
  a.bind(train);
  // images: the slot write first (its index), then one pass over the pixels for the input words and the slot
  part('slot write', () => emitWmWriteSlot(a, P, wm, !pixels));
  if (pixels) part('input words', () => emitInputWords(a, P, { u: lay.at('cur.u'), h: lay.at('cur.h0'), slot: { c: wm.c, base: wm.inputs } }));
  a.call(forward);
  for (let l = 0; l < L - 1; l++) part(`slot z ${l + 1}`, () => emitWmWriteZ(a, P, l, { c: wm.c, zw: wm.zw, z: lay.at(`cur.zw.${l}`) }));
  const dist = lay.at('dist');
  part('K_X row', () => {
    emitGramRow(a, gramOfInputs(P.sizes[0], pixels), { c: wm.c, count: wm.count, vecs: wm.inputs, d: dist });
    a.with(2, (c, count) => {
      a.ld(c, 0, wm.c, 1, false);
      a.ld(count, 0, wm.count, 1, false);
      emitKernelRow(a, pixels ? P.kxPixels : P.kxWords, N, { d: dist, k: wm.kx }, c, count, t.expNeg);
    });
  });
  part('K_Y row, ring rows', () => {
    emitLabelRow(a, P, wm);
    emitWmUpdateRows(a, P, wm);
    const full = a.label('step.full');
    a.with(1, (count) => {
      a.ld(count, 0, wm.count, 1, false);
      a.beq(count, imm(B), full);
    });
    end();
    a.bind(full);
  });
  for (let l = 0; l < L - 1; l++) {
    const n = P.sizes[l + 1];
    part(`K_Z row ${l + 1}`, () => {
      emitGramRow(a, gramOfZ(n), { c: wm.c, count: wm.count, vecs: wm.zw[l], d: dist });
      a.with(2, (c, count) => {
        a.ld(c, 0, wm.c, 1, false);
        a.li(count, B);
        emitKernelRow(a, P.kz[l], N, { d: dist, k: lay.at('kz') }, c, count, t.expNeg);
      });
    });
    part(`modulator ${l + 1}`, () => emitModulator(a, P.modulator[l], N, {
      c: wm.c,
      Kx: wm.Kx,
      Ky: wm.Ky,
      Rx: wm.Rx,
      Ry: wm.Ry,
      kz: lay.at('kz'),
      zw: wm.zw[l],
      z: lay.at(`cur.z.${l}`),
      a: lay.at(`cur.a.${l}`),
      sInv: lay.at(`cur.sinv.${l}`),
      delta: lay.at('delta'),
      scratch: lay.at('mod'),
    }));
    const h = l === 0 ? lay.at('cur.h0') : lay.at(`cur.z.${l - 1}`);
    part(`update ${l + 1}`, () => emitUpdate(a, P.update[l], { params: lay.at(`params.${l}`), h, delta: lay.at('delta'), deltaWords: wordsOf(N.delta.format), laneBase: l * lanes, lanes }));
  }
  const outAt = {
    W: lay.at('out.W'),
    b: lay.at('out.b'),
    H: wm.zw[L - 2],
    labels: wm.labels,
    logits: lay.at('out.logits'),
    errs: lay.at('out.errs'),
    e: lay.at('out.e'),
  };
  part('output layer', () => {
    emitOutputStep(a, P.output, N, outAt, { exp: t.exp, recip: t.recip }, { base: (L - 1) * lanes, lanes });
    end();
  });

  // ---- infer
  const infer = a.label('infer');
  a.bind(infer);
  part('inference', () => {
    inputWords();
    a.call(forward);
    emitLogits(a, P.output, N, { W: outAt.W, b: outAt.b, H: lay.at(`cur.zw.${L - 2}`), logits: outAt.logits }, 1);
    emitArgmax(a, P.sizes[L], wordsOf(N.logit.format), outAt.logits, lay.at('out.class'));
    end();
  });

  releaseTableRegs(a, regs);
  const images = Object.entries(P.tables).map(([name, tf]) => ({ name, at: lay.at(`rom.${name}`), words: tableImage(tf).words }));
  return { entry: { clear, train, infer }, images, sections };
}

/** out ← the index of the largest of the C logits at `at` (signed, `w` words each), ties to the lowest. */
function emitArgmax(a: Asm, C: number, w: number, at: number, out: number): void {
  a.with(5, (best, mx, j, p, v) => {
    a.li(best, 0);
    a.ld(mx, 0, at, w, true);
    a.li(j, 0);
    a.li(p, at);
    a.loop(C, () => {
      const keep = a.label('argmax.keep');
      a.ld(v, p, 0, w, true);
      a.bge(mx, v, keep);
      a.mov(mx, v);
      a.mov(best, j);
      a.bind(keep);
      a.add(j, j, imm(1));
      a.add(p, p, imm(w));
    });
    a.st(best, 0, out, 1);
  });
}
