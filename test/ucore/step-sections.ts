/**
 * Every section program of the UP5K engine's step assembled into one program on the layout of a ChipParams
 * (program/layout.ts, with the regions the sections need beyond it), each section's address range recorded.
 * The four table subroutines are emitted once, first, on one shared register set, as the step will hold them.
 * Used for the program's size (bench/ucore-size.ts) and the encoding's round trip: the program is built, not
 * run (the sections run with their data in their own tests).
 */
import { Asm, type Program } from '../../generator/ucore/asm.js';
import { counterOf, wordsOf, WIDE } from '../../generator/ucore/program/common.js';
import { emitForwardMac, emitInputWords } from '../../generator/ucore/program/forward.js';
import { emitGramRow, gramOfInputs, gramOfZ } from '../../generator/ucore/program/gram.js';
import { emitKernelRow } from '../../generator/ucore/program/kernel.js';
import { emitLayerNormRelu, emitWindowZ } from '../../generator/ucore/program/layernorm.js';
import { chipLayout, type Layout } from '../../generator/ucore/program/layout.js';
import { emitModulator, modulatorScratchWords } from '../../generator/ucore/program/modulator.js';
import { emitOutputStep } from '../../generator/ucore/program/output.js';
import { tableImage, tableRegs, tableSub, type TableSub } from '../../generator/ucore/program/tables.js';
import { emitUpdate } from '../../generator/ucore/program/update.js';
import { emitLabelRow, emitWmClear, emitWmUpdateRows, emitWmWriteSlot, emitWmWriteZ, type WmAt } from '../../generator/ucore/program/wm.js';
import type { ChipParams } from '../../sim/golden/fixed/index.js';

export interface Section {
  name: string;
  /** instruction addresses from … to − 1 */
  from: number;
  to: number;
  /** words of the table ROM the section brings (table subroutines only) */
  romWords: number;
}

export interface StepSections {
  program: Program;
  sections: Section[];
  layout: Layout;
}

