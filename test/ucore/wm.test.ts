/**
 * § WM / § EPOCH BOUNDARY as ucore programs (generator/ucore/program/wm.ts) against the golden working memory
 * (wmWriteSlot, wmWriteZ, labelRow, wmUpdateRows, wmClear): a stream of samples through a window that fills,
 * wraps around and is cleared at an epoch boundary, the whole window state compared word for word after every
 * step (count, head, labels, vectors, stored z, K_X, K_Y and the exact row sums).
 */
import { describe, expect, it } from 'vitest';
import { maxRawNum, minRawNum } from '../../generator/fixed/index.js';
import { WIDE, wordsOf } from '../../generator/ucore/program/common.js';
import { emitLabelRow, emitWmClear, emitWmUpdateRows, emitWmWriteSlot, emitWmWriteZ, type WmAt } from '../../generator/ucore/program/wm.js';
import { Asm } from '../../generator/ucore/asm.js';
import { machineFor } from '../../generator/ucore/program/common.js';
import { Machine } from '../../sim/ucore/iss.js';
import { createWindowMemory, labelRow, wmClear, wmRowSumsExact, wmUpdateRows, wmWriteSlot, wmWriteZ, type WindowMemory } from '../../sim/golden/fixed/index.js';
import { get, ICE, put, Rand, SMALL, type Cfg } from './mod-helpers.js';

const rnd = new Rand(11);

function layout(C: Cfg): { at: WmAt; z: number[]; mem: number } {
  const P = C.P;
  const B = P.B;
  const wg = wordsOf(P.numeric.gram.format);
  let top = 1;
  const take = (k: number) => ((top += k + 1), top - k - 1); // one guard word after each region
  const hidden = P.sizes.slice(1, P.L);
  const at: WmAt = {
    count: take(1),
    head: take(1),
    c: take(1),
    labels: take(B),
    inputs: take(B * P.sizes[0]),
    zw: hidden.map((n) => take(B * n)),
    Kx: take(B * B * wg),
    Ky: take(B * B * wg),
    Rx: take(B * WIDE),
    Ry: take(B * WIDE),
    in: take(P.sizes[0]),
    label: take(1),
    kx: take(B * wg),
    ky: take(B * wg),
  };
  const z = hidden.map((n) => take(n));
  return { at, z, mem: top + 1 };
}

function prog(emit: (a: Asm) => void) {
  const a = new Asm();
  emit(a);
  a.halt();
  return a.finish();
}

/** The window state of the machine equals the golden one, word for word (guard words stay 0). */
function same(C: Cfg, m: Machine, wm: WindowMemory, at: WmAt, what: string, pixels: boolean): void {
  const P = C.P;
  const B = P.B;
  const wg = wordsOf(P.numeric.gram.format);
  expect([get(m, at.count, 1, 1, false)[0], get(m, at.head, 1, 1, false)[0]], `${what}: count, head`).toEqual([wm.count, wm.head]);
  expect(get(m, at.labels, B, 1, true), `${what}: labels`).toEqual(Array.from(wm.slotLabel));
  expect(get(m, at.inputs, B * wm.dim, 1, !pixels), `${what}: vectors`).toEqual(Array.from(wm.inputs));
  wm.zw.forEach((zw, l) => expect(get(m, at.zw[l], zw.length, 1, true), `${what}: stored z of layer ${l + 1}`).toEqual(Array.from(zw)));
  expect(get(m, at.Kx, B * B, wg, false), `${what}: K_X`).toEqual(Array.from(wm.Kx));
  expect(get(m, at.Ky, B * B, wg, false), `${what}: K_Y`).toEqual(Array.from(wm.Ky));
  expect(get(m, at.Rx, B, WIDE, true), `${what}: R_X`).toEqual(Array.from(wm.Rx));
  expect(get(m, at.Ry, B, WIDE, true), `${what}: R_Y`).toEqual(Array.from(wm.Ry));
  expect(wmRowSumsExact(wm, P.one)).toBe(true);
}

