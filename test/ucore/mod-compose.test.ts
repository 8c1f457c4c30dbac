/**
 * The four section programs composed over one memory layout through a stream of samples, against the golden
 * functions called in the order of trainStep's steps 1–4 (step.ts § STEP): the machine runs the slot write, the
 * stored z, the K_X row's distances, the label row, the ring rows, and — once the window is full — per hidden
 * layer the K_Z distances, the modulator and the update; the test supplies what other sections compute (the
 * forward's a, z, s⁻¹ and stored z; the kernel words from the machine's own distances) from the golden model.
 * After every step: hidden weights and biases, the LFSR states, the window state, and the counters of the
 * quantities these sections saturate (weight, bias, coef, xi, delta) equal the golden ones. The output layer
 * (§ OUTPUT) is not run on either side.
 */
import { describe, expect, it } from 'vitest';
import { SatCounter } from '../../generator/fixed/index.js';
import { Asm } from '../../generator/ucore/asm.js';
import { countersOf, machineFor, WIDE, wordsOf } from '../../generator/ucore/program/common.js';
import { emitGramRow, gramOfInputs, gramOfZ } from '../../generator/ucore/program/gram.js';
import { emitModulator, modulatorScratchWords, type ModulatorAt } from '../../generator/ucore/program/modulator.js';
import { emitUpdate, type UpdateAt } from '../../generator/ucore/program/update.js';
import { emitLabelRow, emitWmUpdateRows, emitWmWriteSlot, emitWmWriteZ, emitWmClear, type WmAt } from '../../generator/ucore/program/wm.js';
import { Machine } from '../../sim/ucore/iss.js';
import {
  createWindowMemory,
  gramRow,
  hiddenForwardAll,
  kernelRow,
  labelRow,
  laneSeed,
  LfsrBank,
  modulate,
  rank1Update,
  satSlots,
  stepScratch,
  windowZ,
  wmUpdateRows,
  wmWriteSlot,
  wmWriteZ,
  type ChipState,
} from '../../sim/golden/fixed/index.js';
import { PIXEL_SHIFT } from '../../sim/data.js';
import { get, ICE, put, Rand, SMALL, type Cfg } from './mod-helpers.js';

const rnd = new Rand(314);
const TOUCHED = ['weight', 'bias', 'coef', 'xi', 'delta'] as const;

function prog(emit: (a: Asm) => void) {
  const a = new Asm();
  emit(a);
  a.halt();
  return a.finish();
}