/** The sections of the step of P, in one program (halt last). */
export function stepSections(P: ChipParams): StepSections {
  const N = P.numeric;
  const { L, B, sizes } = P;
  const lanes = N.lfsr.lanes;
  const lay = chipLayout(P);
  const hidden = sizes.slice(1, L);
  const wg = wordsOf(N.gram.format);
  // regions the sections use beyond the layout's: the new sample, its slot, its kernel rows, scratch, the ROMs
  const cur = { c: lay.alloc('cur.c', 1), in: lay.alloc('in.u', sizes[0], true), label: lay.alloc('in.label', 1) };
  const kx = lay.alloc('new.kx', B * wg);
  const ky = lay.alloc('new.ky', B * wg);
  const zw = hidden.map((n, l) => lay.alloc(`cur.zw.${l}`, n * wordsOf(N.windowZ.format)));
  const modScratch = lay.alloc('mod.scratch', Math.max(...P.modulator.map((p) => modulatorScratchWords(p, N))));
  const C = sizes[L];
  const out = { logits: lay.alloc('out.logits', B * C * wordsOf(N.logit.format)), errs: lay.alloc('out.errs', B * C), e: lay.alloc('out.e', C * WIDE) };
  const fns = [P.tables.expNeg, P.tables.exp, P.tables.rsqrt, P.tables.recip];
  const roms = fns.map((tf) => ({ tf, img: tableImage(tf), at: 0 }));
  for (const r of roms) r.at = lay.alloc(`rom.${r.tf.name}`, r.img.words.length);

  const a = new Asm();
  const sections: Section[] = [];
  const section = (name: string, emit: () => void, romWords = 0): void => {
    const from = a.here;
    emit();
    sections.push({ name, from, to: a.here, romWords });
  };
  const regs = tableRegs(a);
  const subs: TableSub[] = [];
  const counters = [counterOf('gram'), counterOf('prob'), counterOf('lnInvStd'), undefined];
  roms.forEach((r, i) => section(`table ${r.tf.name}`, () => subs.push(tableSub(a, r.tf, r.at, counters[i], regs)), r.img.words.length));
  const [expNeg, exp, rsqrt, recip] = subs;

  const head = lay.at('win.state');
  const wm: WmAt = {
    count: head + 1,
    head,
    c: cur.c,
    labels: lay.at('win.label'),
    inputs: lay.at('win.u'),
    zw: hidden.map((_, l) => lay.at(`win.zw.${l}`)),
    Kx: lay.at('win.kx'),
    Ky: lay.at('win.ky'),
    Rx: lay.at('win.rx'),
    Ry: lay.at('win.ry'),
    in: cur.in,
    label: cur.label,
    kx,
    ky,
  };
  section('input words', () => emitInputWords(a, P, { u: cur.in, h: lay.at('cur.h0') }));
  for (let l = 0; l < L - 1; l++) {
    const h = l === 0 ? lay.at('cur.h0') : lay.at(`cur.z.${l - 1}`);
    section(`forward MAC ${l + 1}`, () => emitForwardMac(a, P, l, { W: lay.at(`params.${l}`), h, a: lay.at(`cur.a.${l}`) }));
    const ln = { a: lay.at(`cur.a.${l}`), z: lay.at(`cur.z.${l}`), sInv: lay.at(`cur.sinv.${l}`) };
    section(`LayerNorm ${l + 1}`, () => emitLayerNormRelu(a, P.forward[l], N, ln, rsqrt));
    section(`windowZ ${l + 1}`, () => emitWindowZ(a, P.forward[l], N, { z: ln.z, out: zw[l] }));
  }
  section('slot write', () => emitWmWriteSlot(a, P, wm));
  hidden.forEach((_, l) => section(`slot z ${l + 1}`, () => emitWmWriteZ(a, P, l, { c: wm.c, zw: wm.zw, z: zw[l] })));
  const kernel = (name: string, dim: number, pixels: boolean, vecs: number, kp: ChipParams['kxPixels'], k: number): void => {
    section(`gram row ${name}`, () => emitGramRow(a, pixels ? gramOfInputs(dim, true) : gramOfZ(dim), { c: wm.c, count: wm.count, vecs, d: lay.at('dist') }));
    section(`kernel row ${name}`, () =>
      a.with(2, (c, count) => {
        a.ld(c, 0, wm.c, 1, false);
        a.ld(count, 0, wm.count, 1, false);
        emitKernelRow(a, kp, N, { d: lay.at('dist'), k }, c, count, expNeg);
      }),
    );
  };
  kernel('K_X', sizes[0], true, wm.inputs, P.kxPixels, kx);
  section('label row', () => emitLabelRow(a, P, wm));
  section('ring rows', () => emitWmUpdateRows(a, P, wm));
  hidden.forEach((n, l) => kernel(`K_Z ${l + 1}`, n, false, wm.zw[l], P.kz[l], lay.at('kz')));
  for (let l = L - 2; l >= 0; l--) {
    const mat = { c: wm.c, Kx: wm.Kx, Ky: wm.Ky, Rx: wm.Rx, Ry: wm.Ry, kz: lay.at('kz'), zw: wm.zw[l], z: lay.at(`cur.z.${l}`), a: lay.at(`cur.a.${l}`), sInv: lay.at(`cur.sinv.${l}`), delta: lay.at('delta'), scratch: modScratch };
    section(`modulator ${l + 1}`, () => emitModulator(a, P.modulator[l], N, mat));
    const h = l === 0 ? lay.at('cur.h0') : lay.at(`cur.z.${l - 1}`);
    section(`update ${l + 1}`, () => emitUpdate(a, P.update[l], { params: lay.at(`params.${l}`), h, delta: lay.at('delta'), deltaWords: wordsOf(N.delta.format), laneBase: l * lanes, lanes }));
  }
  const W = lay.at(`params.${L - 1}`);
  const oat = { W, b: W + C * sizes[L - 1], H: wm.zw[L - 2], labels: wm.labels, ...out };
  section('output layer', () => emitOutputStep(a, P.output, N, oat, { exp, recip }, { base: (L - 1) * lanes, lanes }));
  section('epoch clear', () => emitWmClear(a, P, wm));
  a.halt();
  return { program: a.finish(), sections, layout: lay };
}