function stream(C: Cfg, steps: number, clearAt: number[], pixels: boolean): Record<string, number> {
  const P = C.P;
  const N = P.numeric;
  const B = P.B;
  const dim = P.sizes[0];
  const classes = P.sizes[P.L];
  const wg = wordsOf(N.gram.format);
  const hidden = P.sizes.slice(1, P.L);
  const { at, z: zAt, mem } = layout(C);
  const m = new Machine(machineFor(P, mem));
  const cycles: Record<string, number> = {};
  const run = (name: string, p: ReturnType<typeof prog>) => {
    const before = m.cycles;
    m.run(p);
    cycles[name] = m.cycles - before;
  };
  const writeSlot = prog((a) => emitWmWriteSlot(a, P, at));
  const writeZ = hidden.map((_, l) => prog((a) => emitWmWriteZ(a, P, l, { c: at.c, zw: at.zw, z: zAt[l] })));
  const kyRow = prog((a) => emitLabelRow(a, P, at));
  const rows = prog((a) => emitWmUpdateRows(a, P, at));
  const clear = prog((a) => emitWmClear(a, P, at));
  // reset: the chip clears its window (labels −1) as at an epoch boundary
  m.mem.fill(0x3c3c);
  for (const r of [at.in, at.label, at.kx, at.ky, ...zAt]) m.mem.fill(0, r, r + 1);
  run('clear', clear);
  const wm = createWindowMemory(B, dim, hidden);
  const fi = N.input.format;
  const fz = N.windowZ.format;
  for (let s = 0; s < steps; s++) {
    const what = `${C.name} step ${s}`;
    if (clearAt.includes(s)) {
      wmClear(wm);
      run('clear', clear);
      same(C, m, wm, at, `${what} (epoch clear)`, pixels);
    }
    const u = Int32Array.from({ length: dim }, () => (pixels ? rnd.int(0, 255) : rnd.edgy(minRawNum(fi), maxRawNum(fi))));
    const label = rnd.int(0, Math.min(classes - 1, 2));
    u.forEach((v, i) => put(m, at.in + i, 1, v));
    put(m, at.label, 1, label);
    const c = wmWriteSlot(wm, u, label, s);
    run('writeSlot', writeSlot);
    expect(get(m, at.c, 1, 1, false)[0], `${what}: c`).toBe(c);
    hidden.forEach((n, l) => {
      const zc = Int32Array.from({ length: n }, () => rnd.edgy(minRawNum(fz), maxRawNum(fz), true));
      zc.forEach((v, i) => put(m, zAt[l] + i, 1, v));
      wmWriteZ(wm, l, c, zc);
      run('writeZ', writeZ[l]);
    });
    // the new K_X row (§ KERNEL's words) for the occupied slots, 1.0 at c
    const kx = Int32Array.from({ length: B }, (_, q) => (q === c ? P.one : rnd.edgy(0, P.one, true)));
    for (let q = 0; q < wm.count; q++) put(m, at.kx + q * wg, wg, kx[q]);
    const ky = new Int32Array(B).fill(-7);
    labelRow(wm.slotLabel, c, wm.count, P.one, P.kyOff, ky);
    run('labelRow', kyRow);
    expect(get(m, at.ky, wm.count, wg, false), `${what}: K_Y row`).toEqual(Array.from(ky.subarray(0, wm.count)));
    wmUpdateRows(wm, c, kx, ky, P.one);
    run('updateRows', rows);
    same(C, m, wm, at, what, pixels);
  }
  // every guard word still as it was before the reset (no section wrote outside its regions)
  const inside = new Set<number>();
  const mark = (base: number, n: number) => {
    for (let i = 0; i < n; i++) inside.add(base + i);
  };
  mark(at.count, 1);
  mark(at.head, 1);
  mark(at.c, 1);
  mark(at.labels, B);
  mark(at.inputs, B * dim);
  hidden.forEach((n, l) => mark(at.zw[l], B * n));
  mark(at.Kx, B * B * wg);
  mark(at.Ky, B * B * wg);
  mark(at.Rx, B * WIDE);
  mark(at.Ry, B * WIDE);
  mark(at.in, dim);
  mark(at.label, 1);
  mark(at.kx, B * wg);
  mark(at.ky, B * wg);
  hidden.forEach((n, l) => mark(zAt[l], n));
  const outside = Array.from(m.mem).filter((_, i) => !inside.has(i));
  expect(outside.every((w) => w === 0x3c3c), `${C.name}: words outside the regions`).toBe(true);
  return cycles;
}

describe('ucore § WM (slot write, label row, ring rows and exact row sums, epoch clear)', () => {
  it('the iCEBreaker config: 11 steps (fill, wrap), an epoch clear, 6 more; cycles', () => {
    const C = ICE();
    const cyc = stream(C, 17, [11], true);
    console.log(`[ucore wm] ${C.name}: ${Object.entries(cyc).map(([k, v]) => `${k} ${v}`).join(', ')} cycles (a full window)`);
  });

  it('24-16-8-5 window 6 (two hidden layers, signed input words), clears at steps 4 and 15', () => {
    stream(SMALL(), 30, [4, 15], false);
  });
});