function compose(C: Cfg, steps: number, pixels: boolean): Record<string, number> {
  const P = C.P;
  const N = P.numeric;
  const { B, L } = P;
  const dim = P.sizes[0];
  const hidden = P.sizes.slice(1, L);
  const wg = wordsOf(N.gram.format);
  const lanes = N.lfsr.lanes;
  // ---- one layout for every section
  let top = 0;
  const take = (k: number) => ((top += k), top - k);
  const wmAt: WmAt = {
    count: take(1),
    head: take(1),
    c: take(1),
    labels: take(B),
    inputs: take(B * dim),
    zw: hidden.map((n) => take(B * n)),
    Kx: take(B * B * wg),
    Ky: take(B * B * wg),
    Rx: take(B * WIDE),
    Ry: take(B * WIDE),
    in: take(dim),
    label: take(1),
    kx: take(B * wg),
    ky: take(B * wg),
  };
  const zWin = hidden.map((n) => take(n));
  const dist = take(B * WIDE);
  const kz = take(B * wg);
  const h0 = take(dim);
  const zc = hidden.map((n) => take(n));
  const ac = hidden.map((n) => take(n));
  const sInv = hidden.map(() => take(wordsOf(N.lnInvStd.format)));
  const delta = take(Math.max(...hidden) * wordsOf(N.delta.format));
  const scratch = take(Math.max(...hidden.map((_, l) => modulatorScratchWords(P.modulator[l], N))));
  const params = hidden.map((n, l) => take(n * (P.sizes[l] + 1)));
  const m = new Machine(machineFor(P, top));

  // ---- the programs
  const gramX = prog((a) => emitGramRow(a, gramOfInputs(dim, pixels), { c: wmAt.c, count: wmAt.count, vecs: wmAt.inputs, d: dist }));
  const front = prog((a) => {
    emitWmWriteSlot(a, P, wmAt);
    hidden.forEach((_, l) => emitWmWriteZ(a, P, l, { c: wmAt.c, zw: wmAt.zw, z: zWin[l] }));
  });
  const rowsProg = prog((a) => {
    emitLabelRow(a, P, wmAt);
    emitWmUpdateRows(a, P, wmAt);
  });
  const gramZ = hidden.map((n, l) => prog((a) => emitGramRow(a, gramOfZ(n), { c: wmAt.c, count: wmAt.count, vecs: wmAt.zw[l], d: dist })));
  const back = hidden.map((_, l) =>
    prog((a) => {
      const mat: ModulatorAt = { c: wmAt.c, Kx: wmAt.Kx, Ky: wmAt.Ky, Rx: wmAt.Rx, Ry: wmAt.Ry, kz, zw: wmAt.zw[l], z: zc[l], a: ac[l], sInv: sInv[l], delta, scratch };
      emitModulator(a, P.modulator[l], N, mat);
      const uat: UpdateAt = { params: params[l], h: l === 0 ? h0 : zc[l - 1], delta, deltaWords: wordsOf(N.delta.format), laneBase: l * lanes, lanes };
      emitUpdate(a, P.update[l], uat);
    }),
  );
  m.run(prog((a) => emitWmClear(a, P, wmAt)));

  // ---- golden state, same initial weights and seeds
  const seeds = (l: number) => Array.from({ length: lanes }, (_, q) => laneSeed(N.lfsr.seed, 7, l, q, N.lfsr.width));
  const S: ChipState = {
    W: hidden.map((n, l) => Int32Array.from({ length: n * P.sizes[l] }, () => rnd.int(-(2 ** 12), 2 ** 12) >> Math.ceil(Math.log2(P.sizes[l]) / 2))),
    b: hidden.map((n) => Int32Array.from({ length: n }, () => rnd.int(-256, 256))),
    banks: hidden.map((_, l) => new LfsrBank(N.lfsr.width, N.lfsr.rbits, N.lfsr.leap, lanes, seeds(l))),
    wm: createWindowMemory(B, dim, hidden),
  };
  hidden.forEach((n, l) => {
    const nIn = P.sizes[l];
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < nIn; i++) put(m, params[l] + j * (nIn + 1) + i, 1, S.W[l][j * nIn + i]);
      put(m, params[l] + j * (nIn + 1) + nIn, 1, S.b[l][j]);
    }
    seeds(l).forEach((s, q) => (m.lfsr[l * lanes + q] = s));
  });
  const W0 = S.W.map((w) => w.slice());
  let nonzeroDelta = 0;
  const counter = new SatCounter();
  const s = satSlots(counter);
  const x = stepScratch(P);
  const wm = S.wm;
  const classes = P.sizes[L];
  const protos = Array.from({ length: classes }, () => Int32Array.from({ length: dim }, () => rnd.int(0, 255)));
  const fIn = N.input.format.fracBits;
  const cycles: Record<string, number> = {};
  const run = (name: string, p: ReturnType<typeof prog>) => {
    const before = m.cycles;
    m.run(p);
    cycles[name] = m.cycles - before;
  };

  for (let step = 0; step < steps; step++) {
    const what = `${C.name} step ${step}`;
    const label = rnd.int(0, classes - 1);
    const px = protos[label].map((v) => Math.min(255, Math.max(0, v + rnd.int(-60, 60))));
    const input = pixels ? px.map((p) => (2 * p - 255) * 2 ** (fIn - PIXEL_SHIFT)) : px.map((p) => p - 128);
    const u = pixels ? px : input;
    // 1. slot, forward (golden), stored z
    const c = wmWriteSlot(wm, u, label, step);
    hiddenForwardAll(P, S, input, x, s);
    u.forEach((v, i) => put(m, wmAt.in + i, 1, v));
    input.forEach((v, i) => put(m, h0 + i, 1, v));
    put(m, wmAt.label, 1, label);
    hidden.forEach((n, l) => {
      windowZ(P.forward[l], x.z[l], x.zWin, s.windowZ);
      wmWriteZ(wm, l, c, x.zWin);
      for (let j = 0; j < n; j++) {
        put(m, zWin[l] + j, 1, x.zWin[j]);
        put(m, zc[l] + j, wordsOf(N.act.format), x.z[l][j]);
        put(m, ac[l] + j, wordsOf(N.preact.format), x.a[l][j]);
      }
      put(m, sInv[l], wordsOf(N.lnInvStd.format), x.sInv[l]);
    });
    run('slot + z', front);
    // 2. K_X row: distances by the machine, kernel words from them (golden § KERNEL), label row, ring rows
    gramRow(wm.inputs, wm.dim, c, wm.count, x.dist);
    run('K_X distances', gramX);
    const d = get(m, dist, wm.count, WIDE, true);
    expect(d, `${what}: K_X distances`).toEqual(Array.from(x.dist.subarray(0, wm.count)));
    kernelRow(pixels ? P.kxPixels : P.kxWords, Float64Array.from(d), c, wm.count, x.kx, s);
    for (let q = 0; q < wm.count; q++) put(m, wmAt.kx + q * wg, wg, x.kx[q]);
    labelRow(wm.slotLabel, c, wm.count, P.one, P.kyOff, x.ky);
    wmUpdateRows(wm, c, x.kx, x.ky, P.one);
    run('label row + ring rows', rowsProg);
    expect(get(m, wmAt.Rx, B, WIDE, true), `${what}: R_X`).toEqual(Array.from(wm.Rx));
    expect(get(m, wmAt.Ry, B, WIDE, true), `${what}: R_Y`).toEqual(Array.from(wm.Ry));
    expect(get(m, wmAt.Kx, B * B, wg, false), `${what}: K_X`).toEqual(Array.from(wm.Kx));
    if (wm.count < B) continue;
    // 4. per hidden layer: K_Z distances (machine) → kernel (golden) → modulator and update (machine)
    const kxRow = wm.Kx.subarray(c * B, c * B + B);
    const kyRow = wm.Ky.subarray(c * B, c * B + B);
    hidden.forEach((n, l) => {
      gramRow(wm.zw[l], n, c, B, x.dist);
      run(`K_Z distances layer ${l + 1}`, gramZ[l]);
      const dz = get(m, dist, B, WIDE, true);
      expect(dz, `${what}: K_Z distances layer ${l + 1}`).toEqual(Array.from(x.dist.subarray(0, B)));
      kernelRow(P.kz[l], x.dist, c, B, x.kz, s);
      for (let q = 0; q < B; q++) put(m, kz + q * wg, wg, x.kz[q]);
      modulate(P.modulator[l], { c, kx: kxRow, ky: kyRow, Rx: wm.Rx, Ry: wm.Ry, kz: x.kz, zw: wm.zw[l] }, { z: x.z[l], a: x.a[l], sInv: x.sInv[l] }, x.delta, x.mod, s);
      const h = l === 0 ? input : x.z[l - 1];
      rank1Update(P.update[l], S.W[l], S.b[l], x.delta, h, S.banks[l], x.rbuf, s);
      run(`modulator + update layer ${l + 1}`, back[l]);
      expect(get(m, delta, n, wordsOf(N.delta.format), true), `${what}: δ layer ${l + 1}`).toEqual(Array.from(x.delta.subarray(0, n)));
      nonzeroDelta += x.delta.subarray(0, n).filter((v) => v !== 0).length;
      const nIn = P.sizes[l];
      const words = get(m, params[l], n * (nIn + 1), 1, true);
      const want: number[] = [];
      for (let j = 0; j < n; j++) want.push(...S.W[l].subarray(j * nIn, j * nIn + nIn), S.b[l][j]);
      expect(words, `${what}: weights and biases of layer ${l + 1}`).toEqual(want);
      expect(Array.from(m.lfsr.subarray(l * lanes, l * lanes + lanes)), `${what}: LFSR states of layer ${l + 1}`).toEqual(Array.from(S.banks[l].states, (v) => v >>> 0));
    });
    const mc = countersOf(m.sat);
    const gc = counter.snapshot();
    for (const q of TOUCHED) expect(mc[q], `${what}: ${q} counters`).toEqual(gc[q]);
  }
  // the stream did update: δ ≠ 0 seen and every hidden layer's weights moved
  expect(nonzeroDelta).toBeGreaterThan(0);
  S.W.forEach((w, l) => expect(Array.from(w), `${C.name}: layer ${l + 1} unchanged`).not.toEqual(Array.from(W0[l])));
  return cycles;
}

describe('ucore sections composed (§ WM, § GRAM, § MODULATOR, § UPDATE) against the golden step order', () => {
  it('the iCEBreaker config: 10 MNIST-like samples (u8 pixels); the cycles of a full-window step', () => {
    const C = ICE();
    const cyc = compose(C, 10, true);
    const total = Object.values(cyc).reduce((s, v) => s + v, 0);
    console.log(`[ucore compose] ${C.name}: ${Object.entries(cyc).map(([k, v]) => `${k} ${v}`).join(', ')}; these sections ${total} cycles per step`);
  });

  it('24-16-8-5 window 6: pixels and input words (signed K_X distances)', () => {
    compose(SMALL(), 14, true);
    compose(SMALL(), 14, false);
  });
});
